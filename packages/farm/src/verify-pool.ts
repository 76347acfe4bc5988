/**
 * A bounded search spread over many runners: the search is cut into
 * subtrees by prefix (splitSearch), each subtree is one job run exactly
 * once, and the results are merged in the cut's order (mergeSearch). Each
 * subtree carries the sleep sets the whole search has where it starts, so
 * the certificate is the one search's own, schedule for schedule, whatever
 * runs the subtrees and in whatever order: the cut depends on the search
 * alone. When a subtree fails, the subtrees after it are cancelled (the one
 * search would have stopped there) and the ones before it still finish, so
 * the counterexample is the one search's first.
 *
 * Two runners: the local pool's threads (poolRunner), and the BullMQ farm's
 * workers (verify-farm.ts).
 */
import { boundsAt, mergeSearch, type DeepeningResult, type Subtree, type VerifyBounds, type VerifyResult } from '@pcfarm/core';
import type { ThreadPool } from './thread-pool.js';
import { verifyJobOf, type VerifyJob } from './verify-job.js';

// The pool itself, from this entry: `pcfarm verify --threads` loads no queue or store.
export { ThreadPool, THREADS_MAX } from './thread-pool.js';

/** How many subtrees a search is cut into at least: enough that two to a few dozen threads or workers stay busy whatever their sizes. */
export const POOL_SUBTREES_MIN = 64;

/** The cell a spread search explores. */
export type VerifyCell = Pick<VerifyJob, 'strategy' | 'strategyFile' | 'scenario' | 'blocksPerPage'>;

export interface PoolVerifyOptions {
  /** Epoch milliseconds at which every subtree's search stops unfinished (a time budget), or null. */
  deadline?: number | null;
  /** Subtrees to cut at least (default POOL_SUBTREES_MIN). */
  subtreesMin?: number;
}

/** A spread search's result: the one search's, and how many subtrees it was cut into. */
export interface PoolVerifyResult extends VerifyResult {
  subtrees: number;
}

/** What runs the parts of one search. */
export interface SearchRunner {
  /** The search of `job` (a split job) cut into subtrees. */
  split(job: VerifyJob): Promise<Subtree[]>;
  /**
   * Start the subtree jobs, in the cut's order; each promise is its result,
   * or null when it was cancelled before it ran.
   */
  run(jobs: readonly VerifyJob[]): Promise<VerifyResult | null>[];
  /** Subtree `i` failed: the ones after it are not needed. */
  cancelAfter(i: number): void;
}

/** One search of `cell` within `bounds`, on `runner`. */
export async function verifySpread(runner: SearchRunner, cell: VerifyCell, bounds: VerifyBounds, options: PoolVerifyOptions = {}): Promise<PoolVerifyResult> {
  const base = verifyJobOf(cell, bounds);
  const deadline = options.deadline ?? null;
  const subtrees = await runner.split({ ...base, kind: 'split', subtree: null, subtreesMin: options.subtreesMin ?? POOL_SUBTREES_MIN, deadline: null, cancel: null });
  const results: (VerifyResult | null)[] = subtrees.map(() => null);
  let firstFailed = subtrees.length;
  const running = runner.run(subtrees.map((subtree) => ({ ...base, kind: 'subtree', subtree, subtreesMin: 1, deadline, cancel: null })));
  await Promise.all(
    running.map(async (p, i) => {
      const r = await p;
      results[i] = r;
      if (r?.result === 'fail' && i < firstFailed) {
        firstFailed = i;
        // The one search stops at its first counterexample: what comes after it is not needed.
        runner.cancelAfter(i);
      }
    }),
  );
  return { ...mergeSearch(bounds, results), subtrees: subtrees.length };
}

/**
 * Iterative deepening spread on `runner`: bound 0, 1, … up to `upTo`
 * (preemptions, or delays when `bounds.delaysMax` is set), each a spread
 * search, until one fails or the deadline stops one.
 */
export async function verifyDeepeningSpread(runner: () => SearchRunner, cell: VerifyCell, bounds: VerifyBounds, upTo: number, options: PoolVerifyOptions = {}): Promise<DeepeningResult & { subtrees: number }> {
  let schedules = 0;
  let subtrees = 0;
  let certified: VerifyResult | null = null;
  let last: PoolVerifyResult | null = null;
  for (let b = 0; b <= upTo; b++) {
    last = await verifySpread(runner(), cell, boundsAt(bounds, b), options);
    schedules += last.schedules;
    subtrees += last.subtrees;
    if (last.result === 'fail') return { result: 'fail', bound: b, last, certified, schedules, subtrees };
    if (last.result === 'stopped') return { result: 'stopped', bound: b - 1, last, certified, schedules, subtrees };
    certified = last;
  }
  return { result: 'clean', bound: upTo, last: last!, certified, schedules, subtrees };
}

/** The local pool as a runner: a subtree is cancelled through a shared word its search reads. */
export function poolRunner(pool: ThreadPool): SearchRunner {
  let cancels: SharedArrayBuffer[] = [];
  return {
    async split(job) {
      const r = await pool.verify(job);
      if (r.kind !== 'split') throw new Error('farm bug: a split job answered with a subtree');
      return r.subtrees;
    },
    run(jobs) {
      cancels = jobs.map(() => new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
      return jobs.map(async (job, i) => {
        const r = await pool.verify({ ...job, cancel: cancels[i]! });
        if (r.kind !== 'subtree') throw new Error('farm bug: a subtree job answered with a split');
        return r.result;
      });
    },
    cancelAfter(i) {
      for (let j = i + 1; j < cancels.length; j++) Atomics.store(new Int32Array(cancels[j]!), 0, 1);
    },
  };
}

/** One search of `cell` within `bounds`, on the pool's threads. */
export function verifyOnPool(pool: ThreadPool, cell: VerifyCell, bounds: VerifyBounds, options: PoolVerifyOptions = {}): Promise<PoolVerifyResult> {
  return verifySpread(poolRunner(pool), cell, bounds, options);
}

/** verifyDeepening on the pool's threads. */
export function verifyDeepeningOnPool(pool: ThreadPool, cell: VerifyCell, bounds: VerifyBounds, upTo: number, options: PoolVerifyOptions = {}): Promise<DeepeningResult & { subtrees: number }> {
  return verifyDeepeningSpread(() => poolRunner(pool), cell, bounds, upTo, options);
}
