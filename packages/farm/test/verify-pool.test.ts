import { verify, type VerifyBounds } from '@pcfarm/core';
import { describe, expect, it } from 'vitest';
import { ThreadPool, verifyDeepeningOnPool, verifyOnPool, type VerifyCell } from '../dist/verify-pool.js';

const bounds = (preemptionsMax: number, reclaimActionsMax: number): VerifyBounds => ({ preemptionsMax, reclaimActionsMax, paramsMax: 0 });
const cell = (strategy: string, scenario: string): VerifyCell => ({ strategy, strategyFile: null, scenario, blocksPerPage: 1 });

/** A search on a pool of `threads`, the pool closed after. */
async function onPool<T>(threads: number, run: (pool: ThreadPool) => Promise<T>): Promise<T> {
  const pool = new ThreadPool({ threads });
  try {
    return await run(pool);
  } finally {
    await pool.close();
  }
}

describe('a bounded search on the local pool', () => {
  it('gives the same certificate on 1 thread and on 2, the one search’s own: the same schedules, classes and hash', async () => {
    const c = cell('two-copy', 'cross-mmap-write');
    const b = bounds(1, 2);
    const one = await onPool(1, (pool) => verifyOnPool(pool, c, b));
    const two = await onPool(2, (pool) => verifyOnPool(pool, c, b));
    const whole = verify({ strategy: c.strategy, scenario: c.scenario }, b);
    expect(one.result).toBe('clean');
    expect(one.subtrees).toBeGreaterThan(2);
    for (const r of [one, two]) expect({ result: r.result, schedules: r.schedules, classes: r.classes, hash: r.hash }).toEqual({ result: 'clean', schedules: whole.schedules, classes: whole.classes, hash: whole.hash });
    expect(two.subtrees).toBe(one.subtrees);
  });

  it('answers a failing cell with the one search’s first counterexample, whichever thread finds one first', async () => {
    const c = cell('temp-page', 'hole-fill-vs-read');
    const b = bounds(1, 2);
    const whole = verify({ strategy: c.strategy, scenario: c.scenario }, b);
    const two = await onPool(2, (pool) => verifyOnPool(pool, c, b));
    expect(two.result).toBe('fail');
    expect(two.failure!.choices).toEqual(whole.failure!.choices);
    expect(two.schedules).toBe(whole.schedules);
  });

  it('deepens bound by bound to the smallest failing one, and stops unfinished at its deadline', async () => {
    const deep = await onPool(2, (pool) => verifyDeepeningOnPool(pool, cell('v2.6.20', 'self-mmap-write'), bounds(0, 1), 2));
    expect(deep).toMatchObject({ result: 'fail', bound: 0 });
    const late = await onPool(2, (pool) => verifyDeepeningOnPool(pool, cell('two-copy', 'overwrite-vs-read'), bounds(0, 2), 3, { deadline: 0 }));
    expect(late).toMatchObject({ result: 'stopped', bound: -1, certified: null });
  });
});
