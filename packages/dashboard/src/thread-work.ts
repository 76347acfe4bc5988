/**
 * Work a GET can ask of the server that runs the model for long (the verdict
 * matrix, a findings diff's re-tests), done off the main thread and bounded,
 * since anyone who reaches the port may ask:
 *
 * - each computation runs in a worker thread of its own (`script`, given
 *   its `data`), and requests for the same key share it;
 * - at most `computingMax` run at once and `queuedMax` more wait; beyond
 *   that a request is refused (503 EBUSY) rather than queued without end;
 * - a computation every request asking for it has given up on is cancelled
 *   (its thread terminated, or never started);
 * - finished answers are kept, the `cachedMax` asked for last;
 * - close() terminates whatever still runs, so a server told to stop stops.
 */
import { Worker } from 'node:worker_threads';
import { HttpError } from './errors.js';

/** How much of one kind of work the server takes on at once. */
export interface ThreadWorkLimits {
  /** Computations running at once, a thread each. */
  computingMax: number;
  /** Computations waiting for a thread; a request for yet another is a 503. */
  queuedMax: number;
  /** Finished answers kept, by key; the least recently asked goes first (a pinned one stays). */
  cachedMax: number;
}

/** What the work is called in messages: "matrix", "matrices". */
export interface ThreadWorkNames {
  one: string;
  many: string;
}

/** What a cache of work is doing, for tests and diagnostics. */
export interface WorkState {
  computing: number;
  queued: number;
  cached: number;
}

/** A request that went away before its answer was ready (nobody reads it), or a server that is stopping. */
export class WorkCancelled extends HttpError {
  constructor(message: string) {
    super(503, 'ECANCELLED', message);
    this.name = 'WorkCancelled';
  }
}

interface Entry<R> {
  key: string;
  /** How a busy message names it when it is ready ("runs=200 at 1,4 blocks per page"). */
  label: string;
  data: unknown;
  state: 'queued' | 'computing' | 'done';
  /** Requests waiting for it; when the last one leaves before it is done, it is cancelled. */
  waiters: number;
  /** Computed whether anyone waits or not (the default matrix, at start-up), and never evicted. */
  pinned: boolean;
  startedAt: number;
  done: Promise<R>;
  resolve(r: R): void;
  reject(e: Error): void;
  worker: Worker | null;
}

export class ThreadWork<R> {
  /** Every entry, in the order last asked (a Map keeps insertion order): done ones are evicted oldest first. */
  private readonly entries = new Map<string, Entry<R>>();
  private closed = false;

  /**
   * `script`: the worker thread's module; it receives `data` as workerData and
   * posts one message, which `answer` turns into the result (given the
   * milliseconds the thread took). `keep` says whether a result is worth
   * keeping (default: all are).
   */
  constructor(
    private readonly script: URL,
    private readonly limits: ThreadWorkLimits,
    private readonly names: ThreadWorkNames,
    private readonly answer: (message: unknown, data: unknown, ms: number) => R,
    private readonly keep: (r: R) => boolean = () => true,
  ) {}

  /**
   * The result for `key`, computed from `data` unless known. When every
   * request waiting for it has aborted its `signal`, the computation is cancelled.
   */
  get(key: string, label: string, data: unknown, signal?: AbortSignal): Promise<R> {
    const e = this.entry(key, label, data);
    if (e.state === 'done') return e.done;
    return this.wait(e, signal);
  }

  /** Compute ahead of any request, and keep it. */
  precompute(key: string, label: string, data: unknown): void {
    this.entry(key, label, data).pinned = true;
  }

  get work(): WorkState {
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
      this.drop(e, new WorkCancelled('the dashboard is stopping'));
    }
    await Promise.all(stopping);
  }

  private entry(key: string, label: string, data: unknown): Entry<R> {
    const known = this.entries.get(key);
    if (known !== undefined) {
      // Asked again: it is the most recently used now.
      this.entries.delete(key);
      this.entries.set(key, known);
      return known;
    }
    if (this.closed) throw new HttpError(503, 'ESTOPPING', `the dashboard is stopping: it computes no ${this.names.one} now`);
    const { computing, queued } = this.work;
    if (computing + queued >= this.limits.computingMax + this.limits.queuedMax) {
      const ready = [...this.entries.values()].filter((x) => x.state === 'done').map((x) => x.label);
      throw new HttpError(
        503,
        'EBUSY',
        `the server is already computing ${computing + queued} ${this.names.many}, as many as it takes on at once: ask again in a minute${ready.length > 0 ? `, or ask for one it has ready (${ready.join('; ')})` : ''}`,
      );
    }
    let resolve!: (r: R) => void;
    let reject!: (e: Error) => void;
    const done = new Promise<R>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may be listening when a computation is cancelled: that is no unhandled rejection.
    done.catch(() => {});
    const e: Entry<R> = { key, label, data, state: 'queued', waiters: 0, pinned: false, startedAt: 0, done, resolve, reject, worker: null };
    this.entries.set(key, e);
    // Started on the next tick: precompute() pins it first, and get() counts its waiter first.
    queueMicrotask(() => this.pump());
    return e;
  }

  private wait(e: Entry<R>, signal: AbortSignal | undefined): Promise<R> {
    e.waiters++;
    return new Promise<R>((resolve, reject) => {
      let waiting = true;
      const leave = (): void => {
        if (!waiting) return;
        waiting = false;
        e.waiters--;
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        leave();
        reject(new WorkCancelled('the request went away'));
        if (e.waiters === 0 && !e.pinned && e.state !== 'done') this.cancel(e);
      };
      if (signal?.aborted === true) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort);
      e.done.then(
        (r) => {
          leave();
          resolve(r);
        },
        (err: Error) => {
          leave();
          reject(err);
        },
      );
    });
  }

  private cancel(e: Entry<R>): void {
    if (e.worker !== null) void e.worker.terminate();
    this.drop(e, new WorkCancelled(`nobody waits for this ${this.names.one} any more`));
  }

  /** Forget an unfinished entry and let the next one run. */
  private drop(e: Entry<R>, why: Error): void {
    if (this.entries.get(e.key) === e) this.entries.delete(e.key);
    e.worker = null;
    e.reject(why);
    this.pump();
  }

  /** Start queued computations while threads are free. */
  private pump(): void {
    if (this.closed) return;
    for (const e of this.entries.values()) {
      if (this.work.computing >= this.limits.computingMax) return;
      if (e.state === 'queued') this.start(e);
    }
  }

  private start(e: Entry<R>): void {
    e.state = 'computing';
    e.startedAt = Date.now();
    const w = new Worker(this.script, { workerData: e.data });
    e.worker = w;
    w.once('message', (m: unknown) => {
      if (e.worker !== w) return;
      e.worker = null;
      void w.terminate();
      let r: R;
      try {
        r = this.answer(m, e.data, Date.now() - e.startedAt);
      } catch (err) {
        this.drop(e, err as Error);
        return;
      }
      e.state = 'done';
      e.resolve(r);
      if (!e.pinned && !this.keep(r)) this.entries.delete(e.key);
      this.evict();
      this.pump();
    });
    w.once('error', (err) => {
      if (e.worker === w) this.drop(e, err);
    });
    w.once('exit', (code) => {
      if (e.worker === w) this.drop(e, new Error(`the ${this.names.one} worker exited with code ${code} before answering`));
    });
  }

  /** Keep at most cachedMax finished answers, the ones asked for last, and the pinned ones. */
  private evict(): void {
    const done = [...this.entries.values()].filter((x) => x.state === 'done' && !x.pinned);
    for (const e of done.slice(0, Math.max(0, done.length - this.limits.cachedMax))) this.entries.delete(e.key);
  }
}
