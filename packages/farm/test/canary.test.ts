import { describe, expect, it } from 'vitest';
import { CANARIES, CANARY_RUNS_FACTOR, campaignSpec, canaryChecks, canaryText, EmbeddedStore, runCampaign, ThreadPool, type Batch, type CampaignSpec, type Executor } from '../dist/index.js';
import { tempDir } from './helpers.js';

const SPEC: Partial<CampaignSpec> = { strategies: ['v2.6.20', 'two-copy'], scenarios: ['self-mmap-write', 'mmap-sem-inversion', 'multi-segment'], blocksPerPage: [1], seedsPerCell: 100, batchSeeds: 50 };

/** Run a campaign of `spec` on `wrap(pool)`; its canaries once done. */
async function canariesOf(spec: Partial<CampaignSpec>, wrap: (pool: ThreadPool) => Executor = (p) => p) {
  const store = EmbeddedStore.open(tempDir());
  const pool = new ThreadPool({ threads: 1 });
  try {
    const c = await store.createCampaign(campaignSpec(spec));
    await runCampaign(store, c.id, wrap(pool), { minimize: false });
    return canaryChecks(await store.getCampaign(c.id), await store.doneBatches(c.id), await store.buckets(c.id));
  } finally {
    await pool.close();
    await store.close();
  }
}

describe('canaries', () => {
  it('a campaign whose cells include a known bug finds it, and says so', async () => {
    const checks = await canariesOf(SPEC);
    expect(checks.map((c) => [c.scenario, c.runs, c.found, c.alarm])).toEqual([
      ['self-mmap-write', 100, true, false],
      ['mmap-sem-inversion', 100, true, false],
    ]);
    expect(canaryText(checks[0]!)).toMatch(/^canary v2\.6\.20 x self-mmap-write \(1 bpp\): its deadlock found, as expected$/);
  });

  it('raises the alarm when the farm is broken: workers that run every seed but judge nothing never find the canary', async () => {
    // A planted fault: each batch's runs are counted, its findings dropped.
    const blind = (pool: ThreadPool): Executor => ({
      concurrency: pool.concurrency,
      runBatch: async (b: Batch) => ({ ...(await pool.runBatch(b)), failures: [], warnings: [], warningRuns: 0 }),
      minimize: (j) => pool.minimize(j),
      close: () => pool.close(),
    });
    const checks = await canariesOf(SPEC, blind);
    expect(checks.every((c) => !c.found && c.alarm)).toBe(true);
    expect(canaryText(checks[0]!)).toMatch(/^CANARY ALARM: v2\.6\.20 x self-mmap-write \(1 bpp\) ran 100 runs without its known deadlock \(found in 2\.1 runs on average; a working farm misses it once in 10\^20\): the farm itself is broken/);
  });

  it(`waits for ${CANARY_RUNS_FACTOR} times the mean runs before it calls a canary missing, and has none when the campaign runs no canary cell`, async () => {
    const c = { id: 'x', spec: campaignSpec({ ...SPEC, batchSeeds: 1, seedsPerCell: 100 }), modelVersion: 'core-3', state: 'running' as const, createdAt: 0, runningMs: 0, deal: [] };
    // Cells go round: v2.6.20 x self-mmap-write is cell 0, so batches 0, 6, 12, ... are its seeds, one each.
    const cellRuns = (n: number) => Array.from({ length: n }, (_, i) => i * 6);
    const mean = CANARIES[0]!.meanRuns.pct!;
    expect(canaryChecks(c, cellRuns(Math.ceil(CANARY_RUNS_FACTOR * mean) - 1), [])[0]).toMatchObject({ runs: Math.ceil(CANARY_RUNS_FACTOR * mean) - 1, alarm: false });
    expect(canaryChecks(c, cellRuns(Math.ceil(CANARY_RUNS_FACTOR * mean)), [])[0]).toMatchObject({ alarm: true });
    expect(canaryChecks({ ...c, spec: campaignSpec({ ...SPEC, strategies: ['two-copy'] }) }, [0, 1, 2], [])).toEqual([]);
  });
});

describe('canary runs', () => {
  it('count the same from batch indexes and from ranges of them', () => {
    const c = { id: 'x', spec: campaignSpec({ ...SPEC, seedsPerCell: 1000 }), modelVersion: 'core-3', state: 'running' as const, createdAt: 0, runningMs: 0, deal: [] };
    const indexes = [0, 1, 2, 3, 6, 7, 8, 12, 18, 19, 20, 21, 22, 23, 24, 30, 37, 38, 39];
    const ranges: [number, number][] = [[0, 3], [6, 8], [12, 12], [18, 24], [30, 30], [37, 39]];
    const byIndex = canaryChecks(c, indexes, []);
    expect(byIndex.map((x) => x.runs)).toEqual([6 * 50, 4 * 50]);
    expect(canaryChecks(c, ranges, [])).toEqual(byIndex);
  });
});
