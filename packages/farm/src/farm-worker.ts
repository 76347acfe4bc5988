/**
 * A farm worker: one process, one BullMQ Worker per queue, and the CPU work
 * on a pool of worker threads, so the event loop stays free to renew job
 * locks (BullMQ re-runs a job whose lock lapses: a stalled job) and to
 * answer signals. A worker that dies mid-batch loses nothing: its lock
 * expires, another worker's stalled check puts the job back, and the batch
 * is recorded once whoever finishes it.
 *
 * Errors: a payload that is malformed, or made for another model version,
 * fails that job at once with the reason (UnrecoverableError: running it
 * again cannot help); a job lost to the infrastructure (a thread died) is
 * thrown as is, so BullMQ retries it. A failing model run is never an
 * error: it is part of the result.
 *
 * A job of a strategy file runs only on a worker that has a file with the
 * job's source hash (in its --strategies directories, or at the recorded
 * path of the same checkout): no code travels through Redis. A worker
 * without it hands the job back, delayed, for the others, and says so once.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { checkBatch, type BatchResult } from './batch.js';
import type { Batch } from './campaign.js';
import { FarmError } from './errors.js';
import { InfraError, type Executor } from './executor.js';
import { batchQueueName, minimizeQueueName, type AuditJobData } from './farm-queues.js';
import { checkMinimizeJob, type Minimized, type MinimizeJob } from './minimize-job.js';
import { REDIS_PREFIX_DEFAULT, RedisStore } from './redis-store.js';
import { strategyResolver, type StrategyResolver } from './strategy-files.js';
import type { StrategyFileRef } from './strategy-ref.js';
import { THREADS_MAX, ThreadPool } from './thread-pool.js';

export interface FarmWorkerOptions {
  /** Key and queue prefix of the farm; default REDIS_PREFIX_DEFAULT. */
  prefix?: string;
  /** Batches run at once, one per worker thread; default one per core. */
  concurrency?: number;
  /** How long a job's lock lasts unrenewed, in ms: a dead worker's batch runs again elsewhere after about this long; default 30_000. */
  lockMs?: number;
  /** How often this worker looks for stalled jobs (of dead workers), in ms; default 15_000. */
  stalledCheckMs?: number;
  /** Times a job may stall (its worker die) and still be run again; default 2. */
  stalledRetriesMax?: number;
  /** How often the worker reports itself to the store, in ms; default 2_000. */
  heartbeatMs?: number;
  /**
   * Batch jobs taken per thread: one running and the next one ready, so a
   * thread never waits for a round trip to Redis between two batches (the
   * embedded engine keeps two in flight per thread for the same reason); default 2.
   */
  jobsPerThread?: number;
  /** Directories of strategy files this worker may run, beside a job's recorded path (pcfarm worker --strategies). */
  strategyDirs?: readonly string[];
  /** Unique id; default host-pid-random. */
  id?: string;
  /** What runs the jobs; default a ThreadPool of `concurrency` threads, closed with the worker. */
  executor?: Executor;
  log?: (line: string) => void;
}

export const FARM_WORKER_DEFAULTS = { lockMs: 30_000, stalledCheckMs: 15_000, stalledRetriesMax: 2, heartbeatMs: 2_000, jobsPerThread: 2 } as const;
/** Times a worker hands back an audit of its own batch so that another worker reruns it. */
export const AUDIT_DEFERRALS_MAX = 20;
/** How long a handed-back audit waits before it is offered again, in ms. */
export const AUDIT_DEFER_MS = 100;
/** How long a job whose strategy file this worker lacks waits before it is offered again, in ms. */
export const STRATEGY_HANDBACK_MS = 1_000;
/** Workers a job remembers as having refused it for want of its strategy file. */
const REFUSERS_KEPT = 32;
/** Most a worker logs of BullMQ's connection errors: one line per this many ms. */
const ERROR_LOG_MS = 5_000;

export class FarmWorker {
  readonly id: string;
  readonly concurrency: number;
  readonly store: RedisStore;
  private readonly executor: Executor;
  private readonly ownsExecutor: boolean;
  private readonly batches: Worker;
  private readonly minimizations: Worker;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly log: (line: string) => void;
  private runs = 0;
  private lastReport = { at: Date.now(), runs: 0 };
  private lastErrorLog = 0;
  private readonly strategies: StrategyResolver;
  /** Strategy files (by source hash) this worker lacked, so it says so once per file. */
  private readonly lacking = new Set<string>();
  private closed: Promise<void> | null = null;

  /** Start pulling jobs at once; see FarmWorker.start to wait until it is connected. */
  constructor(redis: Redis, options: FarmWorkerOptions = {}) {
    const prefix = options.prefix ?? REDIS_PREFIX_DEFAULT;
    this.concurrency = options.concurrency ?? availableParallelism();
    if (!Number.isSafeInteger(this.concurrency) || this.concurrency < 1 || this.concurrency > THREADS_MAX) {
      throw new FarmError('EBADCAMPAIGN', `concurrency must be a whole number from 1 to ${THREADS_MAX}, not ${this.concurrency}`);
    }
    this.id = options.id ?? `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
    this.log = options.log ?? (() => {});
    this.store = new RedisStore(redis, { prefix });
    this.ownsExecutor = options.executor === undefined;
    this.strategies = strategyResolver(options.strategyDirs ?? []);
    this.executor = options.executor ?? new ThreadPool({ threads: this.concurrency, strategyDirs: options.strategyDirs ?? [] });
    const common = {
      connection: redis,
      name: this.id,
      lockDuration: options.lockMs ?? FARM_WORKER_DEFAULTS.lockMs,
      stalledInterval: options.stalledCheckMs ?? FARM_WORKER_DEFAULTS.stalledCheckMs,
      maxStalledCount: options.stalledRetriesMax ?? FARM_WORKER_DEFAULTS.stalledRetriesMax,
    };
    const jobsPerThread = options.jobsPerThread ?? FARM_WORKER_DEFAULTS.jobsPerThread;
    if (!Number.isSafeInteger(jobsPerThread) || jobsPerThread < 1) throw new RangeError(`jobsPerThread must be a whole number of at least 1, not ${jobsPerThread}`);
    this.batches = new Worker(batchQueueName(prefix), (job, token) => this.runBatchJob(job, token), { ...common, concurrency: this.concurrency * jobsPerThread });
    // One minimization at a time beside the batches: it shares the threads, and a bucket's reproducer can wait a little.
    this.minimizations = new Worker(minimizeQueueName(prefix), (job, token) => this.runMinimizeJob(job, token), { ...common, concurrency: 1 });
    for (const w of [this.batches, this.minimizations]) {
      w.on('error', (e) => this.connectionError(e));
      w.on('stalled', (jobId) => this.log(`job ${jobId} had stalled (its worker died or lost its lock): it runs again`));
    }
    const beat = options.heartbeatMs ?? FARM_WORKER_DEFAULTS.heartbeatMs;
    this.heartbeat = setInterval(() => void this.report().catch(() => {}), beat);
  }

  /** A worker that is connected and has reported itself, so the coordinator counts its slots. */
  static async start(redis: Redis, options: FarmWorkerOptions = {}): Promise<FarmWorker> {
    const w = new FarmWorker(redis, options);
    await Promise.all([w.batches.waitUntilReady(), w.minimizations.waitUntilReady()]);
    await w.report();
    return w;
  }

  /** Runs made since the worker started. */
  get runsDone(): number {
    return this.runs;
  }

  private async report(): Promise<void> {
    const now = Date.now();
    const dt = Math.max(now - this.lastReport.at, 1) / 1000;
    const runsPerSec = this.runs === 0 ? 0 : (this.runs - this.lastReport.runs) / dt;
    this.lastReport = { at: now, runs: this.runs };
    await this.store.reportWorker({ id: this.id, host: hostname(), pid: process.pid, concurrency: this.concurrency, runs: this.runs, runsPerSec, seenAt: now });
  }

  private connectionError(e: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLog < ERROR_LOG_MS) return;
    this.lastErrorLog = now;
    this.log(`queue error: ${e.message}`);
  }

  private async runBatchJob(job: Job, token: string | undefined): Promise<BatchResult> {
    let b: Batch;
    try {
      b = checkBatch(job.data);
    } catch (e) {
      throw this.refuse(job, e);
    }
    if (b.strategyFile !== null) await this.needStrategyFile(job, token, b.strategyFile);
    if (job.name === 'audit') await this.handBackOwnAudit(job, token);
    try {
      const r = await this.executor.runBatch(b);
      this.runs += r.runs;
      return r;
    } catch (e) {
      throw this.failure(job, e);
    }
  }

  private async runMinimizeJob(job: Job, token: string | undefined): Promise<Minimized> {
    let m: MinimizeJob;
    try {
      m = checkMinimizeJob(job.data);
    } catch (e) {
      throw this.refuse(job, e);
    }
    if (m.strategyFile !== null) await this.needStrategyFile(job, token, m.strategyFile);
    try {
      return await this.executor.minimize(m);
    } catch (e) {
      throw this.failure(job, e);
    }
  }

  /**
   * The audit of a batch this worker ran first should run elsewhere: hand
   * it back for a while when another worker is alive, then run it anyway
   * (a one-worker farm still audits itself).
   */
  private async handBackOwnAudit(job: Job, token: string | undefined): Promise<void> {
    const data = job.data as AuditJobData;
    const deferrals = data.deferrals ?? 0;
    if (data.auditOf !== this.id || deferrals >= AUDIT_DEFERRALS_MAX) return;
    if (!(await this.store.workers()).some((w) => w.id !== this.id)) return;
    await job.updateData({ ...data, deferrals: deferrals + 1 });
    await job.moveToDelayed(Date.now() + AUDIT_DEFER_MS, token);
    throw new DelayedError();
  }

  /**
   * A job of a strategy file this worker does not have: hand it back,
   * delayed, so another worker takes it (the job records who refused it and
   * why, for `pcfarm campaign show` and the dashboard).
   */
  private async needStrategyFile(job: Job, token: string | undefined, ref: StrategyFileRef): Promise<void> {
    try {
      this.strategies(ref);
      return;
    } catch (e) {
      if (!(e instanceof FarmError) || e.code !== 'ENOSTRATEGYFILE') throw this.refuse(job, e);
      if (!this.lacking.has(ref.sourceHash)) {
        this.lacking.add(ref.sourceHash);
        this.log(`handing back jobs of strategy file ${ref.id} (${ref.sourceHash}) for workers that have it: ${e.message}`);
      }
      const data = job.data as { refusedBy?: unknown };
      const refusedBy = Array.isArray(data.refusedBy) ? data.refusedBy.filter((w): w is string => typeof w === 'string') : [];
      if (!refusedBy.includes(this.id)) await job.updateData({ ...job.data, refusedBy: [...refusedBy, this.id].slice(-REFUSERS_KEPT), refusal: e.message });
      await job.moveToDelayed(Date.now() + STRATEGY_HANDBACK_MS, token);
      throw new DelayedError();
    }
  }

  /** A job this worker will not run: failed for good, with the reason first in its message. */
  private refuse(job: Job, e: unknown): Error {
    if (!(e instanceof FarmError)) return e instanceof Error ? e : new Error(String(e));
    const reason = `${e.code}: ${e.message}`;
    this.log(`refused ${job.name} job ${job.id}: ${reason}`);
    return new UnrecoverableError(reason);
  }

  private failure(job: Job, e: unknown): Error {
    if (e instanceof InfraError) {
      this.log(`${job.name} job ${job.id} was lost (${e.message}): BullMQ retries it`);
      return e;
    }
    if (e instanceof FarmError) return this.refuse(job, e);
    // Anything else comes from the model's own code, which is deterministic: running it again would only repeat it.
    const message = e instanceof Error ? e.message : String(e);
    this.log(`${job.name} job ${job.id} failed: ${message}`);
    return new UnrecoverableError(message);
  }

  /** Finish the jobs in hand (or drop them when `force`), stop reporting, and free the threads. */
  close(force = false): Promise<void> {
    this.closed ??= (async () => {
      clearInterval(this.heartbeat);
      await Promise.all([this.batches.close(force), this.minimizations.close(force)]);
      await this.store.dropWorker(this.id).catch(() => {});
      if (this.ownsExecutor) await this.executor.close();
    })();
    return this.closed;
  }
}
