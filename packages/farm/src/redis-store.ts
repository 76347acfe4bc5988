/**
 * The Redis store: the Store contract of the embedded store, kept in Redis
 * keys (redis-keys.ts) so the coordinator, the CLI and the dashboard of any
 * machine share one truth that outlives each of them. The coordinator's own
 * bookkeeping (handing out batches, audits, the lease, the inbox) is
 * coordinator-books.ts; the scripts are packages/farm/lua/.
 *
 * Exactly once: a batch result is folded by CampaignResults.apply (the very
 * code the embedded store runs) over the buckets it touches, read from
 * Redis, and written back by one script (record-batch.lua) that adds the
 * batch index to the campaign's done set and applies the counts only if the
 * index was not there and nothing changed the campaign since the read (its
 * `rev`; else the fold is redone). Running twice, from two processes, or
 * again after a lost reply, the second write is a no-op.
 *
 * What an earlier pcfarm stored reads as it meant then (see the upgrade
 * functions of results.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AuditSummary, FarmBug } from './audit.js';
import type { BatchResult } from './batch.js';
import { batchCount, cellCount, cellIndex, newCampaign, seedCount, upgradeCampaign, upgradeSpec, type Campaign, type CampaignSpec, type CampaignState, type Deal } from './campaign.js';
import { certificateJson, certificateKey, foldCertificates, parseCertificate, type Certificate } from './certificates.js';
import { FarmError } from './errors.js';
import { contributes, contributionShapeWrong, epochStart, guideOf, guideSpecOf, type Contribution, type Guide } from './guide.js';
import { LUA } from './lua-script.js';
import type { Minimized } from './minimize-job.js';
import { connectRedis, type RedisConnectOptions } from './redis-connection.js';
import { FarmKeys, REDIS_PREFIX_DEFAULT } from './redis-keys.js';
import { bucketId as bucketIdOf, CampaignResults, doneRangesOf, DoneSet, leavesDoubletonsUncounted, runsInBatch, sampleStep, thinSamples, upgradeBucket, type Bucket, type CampaignSnapshot, type CampaignSummary, type DoneRanges, type RecordOutcome, type Sample } from './results.js';
import { WORKER_SILENT_MS, type Store, type WorkerInfo } from './store.js';

export { REDIS_PREFIX_DEFAULT };

/** Times recordBatch redoes its fold when another writer changed the campaign meanwhile. */
const RECORD_ATTEMPTS_MAX = 50;

export interface RedisStoreOptions {
  /** Key prefix, so several farms can share one Redis; default REDIS_PREFIX_DEFAULT. */
  prefix?: string;
  /** Epoch-millisecond clock; tests pass their own. */
  now?: () => number;
}

/** The parts of a campaign that never change, as `meta` keeps them. */
type CampaignMeta = Pick<Campaign, 'id' | 'spec' | 'modelVersion' | 'createdAt'>;
/** A bucket as Redis keeps it: its minimized reproducer lives apart. */
type StoredBucket = Omit<Bucket, 'minimized'>;

export const num = (v: string | null | undefined): number => (v == null ? 0 : Number(v));

export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly keys: FarmKeys;
  private readonly now: () => number;

  /**
   * A store on an open client; close() leaves the client open (it is the
   * caller's). `connect` opens one the store owns.
   */
  constructor(
    readonly redis: Redis,
    options: RedisStoreOptions = {},
    private readonly ownsClient = false,
  ) {
    this.keys = new FarmKeys(options.prefix ?? REDIS_PREFIX_DEFAULT);
    this.now = options.now ?? Date.now;
  }

  get prefix(): string {
    return this.keys.prefix;
  }

  /** A store with its own client to `url`; an EREDIS error naming the URL when Redis cannot be reached. */
  static async connect(url: string, options: RedisStoreOptions & RedisConnectOptions = {}): Promise<RedisStore> {
    return new RedisStore(await connectRedis(url, options), options, true);
  }

  private noCampaign(id: string): FarmError {
    return new FarmError('ENOCAMPAIGN', `no campaign ${JSON.stringify(id)} in Redis (prefix ${this.prefix})`);
  }

  /** A campaign from its hash's fields meta, state, runningMs and (when read) deal. */
  private campaignOf(id: string, fields: (string | null)[], deal: string | null = null): Campaign {
    const [meta, state, runningMs] = fields;
    if (meta == null || state == null) throw this.noCampaign(id);
    return upgradeCampaign({ ...(JSON.parse(meta) as CampaignMeta), state: state as CampaignState, runningMs: num(runningMs), deal: deal === null ? [] : (JSON.parse(deal) as Deal) });
  }

  async createCampaign(spec: CampaignSpec): Promise<Campaign> {
    const c = newCampaign(randomBytes(4).toString('hex'), spec, this.now());
    const meta: CampaignMeta = { id: c.id, spec: c.spec, modelVersion: c.modelVersion, createdAt: c.createdAt };
    await this.redis
      .multi()
      .hset(this.keys.campaign(c.id), { meta: JSON.stringify(meta), state: c.state, runningMs: 0, runs: 0, steps: 0, failures: 0, warnings: 0, warningBuckets: 0, rev: 0, cursor: 0, twice: 1 })
      .zadd(this.keys.campaigns, c.createdAt, c.id)
      .incr(this.keys.campaignsRev)
      .exec()
      .then(execResults);
    return c;
  }

  async listCampaigns(): Promise<Campaign[]> {
    const ids = await this.redis.zrevrange(this.keys.campaigns, 0, -1);
    const rows = await Promise.all(ids.map((id) => this.redis.hmget(this.keys.campaign(id), 'meta', 'state', 'runningMs', 'deal')));
    const out: Campaign[] = [];
    // A campaign deleted between the two reads is simply not listed.
    ids.forEach((id, i) => {
      if (rows[i]![0] !== null) out.push(this.campaignOf(id, rows[i]!, rows[i]![3] ?? null));
    });
    return out;
  }

  async getCampaign(id: string): Promise<Campaign> {
    const f = await this.redis.hmget(this.keys.campaign(id), 'meta', 'state', 'runningMs', 'deal');
    return this.campaignOf(id, f, f[3] ?? null);
  }

  async addPlan(id: string, plan: number, counts: number[]): Promise<Campaign> {
    const c = await this.getCampaign(id);
    if (c.spec.steer === null) throw new FarmError('ESTATE', `campaign ${id} is not steered: its batches go round its cells`);
    if ((await LUA.addPlan.run(this.redis, [this.keys.campaign(id)], [plan, JSON.stringify(counts)])) === 0) throw this.noCampaign(id);
    return this.getCampaign(id);
  }

  async setState(id: string, state: CampaignState, runningMs?: number): Promise<Campaign> {
    const ok = await LUA.setState.run(this.redis, [this.keys.campaign(id), this.keys.campaignsRev], [state, runningMs === undefined ? '' : Math.round(runningMs), '']);
    if (ok === 0) throw this.noCampaign(id);
    return this.getCampaign(id);
  }

  /**
   * Resume a stopped campaign: running again, and the minimizations that had
   * failed are tried again (as the embedded engine does on resume). ESTATE
   * for a finished one.
   */
  async resume(id: string): Promise<Campaign> {
    const c = await this.getCampaign(id);
    if (c.state === 'done') throw new FarmError('ESTATE', `campaign ${id} is done: there is nothing left to run`);
    await this.redis.del(this.keys.minimizeFailures(id));
    return this.setState(id, 'running');
  }

  async deleteCampaign(id: string): Promise<void> {
    const meta = await this.redis.hget(this.keys.campaign(id), 'meta');
    if (meta === null) throw this.noCampaign(id);
    const spec = upgradeSpec((JSON.parse(meta) as CampaignMeta).spec);
    await this.redis
      .multi()
      .del(...this.keys.campaignKeys(id, spec.guide === null ? 0 : cellCount(spec)))
      .zrem(this.keys.campaigns, id)
      .incr(this.keys.campaignsRev)
      .exec()
      .then(execResults);
  }

  async recordBatch(result: BatchResult, runningMs: number): Promise<RecordOutcome> {
    return (await this.recordBatches([result], runningMs))[0]!;
  }

  /**
   * Record results of one campaign together, each exactly once: one read
   * and one write for all of them (what the coordinator does with a page of
   * its inbox), the outcomes in the order given. A result whose batch was
   * recorded before, or is given twice, comes out not recorded.
   */
  async recordBatches(results: readonly BatchResult[], runningMs: number): Promise<RecordOutcome[]> {
    const none = (): RecordOutcome => ({ recorded: false, newBuckets: [], lowered: [] });
    if (results.length === 0) return [];
    const id = results[0]!.campaignId;
    if (results.some((r) => r.campaignId !== id)) throw new RangeError(`recordBatches records the results of one campaign at a time, not of ${id} and others`);
    const k = this.keys;
    const indexes = [...new Set(results.map((r) => r.index))];
    const touchedBy = (rs: readonly BatchResult[]) => [...new Set(rs.flatMap((r) => [...r.failures, ...r.warnings].map((h) => bucketIdOfTitle(h.title))))];
    const touched = touchedBy(results);
    const coverage = [...new Set(results.flatMap((r) => r.coverage))].join(',');
    const indexList = indexes.join(',');
    for (let attempt = 0; attempt < RECORD_ATTEMPTS_MAX; attempt++) {
      // One script: a consistent view of everything the fold reads, with the rev it must still hold at the write.
      const rows = (await LUA.readForRecord.run(this.redis, [k.campaign(id), k.done(id), k.coverage(id), k.buckets(id), k.samples(id), k.once(id), k.twice(id)], [indexList, touched.length, ...touched, coverage])) as unknown[];
      const fields = rows[0] as (string | null)[];
      if (fields[0] === null) throw this.noCampaign(id);
      const doneBefore = new Set(indexes.filter((_, i) => (rows[1] as number[])[i] === 1));
      const fresh = results.filter((r) => !doneBefore.has(r.index));
      if (fresh.length === 0) {
        await this.redis.srem(k.queued(id), ...indexes);
        return results.map(none);
      }
      const campaign = this.campaignOf(id, fields);
      // A sample counts failure buckets: every bucket but the warnings.
      const [coverageBefore, bucketsBefore] = [rows[2] as number, (rows[3] as number) - num(fields[6])];
      const lastSample = rows[5] === null ? null : (JSON.parse(rows[5] as string) as Sample);
      const stored = rows[6] as (string | null)[];
      // The hashes of the batches done before are in the set: every new one is of a fresh batch, and only the new ones are added.
      const coverageNew = rows[7] as string;
      const coverageNewCount = coverageNew === '' ? 0 : coverageNew.split(',').length;
      const once = runCountChanges(fresh, campaign.spec, coverageNew, rows[8] as string, rows[9] as string);

      // Fold with the embedded store's own code, over just the buckets these batches touch.
      const part = new CampaignResults(campaign);
      stored.forEach((json) => {
        if (json === null) return;
        const b = upgradeBucket({ ...(JSON.parse(json) as StoredBucket), minimized: null });
        part.buckets.set(b.id, b);
      });
      const at = this.now();
      // In the order given: a batch given twice is recorded at its first place.
      const outcomes = results.map((r) => (doneBefore.has(r.index) ? none() : part.apply(r, at, runningMs)));
      const created = outcomes.flatMap((o) => o.newBuckets);
      const newWarningBuckets = created.filter((b) => b.severity === 'warning').length;
      const lowered = [...new Set(outcomes.flatMap((o) => o.lowered.map((b) => b.id)))];
      const sample: Sample = {
        at,
        runningMs: part.campaign.runningMs,
        runs: num(fields[3]) + part.runs,
        failures: num(fields[4]) + part.failures,
        coverage: coverageBefore + coverageNewCount,
        buckets: bucketsBefore + created.length - newWarningBuckets,
      };
      // The embedded store's sampling (addSample): replace the last sample or append one, and now and then thin the older ones.
      const { op, sample: written, thin } = sampleStep(lastSample, sample);
      let keepFrom = 0;
      let thinned: Sample[] = [];
      if (thin) {
        const history = (await this.redis.lrange(k.samples(id), 0, -1)).map((s) => JSON.parse(s) as Sample);
        ({ keepFrom, thinned } = thinSamples([...history, written]));
      }
      // A guided batch's states go in before it counts: a batch recorded has its corpus, and one written twice is the same.
      const corpus = fresh.filter((r) => contributes(r.corpus));
      if (corpus.length > 0) {
        const m = this.redis.multi();
        for (const r of corpus) m.hset(k.corpus(id, cellIndex(campaign.spec, r.strategy, r.scenario, r.blocksPerPage)), String(r.corpus!.round), JSON.stringify(r.corpus));
        execResults(await m.exec());
      }
      const bucketArgs: string[] = [];
      for (const bid of touchedBy(fresh)) {
        const { minimized: _minimized, ...rest } = part.buckets.get(bid)!;
        bucketArgs.push(bid, JSON.stringify(rest));
      }
      const r = Number(
        await LUA.recordBatch.run(this.redis, [k.campaign(id), k.done(id), k.queued(id), k.coverage(id), k.buckets(id), k.samples(id), k.minimized(id), k.once(id), k.twice(id)], [
          fields[5] ?? '0',
          indexList,
          part.runs,
          part.steps,
          part.failures,
          part.warnings,
          newWarningBuckets,
          Math.round(runningMs),
          op,
          JSON.stringify(written),
          keepFrom,
          thinned.length,
          ...thinned.map((s) => JSON.stringify(s)),
          bucketArgs.length / 2,
          ...bucketArgs,
          // A bucket whose lowest example a batch lowered loses its reproducer: it is minimized again from the new one.
          lowered.length,
          ...lowered,
          coverageNew,
          once.again,
          once.singles,
          once.doubles,
          once.uncounted ? '1' : '0',
        ]),
      );
      if (r === -2) throw this.noCampaign(id);
      if (r === 0) return results.map(none);
      if (r === 1) return outcomes;
    }
    throw new FarmError('ESTATE', `could not record batches ${indexes.slice(0, 8).join(', ')}${indexes.length > 8 ? ', ...' : ''} of campaign ${id}: the campaign kept changing under ${RECORD_ATTEMPTS_MAX} attempts`);
  }

  async doneBatches(id: string): Promise<DoneRanges> {
    const [f, members] = await this.redis.multi().hmget(this.keys.campaign(id), 'meta', 'state', 'doneBelow').smembers(this.keys.done(id)).exec().then(execResults);
    this.campaignOf(id, f as (string | null)[]);
    return doneRangesIn(num((f as (string | null)[])[2]), members as string[]);
  }

  async summary(id: string): Promise<CampaignSummary> {
    const k = this.keys;
    const rows = execResults(
      await this.redis
        .multi()
        .hmget(k.campaign(id), 'meta', 'state', 'runningMs', 'runs', 'steps', 'failures', 'warnings', 'warningBuckets', 'doneBelow', 'deal', 'twice')
        .scard(k.done(id))
        .scard(k.coverage(id))
        .hlen(k.buckets(id))
        .hlen(k.minimized(id))
        .hvals(k.once(id))
        .hvals(k.twice(id))
        .exec(),
    );
    const f = rows[0] as (string | null)[];
    const campaign = this.campaignOf(id, f, f[9] ?? null);
    const warningBuckets = num(f[7]);
    const byCell = (cells: unknown): number[] => {
      const counts = new Array<number>(cellCount(campaign.spec)).fill(0);
      for (const cell of cells as string[]) counts[Number(cell)]! += 1;
      return counts;
    };
    return {
      campaign,
      runs: num(f[3]),
      steps: num(f[4]),
      failures: num(f[5]),
      warnings: num(f[6]),
      batchesDone: num(f[8]) + (rows[1] as number),
      batchesTotal: batchCount(campaign.spec),
      seedsTotal: seedCount(campaign.spec),
      coverage: rows[2] as number,
      buckets: (rows[3] as number) - warningBuckets,
      warningBuckets,
      minimized: rows[4] as number,
      coverageOnce: byCell(rows[5]),
      // Only a campaign every batch of which counted doubletons has its 'twice' field (createCampaign sets it, a batch that did not removes it).
      coverageTwice: f[10] === null ? null : byCell(rows[6]),
    };
  }

  async samples(id: string): Promise<Sample[]> {
    await this.getCampaign(id);
    return (await this.redis.lrange(this.keys.samples(id), 0, -1)).map((s) => JSON.parse(s) as Sample);
  }

  async buckets(id: string): Promise<Bucket[]> {
    const k = this.keys;
    const rows = execResults(await this.redis.multi().exists(k.campaign(id)).hgetall(k.buckets(id)).hgetall(k.minimized(id)).exec());
    if (rows[0] === 0) throw this.noCampaign(id);
    return bucketsOf(rows[1] as Record<string, string>, rows[2] as Record<string, string>);
  }

  async bucket(id: string, bucketId: string): Promise<Bucket | null> {
    const [b, m] = await this.redis.multi().hget(this.keys.buckets(id), bucketId).hget(this.keys.minimized(id), bucketId).exec().then(execResults);
    if (b === null) return null;
    return upgradeBucket({ ...(JSON.parse(b as string) as StoredBucket), minimized: m === null ? null : (JSON.parse(m as string) as Minimized) });
  }

  async recordMinimized(id: string, bucketId: string, m: Minimized): Promise<boolean> {
    const r = await LUA.recordMinimized.run(this.redis, [this.keys.buckets(id), this.keys.minimized(id)], [bucketId, JSON.stringify(m), m.seed, m.scenario, m.blocksPerPage]);
    if (r === -1) throw new FarmError('ENOCAMPAIGN', `campaign ${id} has no bucket ${bucketId}`);
    return r === 1;
  }

  async guide(id: string, cell: number, round: number): Promise<Guide> {
    const spec = guideSpecOf(await this.getCampaign(id));
    // Rounds of its epoch and after are not the guide's (guideOf leaves them out): not parsed.
    const start = epochStart(round, spec.epochRounds);
    const fields = await this.redis.hgetall(this.keys.corpus(id, cell));
    const contributions: Contribution[] = [];
    for (const [r, json] of Object.entries(fields)) {
      if (Number(r) >= start) continue;
      contributions.push(this.contributionOf(id, cell, json));
    }
    return guideOf(spec, contributions, round);
  }

  /** A stored contribution, checked: Redis is shared, and what it holds steers every later batch. */
  private contributionOf(id: string, cell: number, json: string): Contribution {
    let v: unknown;
    try {
      v = JSON.parse(json);
    } catch (e) {
      throw new FarmError('EBADRESULTS', `the corpus of cell ${cell} of campaign ${id} in Redis (prefix ${this.prefix}) holds a value that is not JSON (${(e as Error).message})`);
    }
    const wrong = contributionShapeWrong(v);
    if (wrong !== null) throw new FarmError('EBADRESULTS', `the corpus of cell ${cell} of campaign ${id} in Redis (prefix ${this.prefix}): ${wrong}`);
    return v as Contribution;
  }

  async corpus(id: string): Promise<[number, Contribution[]][]> {
    return this.corpusOf(id, (await this.getCampaign(id)).spec);
  }

  /** A guided or portfolio campaign's corpus, by cell (CampaignSnapshot.corpus). */
  private async corpusOf(id: string, spec: CampaignSpec): Promise<[number, Contribution[]][]> {
    if (spec.guide === null) return [];
    const m = this.redis.multi();
    const cells = cellCount(spec);
    for (let c = 0; c < cells; c++) m.hgetall(this.keys.corpus(id, c));
    const rows = execResults(await m.exec()) as Record<string, string>[];
    const out: [number, Contribution[]][] = [];
    rows.forEach((fields, c) => {
      const list = Object.values(fields).map((json) => this.contributionOf(id, c, json)).sort((a, b) => a.round - b.round);
      if (list.length > 0) out.push([c, list]);
    });
    return out;
  }

  async snapshot(id: string): Promise<CampaignSnapshot> {
    const k = this.keys;
    const rows = execResults(
      await this.redis
        .multi()
        .hmget(k.campaign(id), 'meta', 'state', 'runningMs', 'runs', 'steps', 'failures', 'warnings', 'doneBelow', 'deal', 'twice')
        .smembers(k.done(id))
        .smembers(k.coverage(id))
        .hgetall(k.buckets(id))
        .hgetall(k.minimized(id))
        .lrange(k.samples(id), 0, -1)
        .hgetall(k.once(id))
        .hgetall(k.twice(id))
        .exec(),
    );
    const f = rows[0] as (string | null)[];
    const ints = (xs: unknown) => (xs as string[]).map(Number).sort((a, b) => a - b);
    const pairs = (hash: unknown): [number, number][] => Object.entries(hash as Record<string, string>).map(([h, cell]): [number, number] => [Number(h), Number(cell)]).sort((a, b) => a[0] - b[0]);
    const once = pairs(rows[6]);
    const campaign = this.campaignOf(id, f, f[8] ?? null);
    const corpus = await this.corpusOf(id, campaign.spec);
    return {
      campaign,
      done: doneRangesIn(num(f[7]), rows[1] as string[]),
      runs: num(f[3]),
      steps: num(f[4]),
      failures: num(f[5]),
      warnings: num(f[6]),
      coverage: ints(rows[2]),
      buckets: bucketsOf(rows[3] as Record<string, string>, rows[4] as Record<string, string>),
      samples: (rows[5] as string[]).map((s) => JSON.parse(s) as Sample),
      coverageOnce: once,
      ...(f[9] === null ? {} : { coverageTwice: pairs(rows[7]) }),
      ...(corpus.length === 0 ? {} : { corpus }),
    };
  }

  /**
   * Add an exported campaign (checked: see checkSnapshot) in one step. A
   * campaign exported while running comes in stopped: the farm starts
   * nothing nobody asked it to; `resume` runs what it lacks.
   */
  async importSnapshot(s: CampaignSnapshot): Promise<Campaign> {
    const c = s.campaign;
    const k = this.keys;
    const meta: CampaignMeta = { id: c.id, spec: c.spec, modelVersion: c.modelVersion, createdAt: c.createdAt };
    const state: CampaignState = c.state === 'running' ? 'stopped' : c.state;
    const warningBuckets = s.buckets.filter((b) => b.severity === 'warning').length;
    const args: (string | number)[] = [c.id, c.createdAt, JSON.stringify(meta), state, c.runningMs, s.runs, s.steps, s.failures, s.warnings, warningBuckets];
    const done = DoneSet.of(s.done).ranges();
    args.push(done.length, ...done.flat(), s.coverage.length, ...s.coverage);
    args.push(s.buckets.length);
    for (const b of s.buckets) {
      const { minimized: _minimized, ...rest } = b;
      args.push(b.id, JSON.stringify(rest));
    }
    const minimized = s.buckets.filter((b) => b.minimized !== null);
    args.push(minimized.length);
    for (const b of minimized) args.push(b.id, JSON.stringify(b.minimized));
    args.push(s.samples.length, ...s.samples.map((x) => JSON.stringify(x)));
    const once = s.coverageOnce ?? [];
    args.push(once.length, ...once.flat());
    const twice = s.coverageTwice ?? [];
    args.push(s.coverageTwice === undefined ? '0' : '1', twice.length, ...twice.flat());
    args.push(JSON.stringify(c.deal), c.deal.length);
    const keys = [k.campaigns, k.campaign(c.id), k.done(c.id), k.coverage(c.id), k.buckets(c.id), k.minimized(c.id), k.samples(c.id), k.campaignsRev, k.once(c.id), k.twice(c.id)];
    // Each cell's corpus key after the fixed ones; an entry names its key by its place in KEYS (Lua counts from 1).
    const corpus = s.corpus ?? [];
    args.push(corpus.reduce((n, [, list]) => n + list.length, 0));
    for (const [cell, list] of corpus) {
      keys.push(k.corpus(c.id, cell));
      for (const x of list) args.push(keys.length, x.round, JSON.stringify(x));
    }
    if ((await LUA.importCampaign.run(this.redis, keys, args)) === 0) throw new FarmError('ESTATE', `campaign ${c.id} is already in Redis (prefix ${this.prefix}); delete it first to import it again`);
    return this.getCampaign(c.id);
  }

  /** What the determinism audit of a campaign has found so far. */
  async auditSummary(id: string): Promise<AuditSummary> {
    const k = this.keys;
    const rows = execResults(await this.redis.multi().hmget(k.campaign(id), 'auditsPassed', 'auditsFailed', 'auditsSameWorker').hlen(k.audits(id)).lrange(k.bugs(id), 0, -1).exec());
    const [passed, failed, sameWorker] = rows[0] as (string | null)[];
    return { passed: num(passed), sameWorker: num(sameWorker), failed: num(failed), pending: rows[1] as number, bugs: (rows[2] as string[]).map((b) => JSON.parse(b) as FarmBug) };
  }

  async recordCertificate(c: Certificate): Promise<boolean> {
    return (await LUA.recordCertificate.run(this.redis, [this.keys.certificates], [certificateKey(c), c.result, c.bound, certificateJson(c)])) === 1;
  }

  async certificates(): Promise<Certificate[]> {
    const all = await this.redis.hgetall(this.keys.certificates);
    return foldCertificates(Object.entries(all).map(([key, json]) => parseCertificate(json, `Redis (prefix ${this.prefix}) ${this.keys.certificates} field ${key}`)));
  }

  async workers(): Promise<WorkerInfo[]> {
    const ids = await this.redis.smembers(this.keys.workers);
    if (ids.length === 0) return [];
    const infos = await this.redis.mget(...ids.map((w) => this.keys.worker(w)));
    const gone = ids.filter((_, i) => infos[i] === null);
    // A worker's key expires when it stops reporting; forget its id too.
    if (gone.length > 0) await this.redis.srem(this.keys.workers, ...gone);
    return infos.filter((x): x is string => x !== null).map((x) => JSON.parse(x) as WorkerInfo);
  }

  async reportWorker(w: WorkerInfo): Promise<void> {
    await this.redis.multi().set(this.keys.worker(w.id), JSON.stringify(w), 'PX', WORKER_SILENT_MS).sadd(this.keys.workers, w.id).exec().then(execResults);
  }

  async dropWorker(id: string): Promise<void> {
    await this.redis.multi().del(this.keys.worker(id)).srem(this.keys.workers, id).exec().then(execResults);
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    try {
      await this.redis.quit();
    } catch {
      // A client whose connection is already gone cannot say goodbye: dropping it is all that is left.
      this.redis.disconnect();
    }
  }
}

/** The replies of an exec(), or the first error among them. */
export function execResults(rows: [Error | null, unknown][] | null): unknown[] {
  if (rows === null) throw new FarmError('EREDIS', 'a Redis transaction was discarded');
  return rows.map(([e, v]) => {
    if (e !== null) throw e;
    return v;
  });
}

/** Bucket ids by title, remembered: a bucket's id is a hash of its title, and a farm records the same few titles in batch after batch. */
const bucketIds = new Map<string, string>();
/** Titles remembered at most (a campaign's buckets are far fewer; past it the memory starts over). */
const BUCKET_IDS_KEPT_MAX = 10_000;

function bucketIdOfTitle(title: string): string {
  let id = bucketIds.get(title);
  if (id === undefined) {
    if (bucketIds.size >= BUCKET_IDS_KEPT_MAX) bucketIds.clear();
    id = bucketIdOf(title);
    bucketIds.set(title, id);
  }
  return id;
}

/** The done batches as Redis keeps them (includes/done.lua): every index below `below`, and the members of the done set. */
function doneRangesIn(below: number, members: readonly string[]): DoneRanges {
  const ranges = doneRangesOf(members.map(Number));
  return below > 0 ? DoneSet.of([[0, below - 1], ...ranges]).ranges() : ranges;
}

function bucketsOf(stored: Record<string, string>, minimized: Record<string, string>): Bucket[] {
  return Object.values(stored)
    .map((json) => {
      const b = JSON.parse(json) as StoredBucket;
      const m = minimized[b.id];
      return upgradeBucket({ ...b, minimized: m === undefined ? null : (JSON.parse(m) as Minimized) });
    })
    .sort((a, b) => a.firstSeenAt - b.firstSeenAt || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0));
}

/**
 * What recording some batches changes of the campaign's singletons and
 * doubletons (the coverage hashes exactly one and two runs reached), from
 * read-for-record's view (the hashes new at the read, and of the others
 * those one and two runs had reached): the hashes reached again (out of
 * both), and of the new ones and those, the ones one run has reached now
 * (`hash:cell`) and the ones two have, as CampaignResults.foldCoverage
 * counts them. A result of an earlier pcfarm counts no singles (each of its
 * hashes as reached three times); one that counted no doubles leaves the
 * campaign's doubletons uncounted.
 */
function runCountChanges(results: readonly BatchResult[], spec: CampaignSpec, coverageNew: string, onceBefore: string, twiceBefore: string): { again: string; singles: string; doubles: string; uncounted: boolean } {
  const runs = new Map<number, { n: number; cell: number }>();
  const seen = new Set<number>();
  let uncounted = false;
  for (const r of results) {
    // A batch given twice counts once, as it is recorded once.
    if (seen.has(r.index)) continue;
    seen.add(r.index);
    if (leavesDoubletonsUncounted(r)) uncounted = true;
    const runsOf = runsInBatch(r);
    for (const h of r.coverage) {
      const n = runsOf(h);
      runs.set(h, { n: Math.min(3, (runs.get(h)?.n ?? 0) + n), cell: cellIndex(spec, r.strategy, r.scenario, r.blocksPerPage) });
    }
  }
  const list = (text: string): number[] => (text === '' ? [] : text.split(',').map(Number));
  const now = new Map<number, { n: number; cell: number }>();
  for (const h of list(coverageNew)) {
    const r = runs.get(h);
    if (r !== undefined) now.set(h, r);
  }
  // Read over every result given: a hash counts again only when a batch recorded now reached it.
  const again: number[] = [];
  for (const [text, before] of [[onceBefore, 1], [twiceBefore, 2]] as const) {
    for (const h of list(text)) {
      const r = runs.get(h);
      if (r === undefined) continue;
      again.push(h);
      now.set(h, { n: before + r.n, cell: r.cell });
    }
  }
  const with_ = (n: number): string =>
    [...now]
      .filter(([, r]) => r.n === n)
      .map(([h, r]) => `${h}:${r.cell}`)
      .join(',');
  return { again: again.join(','), singles: with_(1), doubles: with_(2), uncounted };
}
