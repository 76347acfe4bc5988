/**
 * The strategy x scenario x blocks-per-page verdict matrix with each
 * strategy's fault-free costs, as `pcfarm matrix` prints it. It is the
 * model's answer, not a campaign's: the same for every store, so it is
 * computed once per process, number of runs and blocks per page (every seed
 * of every cell: tens of seconds to minutes of one core, in a worker
 * thread), and kept.
 *
 * One GET can ask for that much work, and anyone who reaches the port may
 * send it, so the work is bounded (ThreadWork): at most
 * MATRIX_WORK.computingMax computations run at once and
 * MATRIX_WORK.queuedMax more wait, a computation nobody waits for is
 * cancelled, and close() stops what still runs.
 */
import { FAILURE_KINDS, PARAM_SCENARIOS, SCENARIOS, STRATEGIES, type CostProfile, type FailureKind, type MatrixCell } from '@pcfarm/core';
import { ThreadWork, type WorkState } from './thread-work.js';

export const MATRIX_RUNS = {
  /** What `pcfarm matrix` runs by default, and what `pcfarm dashboard` computes as it starts. */
  default: 1000,
  /** A request may ask for more, up to this (twice the default: a few minutes of one core). */
  max: 2000,
  /** Matrices kept, by runs and blocks per page; the least recently asked goes first. */
  cached: 4,
} as const;

/**
 * What ?verify asks of each cell: its bound by iterative deepening up to
 * boundMax preemptions with at most reclaimActionsMax reclaim actions,
 * within cellMs of one thread (failing cells fail in milliseconds; some
 * 150 cells a blocks per page make it a minute or two). Less than `pcfarm
 * matrix --verify`'s defaults: a request, not a command someone chose to wait for.
 */
export const MATRIX_VERIFY: VerifyLimits = { boundMax: 2, reclaimActionsMax: 1, cellMs: 250 };

/** The search of each cell: up to boundMax preemptions, reclaimActionsMax reclaim actions, within cellMs (and, when given, cellSchedulesMax schedules: a budget that is the same on a busy machine). */
export interface VerifyLimits {
  readonly boundMax: number;
  readonly reclaimActionsMax: number;
  readonly cellMs: number;
  readonly cellSchedulesMax?: number;
}

/** How much matrix work the server takes on at once. */
export const MATRIX_WORK = {
  /** Computations running at once, a thread each: one leaves the other cores to campaigns. */
  computingMax: 1,
  /** Computations waiting for a thread; a request for yet another matrix is a 503. */
  queuedMax: 2,
} as const;

export interface Matrix {
  runs: number;
  /** Whether each cell carries its bound, and the search's limits (MATRIX_VERIFY) when it does. */
  verify: boolean;
  verifyLimits: VerifyLimits | null;
  computedAt: number;
  computeMs: number;
  strategies: readonly string[];
  scenarios: readonly string[];
  /** The scenarios that draw their programs (core PARAM_SCENARIOS): a certificate of one says its parameter bound. */
  paramScenarios: readonly string[];
  blocksPerPage: readonly number[];
  /** The kinds most severe first: a cell's verdict is the first of them any of its runs failed with. */
  severityOrder: readonly FailureKind[];
  cells: MatrixCell[];
  costs: CostProfile[];
}

/** What the cache is doing, for tests and diagnostics. */
export type MatrixWork = WorkState;

export class MatrixCache {
  /** The search ?verify runs in each cell; a test may ask for a shorter one. */
  constructor(private readonly verifyLimits: VerifyLimits = MATRIX_VERIFY) {}

  private readonly threads = new ThreadWork<Matrix>(
    new URL('./matrix-worker.js', import.meta.url),
    { computingMax: MATRIX_WORK.computingMax, queuedMax: MATRIX_WORK.queuedMax, cachedMax: MATRIX_RUNS.cached },
    { one: 'matrix', many: 'matrices' },
    (m, data, ms) => {
      const { runs, blocksPerPage, verify } = data as { runs: number; blocksPerPage: number[]; verify: VerifyLimits | null };
      const { cells, costs } = m as { cells: MatrixCell[]; costs: CostProfile[] };
      return { runs, verify: verify !== null, verifyLimits: verify, computedAt: Date.now(), computeMs: ms, strategies: STRATEGIES, scenarios: SCENARIOS, paramScenarios: PARAM_SCENARIOS, blocksPerPage, severityOrder: FAILURE_KINDS, cells, costs };
    },
  );

  /**
   * The matrix of `runs` seeds per cell at each of `blocksPerPage`. Requests
   * for the same one share one computation; when every request waiting for
   * it has aborted its `signal`, the computation is cancelled.
   */
  get(runs: number, blocksPerPage: readonly number[], signal?: AbortSignal, verify = false): Promise<Matrix> {
    return this.threads.get(...MatrixCache.job(runs, blocksPerPage, verify ? this.verifyLimits : null), signal);
  }

  /** Compute a matrix ahead of any request (the one the page asks for first), and keep it. */
  precompute(runs: number, blocksPerPage: readonly number[]): void {
    this.threads.precompute(...MatrixCache.job(runs, blocksPerPage, null));
  }

  get work(): MatrixWork {
    return this.threads.work;
  }

  /** Cancel every computation, running or waiting; later requests are refused. */
  close(): Promise<void> {
    return this.threads.close();
  }

  private static job(runs: number, blocksPerPage: readonly number[], verify: VerifyLimits | null): [string, string, { runs: number; blocksPerPage: number[]; verify: VerifyLimits | null }] {
    const bpps = [...blocksPerPage].sort((a, b) => a - b);
    const v = verify === null ? '' : ' with bounds';
    return [`${runs}/${bpps.join(',')}${verify === null ? '' : '/verify'}`, `runs=${runs} at ${bpps.join(',')} blocks per page${v}`, { runs, blocksPerPage: bpps, verify }];
  }
}
