/**
 * The strategy x scenario x blocks-per-page verdict matrix with each
 * strategy's fault-free costs, as `pcfarm matrix` prints it. It is the
 * model's answer, not a campaign's: the same for every store, so it is
 * computed once per process, number of runs and blocks per page, lazily (the
 * first request pays: every seed of every cell, a few minutes at the default
 * 1000 runs and three blocks per page on one core, in a worker thread), and
 * kept.
 */
import { Worker } from 'node:worker_threads';
import { FAILURE_KINDS, SCENARIOS, STRATEGIES, type CostProfile, type FailureKind, type MatrixCell } from '@pcfarm/core';

export const MATRIX_RUNS = {
  /** What `pcfarm matrix` runs by default. */
  default: 1000,
  /** A request may ask for more, up to this (about a minute of one core). */
  max: 5000,
  /** Matrices kept, by runs and blocks per page; the oldest goes first. */
  cached: 4,
} as const;

export interface Matrix {
  runs: number;
  computedAt: number;
  computeMs: number;
  strategies: readonly string[];
  scenarios: readonly string[];
  blocksPerPage: readonly number[];
  /** The kinds most severe first: a cell's verdict is the first of them any of its runs failed with. */
  severityOrder: readonly FailureKind[];
  cells: MatrixCell[];
  costs: CostProfile[];
}

export class MatrixCache {
  private readonly entries = new Map<string, Promise<Matrix>>();

  /** The matrix of `runs` seeds per cell at each of `blocksPerPage`; concurrent requests share one computation. */
  get(runs: number, blocksPerPage: readonly number[]): Promise<Matrix> {
    const bpps = [...blocksPerPage].sort((a, b) => a - b);
    const key = `${runs}/${bpps.join(',')}`;
    let m = this.entries.get(key);
    if (m === undefined) {
      m = compute(runs, bpps);
      this.entries.set(key, m);
      // A failed computation is not kept: the next request tries again.
      m.catch(() => this.entries.delete(key));
      while (this.entries.size > MATRIX_RUNS.cached) this.entries.delete(this.entries.keys().next().value!);
    }
    return m;
  }
}

function compute(runs: number, blocksPerPage: readonly number[]): Promise<Matrix> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./matrix-worker.js', import.meta.url), { workerData: { runs, blocksPerPage } });
    w.once('message', (m: { cells: MatrixCell[]; costs: CostProfile[] }) => {
      resolve({ runs, computedAt: Date.now(), computeMs: Date.now() - t0, strategies: STRATEGIES, scenarios: SCENARIOS, blocksPerPage, severityOrder: FAILURE_KINDS, ...m });
      void w.terminate();
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`the matrix worker exited with code ${code} before answering`)));
  });
}
