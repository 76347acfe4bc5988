/**
 * The farm's coordinator: it cuts running campaigns into batch jobs on a
 * BullMQ queue, keeps only a few of them waiting per live worker slot
 * (backpressure: a campaign stopped or deleted has little queued to take
 * back, and a new one starts at once), records each finished batch exactly
 * once, queues a minimization for each new failure bucket on its own queue, audits a
 * sample of batches for determinism, and marks a campaign done when nothing
 * of it is left.
 *
 * It keeps nothing that Redis does not: the batches handed out and not yet
 * recorded are a set in the store, written before their jobs are added; a
 * finished job stays in BullMQ's completed set until its result is
 * recorded, and only then is removed. So a coordinator killed at any moment,
 * or a Redis restarted under it, carries on where it was: it records what
 * finished meanwhile (recording twice is a no-op), and queues again what was
 * handed out but has no job (a check it makes at start, after a
 * reconnection, when a campaign is resumed, and every reconcileMs).
 *
 * The CLI changes campaigns only in the store (start, stop, resume,
 * delete); the coordinator notices within a round (tickMs).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue, QueueEvents, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { AUDIT_ONE_IN_DEFAULT, auditDiff, auditRecordOf, auditSelected } from './audit.js';
import type { BatchResult } from './batch.js';
import { batchAt, batchCount, type Batch, type Campaign } from './campaign.js';
import { minimizeJobOf, needsMinimizing } from './engine.js';
import { FarmError } from './errors.js';
import { auditJobId, batchJobId, batchQueueName, minimizeJobId, minimizeQueueName, REFUSED_MODEL_VERSION, type AuditJobData } from './farm-queues.js';
import { MINIMIZE_RUNS_MAX_DEFAULT, type Minimized, type MinimizeJob } from './minimize-job.js';
import { REDIS_PREFIX_DEFAULT, RedisStore, type FarmBug } from './redis-store.js';
import type { Bucket } from './results.js';

export interface CoordinatorOptions {
  /** Key and queue prefix of the farm; default REDIS_PREFIX_DEFAULT. */
  prefix?: string;
  /** Batches kept waiting per slot of live worker concurrency (backpressure); default 2. */
  queuedPerWorker?: number;
  /** Audit one batch in this many (0: no audit); default AUDIT_ONE_IN_DEFAULT. */
  auditOneIn?: number;
  /** Longest pause between two rounds when no job event comes first, in ms; default 250. */
  tickMs?: number;
  /** How long the coordinator's lease lasts unrenewed, in ms: a successor of a crashed one waits this long; default 15_000. */
  leaseMs?: number;
  /** How often handed-out work is checked against the queues, in ms (also after a reconnection and a resume); default 5_000. */
  reconcileMs?: number;
  /** How often a progress line is logged per running campaign, in ms; default 10_000. */
  progressMs?: number;
  /** Times BullMQ retries a job lost to the infrastructure before the campaign stops; default 3. */
  infraRetriesMax?: number;
  /** First retry's delay, doubling each time, in ms; default 1_000. */
  retryBackoffMs?: number;
  /** Delay before a job a worker refused for its model version is offered again, in ms; default 5_000. */
  refusedRetryMs?: number;
  /** Minimize each new failure bucket; default true. */
  minimize?: boolean;
  /** Model runs per minimization; default MINIMIZE_RUNS_MAX_DEFAULT. */
  minimizeRunsMax?: number;
  log?: (line: string) => void;
  /** Epoch-millisecond clock; tests pass their own. */
  now?: () => number;
}

export const COORDINATOR_DEFAULTS = {
  queuedPerWorker: 2,
  auditOneIn: AUDIT_ONE_IN_DEFAULT,
  tickMs: 250,
  leaseMs: 15_000,
  reconcileMs: 5_000,
  progressMs: 10_000,
  infraRetriesMax: 3,
  retryBackoffMs: 1_000,
  refusedRetryMs: 5_000,
} as const;

/** Completed jobs taken per read, and reads per round (so a round always ends). */
const DRAIN_PAGE = 100;
const DRAIN_PAGES_MAX = 20;
/** How long the sum of live worker slots is reused before it is read again, in ms. */
const SLOTS_CACHE_MS = 1_000;

export class Coordinator {
  readonly id: string;
  readonly store: RedisStore;
  readonly batches: Queue;
  readonly minimizations: Queue;
  private readonly events: QueueEvents[];
  private readonly o: Required<Omit<CoordinatorOptions, 'prefix' | 'log' | 'now'>>;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private campaigns = new Map<string, Campaign>();
  private lastStates = new Map<string, Campaign['state']>();
  private leader = false;
  private standingBy = false;
  private lastRoundAt: number | null = null;
  private reconcileAt = 0;
  private reconnected = false;
  private fullNext = false;
  private roundRobin = 0;
  private campaignsRev = -1;
  /** A minimization finished since the last round: its queue is worth reading. */
  private minimizedSince = true;
  /** A job failed since the failed sets were last read. */
  private failedSince = true;
  /** Each campaign's next batch index to hand out, as the last claim said. */
  private readonly cursors = new Map<string, number>();
  private slots = { value: 0, at: -Infinity };
  private progressAt = new Map<string, { at: number; runs: number }>();
  private readonly reported = new Set<string>();
  private roundErrors = 0;
  private closing = false;
  private pending = false;
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly redis: Redis,
    options: CoordinatorOptions = {},
  ) {
    const prefix = options.prefix ?? REDIS_PREFIX_DEFAULT;
    this.id = `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
    this.store = new RedisStore(redis, { prefix, now: options.now });
    this.log = options.log ?? (() => {});
    this.now = options.now ?? Date.now;
    const d = COORDINATOR_DEFAULTS;
    const whole = (name: string, v: number | undefined, fallback: number, min: number): number => {
      if (v === undefined) return fallback;
      if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} must be a whole number of at least ${min}, not ${v}`);
      return v;
    };
    this.o = {
      queuedPerWorker: whole('queuedPerWorker', options.queuedPerWorker, d.queuedPerWorker, 1),
      auditOneIn: whole('auditOneIn', options.auditOneIn, d.auditOneIn, 0),
      tickMs: whole('tickMs', options.tickMs, d.tickMs, 1),
      leaseMs: whole('leaseMs', options.leaseMs, d.leaseMs, 1),
      reconcileMs: whole('reconcileMs', options.reconcileMs, d.reconcileMs, 1),
      progressMs: whole('progressMs', options.progressMs, d.progressMs, 1),
      infraRetriesMax: whole('infraRetriesMax', options.infraRetriesMax, d.infraRetriesMax, 0),
      retryBackoffMs: whole('retryBackoffMs', options.retryBackoffMs, d.retryBackoffMs, 1),
      refusedRetryMs: whole('refusedRetryMs', options.refusedRetryMs, d.refusedRetryMs, 0),
      minimize: options.minimize ?? true,
      minimizeRunsMax: whole('minimizeRunsMax', options.minimizeRunsMax, MINIMIZE_RUNS_MAX_DEFAULT, 1),
    };
    this.batches = new Queue(batchQueueName(prefix), { connection: redis });
    this.minimizations = new Queue(minimizeQueueName(prefix), { connection: redis });
    this.events = [new QueueEvents(batchQueueName(prefix), { connection: redis }), new QueueEvents(minimizeQueueName(prefix), { connection: redis })];
    // A finished job wakes the loop at once: waiting for the next tick would leave workers idle.
    for (const e of this.events) {
      e.on('failed', () => {
        this.failedSince = true;
        this.poke();
      });
      e.on('error', () => {});
    }
    this.events[0]!.on('completed', () => this.poke());
    this.events[1]!.on('completed', () => {
      this.minimizedSince = true;
      this.poke();
    });
    for (const q of [this.batches, this.minimizations]) q.on('error', () => {});
    redis.on('ready', this.onReconnect);
  }

  /** A coordinator that has connected its queues and started its loop. */
  static async start(redis: Redis, options: CoordinatorOptions = {}): Promise<Coordinator> {
    const c = new Coordinator(redis, options);
    await Promise.all([c.batches.waitUntilReady(), c.minimizations.waitUntilReady(), ...c.events.map((e) => e.waitUntilReady())]);
    c.loop = c.run();
    return c;
  }

  private readonly onReconnect = (): void => {
    this.reconnected = true;
    this.poke();
  };

  /** Start a full round now rather than at the next tick (after this process changed a campaign, say). */
  wake(): void {
    this.fullNext = true;
    this.poke();
  }

  private poke(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  private async idle(ms: number): Promise<void> {
    if (!this.pending) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        this.wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    this.wakeUp = null;
    this.pending = false;
  }

  private async run(): Promise<void> {
    while (!this.closing) {
      try {
        await this.round();
        this.roundErrors = 0;
      } catch (e) {
        // Redis going away mid-round is expected (ioredis holds commands until it is back); anything else is logged too, and the round is tried again.
        this.roundErrors++;
        if (this.roundErrors === 1 || this.roundErrors % 20 === 0) this.log(`a round failed (${this.roundErrors} in a row): ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, Math.min(200 * this.roundErrors, 5_000)));
      }
      if (!this.closing) await this.idle(this.o.tickMs);
    }
  }

  /**
   * One round: results in, and the queue refilled. At most every tickMs it
   * is a full round, which also renews the lease, reads the campaigns (and
   * so notices a start, stop, resume or delete), counts their running time,
   * handles failed jobs and checks for lost ones; the rounds a finished job
   * triggers in between skip that, so the coordinator's cost per batch stays
   * small.
   */
  private async round(): Promise<void> {
    const now = this.now();
    const full = !this.leader || this.reconnected || this.fullNext || this.lastRoundAt === null || now - this.lastRoundAt >= this.o.tickMs;
    this.fullNext = false;
    if (full) {
      if (!(await this.store.holdLease(this.id, this.o.leaseMs))) {
        if (!this.standingBy) this.log(`another coordinator holds the lease (prefix ${this.store.prefix}): standing by`);
        this.standingBy = true;
        this.leader = false;
        return;
      }
      if (!this.leader) {
        this.leader = true;
        this.standingBy = false;
        this.reconcileAt = 0;
        this.lastStates.clear();
        this.lastRoundAt = null;
        this.cursors.clear();
        this.campaignsRev = -1;
        this.log(`coordinating the farm (prefix ${this.store.prefix}, queues ${this.batches.name} and ${this.minimizations.name})`);
      }
    }
    await this.drainBatches();
    if (full || this.minimizedSince) {
      this.minimizedSince = false;
      await this.drainMinimizations();
    }
    if (full) await this.fullRound(now);
    const running = [...this.campaigns.values()].filter((c) => c.state === 'running');
    await this.fill(running);
    for (const c of running) await this.finishIfDone(c, full);
    if (full) await this.logProgress(running, now);
  }

  private async fullRound(now: number): Promise<void> {
    // Failed jobs are looked for when one failed (the event), and at each check for lost work in case an event was missed.
    if (this.failedSince || this.reconnected || now >= this.reconcileAt) {
      this.failedSince = false;
      await this.failedBatches();
      await this.failedMinimizations();
    }
    // The campaigns are read again only when one was created, deleted or changed state (and at each check for lost work).
    const rev = await this.store.campaignsRev();
    if (rev !== this.campaignsRev || this.reconnected || now >= this.reconcileAt) {
      this.campaignsRev = rev;
      this.campaigns = new Map((await this.store.listCampaigns()).map((c) => [c.id, c]));
    }
    const list = [...this.campaigns.values()];
    const dt = this.lastRoundAt === null ? 0 : now - this.lastRoundAt;
    this.lastRoundAt = now;
    for (const c of list) {
      if (c.state !== 'running' || dt <= 0) continue;
      const ms = await this.store.addRunningMs(c.id, dt);
      if (ms !== null) c.runningMs = ms;
    }
    const running = list.filter((c) => c.state === 'running');
    const changed = list.length !== this.lastStates.size || list.some((c) => this.lastStates.get(c.id) !== c.state);
    const resumed = running.filter((c) => this.lastStates.get(c.id) !== 'running');
    this.lastStates = new Map(list.map((c) => [c.id, c.state]));
    if (this.reconnected || now >= this.reconcileAt) {
      this.reconnected = false;
      this.reconcileAt = now + this.o.reconcileMs;
      for (const c of running) await this.reconcile(c);
      await this.dropWaitingOfIdleCampaigns();
    } else {
      for (const c of resumed) await this.reconcile(c);
      if (changed) await this.dropWaitingOfIdleCampaigns();
    }
  }

  private async campaign(id: string): Promise<Campaign | null> {
    const known = this.campaigns.get(id);
    if (known !== undefined) return known;
    try {
      const c = await this.store.getCampaign(id);
      this.campaigns.set(id, c);
      return c;
    } catch (e) {
      if (e instanceof FarmError && e.code === 'ENOCAMPAIGN') return null;
      throw e;
    }
  }

  /** Whether a job's id is the one this coordinator gives its payload (so it is ours, not someone else's). */
  private ours(job: Job): boolean {
    const d = job.data as Partial<Batch & MinimizeJob> | undefined;
    if (typeof d?.campaignId !== 'string') return false;
    if (job.name === 'minimize') return typeof d.bucketId === 'string' && job.id === minimizeJobId(d.campaignId, d.bucketId);
    if (typeof d.index !== 'number') return false;
    return job.id === (job.name === 'audit' ? auditJobId(d.campaignId, d.index) : batchJobId(d.campaignId, d.index));
  }

  private jobOptions(jobId: string, delay = 0): JobsOptions {
    return {
      jobId,
      attempts: this.o.infraRetriesMax + 1,
      backoff: { type: 'exponential', delay: this.o.retryBackoffMs },
      // The coordinator removes a job once its result is recorded: until then the result lives in the job.
      removeOnComplete: false,
      removeOnFail: false,
      ...(delay > 0 ? { delay } : {}),
    };
  }

  private async addBatches(c: Campaign, indexes: readonly number[], delay = 0): Promise<void> {
    const jobs = indexes.map((i) => batchAt(c, i)).filter((b): b is Batch => b !== null);
    if (jobs.length === 0) return;
    await this.batches.addBulk(jobs.map((b) => ({ name: 'batch', data: b, opts: this.jobOptions(batchJobId(c.id, b.index), delay) })));
  }

  private async queueAudit(c: Campaign, index: number, worker: string, delay = 0): Promise<void> {
    const b = batchAt(c, index);
    if (b === null) return;
    const data: AuditJobData = { ...b, auditOf: worker };
    await this.batches.add('audit', data, this.jobOptions(auditJobId(c.id, index), delay));
  }

  private async queueMinimize(c: Campaign, b: Bucket, delay = 0): Promise<void> {
    await this.minimizations.add('minimize', minimizeJobOf(c, b, this.o.minimizeRunsMax), this.jobOptions(minimizeJobId(c.id, b.id), delay));
  }

  /** Record every finished batch (and audit rerun), then remove its job. */
  private async drainBatches(): Promise<void> {
    for (let page = 0; page < DRAIN_PAGES_MAX; page++) {
      const jobs = await this.batches.getJobs(['completed'], 0, DRAIN_PAGE - 1, true);
      for (const job of jobs) await this.batchCompleted(job);
      if (jobs.length < DRAIN_PAGE) return;
    }
  }

  private async batchCompleted(job: Job): Promise<void> {
    const r = job.returnvalue as BatchResult | null;
    const d = job.data as Partial<Batch>;
    const itsBatch = r !== null && typeof r === 'object' && r.campaignId === d.campaignId && r.index === d.index && r.blocksPerPage === d.blocksPerPage;
    if (!this.ours(job) || !itsBatch || !Array.isArray(r.failures) || !Array.isArray(r.warnings) || !Array.isArray(r.coverage)) {
      this.log(`job ${job.id} finished with a result that is not its batch's: dropped`);
      await job.remove();
      return;
    }
    const c = await this.campaign(r.campaignId);
    if (c === null) {
      // Its campaign was deleted while the batch ran.
      await job.remove();
      return;
    }
    if (job.name === 'audit') {
      await this.auditCompleted(c, job, r);
      await job.remove();
      return;
    }
    let rec;
    try {
      rec = await this.store.recordBatch(r, c.runningMs);
    } catch (e) {
      if (!(e instanceof FarmError && e.code === 'ENOCAMPAIGN')) throw e;
      await job.remove();
      return;
    }
    if (rec.recorded) {
      for (const b of rec.newBuckets) {
        this.log(`campaign ${c.id}: new ${b.severity === 'warning' ? 'warning ' : ''}bucket ${b.id}: ${b.title}`);
        if (this.o.minimize && needsMinimizing(b)) await this.queueMinimize(c, b);
      }
      if (auditSelected(r.index, this.o.auditOneIn)) {
        const worker = job.processedBy ?? 'unknown';
        await this.store.addPendingAudit(c.id, r.index, { worker, record: auditRecordOf(r) });
        await this.queueAudit(c, r.index, worker);
      }
    }
    await job.remove();
  }

  private async auditCompleted(c: Campaign, job: Job, r: BatchResult): Promise<void> {
    const pending = (await this.store.pendingAudits(c.id)).get(r.index);
    if (pending === undefined) return;
    const rerunBy = job.processedBy ?? 'unknown';
    const diff = auditDiff(pending.record, auditRecordOf(r));
    const bug: FarmBug | null =
      diff.length === 0
        ? null
        : {
            at: this.now(),
            kind: 'determinism',
            batch: r.index,
            bucketId: null,
            message: `batch ${r.index} of campaign ${c.id} (${r.strategy} x ${r.scenario}, seeds ${r.seedStart}..${r.seedStart + r.runs - 1}) came out differently on ${pending.worker} and on ${rerunBy}: the farm is not deterministic`,
            details: diff,
          };
    if ((await this.store.settleAudit(c.id, r.index, bug)) && bug !== null) {
      this.log(`FARM BUG: ${bug.message}`);
      for (const line of diff) this.log(`  ${line}`);
    }
  }

  private async drainMinimizations(): Promise<void> {
    for (let page = 0; page < DRAIN_PAGES_MAX; page++) {
      const jobs = await this.minimizations.getJobs(['completed'], 0, DRAIN_PAGE - 1, true);
      for (const job of jobs) {
        const d = job.data as MinimizeJob;
        const m = job.returnvalue as Minimized | null;
        if (this.ours(job) && m !== null && typeof m === 'object' && typeof m.reproducer === 'string') {
          try {
            await this.store.recordMinimized(d.campaignId, d.bucketId, m);
            this.log(`campaign ${d.campaignId}: bucket ${d.bucketId} minimized to ${m.choices} choices, ${m.switches} context switches: ${m.reproducer}`);
          } catch (e) {
            if (!(e instanceof FarmError && e.code === 'ENOCAMPAIGN')) throw e;
          }
        }
        await job.remove();
      }
      if (jobs.length < DRAIN_PAGE) return;
    }
  }

  /** Failed jobs: foreign ones are reported once and left; refusals are offered again; the rest stop their campaign. */
  private async failedBatches(): Promise<void> {
    for (const job of await this.batches.getJobs(['failed'], 0, DRAIN_PAGE - 1)) {
      const d = job.data as Batch & Partial<AuditJobData>;
      const c = this.ours(job) ? await this.campaign(d.campaignId) : null;
      const reason = job.failedReason || 'no reason given';
      if (c === null) {
        this.reportForeign(job, reason);
        continue;
      }
      if (reason.startsWith(REFUSED_MODEL_VERSION)) {
        this.log(`worker ${job.processedBy ?? '?'} refused ${job.name} ${d.index} of campaign ${c.id}: ${reason}. Offered again in ${this.o.refusedRetryMs} ms; upgrade that worker`);
        await job.remove();
        if (job.name === 'audit') await this.queueAudit(c, d.index, d.auditOf ?? 'unknown', this.o.refusedRetryMs);
        else await this.addBatches(c, [d.index], this.o.refusedRetryMs);
        continue;
      }
      if (job.name === 'audit') {
        this.log(`the audit rerun of batch ${d.index} of campaign ${c.id} failed (${reason}): that audit is dropped`);
        await this.store.dropAudit(c.id, d.index);
      } else {
        this.log(`batch ${d.index} of campaign ${c.id} failed for good: ${reason}. The campaign is stopped; 'pcfarm campaign resume ${c.id}' runs the batch again`);
        if (c.state === 'running') await this.store.setState(c.id, 'stopped');
        c.state = 'stopped';
      }
      await job.remove();
    }
  }

  private async failedMinimizations(): Promise<void> {
    for (const job of await this.minimizations.getJobs(['failed'], 0, DRAIN_PAGE - 1)) {
      const d = job.data as MinimizeJob;
      const c = this.ours(job) ? await this.campaign(d.campaignId) : null;
      const reason = job.failedReason || 'no reason given';
      if (c === null) {
        this.reportForeign(job, reason);
        continue;
      }
      await job.remove();
      const b = await this.store.bucket(c.id, d.bucketId);
      if (b === null) continue;
      if (reason.startsWith(REFUSED_MODEL_VERSION)) {
        this.log(`worker ${job.processedBy ?? '?'} refused the minimization of bucket ${d.bucketId} of campaign ${c.id}: ${reason}. Offered again in ${this.o.refusedRetryMs} ms`);
        await this.queueMinimize(c, b, this.o.refusedRetryMs);
        continue;
      }
      this.log(`the minimization of bucket ${d.bucketId} of campaign ${c.id} failed: ${reason}`);
      await this.store.minimizeFailed(c.id, d.bucketId, reason);
      if (reason.startsWith('farm bug')) {
        await this.store.recordFarmBug(c.id, { at: this.now(), kind: 'minimize', batch: null, bucketId: d.bucketId, message: reason, details: [] });
        this.log(`FARM BUG: ${reason}`);
      }
    }
  }

  private reportForeign(job: Job, reason: string): void {
    const key = `${job.queueName}/${job.id}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.log(`job ${job.id} on ${job.queueName} failed: ${reason} (not a job of a campaign of this farm: left in the failed set)`);
  }

  /**
   * Queue again whatever of a running campaign was handed out and has no
   * job: batches, minimizations of unminimized buckets, audit reruns. After
   * a crash or a Redis that lost its last second, this is what makes sure
   * nothing is lost; recording by batch index makes sure nothing counts twice.
   */
  private async reconcile(c: Campaign): Promise<void> {
    const queued = await this.store.queuedBatches(c.id);
    const states = await Promise.all(queued.map((i) => this.batches.getJobState(batchJobId(c.id, i))));
    const missing = queued.filter((_, k) => states[k] === 'unknown');
    if (missing.length > 0) {
      this.log(`campaign ${c.id}: ${missing.length} batch(es) handed out without a job (${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', ...' : ''}): queued again`);
      await this.addBatches(c, missing);
    }
    if (this.o.minimize) {
      const [buckets, failed] = await Promise.all([this.store.buckets(c.id), this.store.minimizeFailures(c.id)]);
      const todo = buckets.filter((b) => needsMinimizing(b) && failed[b.id] === undefined);
      const st = await Promise.all(todo.map((b) => this.minimizations.getJobState(minimizeJobId(c.id, b.id))));
      for (const [k, b] of todo.entries()) if (st[k] === 'unknown') await this.queueMinimize(c, b);
    }
    for (const [index, a] of await this.store.pendingAudits(c.id)) {
      if ((await this.batches.getJobState(auditJobId(c.id, index))) === 'unknown') await this.queueAudit(c, index, a.worker);
    }
  }

  /** Take back the waiting jobs of campaigns that are stopped, done or deleted (running ones finish and count). */
  private async dropWaitingOfIdleCampaigns(): Promise<void> {
    for (const q of [this.batches, this.minimizations]) {
      for (const job of await q.getJobs(['waiting', 'prioritized', 'delayed'], 0, 999)) {
        if (!this.ours(job)) continue;
        const state = this.campaigns.get((job.data as Batch).campaignId)?.state;
        if (state === 'running') continue;
        // A job a worker took meanwhile is locked and stays: it finishes and counts.
        await job.remove().catch(() => {});
      }
    }
  }

  /** Live worker slots: the sum of the concurrency of the workers that reported lately. */
  private async liveSlots(): Promise<number> {
    const now = this.now();
    if (now - this.slots.at >= SLOTS_CACHE_MS) {
      this.slots = { value: (await this.store.workers()).reduce((s, w) => s + w.concurrency, 0), at: now };
    }
    return this.slots.value;
  }

  private budgetSpent(c: Campaign): boolean {
    return c.spec.timeBudgetMs !== null && c.runningMs >= c.spec.timeBudgetMs;
  }

  /**
   * Backpressure: keep queuedPerWorker jobs waiting per live slot (at least
   * one slot's worth, so a joining worker finds work), handed out round
   * robin between running campaigns.
   */
  private async fill(running: readonly Campaign[]): Promise<void> {
    const open = running.filter((c) => !this.budgetSpent(c));
    if (open.length === 0) return;
    const counts = await this.batches.getJobCounts('waiting', 'prioritized', 'delayed');
    const waiting = Object.values(counts).reduce((s, n) => s + n, 0);
    let room = this.o.queuedPerWorker * Math.max(1, await this.liveSlots()) - waiting;
    const start = this.roundRobin++ % open.length;
    const order = [...open.slice(start), ...open.slice(0, start)];
    let gave = true;
    while (room > 0 && gave) {
      gave = false;
      for (const c of order) {
        if (room <= 0) break;
        const share = Math.min(room, Math.ceil(room / order.length));
        const claim = await this.store.claimBatches(c.id, share, batchCount(c.spec));
        if (claim !== null) this.cursors.set(c.id, claim.cursor);
        if (claim === null || claim.indexes.length === 0) continue;
        await this.addBatches(c, claim.indexes);
        room -= claim.indexes.length;
        gave = true;
      }
    }
  }

  /**
   * Done: no batch left to hand out (or the time budget spent), none
   * outstanding, no audit pending, every failure bucket minimized or given up. Only
   * a full round asks the store about a campaign with batches still to hand out.
   */
  private async finishIfDone(c: Campaign, full: boolean): Promise<void> {
    const total = batchCount(c.spec);
    if (!full && !this.budgetSpent(c) && (total === null || (this.cursors.get(c.id) ?? 0) < total)) return;
    const p = await this.store.progress(c.id);
    const exhausted = this.budgetSpent(c) || (total !== null && p.cursor >= total);
    if (!exhausted || p.queued > 0 || p.auditsPending > 0 || (this.o.minimize && p.bucketsUnminimized > 0)) return;
    if (!(await this.store.finish(c.id))) return;
    c.state = 'done';
    const s = await this.store.summary(c.id);
    const a = await this.store.auditSummary(c.id);
    this.log(
      `campaign ${c.id} done: ${s.runs} runs, ${s.failures} failures in ${s.buckets} buckets (${s.minimized} minimized), ` +
        `${s.warnings} warning runs in ${s.warningBuckets} warning buckets, coverage ${s.coverage}, ` +
        `audits ${a.passed} agreed${a.failed > 0 ? `, ${a.failed} FARM BUG(S)` : ''}`,
    );
  }

  private async logProgress(running: readonly Campaign[], now: number): Promise<void> {
    for (const c of running) {
      const last = this.progressAt.get(c.id);
      if (last !== undefined && now - last.at < this.o.progressMs) continue;
      const s = await this.store.summary(c.id);
      const rate = last === undefined ? null : ((s.runs - last.runs) * 1000) / Math.max(now - last.at, 1);
      this.progressAt.set(c.id, { at: now, runs: s.runs });
      const slots = await this.liveSlots();
      this.log(
        `campaign ${c.id}: ${s.batchesDone}/${s.batchesTotal ?? '?'} batches, ${s.runs} runs${rate === null ? '' : ` (${Math.round(rate)} runs/s)`}, ` +
          `${s.failures} failures in ${s.buckets} buckets, ${s.minimized} minimized, ${s.warningBuckets} warning buckets, coverage ${s.coverage}; ${slots} worker slot(s)`,
      );
    }
  }

  /** Stop the loop after its round, give up the lease, and close the queues (the Redis client is the caller's). */
  async close(): Promise<void> {
    this.closing = true;
    this.poke();
    await this.loop;
    this.redis.off('ready', this.onReconnect);
    if (this.leader) await this.store.releaseLease(this.id).catch(() => {});
    await Promise.all([...this.events.map((e) => e.close()), this.batches.close(), this.minimizations.close()]);
  }
}
