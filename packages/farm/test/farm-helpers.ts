/**
 * What the farm tests share: worker and coordinator processes started as
 * `pcfarm worker` / `pcfarm coordinator` (the real commands), a reference
 * run of the same campaign on the embedded pool, and the comparison that
 * says the farm found exactly what it found.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { bucketFindings, EmbeddedStore, runCampaign, ThreadPool, type Bucket, type CampaignSnapshot, type CampaignSpec, type Store } from '../dist/index.js';

export const MAIN = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));

/** A process of the farm, with what it printed. */
export interface Proc {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves when it has exited. */
  exited: Promise<number | null>;
}

const procs: Proc[] = [];

/** Start `pcfarm ARGS...` with REDIS_URL set. */
export function pcfarm(url: string, ...args: string[]): Proc {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, REDIS_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d.toString()));
  child.stderr!.on('data', (d) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const p = { child, output: () => text, exited };
  procs.push(p);
  return p;
}

/** Kill every process a test started that is still alive (in afterAll, or when a test fails). */
export async function killAll(): Promise<void> {
  await Promise.all(
    procs.splice(0).map(async (p) => {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }),
  );
}

/** Wait until `check` returns a value that is not false/null/undefined, polling. */
export async function waitFor<T>(what: string, check: () => Promise<T | false | null | undefined> | T | false | null | undefined, timeoutMs = 60_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== false && v !== null && v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The campaign run embedded (EmbeddedStore, ThreadPool, runCampaign, minimization on): what the farm must find. */
export async function embeddedReference(spec: CampaignSpec): Promise<CampaignSnapshot> {
  const dir = mkdtempSync(join(tmpdir(), 'pcfarm-ref-'));
  const store = EmbeddedStore.open(dir);
  const pool = new ThreadPool({ threads: 2 });
  try {
    const c = await store.createCampaign(spec);
    const r = await runCampaign(store, c.id, pool);
    expect(r.endedBy).toBe('done');
    return await store.snapshot(c.id);
  } finally {
    await pool.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A bucket without what depends on time (its reproducer is compared apart). */
const comparable = (b: Bucket) => ({ id: b.id, ...bucketFindings(b), minimized: b.minimized !== null });

/** The farm's campaign `id` found exactly what the reference did: counts, coverage, buckets and their examples, each failure bucket minimized. */
export async function expectSameAsReference(store: Store, id: string, ref: CampaignSnapshot): Promise<void> {
  const s = await store.snapshot(id);
  expect(s.campaign.state).toBe('done');
  expect({ runs: s.runs, steps: s.steps, failures: s.failures, warnings: s.warnings, done: s.done }).toEqual({ runs: ref.runs, steps: ref.steps, failures: ref.failures, warnings: ref.warnings, done: ref.done });
  expect(s.coverage).toEqual(ref.coverage);
  // A guided campaign's corpus too: the same states, from the same batches, on any number of workers.
  expect(s.corpus).toEqual(ref.corpus);
  const sort = (bs: Bucket[]) => bs.map(comparable).sort((a, b) => (a.id < b.id ? -1 : 1));
  expect(sort(s.buckets)).toEqual(sort(ref.buckets));
  // The same reproducer, whatever order the batches came in: each bucket's is of its lowest example.
  for (const b of s.buckets.filter((x) => x.severity === 'failure')) {
    const r = ref.buckets.find((x) => x.id === b.id)!;
    expect({ seed: b.minimized!.seed, reproducer: b.minimized!.reproducer }).toEqual({ seed: r.minimized!.seed, reproducer: r.minimized!.reproducer });
    expect(b.minimized!.seed).toBe(b.examples[0]!.seed);
  }
  const summary = await store.summary(id);
  expect(summary.batchesDone).toBe(summary.batchesTotal);
  expect(summary.minimized).toBe(ref.buckets.filter((b) => b.severity === 'failure').length);
}
