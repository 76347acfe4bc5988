/**
 * A campaign says when it will end (issue 20): the engine's progress gives
 * the running time left, from the time budget or from the batches left at
 * the session's rate.
 */
import { describe, expect, it } from 'vitest';
import { BatchRunner, campaignSpec, EmbeddedStore, runCampaign, type Batch, type Executor, type Progress } from '../dist/index.js';
import { tempDir } from './helpers.js';

/** Batches run in this thread, each taking `batchMs` of a fake clock. */
function clockedExecutor(clock: { t: number }, batchMs: number): Executor {
  const runner = new BatchRunner();
  return {
    concurrency: 1,
    async runBatch(b: Batch) {
      clock.t += batchMs;
      return runner.run(b, () => clock.t);
    },
    minimize: () => Promise.reject(new Error('not asked')),
    close: async () => {},
  };
}

describe('a campaign says when it will end', () => {
  it('a time-budgeted campaign: its budget less its running time, down to 0', async () => {
    const clock = { t: 0 };
    const store = EmbeddedStore.open(tempDir());
    const c = await store.createCampaign(campaignSpec({ strategies: ['gup-pin'], scenarios: ['generated'], seedsPerCell: null, timeBudgetMs: 60, batchSeeds: 5 }));
    const seen: Progress[] = [];
    await runCampaign(store, c.id, clockedExecutor(clock, 7), { minimize: false, inflightPerSlot: 1, now: () => clock.t, onProgress: (p) => void seen.push(p) });
    expect(seen.length).toBeGreaterThan(5);
    for (const p of seen) expect(p.remainingMs).toBe(Math.max(0, 60 - p.runningMs));
    expect(seen.at(-1)!.remainingMs).toBe(0);
  });

  it('a campaign of a seed range: its batches left at the rate of this session, and a resumed one at the resumed session\'s rate', async () => {
    const clock = { t: 0 };
    const store = EmbeddedStore.open(tempDir());
    const c = await store.createCampaign(campaignSpec({ strategies: ['gup-pin'], scenarios: ['generated'], blocksPerPage: [1], seedsPerCell: 50, batchSeeds: 5 }));
    const stop = new AbortController();
    const first: Progress[] = [];
    await runCampaign(store, c.id, clockedExecutor(clock, 4), {
      minimize: false,
      inflightPerSlot: 1,
      now: () => clock.t,
      signal: stop.signal,
      onProgress: (p) => {
        first.push(p);
        if (p.batchesDone === 4) stop.abort();
      },
    });
    expect(first.map((p) => p.remainingMs)).toEqual([9, 8, 7, 6].map((left) => left * 4));
    const resumed: Progress[] = [];
    await runCampaign(store, c.id, clockedExecutor(clock, 10), { minimize: false, inflightPerSlot: 1, now: () => clock.t, onProgress: (p) => void resumed.push(p) });
    expect(resumed.map((p) => p.remainingMs)).toEqual([5, 4, 3, 2, 1, 0].map((left) => left * 10));
  });
});
