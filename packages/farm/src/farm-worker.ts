/**
 * A farm worker: one process, one BullMQ Worker per queue, and the CPU work
 * on a pool of worker threads, so the event loop stays free to renew job
 * locks (BullMQ re-runs a job whose lock lapses: a stalled job) and to
 * answer signals. A worker that dies mid-batch loses nothing: its lock
 * expires, another worker's stalled check puts the job back, and the batch
 * is recorded once whoever finishes it.
 *
 * A job is checked before it runs: a payload that is not JSON, malformed,
 * made for another model version, or that is not the batch of its campaign
 * that its id names (another client's job under the farm's id) fails at
 * once with its FarmError code and reason (UnrecoverableError: running it
 * again cannot help). A job lost to the infrastructure (a thread died) is
 * thrown as is, so BullMQ retries it. A failing model run is never an
 * error: it is part of the result, posted to the coordinator's inbox
 * (inbox.ts) before the job completes.
 *
 * A dead worker's jobs run again elsewhere after about 1.5 times the lock
 * (lockMs): its lock lapses after at most lockMs, and the other workers
 * look for stalled jobs every lockMs / 2, BullMQ moving a job back at the
 * second look that finds it unlocked.
 *
 * A job of a strategy file runs only on a worker that has a file with the
 * job's source hash (in its --strategies directories, or at the recorded
 * path of the same checkout): no code travels through Redis. A worker
 * without it hands the job back, delayed, for the others, and says so once.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { DelayedError, UnrecoverableError, Worker, type Job, type JobJson, type Processor, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { batchDifferences, batchIdentity, checkBatch } from './batch.js';
import { batchAt, dealtEnd, type Batch, type Campaign } from './campaign.js';
import { GuideCache } from './guide.js';
import { FarmError } from './errors.js';
import { InfraError, type Executor } from './executor.js';
import { FARM_WORKER_DEFAULTS, stalledCheckMsFor } from './limits.js';
import { auditJobId, batchJobId, batchQueueName, minimizeJobId, minimizeQueueName, refusalReason, type AuditJobData } from './farm-queues.js';
import { postResult } from './inbox.js';
import { checkFarmSubtreeJob, storedResult, verifyQueueName, type FarmSubtreeJob, type StoredVerifyResult } from './verify-farm.js';
import { runVerifyJob } from './verify-job.js';
import { checkMinimizeJob, type MinimizeJob } from './minimize-job.js';
import { REDIS_PREFIX_DEFAULT, RedisStore } from './redis-store.js';
import { WORKER_SILENT_MS } from './store.js';
import { strategyResolver, type StrategyResolver } from './strategy-files.js';
import type { StrategyFileRef } from './strategy-ref.js';
import { THREADS_MAX, ThreadPool } from './thread-pool.js';

export interface FarmWorkerOptions {
  /** Key and queue prefix of the farm; default REDIS_PREFIX_DEFAULT. */
  prefix?: string;
  /** Batches run at once, one per worker thread; default one per core. */
  concurrency?: number;
  /**
   * How long a job's lock lasts unrenewed, in ms: the one setting that
   * decides how soon a dead worker's batch runs again elsewhere (after at
   * most about 1.5 times this); default FARM_WORKER_DEFAULTS.lockMs.
   */
  lockMs?: number;
  /** How often the workers look for stalled jobs (of dead workers), in ms; default lockMs / 2, which is what keeps recovery within 1.5 lockMs. */
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


/** How long a handed-back audit waits before it is offered again, in ms. */
export const AUDIT_DEFER_MS = 100;
/** How long a job whose strategy file this worker lacks waits before it is offered again, in ms. */
export const STRATEGY_HANDBACK_MS = 1_000;
/** Workers a job remembers as having refused it for want of its strategy file. */
const REFUSERS_KEPT = 32;
/** Most a worker logs of BullMQ's connection errors: one line per this many ms. */
const ERROR_LOG_MS = 5_000;
/** Campaigns a worker keeps in memory to check its jobs against (a campaign's spec never changes). */
const CAMPAIGNS_CACHED_MAX = 256;
/** Guides a worker keeps in memory (guide.ts): one per guided cell and epoch it runs. */
const GUIDES_CACHED_MAX = 64;
/** Characters of an unreadable payload quoted in its job's failed reason. */
const UNREADABLE_QUOTED_MAX = 120;

/** The payload a job BullMQ could not parse gets in its place, so that the job can be failed (and read) like any other. */
interface UnreadablePayload {
  pcfarmUnreadable: string;
  error: string;
}

/**
 * A BullMQ Worker that takes a job whose payload is not JSON (which BullMQ
 * itself cannot read: it would hand the job back and forth between active
 * and waiting for ever) as a job with an UnreadablePayload, so the farm's
 * processor fails it at once with EBADJOB.
 */
class FarmQueueWorker extends Worker {
  protected override createJob(data: JobJson, jobId: string): Job {
    try {
      return super.createJob(data, jobId);
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      const payload: UnreadablePayload = { pcfarmUnreadable: String(data.data).slice(0, UNREADABLE_QUOTED_MAX), error: e.message };
      return super.createJob({ ...data, data: JSON.stringify(payload) }, jobId);
    }
  }
}

function unreadable(data: unknown): UnreadablePayload | null {
  const d = data as Partial<UnreadablePayload> | null;
  return d !== null && typeof d === 'object' && typeof d.pcfarmUnreadable === 'string' ? (d as UnreadablePayload) : null;
}

export class FarmWorker {
  readonly id: string;
  readonly concurrency: number;
  readonly store: RedisStore;
  /** The lock and the stalled check this worker runs with (see FarmWorkerOptions.lockMs). */
  readonly lockMs: number;
  readonly stalledCheckMs: number;
  private readonly redis: Redis;
  private readonly executor: Executor;
  private readonly ownsExecutor: boolean;
  private readonly batches: Worker;
  private readonly minimizations: Worker;
  /** Subtrees of bounded searches (verify-farm.ts). */
  private readonly searches: Worker;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly log: (line: string) => void;
  private runs = 0;
  private lastReport = { at: Date.now(), runs: 0 };
  private lastErrorLog = 0;
  private readonly strategies: StrategyResolver;
  /** Strategy files (by source hash) this worker lacked, so it says so once per file. */
  private readonly lacking = new Set<string>();
  private readonly campaigns = new Map<string, Campaign>();
  private readonly guides = new GuideCache(GUIDES_CACHED_MAX);
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
    this.redis = redis;
    this.store = new RedisStore(redis, { prefix });
    this.ownsExecutor = options.executor === undefined;
    this.strategies = strategyResolver(options.strategyDirs ?? []);
    this.executor = options.executor ?? new ThreadPool({ threads: this.concurrency, strategyDirs: options.strategyDirs ?? [] });
    this.lockMs = options.lockMs ?? FARM_WORKER_DEFAULTS.lockMs;
    this.stalledCheckMs = options.stalledCheckMs ?? stalledCheckMsFor(this.lockMs);
    const common: Partial<WorkerOptions> = {
      connection: redis,
      name: this.id,
      lockDuration: this.lockMs,
      stalledInterval: this.stalledCheckMs,
      maxStalledCount: options.stalledRetriesMax ?? FARM_WORKER_DEFAULTS.stalledRetriesMax,
    };
    const jobsPerThread = options.jobsPerThread ?? FARM_WORKER_DEFAULTS.jobsPerThread;
    if (!Number.isSafeInteger(jobsPerThread) || jobsPerThread < 1) throw new RangeError(`jobsPerThread must be a whole number of at least 1, not ${jobsPerThread}`);
    const batchJob: Processor = (job, token) => this.runBatchJob(job, token);
    const minimizeJob: Processor = (job, token) => this.runMinimizeJob(job, token);
    this.batches = new FarmQueueWorker(batchQueueName(prefix), batchJob, { ...common, connection: redis, concurrency: this.concurrency * jobsPerThread });
    // One minimization at a time beside the batches: it shares the threads, and a bucket's reproducer can wait a little.
    this.minimizations = new FarmQueueWorker(minimizeQueueName(prefix), minimizeJob, { ...common, connection: redis, concurrency: 1 });
    const subtreeJob: Processor = (job, token) => this.runSubtreeJob(job, token);
    // A subtree a thread: a search's parts are as heavy as batches.
    this.searches = new FarmQueueWorker(verifyQueueName(prefix), subtreeJob, { ...common, connection: redis, concurrency: this.concurrency });
    for (const w of [this.batches, this.minimizations, this.searches]) {
      w.on('error', (e) => this.connectionError(e));
      w.on('stalled', (jobId) => this.log(`job ${jobId} had stalled (its worker died or lost its lock): it runs again`));
    }
    const beat = options.heartbeatMs ?? FARM_WORKER_DEFAULTS.heartbeatMs;
    this.heartbeat = setInterval(() => void this.report().catch((e: Error) => this.connectionError(e)), beat);
  }

  /** A worker that is connected and has reported itself, so the coordinator counts its slots. */
  static async start(redis: Redis, options: FarmWorkerOptions = {}): Promise<FarmWorker> {
    const w = new FarmWorker(redis, options);
    await Promise.all([w.batches.waitUntilReady(), w.minimizations.waitUntilReady(), w.searches.waitUntilReady()]);
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

  /**
   * A job's campaign, from memory when this worker has seen it (a spec never
   * changes, nor a plan once dealt) and its deal reaches batch `index`;
   * ENOCAMPAIGN when there is none.
   */
  private async campaign(id: string, index = 0): Promise<Campaign> {
    const known = this.campaigns.get(id);
    if (known !== undefined && index < dealtEnd(known)) return known;
    if (known !== undefined) this.campaigns.delete(id);
    const c = await this.store.getCampaign(id);
    if (this.campaigns.size >= CAMPAIGNS_CACHED_MAX) this.campaigns.delete(this.campaigns.keys().next().value!);
    this.campaigns.set(id, c);
    return c;
  }

  /**
   * The batch a job asks for, checked before anything runs: its payload,
   * and that it is the batch of its campaign that its id names, seeds and
   * all. Another client's job under the farm's id is refused here, not after
   * the run it would have cost.
   */
  private async batchOf(job: Job): Promise<Batch> {
    const bad = unreadable(job.data);
    if (bad !== null) throw new FarmError('EBADJOB', `its payload is not JSON (${bad.error}): ${JSON.stringify(bad.pcfarmUnreadable)}`);
    const b = checkBatch(job.data);
    const c = await this.campaign(b.campaignId, b.index);
    const want = batchAt(c, b.index);
    const wantId = job.name === 'audit' ? auditJobId(c.id, b.index) : batchJobId(c.id, b.index);
    if (want === null) throw new FarmError('EBADJOB', `job ${job.id} asks for batch ${b.index} of campaign ${c.id}, which has no such batch`);
    if (job.id !== wantId) throw new FarmError('EBADJOB', `job ${job.id} carries batch ${b.index} of campaign ${c.id}, whose job id is ${wantId}`);
    if (batchIdentity(b) !== batchIdentity(want)) throw new FarmError('EBADJOB', `job ${job.id} is not batch ${b.index} of campaign ${c.id}: ${batchDifferences(b, want).join(', ')}`);
    return b;
  }

  private async runBatchJob(job: Job, token: string | undefined): Promise<void> {
    let b: Batch;
    try {
      b = await this.batchOf(job);
    } catch (e) {
      throw await this.refuse(job, e);
    }
    if (b.strategyFile !== null) await this.needStrategyFile(job, token, b.strategyFile);
    if (job.name === 'audit') await this.handBackOwnAudit(job, token);
    let r;
    try {
      // A guided or portfolio batch's guide: the coordinator hands out a batch only when its epoch's rounds are
      // recorded, so what this worker reads is what every other reads.
      r = await this.executor.runBatch(b, await this.guides.input(await this.campaign(b.campaignId, b.index), b, this.store));
    } catch (e) {
      throw await this.failure(job, e);
    }
    // Posted before the job completes (and is removed): a result is never lost between the two.
    await postResult(this.redis, this.store.keys, { kind: job.name === 'audit' ? 'audit' : 'batch', jobId: job.id!, worker: this.id, result: r });
    this.runs += r.runs;
  }

  private async runMinimizeJob(job: Job, token: string | undefined): Promise<void> {
    let m: MinimizeJob;
    try {
      const bad = unreadable(job.data);
      if (bad !== null) throw new FarmError('EBADJOB', `its payload is not JSON (${bad.error}): ${JSON.stringify(bad.pcfarmUnreadable)}`);
      m = checkMinimizeJob(job.data);
      const c = await this.campaign(m.campaignId);
      const wantId = minimizeJobId(c.id, m.bucketId, m);
      if (job.id !== wantId) throw new FarmError('EBADJOB', `job ${job.id} carries the minimization of bucket ${m.bucketId} of campaign ${c.id} from seed ${m.seed}, whose job id is ${wantId}`);
      if (c.modelVersion !== m.modelVersion || c.spec.scheduler !== m.scheduler || c.spec.pctDepth !== m.pctDepth) {
        throw new FarmError('EBADJOB', `job ${job.id} does not run campaign ${c.id}'s model version, scheduler and depth`);
      }
      // A search's run is its reproducer: the job's must be its example's, or it would minimize another run under the bucket's name.
      if (c.spec.guide !== null) {
        const ex = (await this.store.bucket(c.id, m.bucketId))?.examples.find((e) => e.seed === m.seed && e.scenario === m.scenario && e.blocksPerPage === m.blocksPerPage);
        if (ex?.reproducer === undefined || ex.reproducer !== m.reproducer) throw new FarmError('EBADJOB', `job ${job.id} does not carry the reproducer of bucket ${m.bucketId}'s example seed ${m.seed} of campaign ${c.id}`);
      }
    } catch (e) {
      throw await this.refuse(job, e);
    }
    if (m.strategyFile !== null) await this.needStrategyFile(job, token, m.strategyFile);
    let result;
    try {
      result = await this.executor.minimize(m);
    } catch (e) {
      throw await this.failure(job, e);
    }
    await postResult(this.redis, this.store.keys, { kind: 'minimize', jobId: job.id!, worker: this.id, campaignId: m.campaignId, bucketId: m.bucketId, result });
  }

  /** A subtree of a bounded search: checked (its id is its search's and place's), run on a thread, its result the job's return value. */
  private async runSubtreeJob(job: Job, token: string | undefined): Promise<StoredVerifyResult> {
    let s: FarmSubtreeJob;
    try {
      const bad = unreadable(job.data);
      if (bad !== null) throw new FarmError('EBADJOB', `its payload is not JSON (${bad.error}): ${JSON.stringify(bad.pcfarmUnreadable)}`);
      s = checkFarmSubtreeJob(job.data, job.id);
    } catch (e) {
      throw await this.refuse(job, e);
    }
    if (s.job.strategyFile !== null) await this.needStrategyFile(job, token, s.job.strategyFile);
    let r;
    try {
      r = this.executor.verify === undefined ? runVerifyJob(s.job, this.strategies, Date.now) : await this.executor.verify(s.job);
    } catch (e) {
      throw await this.failure(job, e);
    }
    if (r.kind !== 'subtree') throw new Error('farm bug: a subtree job answered with a split');
    return storedResult(r.result);
  }

  /**
   * The audit of a batch this worker ran first runs elsewhere: hand it back
   * while another live worker could take it (one that has not handed it
   * back for want of its strategy file). Alone, a worker runs it, and the
   * coordinator counts it as audited on the same worker.
   */
  private async handBackOwnAudit(job: Job, token: string | undefined): Promise<void> {
    const data = job.data as AuditJobData & { refusedBy?: unknown };
    if (data.auditOf !== this.id) return;
    const refusedBy = Array.isArray(data.refusedBy) ? data.refusedBy : [];
    if (!(await this.store.workers()).some((w) => w.id !== this.id && !refusedBy.includes(w.id))) return;
    const deferrals = data.deferrals ?? 0;
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
      if (!(e instanceof FarmError) || e.code !== 'ENOSTRATEGYFILE') throw await this.refuse(job, e);
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

  /**
   * A job this worker will not run: failed for good, with its code first in
   * its reason (refusalReason). A job BullMQ could not read gets a readable
   * payload first, so the queue's own readers (and the coordinator) can
   * list it.
   */
  private async refuse(job: Job, e: unknown): Promise<Error> {
    if (!(e instanceof FarmError)) return e instanceof Error ? e : new Error(String(e));
    const reason = refusalReason(e.code, e.message);
    this.log(`refused ${job.name} job ${job.id}: ${reason}`);
    if (unreadable(job.data) !== null) await job.updateData(job.data);
    return new UnrecoverableError(reason);
  }

  private async failure(job: Job, e: unknown): Promise<Error> {
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
      await Promise.all([this.batches.close(force), this.minimizations.close(force), this.searches.close(force)]);
      // Leaving without a word only costs the coordinator a few seconds of counting this worker's slots: say so, and go on.
      await this.store.dropWorker(this.id).catch((e: Error) => this.log(`could not sign off (${e.message}): the coordinator counts this worker for ${WORKER_SILENT_MS / 1000} s more`));
      if (this.ownsExecutor) await this.executor.close();
    })();
    return this.closed;
  }
}
