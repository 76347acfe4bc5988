/**
 * The strategy x scenario verdict matrix with each strategy's fault-free
 * costs, as `pcfarm matrix` prints it. It is the model's answer, not a
 * campaign's: the same for every store, so it is computed once per process
 * and number of runs, lazily (the first request pays: about 14 s at the
 * default 1000 runs on one core, in a worker thread), and kept.
 */
import { Worker } from 'node:worker_threads';
import { SCENARIOS, STRATEGIES, type CostProfile, type MatrixCell } from '@pcfarm/core';

export const MATRIX_RUNS = {
  /** What `pcfarm matrix` runs by default. */
  default: 1000,
  /** A request may ask for more, up to this (about a minute of one core). */
  max: 5000,
  /** Matrices kept, by runs; the oldest goes first. */
  cached: 4,
} as const;

export interface Matrix {
  runs: number;
  computedAt: number;
  computeMs: number;
  strategies: readonly string[];
  scenarios: readonly string[];
  cells: MatrixCell[];
  costs: CostProfile[];
}

export class MatrixCache {
  private readonly entries = new Map<number, Promise<Matrix>>();

  /** The matrix of `runs` seeds per cell; concurrent requests share one computation. */
  get(runs: number): Promise<Matrix> {
    let m = this.entries.get(runs);
    if (m === undefined) {
      m = compute(runs);
      this.entries.set(runs, m);
      // A failed computation is not kept: the next request tries again.
      m.catch(() => this.entries.delete(runs));
      while (this.entries.size > MATRIX_RUNS.cached) this.entries.delete(this.entries.keys().next().value!);
    }
    return m;
  }
}

function compute(runs: number): Promise<Matrix> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./matrix-worker.js', import.meta.url), { workerData: { runs } });
    w.once('message', (m: { cells: MatrixCell[]; costs: CostProfile[] }) => {
      resolve({ runs, computedAt: Date.now(), computeMs: Date.now() - t0, strategies: STRATEGIES, scenarios: SCENARIOS, ...m });
      void w.terminate();
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`the matrix worker exited with code ${code} before answering`)));
  });
}
