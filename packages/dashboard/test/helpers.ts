import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchAt, BatchRunner, campaignSpec, cellIndex, loadStrategyFile, roundOf, minimizeJobOf, runMinimize, strategyFileRef, strategyTemplate, type Bucket, type CampaignSpec, type StrategyFileRef, type Store } from '@pcfarm/farm';

/** A fresh results directory. */
export function tempDir(prefix = 'pcfarm-dash-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Poll until `check` returns something other than undefined, or fail after `ms`. */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, ms = 10_000, what = 'the condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A string matched literally inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export const SELF_DEADLOCK = 'deadlock in v2.6.20: self;';

export interface Seeded {
  id: string;
  /** Failures and warnings. */
  buckets: Bucket[];
  /** The bucket that was minimized (v2.6.20's self deadlock). */
  minimized: Bucket;
  /** hole-fill-vs-read's warning, whose witness is hole-fill-vs-read-same-mm. */
  warning: Bucket;
}

/** The seeded campaign: v2.6.20 fails on the first two scenarios and warns on the last two, at two blocks per page: 720 runs in 12 batches. */
export const SEEDED_SPEC = {
  name: 'seeded',
  strategies: ['v2.6.20'],
  scenarios: ['self-mmap-write', 'cross-mmap-write', 'hole-fill-vs-read'],
  blocksPerPage: [1, 4],
  seedsPerCell: 120,
  batchSeeds: 60,
};

/**
 * A campaign with real results, made without threads: its batches run
 * in-process on a BatchRunner and are recorded as a worker would, and the
 * self-deadlock bucket is minimized (warnings never are). The same on any store.
 */
export async function seedCampaign(store: Store, spec: Partial<CampaignSpec> = {}): Promise<Seeded> {
  const c = await store.createCampaign(campaignSpec({ ...SEEDED_SPEC, ...spec }));
  const runner = new BatchRunner();
  let ms = 0;
  for (let i = 0; ; i++) {
    const b = batchAt(c, i);
    if (b === null) break;
    // A search's batch starts from its epoch's guide; recorded in order, every epoch before it is.
    const guided = c.spec.guide === null ? null : { spec: c.spec, guide: await store.guide(c.id, cellIndex(c.spec, b.strategy, b.scenario, b.blocksPerPage), roundOf(c.spec, b)) };
    const r = runner.run(b, Date.now, guided);
    ms += 10;
    await store.recordBatch(r, ms);
  }
  const buckets = await store.buckets(c.id);
  const target = buckets.find((b) => b.title.startsWith(SELF_DEADLOCK));
  if (target === undefined) throw new Error(`seeded campaign has no self deadlock: ${buckets.map((b) => b.title).join(' | ')}`);
  await store.recordMinimized(c.id, target.id, runMinimize(runner, minimizeJobOf(c, target, 2000), Date.now));
  await store.reportWorker({ id: 'test-worker', host: 'test', pid: 1, concurrency: 2, runs: 240, runsPerSec: 1000, seenAt: Date.now() });
  const all = await store.buckets(c.id);
  const warning = all.find((b) => b.severity === 'warning' && b.scenarios.includes('hole-fill-vs-read'));
  if (warning === undefined) throw new Error(`seeded campaign has no hole-fill-vs-read warning: ${all.map((b) => b.title).join(' | ')}`);
  return { id: c.id, buckets: all, minimized: (await store.bucket(c.id, target.id))!, warning };
}

/**
 * A campaign run here, as seedCampaign does (batches in-process, recorded as
 * a worker would), every failure bucket minimized. Its strategy files are
 * found at the paths the spec records.
 */
export async function runHere(store: Store, spec: Partial<CampaignSpec>): Promise<string> {
  const c = await store.createCampaign(campaignSpec(spec));
  const runner = new BatchRunner();
  for (let i = 0; ; i++) {
    const b = batchAt(c, i);
    if (b === null) break;
    await store.recordBatch(runner.run(b, Date.now), 10 * (i + 1));
  }
  for (const b of await store.buckets(c.id)) if (b.severity === 'failure') await store.recordMinimized(c.id, b.id, runMinimize(runner, minimizeJobOf(c, b, 300), Date.now));
  await store.setState(c.id, 'done');
  return c.id;
}

/**
 * Anton's PG_writing flag as a strategy file (a copy of excl-flag whose
 * fault path does not wait on the flag), and Nick Piggin's fix ("you must
 * also exclude filemap_nopage"), written into `dir`: the walk of issue 15.
 * `strategyFile(name)` is the reference a campaign records.
 */
export function exclFlagFiles(dir: string): { strategyFile(name: string): StrategyFileRef; write(name: string, id: string, faultWaits: boolean): string } {
  const readBuiltIn = (file: string): string => readFileSync(new URL(`../../core/src/strategies/${file}`, import.meta.url), 'utf8');
  const template = strategyTemplate('my-excl', 'excl-flag', readBuiltIn);
  const write = (name: string, id: string, faultWaits: boolean): string => {
    const path = join(dir, name);
    writeFileSync(path, template.replace("id: 'my-excl'", `id: '${id}'`).replace('fault: true', `fault: ${faultWaits}`));
    return path;
  };
  return { write, strategyFile: (name) => strategyFileRef(loadStrategyFile(join(dir, name))) };
}

/** The cells the strategy-file campaigns run: where the flag's stale data and the fix's self deadlock show within 200 seeds. */
export const EXCL_CELLS = { scenarios: ['self-mmap-write', 'hole-fill-vs-read'], blocksPerPage: [1], seedsPerCell: 200, batchSeeds: 100 };
