/**
 * The strategy x scenario x blocks-per-page verdict matrix with each
 * strategy's fault-free costs, as `pcfarm matrix` prints it. It is the
 * model's answer, not a campaign's: the same for every store, so it is
 * computed once per process, number of runs and blocks per page (every seed
 * of every cell: tens of seconds to minutes of one core, in a worker
 * thread), and kept.
 *
 * One GET can ask for that much work, and anyone who reaches the port may
 * send it, so the work is bounded: at most MATRIX_WORK.computingMax
 * computations run at once and MATRIX_WORK.queuedMax more wait; beyond that
 * a request is refused (503) rather than queued without end. A computation
 * that every request asking for it has given up on is cancelled (its thread
 * terminated), and close() terminates whatever still runs, so a server told
 * to stop stops.
 */
import { Worker } from 'node:worker_threads';
import { FAILURE_KINDS, SCENARIOS, STRATEGIES, type CostProfile, type FailureKind, type MatrixCell } from '@pcfarm/core';
import { HttpError } from './errors.js';

export const MATRIX_RUNS = {
  /** What `pcfarm matrix` runs by default, and what `pcfarm dashboard` computes as it starts. */
  default: 1000,
  /** A request may ask for more, up to this (twice the default: a few minutes of one core). */
  max: 2000,
  /** Matrices kept, by runs and blocks per page; the least recently asked goes first. */
  cached: 4,
} as const;

/** How much matrix work the server takes on at once. */
export const MATRIX_WORK = {
  /** Computations running at once, a thread each: one leaves the other cores to campaigns. */
  computingMax: 1,
  /** Computations waiting for a thread; a request for yet another matrix is a 503. */
  queuedMax: 2,
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

/** What the cache is doing, for tests and diagnostics. */
export interface MatrixWork {
  computing: number;
  queued: number;
  cached: number;
}

interface Entry {
  key: string;
  runs: number;
  blocksPerPage: number[];
  state: 'queued' | 'computing' | 'done';
  /** Requests waiting for it; when the last one leaves before it is done, it is cancelled. */
  waiters: number;
  /** Computed whether anyone waits or not (the default, at start-up). */
  pinned: boolean;
  done: Promise<Matrix>;
  resolve(m: Matrix): void;
  reject(e: Error): void;
  worker: Worker | null;
}

/** A request that went away before its matrix was ready (nobody reads this answer), or a server that is stopping. */
export class MatrixCancelled extends HttpError {
  constructor(message: string) {
    super(503, 'ECANCELLED', message);
    this.name = 'MatrixCancelled';
  }
}

export class MatrixCache {
  /** Every entry, in the order last asked (a Map keeps insertion order): done ones are evicted oldest first. */
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  /**
   * The matrix of `runs` seeds per cell at each of `blocksPerPage`. Requests
   * for the same one share one computation; when every request waiting for
   * it has aborted its `signal`, the computation is cancelled.
   */
  get(runs: number, blocksPerPage: readonly number[], signal?: AbortSignal): Promise<Matrix> {
    const e = this.entry(runs, blocksPerPage);
    if (e.state === 'done') return e.done;
    return this.wait(e, signal);
  }

  /** Compute a matrix ahead of any request (the one the page asks for first), and keep it. */
  precompute(runs: number, blocksPerPage: readonly number[]): void {
    const e = this.entry(runs, blocksPerPage);
    e.pinned = true;
  }

  get work(): MatrixWork {
    let computing = 0;
    let queued = 0;
    let cached = 0;
    for (const e of this.entries.values()) {
      if (e.state === 'computing') computing++;
      else if (e.state === 'queued') queued++;
      else cached++;
    }
    return { computing, queued, cached };
  }

  /** Cancel every computation, running or waiting; later requests are refused. */
  async close(): Promise<void> {
    this.closed = true;
    const stopping: Promise<number>[] = [];
    for (const e of [...this.entries.values()]) {
      if (e.state === 'done') continue;
      if (e.worker !== null) stopping.push(e.worker.terminate());
      this.drop(e, new MatrixCancelled('the dashboard is stopping'));
    }
    await Promise.all(stopping);
  }

  private entry(runs: number, blocksPerPage: readonly number[]): Entry {
    const bpps = [...blocksPerPage].sort((a, b) => a - b);
    const key = `${runs}/${bpps.join(',')}`;
    const known = this.entries.get(key);
    if (known !== undefined) {
      // Asked again: it is the most recently used now.
      this.entries.delete(key);
      this.entries.set(key, known);
      return known;
    }
    if (this.closed) throw new HttpError(503, 'ESTOPPING', 'the dashboard is stopping: it computes no matrix now');
    const { computing, queued } = this.work;
    if (computing + queued >= MATRIX_WORK.computingMax + MATRIX_WORK.queuedMax) {
      const ready = [...this.entries.values()].filter((x) => x.state === 'done').map((x) => `runs=${x.runs} at ${x.blocksPerPage.join(',')} blocks per page`);
      throw new HttpError(
        503,
        'EBUSY',
        `the server is already computing ${computing + queued} matrices, as many as it takes on at once: ask again in a minute${ready.length > 0 ? `, or ask for one it has ready (${ready.join('; ')})` : ''}`,
      );
    }
    let resolve!: (m: Matrix) => void;
    let reject!: (e: Error) => void;
    const done = new Promise<Matrix>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may be listening when a computation is cancelled: that is no unhandled rejection.
    done.catch(() => {});
    const e: Entry = { key, runs, blocksPerPage: bpps, state: 'queued', waiters: 0, pinned: false, done, resolve, reject, worker: null };
    this.entries.set(key, e);
    // Started on the next tick: precompute() pins it first, and get() counts its waiter first.
    queueMicrotask(() => this.pump());
    return e;
  }

  private wait(e: Entry, signal: AbortSignal | undefined): Promise<Matrix> {
    e.waiters++;
    return new Promise<Matrix>((resolve, reject) => {
      let waiting = true;
      const leave = (): void => {
        if (!waiting) return;
        waiting = false;
        e.waiters--;
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        leave();
        reject(new MatrixCancelled('the request went away'));
        if (e.waiters === 0 && !e.pinned && e.state !== 'done') this.cancel(e);
      };
      if (signal?.aborted === true) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort);
      e.done.then(
        (m) => {
          leave();
          resolve(m);
        },
        (err: Error) => {
          leave();
          reject(err);
        },
      );
    });
  }

  private cancel(e: Entry): void {
    if (e.worker !== null) void e.worker.terminate();
    this.drop(e, new MatrixCancelled('nobody waits for this matrix any more'));
  }

  /** Forget an unfinished entry and let the next one run. */
  private drop(e: Entry, why: Error): void {
    if (this.entries.get(e.key) === e) this.entries.delete(e.key);
    e.worker = null;
    e.reject(why);
    this.pump();
  }

  /** Start queued computations while threads are free. */
  private pump(): void {
    if (this.closed) return;
    for (const e of this.entries.values()) {
      if (this.work.computing >= MATRIX_WORK.computingMax) return;
      if (e.state === 'queued') this.start(e);
    }
  }

  private start(e: Entry): void {
    e.state = 'computing';
    const t0 = Date.now();
    const w = new Worker(new URL('./matrix-worker.js', import.meta.url), { workerData: { runs: e.runs, blocksPerPage: e.blocksPerPage } });
    e.worker = w;
    w.once('message', (m: { cells: MatrixCell[]; costs: CostProfile[] }) => {
      if (e.worker !== w) return;
      e.worker = null;
      e.state = 'done';
      void w.terminate();
      e.resolve({ runs: e.runs, computedAt: Date.now(), computeMs: Date.now() - t0, strategies: STRATEGIES, scenarios: SCENARIOS, blocksPerPage: e.blocksPerPage, severityOrder: FAILURE_KINDS, ...m });
      this.evict();
      this.pump();
    });
    w.once('error', (err) => {
      if (e.worker === w) this.drop(e, err);
    });
    w.once('exit', (code) => {
      if (e.worker === w) this.drop(e, new Error(`the matrix worker exited with code ${code} before answering`));
    });
  }

  /** Keep at most MATRIX_RUNS.cached finished matrices, the ones asked for last, and the precomputed one. */
  private evict(): void {
    const done = [...this.entries.values()].filter((x) => x.state === 'done' && !x.pinned);
    for (const e of done.slice(0, Math.max(0, done.length - MATRIX_RUNS.cached))) this.entries.delete(e.key);
  }
}
