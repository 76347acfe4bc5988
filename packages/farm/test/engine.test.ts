import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeReproducer, findingSignature, runOne, signatureOf } from '@pcfarm/core';
import { describe, expect, it } from 'vitest';
import { campaignSpec, EmbeddedStore, RESULTS_FILE, runCampaign, ThreadPool, type CampaignSpec, type Progress } from '../dist/index.js';
import { comparable, tempDir } from './helpers.js';

const RUNNER = fileURLToPath(new URL('./fixtures/run-campaign.mjs', import.meta.url));

/**
 * Small, but with buckets in several cells: v2.6.20 and zero-retry fail in
 * many ways, and v2.6.20 warns on overwrite-vs-read. Whole-page buffers
 * only, to keep the runs few; the first test runs the blocks-per-page axis.
 */
const SPEC: Partial<CampaignSpec> = {
  strategies: ['v2.6.20', 'zero-retry', 'write-begin-end'],
  scenarios: ['self-mmap-write', 'multi-segment', 'overwrite-vs-read', 'generated'],
  blocksPerPage: [1],
  seedsPerCell: 600,
  batchSeeds: 50,
};

async function runEmbedded(spec: Partial<CampaignSpec>, threads: number, minimize = false) {
  const store = EmbeddedStore.open(tempDir());
  const c = await store.createCampaign(campaignSpec(spec));
  const pool = new ThreadPool({ threads });
  try {
    const r = await runCampaign(store, c.id, pool, { minimize });
    return { store, id: c.id, result: r };
  } finally {
    await pool.close();
  }
}

/** SPEC run straight through on 2 threads, once for the tests that compare an interrupted run with it. */
let uninterrupted: ReturnType<typeof runEmbedded> | null = null;
const wholeSpec = () => (uninterrupted ??= runEmbedded(SPEC, 2));

describe('the local campaign engine', () => {
  it('finds the same buckets (failures and warnings) with the same counts on 1 thread and on 3, over every blocks per page', async () => {
    const spec = { ...SPEC, blocksPerPage: [1, 2, 4], seedsPerCell: 150 };
    const one = await runEmbedded(spec, 1);
    const three = await runEmbedded(spec, 3);
    const a = await comparable(one.store, one.id);
    const b = await comparable(three.store, three.id);
    expect(a.runs).toBe(3 * 4 * 3 * 150);
    expect(a.buckets.length).toBeGreaterThan(5);
    expect(a.buckets.some((x) => x.severity === 'warning')).toBe(true);
    expect(a.buckets.some((x) => x.blocksPerPage.includes(4))).toBe(true);
    expect(a.coverage).toBeGreaterThan(0);
    expect(b).toEqual(a);
    expect(one.result.endedBy).toBe('done');
    expect((await one.store.getCampaign(one.id)).state).toBe('done');
  });

  it('minimizes every new failure bucket once, to a reproducer of the same signature at the same blocks per page', async () => {
    // One thread returns batches in index order, so the example a bucket is minimized from when
    // it is new stays its first; with more, a later-reported earlier batch can put a lower seed first.
    const { store, id } = await runEmbedded({ strategies: ['v2.6.20'], scenarios: ['self-mmap-write', 'multi-segment'], blocksPerPage: [4], seedsPerCell: 200, batchSeeds: 50 }, 1, true);
    const buckets = await store.buckets(id);
    expect(buckets.length).toBeGreaterThan(0);
    for (const b of buckets) {
      expect(b.minimized, b.title).not.toBeNull();
      expect(b.minimized!.reproducer).toMatch(/^pcfarm1:/);
      expect(b.minimized!.seed).toBe(b.examples[0]!.seed);
      expect(b.minimized!.blocksPerPage).toBe(4);
      const r = decodeReproducer(b.minimized!.reproducer);
      expect(r.config.blocksPerPage).toBe(4);
      expect(signatureOf(runOne(r.config, { choices: r.choices }))!.title).toBe(b.title);
    }
    expect((await store.summary(id)).minimized).toBe(buckets.length);
  });

  it('keeps failures and warnings in separate buckets with their severity, counts every warning of every run (failing or not), and minimizes only failures', async () => {
    const spec = { strategies: ['v2.6.20'], scenarios: ['cross-mmap-write', 'hole-fill-vs-read'], blocksPerPage: [1], seedsPerCell: 300, batchSeeds: 100 };
    const { store, id } = await runEmbedded(spec, 2, true);
    // What the model says run by run: each failing run's failure, and every run's warnings.
    const expected = new Map<string, { severity: string; count: number }>();
    let failing = 0;
    let warned = 0;
    for (const scenario of spec.scenarios) {
      for (let seed = 0; seed < spec.seedsPerCell; seed++) {
        const o = runOne({ strategy: 'v2.6.20', scenario }, { seed });
        if (o.failure !== null) failing++;
        if (o.warnings.length > 0) warned++;
        for (const f of [...(o.failure === null ? [] : [o.failure]), ...o.warnings]) {
          const sig = findingSignature('v2.6.20', f);
          const e = expected.get(sig.title) ?? { severity: sig.severity, count: 0 };
          e.count++;
          expected.set(sig.title, e);
        }
      }
    }
    const buckets = await store.buckets(id);
    expect(new Map(buckets.map((b) => [b.title, { severity: b.severity, count: b.count }]))).toEqual(expected);
    const failures = buckets.filter((b) => b.severity === 'failure');
    const warnings = buckets.filter((b) => b.severity === 'warning');
    expect(failures.length).toBeGreaterThan(0);
    expect(warnings.length).toBeGreaterThan(0);
    // A warning's signature says so; it never shares a bucket with a failure.
    for (const w of warnings) expect(w.title).toMatch(/; class only$/);
    // Warnings are never minimized; hole-fill-vs-read's names its witness, cross-mmap-write names none.
    for (const w of warnings) expect(w.minimized).toBeNull();
    const holeFill = warnings.find((w) => w.scenarios.includes('hole-fill-vs-read'))!;
    expect(holeFill.witness).toBe('hole-fill-vs-read-same-mm');
    for (const f of failures) expect(f.minimized, f.title).not.toBeNull();
    const s = await store.summary(id);
    expect({ failures: s.failures, warnings: s.warnings, buckets: s.buckets, warningBuckets: s.warningBuckets, minimized: s.minimized }).toEqual({
      failures: failing,
      warnings: warned,
      buckets: failures.length,
      warningBuckets: warnings.length,
      minimized: failures.length,
    });
    expect((await store.getCampaign(id)).state).toBe('done');
  });

  it('stops when aborted, keeps what finished, and a resume ends with the counts of an uninterrupted run', async () => {
    const whole = await wholeSpec();
    const store = EmbeddedStore.open(tempDir());
    const c = await store.createCampaign(campaignSpec(SPEC));
    const pool = new ThreadPool({ threads: 2 });
    const stop = new AbortController();
    const seen: Progress[] = [];
    const first = await runCampaign(store, c.id, pool, {
      minimize: false,
      signal: stop.signal,
      onProgress: (p) => {
        seen.push(p);
        if (p.batchesDone === 10) stop.abort();
      },
    });
    expect(first.endedBy).toBe('stopped');
    expect((await store.getCampaign(c.id)).state).toBe('stopped');
    expect(first.summary.batchesDone).toBeGreaterThanOrEqual(10);
    expect(first.summary.batchesDone).toBeLessThan(first.summary.batchesTotal!);
    const second = await runCampaign(store, c.id, pool, { minimize: false });
    await pool.close();
    expect(second.endedBy).toBe('done');
    expect(await comparable(store, c.id)).toEqual(await comparable(whole.store, whole.id));
  });

  it('a campaign killed with SIGKILL mid-way and resumed ends with exactly the counts of an uninterrupted one', async () => {
    // 144 batches: the child is killed after 20 of them, with most of the campaign still to run.
    const spec = SPEC;
    const whole = await wholeSpec();
    const dir = tempDir();
    const store = EmbeddedStore.open(dir);
    const c = await store.createCampaign(campaignSpec(spec));
    // The child is the directory's writer now.
    await store.close();
    const child = spawn(process.execPath, [RUNNER, dir, c.id, '2'], { stdio: 'inherit' });
    let running = true;
    const exited = new Promise<void>((resolve) => child.on('exit', () => {
      running = false;
      resolve();
    }));
    const batchLines = () => readFileSync(join(dir, RESULTS_FILE), 'utf8').split('\n').filter((l) => l.startsWith('{"type":"batch"')).length;
    while (batchLines() < 20) {
      expect(running, 'the child exited before it recorded 20 batches').toBe(true);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    const reopened = EmbeddedStore.open(dir);
    const partial = await reopened.summary(c.id);
    expect(partial.batchesDone).toBeGreaterThanOrEqual(20);
    expect(partial.batchesDone).toBeLessThan(partial.batchesTotal!);
    // It died running: resuming is running it again.
    expect(partial.campaign.state).toBe('running');
    const pool = new ThreadPool({ threads: 2 });
    await runCampaign(reopened, c.id, pool, { minimize: false });
    await pool.close();
    expect(await comparable(reopened, c.id)).toEqual(await comparable(whole.store, whole.id));
  });

  it('runs a time-budget campaign until its budget is spent, counting running time across resumes', async () => {
    let clock = 0;
    const store = EmbeddedStore.open(tempDir());
    const c = await store.createCampaign(campaignSpec({ strategies: ['gup-pin'], scenarios: ['generated'], timeBudgetMs: 10, batchSeeds: 20 }));
    const pool = new ThreadPool({ threads: 1 });
    // Each recorded batch moves the fake clock 1 ms: the budget of 10 ms is about 10 batches.
    const r = await runCampaign(store, c.id, pool, { minimize: false, now: () => clock, onProgress: () => void clock++ });
    await pool.close();
    expect(r.endedBy).toBe('done');
    expect(r.summary.batchesDone).toBeGreaterThanOrEqual(10);
    expect(r.summary.batchesDone).toBeLessThan(20);
    expect(r.summary.campaign.runningMs).toBeGreaterThanOrEqual(10);
  });
});
