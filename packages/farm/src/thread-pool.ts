/**
 * The local farm's executor: one worker thread per core, each with its own
 * models, fed one job at a time from a queue. A thread that dies (out of
 * memory, a native crash) is replaced, and its job rejected with an
 * InfraError so the engine runs it again.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BatchResult, GuidedInput } from './batch.js';
import type { Batch } from './campaign.js';
import { FarmError, type FarmErrorCode } from './errors.js';
import { InfraError, type Executor } from './executor.js';
import type { Minimized, MinimizeJob } from './minimize-job.js';
import type { VerifyJob, VerifyJobResult } from './verify-job.js';

export type ToPoolWorker = { id: number; type: 'batch'; job: Batch; guided: GuidedInput | null } | { id: number; type: 'minimize'; job: MinimizeJob } | { id: number; type: 'verify'; job: VerifyJob };
/** What a thread answers: a batch's result, a minimization, or a bounded search's part. */
type PoolResult = BatchResult | Minimized | VerifyJobResult;
export type FromPoolWorker =
  | { id: number; ok: true; result: PoolResult }
  | { id: number; ok: false; code: FarmErrorCode | null; message: string; stack: string };

interface Pending {
  msg: ToPoolWorker;
  resolve(v: PoolResult): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  job: Pending | null;
}

export interface ThreadPoolOptions {
  /** Worker threads; default one per core (os.availableParallelism()). */
  threads?: number;
  /** Directories of strategy files the threads may run (pcfarm worker --strategies), beside a job's recorded path. */
  strategyDirs?: readonly string[];
}

/** The most threads a pool may have. */
export const THREADS_MAX = 256;

export class ThreadPool implements Executor {
  readonly concurrency: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;
  private readonly strategyDirs: readonly string[];

  constructor(options: ThreadPoolOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isSafeInteger(threads) || threads < 1 || threads > THREADS_MAX) throw new FarmError('EBADCAMPAIGN', `threads must be a whole number from 1 to ${THREADS_MAX}, not ${threads}`);
    this.concurrency = threads;
    this.strategyDirs = [...(options.strategyDirs ?? [])];
    for (let i = 0; i < threads; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(new URL('./pool-worker.js', import.meta.url), { workerData: { strategyDirs: this.strategyDirs } }), job: null };
    slot.worker.on('message', (m: FromPoolWorker) => {
      const job = slot.job!;
      slot.job = null;
      if (m.ok) job.resolve(m.result);
      else {
        const e = m.code !== null ? new FarmError(m.code, m.message) : new Error(m.message);
        if (m.code === null) e.stack = m.stack;
        job.reject(e);
      }
      this.pump();
    });
    slot.worker.on('error', (e) => this.lost(slot, e));
    slot.worker.on('exit', (code) => {
      if (!this.closed) this.lost(slot, new Error(`worker thread exited with code ${code}`));
    });
    return slot;
  }

  /** A thread died: replace it and hand its job back as an InfraError. */
  private lost(slot: Slot, e: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    const job = slot.job;
    slot.job = null;
    void slot.worker.terminate();
    if (this.closed) {
      this.slots.splice(i, 1);
    } else {
      this.slots[i] = this.spawn();
    }
    job?.reject(new InfraError(`a worker thread died running ${job.msg.type} job: ${e.message}`));
    this.pump();
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.job !== null) continue;
      const next = this.queue.shift();
      if (next === undefined) return;
      slot.job = next;
      slot.worker.postMessage(next.msg);
    }
  }

  private submit<T extends PoolResult>(msg: ToPoolWorker): Promise<T> {
    if (this.closed) return Promise.reject(new InfraError('the thread pool is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ msg, resolve: resolve as (v: PoolResult) => void, reject });
      this.pump();
    });
  }

  runBatch(b: Batch, guided: GuidedInput | null = null): Promise<BatchResult> {
    return this.submit({ id: this.nextId++, type: 'batch', job: b, guided });
  }

  minimize(job: MinimizeJob): Promise<Minimized> {
    return this.submit({ id: this.nextId++, type: 'minimize', job });
  }

  /** Part of a bounded search: its cut into subtrees, or one subtree (verify-pool.ts). */
  verify(job: VerifyJob): Promise<VerifyJobResult> {
    return this.submit({ id: this.nextId++, type: 'verify', job });
  }

  /** Jobs waiting for a thread. */
  get queued(): number {
    return this.queue.length;
  }

  /** Stop every thread; queued and running jobs reject with an InfraError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new InfraError('the thread pool closed'));
    await Promise.all(
      this.slots.map(async (s) => {
        const job = s.job;
        s.job = null;
        await s.worker.terminate();
        job?.reject(new InfraError('the thread pool closed'));
      }),
    );
  }
}
