/**
 * Steering a time-budgeted campaign (issue 20): cells that stopped finding
 * things get fewer batches, and a batch index, once dealt, keeps its cell
 * and seeds, so the accounting stays exact and a resume continues the deal.
 */
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  batchAt,
  batchesByCell,
  BatchRunner,
  batchPlace,
  campaignSpec,
  cellCount,
  dealtEnd,
  doneIndexes,
  EmbeddedStore,
  newCampaign,
  nextPlan,
  runCampaign,
  runsByCell,
  STEER_DEFAULTS,
  STEER_LIMITS,
  type Batch,
  type BatchResult,
  type Campaign,
  type DoneRanges,
  type Executor,
} from '../dist/index.js';
import { tempDir } from './helpers.js';

/** Runs batches in this process, one at a time: the engine's executor without threads. */
function inProcess(): Executor {
  const runner = new BatchRunner();
  return {
    concurrency: 1,
    runBatch: async (b: Batch): Promise<BatchResult> => runner.run(b, () => 0),
    minimize: () => Promise.reject(new Error('no minimization here')),
    close: async () => {},
  };
}

/** Every cell's seed starts among `indexes`, each cell's sorted. */
function seedsByCell(c: Campaign, indexes: Iterable<number>): number[][] {
  const out: number[][] = Array.from({ length: cellCount(c.spec) }, () => []);
  for (const i of indexes) {
    const b = batchAt(c, i)!;
    out[batchPlace(c, i)!.cell]!.push(b.seedStart);
  }
  return out.map((xs) => xs.sort((a, b) => a - b));
}

describe('a steered deal', () => {
  const spec = campaignSpec({ strategies: ['v2.6.20', 'two-copy'], scenarios: ['write-errors', 'generated'], blocksPerPage: [1, 2], seedsPerCell: null, timeBudgetMs: 1000, batchSeeds: 10 });
  const cells = cellCount(spec);

  it('is what a campaign bounded only by its time budget does; one bounded by seeds goes round its cells', () => {
    expect(spec.steer).toEqual(STEER_DEFAULTS);
    expect(campaignSpec({ seedsPerCell: 100 }).steer).toBeNull();
    expect(() => campaignSpec({ seedsPerCell: 100, timeBudgetMs: 10, steer: STEER_DEFAULTS })).toThrow(/steer needs a campaign bounded by its time budget alone/);
  });

  it('names every seed of every cell once, in order, across its first rounds and its plans: none skipped, none twice', () => {
    const c: Campaign = { ...newCampaign('d', spec, 0), deal: [[5, 0, 1, 9, 2, 2, 0, 1], [1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 3, 0, 0, 0, 0]] };
    const end = dealtEnd(c);
    expect(end).toBe(STEER_DEFAULTS.firstBatchesPerCell * cells + 20 + 8 + 3);
    expect(batchAt(c, end)).toBeNull();
    const seeds = seedsByCell(c, Array.from({ length: end }, (_, i) => i));
    const perCell = [0, 1, 2, 3, 4, 5, 6, 7].map((cell) => STEER_DEFAULTS.firstBatchesPerCell + c.deal.reduce((s, plan) => s + plan[cell]!, 0));
    seeds.forEach((starts, cell) => expect(starts).toEqual(Array.from({ length: perCell[cell]! }, (_, k) => k * 10)));
    // Counted by ranges and plans, as for a campaign of millions of batches, it is what counting each index gives.
    const done: DoneRanges = [[0, 3], [7, 19], [21, 21], [26, end + 5]];
    const byIndex = new Array<number>(cells).fill(0);
    for (const i of doneIndexes(done)) if (i < end) byIndex[batchPlace(c, i)!.cell]! += 1;
    expect(batchesByCell(c, done)).toEqual(byIndex);
    expect(runsByCell(c, done)).toEqual(byIndex.map((n) => n * 10));
  });

  it('gives a cell that stopped finding things its floor, and the rest by residual risk', () => {
    const c = newCampaign('p', spec, 0);
    const runs = new Array<number>(cells).fill(1000);
    const singletons = [0, 40, 10, 0, 0, 0, 0, 10];
    const plan = nextPlan(c, runs, singletons);
    const size = cells * STEER_LIMITS.planBatchesPerCellMin;
    const floor = Math.floor((size * STEER_DEFAULTS.floorPct) / 100 / cells);
    expect(plan.reduce((a, b) => a + b, 0)).toBe(size);
    expect(floor).toBeGreaterThan(0);
    expect(Math.min(...plan)).toBe(floor);
    expect(plan[0]).toBe(floor);
    expect(plan[1]).toBeGreaterThan(plan[2]!);
    expect(plan[2]).toBeGreaterThan(plan[0]!);
    expect(plan[2]).toBe(plan[7]);
    // Nothing left to find anywhere: an even deal.
    expect(new Set(nextPlan(c, runs, new Array<number>(cells).fill(0)))).toEqual(new Set([STEER_LIMITS.planBatchesPerCellMin]));
  });
});

describe('a time-budgeted campaign run by the engine', () => {
  // v2.6.20 x self-mmap-write deadlocks the same way every run and reaches no new coverage after its first batches;
  // hole-fill-vs-read-same-mm goes on reaching new coverage for hundreds of runs.
  const spec = campaignSpec({ name: 'steer', strategies: ['v2.6.20'], scenarios: ['self-mmap-write', 'hole-fill-vs-read-same-mm'], blocksPerPage: [1], seedsPerCell: null, timeBudgetMs: 40, batchSeeds: 25 });

  it('gives a cell that stopped finding things fewer batches than one still finding, counts each batch once, and continues its deal when resumed', async () => {
    const store = EmbeddedStore.open(tempDir());
    const c = await store.createCampaign(spec);
    // Each recorded batch moves the fake clock 1 ms: the budget of 40 ms is about 40 batches. The first session stops after 16.
    let clock = 0;
    const stop = new AbortController();
    const first = await runCampaign(store, c.id, inProcess(), { minimize: false, signal: stop.signal, now: () => clock, onProgress: () => void (++clock === 16 && stop.abort()) });
    expect(first.endedBy).toBe('stopped');
    const dealtBefore = structuredClone((await store.getCampaign(c.id)).deal);
    expect(dealtBefore.length).toBeGreaterThan(0);
    const second = await runCampaign(store, c.id, inProcess(), { minimize: false, now: () => clock, onProgress: () => void clock++ });
    expect(second.endedBy).toBe('done');
    const after = await store.getCampaign(c.id);
    // The plans of the first session stand; the second dealt on from them.
    expect(after.deal.slice(0, dealtBefore.length)).toEqual(dealtBefore);
    expect(after.deal.length).toBeGreaterThan(dealtBefore.length);
    // Every batch once: the done batches are one range, each cell's seeds follow on without a gap, and the runs add up.
    const done = await store.doneBatches(c.id);
    expect(done).toHaveLength(1);
    const seeds = seedsByCell(after, doneIndexes(done));
    for (const starts of seeds) expect(starts).toEqual(starts.map((_, k) => k * 25));
    expect(second.summary.runs).toBe(runsByCell(after, done).reduce((a, b) => a + b, 0));
    const [exhausted, finding] = batchesByCell(after, done);
    expect(finding).toBeGreaterThan(exhausted! * 2);
    expect(exhausted).toBeGreaterThanOrEqual(STEER_DEFAULTS.firstBatchesPerCell + after.deal.length * Math.floor((STEER_LIMITS.planBatchesPerCellMin * STEER_DEFAULTS.floorPct) / 100));
    // Reopened, the store reads the same deal.
    await store.close();
    const again = EmbeddedStore.open(dirname(store.file));
    expect((await again.getCampaign(c.id)).deal).toEqual(after.deal);
    await again.close();
  });
});
