/**
 * A bounded search spread over the local pool's threads: one thread cuts it
 * into subtrees by prefix (splitSearch), every thread takes subtrees off
 * the queue, and the results are merged in the cut's order (mergeSearch).
 * Each subtree is one job, run exactly once, and carries the sleep sets the
 * whole search has where it starts, so the certificate is the one search's
 * own, schedule for schedule, whatever the number of threads: the cut
 * depends on the search alone. When a subtree fails, the subtrees after it
 * are cancelled (the one search would have stopped there) and the ones
 * before it still finish, so the counterexample is the one search's first.
 *
 * The BullMQ farm is not wired to it yet: a subtree job is what a farm
 * worker would run, with the same checks (checkVerifyJob).
 */
import { boundsAt, mergeSearch, type DeepeningResult, type VerifyBounds, type VerifyResult } from '@pcfarm/core';
import type { ThreadPool } from './thread-pool.js';
import { verifyJobOf, type VerifyJob } from './verify-job.js';

// The pool itself, from this entry: `pcfarm verify --threads` loads no queue or store.
export { ThreadPool, THREADS_MAX } from './thread-pool.js';

/** How many subtrees the pool cuts a search into at least: enough that two to a few dozen threads stay busy whatever their sizes. */
export const POOL_SUBTREES_MIN = 64;

/** The cell a pooled search explores. */
export type VerifyCell = Pick<VerifyJob, 'strategy' | 'strategyFile' | 'scenario' | 'blocksPerPage'>;

export interface PoolVerifyOptions {
  /** Epoch milliseconds at which every subtree's search stops unfinished (a time budget), or null. */
  deadline?: number | null;
  /** Subtrees to cut at least (default POOL_SUBTREES_MIN). */
  subtreesMin?: number;
}

/** A pooled search's result: the one search's, and how many subtrees it was cut into. */
export interface PoolVerifyResult extends VerifyResult {
  subtrees: number;
}

/** One search of `cell` within `bounds`, on the pool's threads. */
export async function verifyOnPool(pool: ThreadPool, cell: VerifyCell, bounds: VerifyBounds, options: PoolVerifyOptions = {}): Promise<PoolVerifyResult> {
  const base = verifyJobOf(cell, bounds);
  const deadline = options.deadline ?? null;
  const split = await pool.verify({ ...base, kind: 'split', subtree: null, subtreesMin: options.subtreesMin ?? POOL_SUBTREES_MIN, deadline: null, cancel: null });
  if (split.kind !== 'split') throw new Error('farm bug: a split job answered with a subtree');
  const subtrees = split.subtrees;
  const cancels = subtrees.map(() => new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const results: (VerifyResult | null)[] = subtrees.map(() => null);
  let firstFailed = subtrees.length;
  await Promise.all(
    subtrees.map(async (subtree, i) => {
      const done = await pool.verify({ ...base, kind: 'subtree', subtree, subtreesMin: 1, deadline, cancel: cancels[i]! });
      if (done.kind !== 'subtree') throw new Error('farm bug: a subtree job answered with a split');
      results[i] = done.result;
      if (done.result.result === 'fail' && i < firstFailed) {
        firstFailed = i;
        // The one search stops at its first counterexample: what comes after it is not needed.
        for (let j = i + 1; j < cancels.length; j++) Atomics.store(new Int32Array(cancels[j]!), 0, 1);
      }
    }),
  );
  return { ...mergeSearch(bounds, results), subtrees: subtrees.length };
}

/**
 * verifyDeepening on the pool: bound 0, 1, … up to `upTo` (preemptions, or
 * delays when `bounds.delaysMax` is set), each a pooled search, until one
 * fails or the deadline stops one.
 */
export async function verifyDeepeningOnPool(pool: ThreadPool, cell: VerifyCell, bounds: VerifyBounds, upTo: number, options: PoolVerifyOptions = {}): Promise<DeepeningResult & { subtrees: number }> {
  let schedules = 0;
  let subtrees = 0;
  let certified: VerifyResult | null = null;
  let last: PoolVerifyResult | null = null;
  for (let b = 0; b <= upTo; b++) {
    last = await verifyOnPool(pool, cell, boundsAt(bounds, b), options);
    schedules += last.schedules;
    subtrees += last.subtrees;
    if (last.result === 'fail') return { result: 'fail', bound: b, last, certified, schedules, subtrees };
    if (last.result === 'stopped') return { result: 'stopped', bound: b - 1, last, certified, schedules, subtrees };
    certified = last;
  }
  return { result: 'clean', bound: upTo, last: last!, certified, schedules, subtrees };
}
