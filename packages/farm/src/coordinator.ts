/**
 * The farm's coordinator: it cuts running campaigns into batch jobs on a
 * BullMQ queue, keeps only a few of them waiting per live worker slot
 * (backpressure: a campaign stopped or deleted has little queued to take
 * back, and a new one starts at once), records each finished batch exactly
 * once, queues a minimization of each failure bucket's lowest example on
 * its own queue, audits a sample of batches for determinism, and marks a
 * campaign done when nothing of it is left.
 *
 * It keeps nothing that Redis does not: the batches handed out and not yet
 * recorded are a set in Redis (coordinator-books.ts), written before their
 * jobs are added; a worker posts a finished job's result to the inbox
 * (inbox.ts) before the job completes and is removed, and the coordinator
 * drops an inbox entry only once it is recorded. So a coordinator killed at
 * any moment, or a Redis restarted under it, carries on where it was: it
 * records what finished meanwhile (recording twice is a no-op), and queues
 * again what was handed out and has neither a job of its own nor a result
 * (a check it makes at start, after a reconnection, when a campaign is
 * resumed, and every reconcileMs), whatever else holds its job id.
 *
 * Nothing another client writes is taken on trust: a result is counted only
 * when it is the batch its campaign has at that index (batchIdentity), and
 * a job under a batch's id that is not that batch is removed and the batch
 * queued again; both are kept as farm bugs of the campaign.
 *
 * The CLI changes campaigns only in the store (start, stop, resume,
 * delete); the coordinator notices within a round (tickMs).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { COORDINATOR_DEFAULTS } from './limits.js';
import { auditDiff, auditRecordOf, auditSelected, type FarmBug } from './audit.js';
import { batchIdentity, readBatch, type BatchResult } from './batch.js';
import { batchAt, batchCount, dealtEnd, type Batch, type Campaign } from './campaign.js';
import { CoordinatorBooks } from './coordinator-books.js';
import { minimizeJobOf, needsMinimizing } from './engine.js';
import { FarmError } from './errors.js';
import { AUDIT_DEFER_MS } from './farm-worker.js';
import { auditJobId, batchJobId, batchQueueName, minimizeJobId, minimizeQueueName, readJob, readJobs, refusalCode, type AuditJobData, type UnreadableJob } from './farm-queues.js';
import { readInboxEntry, type InboxEntry } from './inbox.js';
import { MINIMIZE_RUNS_MAX_DEFAULT, type Minimized, type MinimizeJob } from './minimize-job.js';
import { REDIS_PREFIX_DEFAULT, RedisStore } from './redis-store.js';
import { DoneSet, type Bucket, type RecordOutcome } from './results.js';
import { guideReadyEnd } from './guide.js';
import { dealNextPlan } from './steer.js';

export interface CoordinatorOptions {
  /** Key and queue prefix of the farm; default REDIS_PREFIX_DEFAULT. */
  prefix?: string;
  /** Batches kept waiting per slot of live worker concurrency (backpressure); default 2. */
  queuedPerWorker?: number;
  /** Audit one batch in this many (0: no audit); default AUDIT_ONE_IN_DEFAULT. */
  auditOneIn?: number;
  /** Longest pause between two rounds when no result comes first, in ms; default 250. */
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
  /** Minimize each failure bucket; default true. */
  minimize?: boolean;
  /** Model runs per minimization; default MINIMIZE_RUNS_MAX_DEFAULT. */
  minimizeRunsMax?: number;
  log?: (line: string) => void;
  /** Epoch-millisecond clock; tests pass their own. */
  now?: () => number;
}

/** A posted result of a batch or of its audit rerun. */
type ResultEntry = Extract<InboxEntry, { kind: 'batch' | 'audit' }>;

/** Inbox entries (and failed jobs) taken per read, and reads per round (so a round always ends). */
const DRAIN_PAGE = 200;
const DRAIN_PAGES_MAX = 20;
/** How long the sum of live worker slots is reused before it is read again, in ms. */
const SLOTS_CACHE_MS = 1_000;
/** Jobs of stopped campaigns looked at per check, per queue. */
const IDLE_JOBS_PER_CHECK = 1_000;
/** Most a coordinator logs of its connection's errors: one line per this many ms. */
const ERROR_LOG_MS = 5_000;

export class Coordinator {
  readonly id: string;
  readonly store: RedisStore;
  readonly books: CoordinatorBooks;
  readonly batches: Queue;
  readonly minimizations: Queue;
  /** Its own connection, subscribed to the inbox's channel: a posted result wakes the loop. */
  private readonly listener: Redis;
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
  /** The failed sets' sizes when last read: a change is worth reading them again. */
  private failedSeen = -1;
  /** Each campaign's next batch index to hand out, as the last claim said. */
  private readonly cursors = new Map<string, number>();
  private slots = { value: 0, at: -Infinity };
  private progressAt = new Map<string, { at: number; runs: number }>();
  private readonly reported = new Set<string>();
  private roundErrors = 0;
  private lastErrorLog = 0;
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
    this.books = new CoordinatorBooks(redis, this.store.keys);
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
    for (const q of [this.batches, this.minimizations]) q.on('error', (e) => this.connectionError(e));
    this.listener = redis.duplicate();
    this.listener.on('error', (e: Error) => this.connectionError(e));
    this.listener.on('message', () => this.poke());
    redis.on('ready', this.onReconnect);
  }

  /** A coordinator that has connected its queues and started its loop. */
  static async start(redis: Redis, options: CoordinatorOptions = {}): Promise<Coordinator> {
    const c = new Coordinator(redis, options);
    await Promise.all([c.batches.waitUntilReady(), c.minimizations.waitUntilReady(), c.listener.subscribe(c.store.keys.inboxChannel)]);
    c.loop = c.run();
    return c;
  }

  private readonly onReconnect = (): void => {
    this.reconnected = true;
    this.poke();
  };

  private connectionError(e: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLog < ERROR_LOG_MS) return;
    this.lastErrorLog = now;
    this.log(`Redis connection error: ${e.message}`);
  }

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
   * handles failed jobs and checks for lost ones; the rounds a posted result
   * triggers in between skip that, so the coordinator's cost per batch stays
   * small.
   */
  private async round(): Promise<void> {
    const now = this.now();
    const full = !this.leader || this.reconnected || this.fullNext || this.lastRoundAt === null || now - this.lastRoundAt >= this.o.tickMs;
    this.fullNext = false;
    if (full) {
      if (!(await this.books.holdLease(this.id, this.o.leaseMs))) {
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
        this.failedSeen = -1;
        this.log(`coordinating the farm (prefix ${this.store.prefix}, queues ${this.batches.name} and ${this.minimizations.name})`);
      }
    }
    await this.drainInbox();
    if (full) await this.fullRound(now);
    const running = [...this.campaigns.values()].filter((c) => c.state === 'running');
    await this.fill(running);
    for (const c of running) await this.finishIfDone(c, full);
    if (full) await this.logProgress(running, now);
  }

  private async fullRound(now: number): Promise<void> {
    const reconcileNow = this.reconnected || now >= this.reconcileAt;
    // Failed jobs are read when the failed sets changed, and at each check for lost work.
    const failed = (await this.batches.getFailedCount()) + (await this.minimizations.getFailedCount());
    if (failed !== this.failedSeen || reconcileNow) {
      await this.failedBatches();
      await this.failedMinimizations();
      this.failedSeen = (await this.batches.getFailedCount()) + (await this.minimizations.getFailedCount());
    }
    // The campaigns are read again only when one was created, deleted or changed state (and at each check for lost work).
    const rev = await this.books.campaignsRev();
    if (rev !== this.campaignsRev || reconcileNow) {
      this.campaignsRev = rev;
      this.campaigns = new Map((await this.store.listCampaigns()).map((c) => [c.id, c]));
    }
    const list = [...this.campaigns.values()];
    const dt = this.lastRoundAt === null ? 0 : now - this.lastRoundAt;
    this.lastRoundAt = now;
    for (const c of list) {
      if (c.state !== 'running' || dt <= 0) continue;
      const ms = await this.books.addRunningMs(c.id, dt);
      if (ms !== null) c.runningMs = ms;
    }
    const running = list.filter((c) => c.state === 'running');
    const changed = list.length !== this.lastStates.size || list.some((c) => this.lastStates.get(c.id) !== c.state);
    const resumed = running.filter((c) => this.lastStates.get(c.id) !== 'running');
    this.lastStates = new Map(list.map((c) => [c.id, c.state]));
    if (reconcileNow) {
      this.reconnected = false;
      this.reconcileAt = now + this.o.reconcileMs;
      for (const c of running) await this.reconcile(c);
      await this.dropWaitingOfIdleCampaigns();
    } else {
      for (const c of resumed) await this.reconcile(c);
      if (changed) await this.dropWaitingOfIdleCampaigns();
    }
  }

  /** A campaign, from memory unless `index` lies past its deal as known (a standby that took over reads it again). */
  private async campaign(id: string, index = 0): Promise<Campaign | null> {
    const known = this.campaigns.get(id);
    if (known !== undefined && index < dealtEnd(known)) return known;
    try {
      const c = await this.store.getCampaign(id);
      this.campaigns.set(id, c);
      return c;
    } catch (e) {
      if (e instanceof FarmError && e.code === 'ENOCAMPAIGN') return null;
      throw e;
    }
  }

  /**
   * The batch of one of its campaigns that a job is, or null: its payload
   * must be a batch, its campaign known, its id the one the coordinator
   * gives that batch, and its identity that batch's.
   */
  private async batchOfJob(job: Job): Promise<{ c: Campaign; b: Batch } | null> {
    let b: Batch;
    try {
      b = readBatch(job.data);
    } catch (e) {
      if (e instanceof FarmError) return null;
      throw e;
    }
    const c = await this.campaign(b.campaignId, b.index);
    if (c === null) return null;
    const want = batchAt(c, b.index);
    const id = job.name === 'audit' ? auditJobId(c.id, b.index) : batchJobId(c.id, b.index);
    return want !== null && job.id === id && batchIdentity(b) === batchIdentity(want) ? { c, b } : null;
  }

  /** The minimization of one of its campaigns' buckets that a job is, or null. */
  private async minimizeOfJob(job: Job): Promise<{ c: Campaign; d: MinimizeJob } | null> {
    const d = job.data as Partial<MinimizeJob> | null;
    if (typeof d?.campaignId !== 'string' || typeof d.bucketId !== 'string' || typeof d.seed !== 'number' || typeof d.scenario !== 'string' || typeof d.blocksPerPage !== 'number') return null;
    const c = await this.campaign(d.campaignId);
    return c !== null && job.id === minimizeJobId(c.id, d.bucketId, d as MinimizeJob) ? { c, d: d as MinimizeJob } : null;
  }

  private jobOptions(jobId: string, delay = 0): JobsOptions {
    return {
      jobId,
      attempts: this.o.infraRetriesMax + 1,
      backoff: { type: 'exponential', delay: this.o.retryBackoffMs },
      // The result goes to the inbox before the job completes: a completed job has nothing left to keep.
      removeOnComplete: true,
      removeOnFail: false,
      ...(delay > 0 ? { delay } : {}),
    };
  }

  private async addBatches(campaign: Campaign, indexes: readonly number[], delay = 0): Promise<void> {
    // Its deal as last dealt: `campaign` may be the round's copy, from before a plan.
    const c = this.campaigns.get(campaign.id) ?? campaign;
    const jobs = indexes.map((i) => batchAt(c, i)).filter((b): b is Batch => b !== null);
    if (jobs.length === 0) return;
    await this.batches.addBulk(jobs.map((b) => ({ name: 'batch', data: b, opts: this.jobOptions(batchJobId(c.id, b.index), delay) })));
  }

  private async queueAudit(c: Campaign, index: number, worker: string, delay = 0): Promise<void> {
    const b = batchAt(this.campaigns.get(c.id) ?? c, index);
    if (b === null) return;
    const data: AuditJobData = { ...b, auditOf: worker };
    await this.batches.add('audit', data, this.jobOptions(auditJobId(c.id, index), delay));
  }

  private async queueMinimize(c: Campaign, b: Bucket, delay = 0): Promise<void> {
    const job = minimizeJobOf(c, b, this.o.minimizeRunsMax);
    await this.minimizations.add('minimize', job, this.jobOptions(minimizeJobId(c.id, b.id, job), delay));
  }

  private async farmBug(c: Campaign, bug: Omit<FarmBug, 'at'>): Promise<void> {
    await this.books.recordFarmBug(c.id, { at: this.now(), ...bug });
    this.log(`FARM BUG: ${bug.message}`);
  }

  /** Record what the workers posted, a page at a time, dropping each page from the inbox once it is recorded. */
  private async drainInbox(): Promise<void> {
    for (let page = 0; page < DRAIN_PAGES_MAX; page++) {
      const entries = await this.books.inbox(DRAIN_PAGE);
      await this.inboxPage(entries);
      if (entries.length > 0) await this.books.dropFromInbox(this.id, entries.length);
      if (entries.length < DRAIN_PAGE) return;
    }
  }

  /**
   * A page of the inbox: the batch results of each campaign recorded
   * together (one read and one write in Redis for all of them, which is
   * most of what a batch costs the coordinator), then the audit reruns and
   * minimizations one by one. An audit's rerun is queued only once its
   * batch is recorded, so it never comes before it.
   */
  private async inboxPage(texts: readonly string[]): Promise<void> {
    const batches = new Map<string, { c: Campaign; entries: ResultEntry[] }>();
    const rest: InboxEntry[] = [];
    for (const text of texts) {
      const e = readInboxEntry(text);
      if ('wrong' in e) {
        this.log(`dropped an inbox entry that is no result of a job (${e.wrong}): ${text.slice(0, 120)}`);
        continue;
      }
      if (e.kind !== 'batch') {
        rest.push(e);
        continue;
      }
      const c = await this.resultCampaign(e);
      if (c === null) continue;
      const group = batches.get(c.id) ?? { c, entries: [] };
      group.entries.push(e);
      batches.set(c.id, group);
    }
    for (const { c, entries } of batches.values()) await this.recordResults(c, entries);
    for (const e of rest) {
      if (e.kind === 'minimize') {
        await this.minimizedPosted(e);
        continue;
      }
      const c = await this.resultCampaign(e);
      if (c !== null) await this.auditCompleted(c, e.worker, e.result);
    }
  }

  /**
   * The campaign of a posted batch or audit result when the result is that
   * batch of it (else a farm bug, kept, and null); null too when the
   * campaign was deleted while the batch ran.
   */
  private async resultCampaign(e: ResultEntry): Promise<Campaign | null> {
    const r = e.result;
    const c = await this.campaign(r.campaignId, r.index);
    if (c === null) return null;
    const want = batchAt(c, r.index);
    const wantId = want === null ? null : e.kind === 'audit' ? auditJobId(c.id, r.index) : batchJobId(c.id, r.index);
    const itsBatch =
      want !== null && r.batch === batchIdentity(want) && e.jobId === wantId && r.strategy === want.strategy && r.scenario === want.scenario && r.blocksPerPage === want.blocksPerPage && r.seedStart === want.seedStart && r.runs === want.seedCount;
    if (itsBatch) return c;
    await this.farmBug(c, {
      kind: 'identity',
      batch: r.index,
      bucketId: null,
      message: `job ${e.jobId} (worker ${e.worker}) posted a result that is not batch ${r.index} of campaign ${c.id}${want === null ? ' (the campaign has no such batch)' : ` (seeds ${r.seedStart}.., ${r.runs} runs of ${r.strategy} x ${r.scenario}; the batch is seeds ${want.seedStart}.., ${want.seedCount} runs of ${want.strategy} x ${want.scenario})`}: not counted`,
      details: [],
    });
    return null;
  }

  /** Record checked batch results of one campaign; then the minimizations of the buckets they made or lowered, and the audits they were picked for. */
  private async recordResults(c: Campaign, entries: readonly ResultEntry[]): Promise<void> {
    let outcomes: RecordOutcome[];
    try {
      outcomes = await this.store.recordBatches(
        entries.map((e) => e.result),
        c.runningMs,
      );
    } catch (e) {
      // Its campaign was deleted meanwhile.
      if (e instanceof FarmError && e.code === 'ENOCAMPAIGN') return;
      throw e;
    }
    // A bucket made by one batch and lowered by another of the page is minimized once, from its lowest example after both.
    const minimize = new Map<string, Bucket>();
    for (const [k, rec] of outcomes.entries()) {
      if (!rec.recorded) continue;
      for (const b of rec.newBuckets) this.log(`campaign ${c.id}: new ${b.severity === 'warning' ? 'warning ' : ''}bucket ${b.id}: ${b.title}`);
      for (const b of [...rec.newBuckets, ...rec.lowered]) minimize.set(b.id, b);
      const e = entries[k]!;
      if (auditSelected(e.result.index, this.o.auditOneIn)) {
        await this.books.addPendingAudit(c.id, e.result.index, { worker: e.worker, record: auditRecordOf(e.result) });
        await this.queueAudit(c, e.result.index, e.worker);
      }
    }
    if (this.o.minimize) for (const b of minimize.values()) if (needsMinimizing(b)) await this.queueMinimize(c, b);
  }

  private async auditCompleted(c: Campaign, rerunBy: string, r: BatchResult): Promise<void> {
    const pending = (await this.books.pendingAudits(c.id)).get(r.index);
    if (pending === undefined) return;
    const sameWorker = rerunBy === pending.worker;
    // A rerun where the batch first ran agrees with it for the wrong reasons: while another worker is alive, it runs there.
    if (sameWorker && (await this.store.workers()).some((w) => w.id !== rerunBy)) {
      this.log(`campaign ${c.id}: the audit rerun of batch ${r.index} ran on ${rerunBy}, which ran the batch: it runs again elsewhere`);
      await this.queueAudit(c, r.index, pending.worker, AUDIT_DEFER_MS);
      return;
    }
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
    if ((await this.books.settleAudit(c.id, r.index, bug, sameWorker)) && bug !== null) {
      this.log(`FARM BUG: ${bug.message}`);
      for (const line of diff) this.log(`  ${line}`);
    }
  }

  private async minimizedPosted(e: Extract<InboxEntry, { kind: 'minimize' }>): Promise<void> {
    const c = await this.campaign(e.campaignId);
    if (c === null) return;
    const m: Minimized = e.result;
    if (e.jobId !== minimizeJobId(c.id, e.bucketId, m)) {
      await this.farmBug(c, { kind: 'identity', batch: null, bucketId: e.bucketId, message: `job ${e.jobId} (worker ${e.worker}) posted a reproducer that is not of bucket ${e.bucketId} of campaign ${c.id} from seed ${m.seed}: not kept`, details: [] });
      return;
    }
    try {
      if (await this.store.recordMinimized(c.id, e.bucketId, m)) {
        this.log(`campaign ${c.id}: bucket ${e.bucketId} minimized to ${m.choices} choices, ${m.switches} context switches: ${m.reproducer}`);
      }
    } catch (err) {
      if (!(err instanceof FarmError && err.code === 'ENOCAMPAIGN')) throw err;
    }
  }

  /** Failed jobs: foreign ones are reported once and left; refusals for the model version are offered again; the rest stop their campaign. */
  private async failedBatches(): Promise<void> {
    const { jobs, unreadable } = await readJobs(this.batches, ['failed'], 0, DRAIN_PAGE - 1);
    for (const u of unreadable) this.reportUnreadable(this.batches, u);
    for (const job of jobs) {
      const ours = await this.batchOfJob(job);
      const reason = job.failedReason || 'no reason given';
      if (ours === null) {
        this.reportForeign(job, reason);
        continue;
      }
      const { c, b } = ours;
      if (refusalCode(reason) === 'EMODELVERSION') {
        this.log(`worker ${job.processedBy ?? '?'} refused ${job.name} ${b.index} of campaign ${c.id}: ${reason}. Offered again in ${this.o.refusedRetryMs} ms; upgrade that worker`);
        await job.remove();
        if (job.name === 'audit') await this.queueAudit(c, b.index, (job.data as AuditJobData).auditOf ?? 'unknown', this.o.refusedRetryMs);
        else await this.addBatches(c, [b.index], this.o.refusedRetryMs);
        continue;
      }
      if (job.name === 'audit') {
        this.log(`the audit rerun of batch ${b.index} of campaign ${c.id} failed (${reason}): that audit is dropped`);
        await this.books.dropAudit(c.id, b.index);
      } else {
        this.log(`batch ${b.index} of campaign ${c.id} failed for good: ${reason}. The campaign is stopped; 'pcfarm campaign resume ${c.id}' runs the batch again`);
        if (c.state === 'running') await this.store.setState(c.id, 'stopped');
        c.state = 'stopped';
      }
      await job.remove();
    }
  }

  private async failedMinimizations(): Promise<void> {
    const { jobs, unreadable } = await readJobs(this.minimizations, ['failed'], 0, DRAIN_PAGE - 1);
    for (const u of unreadable) this.reportUnreadable(this.minimizations, u);
    for (const job of jobs) {
      const ours = await this.minimizeOfJob(job);
      const reason = job.failedReason || 'no reason given';
      if (ours === null) {
        this.reportForeign(job, reason);
        continue;
      }
      const { c, d } = ours;
      await job.remove();
      const b = await this.store.bucket(c.id, d.bucketId);
      if (b === null) continue;
      const code = refusalCode(reason);
      if (code === 'EMODELVERSION') {
        this.log(`worker ${job.processedBy ?? '?'} refused the minimization of bucket ${d.bucketId} of campaign ${c.id}: ${reason}. Offered again in ${this.o.refusedRetryMs} ms`);
        await this.queueMinimize(c, b, this.o.refusedRetryMs);
        continue;
      }
      this.log(`the minimization of bucket ${d.bucketId} of campaign ${c.id} failed: ${reason}`);
      await this.books.minimizeFailed(c.id, d.bucketId, reason);
      if (code === 'EFARMBUG') await this.farmBug(c, { kind: 'minimize', batch: null, bucketId: d.bucketId, message: reason, details: [] });
    }
  }

  private reportForeign(job: Job, reason: string): void {
    const key = `${job.queueName}/${job.id}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.log(`job ${job.id} on ${job.queueName} failed: ${reason} (not a job of a campaign of this farm: left in the failed set)`);
  }

  private reportUnreadable(q: Queue, u: UnreadableJob): void {
    const key = `${q.name}/${u.id}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.log(`job ${u.id} on ${q.name} has a payload that is not JSON (${u.error}): no job of this farm; a worker fails it with EBADJOB`);
  }

  /**
   * Queue again every batch of a running campaign that was handed out and
   * has neither a job of its own nor a result, whatever else holds its job
   * id (a job of another client under it is removed, and kept as a farm
   * bug); then the minimizations of unminimized buckets and the audit
   * reruns that have no job. After a crash, a Redis that lost its last
   * second, or someone else's job in the way, this is what makes sure
   * nothing is lost; recording by batch index makes sure nothing counts twice.
   */
  private async reconcile(c: Campaign): Promise<void> {
    const queued = await this.books.queuedBatches(c.id);
    const jobs = await Promise.all(queued.map((i) => readJob(this.batches, batchJobId(c.id, i))));
    const lost = new Set<number>();
    for (const [k, job] of jobs.entries()) {
      const index = queued[k]!;
      if (job === undefined) {
        lost.add(index);
        continue;
      }
      if (!('queueName' in job)) {
        await this.removeImpostor(c, index, job.id, `a job whose payload is not JSON (${job.error})`);
        lost.add(index);
        continue;
      }
      if ((await this.batchOfJob(job)) !== null) continue;
      const state = await job.getState();
      // A worker holds it: it refuses it (it checks a job before running it), and the next check removes it.
      if (state === 'active') continue;
      await this.removeImpostor(c, index, job.id!, `a ${state} job that is not that batch (${job.failedReason ? `failed: ${job.failedReason}` : `payload ${JSON.stringify(job.data).slice(0, 120)}`})`);
      lost.add(index);
    }
    if (lost.size > 0) {
      // A job is removed only after its result was posted: what finished meanwhile is in the inbox, and recording it takes it off the handed-out set.
      await this.drainInbox();
      const still = new Set(await this.books.queuedBatches(c.id));
      const missing = [...lost].filter((i) => still.has(i));
      if (missing.length > 0) {
        this.log(`campaign ${c.id}: ${missing.length} batch(es) handed out without a job or a result (${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', ...' : ''}): queued again`);
        await this.addBatches(c, missing);
      }
    }
    if (this.o.minimize) {
      const [buckets, failed] = await Promise.all([this.store.buckets(c.id), this.books.minimizeFailures(c.id)]);
      const todo = buckets.filter((b) => needsMinimizing(b) && failed[b.id] === undefined);
      const st = await Promise.all(todo.map((b) => this.minimizations.getJobState(minimizeJobId(c.id, b.id, minimizeJobOf(c, b, this.o.minimizeRunsMax)))));
      for (const [k, b] of todo.entries()) {
        if (st[k] !== 'unknown') continue;
        this.log(`campaign ${c.id}: bucket ${b.id} had no minimization of its lowest example: queued`);
        await this.queueMinimize(c, b);
      }
    }
    for (const [index, a] of await this.books.pendingAudits(c.id)) {
      if ((await this.batches.getJobState(auditJobId(c.id, index))) === 'unknown') {
        this.log(`campaign ${c.id}: the audit rerun of batch ${index} had no job: queued again`);
        await this.queueAudit(c, index, a.worker);
      }
    }
  }

  private async removeImpostor(c: Campaign, index: number, jobId: string, what: string): Promise<void> {
    await this.batches.remove(jobId);
    await this.farmBug(c, { kind: 'identity', batch: index, bucketId: null, message: `batch ${index} of campaign ${c.id}: its job id ${jobId} was held by ${what}; that job was removed and the batch queued again`, details: [] });
  }

  /** Take back the waiting jobs of campaigns that are stopped, done or deleted (running ones finish and count). */
  private async dropWaitingOfIdleCampaigns(): Promise<void> {
    for (const q of [this.batches, this.minimizations]) {
      const { jobs } = await readJobs(q, ['waiting', 'prioritized', 'delayed'], 0, IDLE_JOBS_PER_CHECK - 1);
      for (const job of jobs) {
        const ours = q === this.batches ? await this.batchOfJob(job) : await this.minimizeOfJob(job);
        if (ours === null || ours.c.state === 'running') continue;
        // A job a worker took meanwhile is locked and stays: it finishes and counts.
        await job.remove().catch((e: Error) => {
          if (!/locked/.test(e.message)) throw e;
        });
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
        const claim = await this.books.claimBatches(c.id, share, await this.claimEnd(c, share));
        if (claim !== null) this.cursors.set(c.id, claim.cursor);
        if (claim === null || claim.indexes.length === 0) continue;
        await this.addBatches(c, claim.indexes);
        room -= claim.indexes.length;
        gave = true;
      }
    }
  }

  /**
   * Where a claim of `share` batches stops (dealtFor), and for a guided
   * campaign before the first batch whose epoch is not ready: its cell's
   * earlier epochs not all recorded (guide.ts), so its workers would read a
   * guide that is still growing.
   */
  private async claimEnd(c: Campaign, share: number): Promise<number | null> {
    const dealt = await this.dealtFor(c);
    if (c.spec.guide === null) return dealt;
    const cursor = this.cursors.get(c.id) ?? (await this.books.progress(c.id)).cursor;
    const ready = guideReadyEnd(this.campaigns.get(c.id) ?? c, DoneSet.of(await this.store.doneBatches(c.id)), cursor, share);
    return dealt === null ? ready : Math.min(dealt, ready);
  }

  /**
   * The index claims of a campaign stop at: its batch count (null: none), or
   * for a steered one the end of its deal, which grows by a plan (made from
   * what the campaign has found) once the cursor reaches it.
   */
  private async dealtFor(c: Campaign): Promise<number | null> {
    if (c.spec.steer === null) return batchCount(c.spec);
    const cursor = this.cursors.get(c.id) ?? (await this.books.progress(c.id)).cursor;
    let dealt = this.campaigns.get(c.id) ?? c;
    while (cursor >= dealtEnd(dealt)) {
      dealt = await dealNextPlan(this.store, dealt);
      this.campaigns.set(c.id, dealt);
    }
    return dealtEnd(dealt);
  }

  /**
   * Done: no batch left to hand out (or the time budget spent), none
   * outstanding, no audit pending, every failure bucket minimized from its
   * lowest example or given up. Only a full round asks the store about a
   * campaign with batches still to hand out.
   */
  private async finishIfDone(c: Campaign, full: boolean): Promise<void> {
    const total = batchCount(c.spec);
    if (!full && !this.budgetSpent(c) && (total === null || (this.cursors.get(c.id) ?? 0) < total)) return;
    const p = await this.books.progress(c.id);
    const exhausted = this.budgetSpent(c) || (total !== null && p.cursor >= total);
    if (!exhausted || p.queued > 0 || p.auditsPending > 0 || (this.o.minimize && p.bucketsUnminimized > 0)) return;
    if (!(await this.books.finish(c.id))) return;
    c.state = 'done';
    const s = await this.store.summary(c.id);
    const a = await this.store.auditSummary(c.id);
    this.log(
      `campaign ${c.id} done: ${s.runs} runs, ${s.failures} failures in ${s.buckets} buckets (${s.minimized} minimized), ` +
        `${s.warnings} warning runs in ${s.warningBuckets} warning buckets, coverage ${s.coverage}, ` +
        `audits ${a.passed} agreed${a.sameWorker > 0 ? ` (${a.sameWorker} on the same worker)` : ''}${a.failed > 0 ? `, ${a.failed} FARM BUG(S)` : ''}` +
        `${a.bugs.length > a.failed ? `, ${a.bugs.length - a.failed} other farm bug(s): pcfarm campaign show ${c.id}` : ''}`,
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
    if (this.leader) {
      // Not giving it up only makes a standby wait out the lease: say so, and go on closing.
      await this.books.releaseLease(this.id).catch((e: Error) => this.log(`could not give up the lease (${e.message}): a standby takes over within ${this.o.leaseMs} ms`));
    }
    this.listener.disconnect();
    await Promise.all([this.batches.close(), this.minimizations.close()]);
  }
}
