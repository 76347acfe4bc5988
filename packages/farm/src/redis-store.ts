/**
 * The Redis store: the Store contract of the embedded store, kept in Redis
 * keys so the coordinator, the CLI and the dashboard of any machine share
 * one truth that outlives each of them.
 *
 * Exactly once: a batch result is folded by CampaignResults.apply (the very
 * code the embedded store runs) over the buckets it touches, read from
 * Redis, and written back by one Lua script that adds the batch index to the
 * campaign's done set and applies the counts only if the index was not there
 * and nothing changed the campaign since the read (its `rev`; else the fold
 * is redone). Running twice, from two processes, or again after a lost
 * reply, the second write is a no-op.
 *
 * Keys, under `${prefix}:`: `campaigns` (zset id -> createdAt), and per
 * campaign `c:ID` (hash: meta, state, runningMs, runs, steps, failures,
 * warnings, warningBuckets (how many of the buckets are warnings), rev,
 * cursor, audit counts), `c:ID:done` and `c:ID:cov` (sets: batch indexes,
 * coverage hashes, so coverage is exact), `c:ID:buckets` and `c:ID:min`
 * (hashes bucket id -> JSON; a minimized reproducer is kept apart so the
 * first one wins with HSETNX), `c:ID:samples` (list), and the coordinator's
 * `c:ID:queued` (batches handed to the queue, not yet recorded), `c:ID:audit`
 * (pending audits), `c:ID:minfail` (minimizations that failed) and
 * `c:ID:bugs` (farm bugs). Workers: `workers` (set) and `w:ID` (JSON with a
 * TTL, so a dead worker disappears by itself). What an earlier pcfarm
 * stored reads as it meant then (see the upgrade functions of results.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { PendingAudit } from './audit.js';
import type { BatchResult } from './batch.js';
import { batchCount, newCampaign, seedCount, upgradeCampaign, type Campaign, type CampaignSpec, type CampaignState } from './campaign.js';
import { FarmError } from './errors.js';
import type { Minimized } from './minimize-job.js';
import { connectRedis, type RedisConnectOptions } from './redis-connection.js';
import { addSample, bucketId as bucketIdOf, CampaignResults, SAMPLE_LIMITS, upgradeBucket, type Bucket, type CampaignSnapshot, type CampaignSummary, type RecordOutcome, type Sample } from './results.js';
import { WORKER_SILENT_MS, type Store, type WorkerInfo } from './store.js';

/** The key prefix (and queue name prefix) of a farm when none is given. */
export const REDIS_PREFIX_DEFAULT = 'pcfarm';
/** Farm bugs kept per campaign; older ones are dropped. */
export const FARM_BUGS_MAX = 1000;
/** Times recordBatch redoes its fold when another writer changed the campaign meanwhile. */
const RECORD_ATTEMPTS_MAX = 50;

export interface RedisStoreOptions {
  /** Key prefix, so several farms can share one Redis; default REDIS_PREFIX_DEFAULT. */
  prefix?: string;
  /** Epoch-millisecond clock; tests pass their own. */
  now?: () => number;
}

/** Something the farm got wrong about itself: a determinism audit that disagreed, a minimization that lost its bucket. */
export interface FarmBug {
  /** Epoch milliseconds. */
  at: number;
  kind: 'determinism' | 'minimize';
  /** The batch (determinism) or the bucket (minimize) it is about. */
  batch: number | null;
  bucketId: string | null;
  message: string;
  details: string[];
}

/** What the determinism audit of a campaign has found so far. */
export interface AuditSummary {
  passed: number;
  failed: number;
  /** Audited batches whose rerun is still to come. */
  pending: number;
  bugs: FarmBug[];
}

/** What the coordinator must know to tell whether a campaign is finished. */
export interface CampaignProgress {
  /** The next batch index to hand out. */
  cursor: number;
  /** Batches handed out and not yet recorded. */
  queued: number;
  auditsPending: number;
  /** Failure buckets neither minimized nor given up on. */
  bucketsUnminimized: number;
}

/** A Lua script run by its SHA1, loaded again when Redis lost it (after a restart). */
class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

// KEYS: campaign, done, coverage, buckets, samples. ARGV: index, touched bucket count, their ids..., coverage hashes...
// What recording a batch reads: the campaign's fields, whether the batch is done, the counts a
// sample needs, the last sample, the touched buckets, and how many of the hashes are new.
const READ_FOR_RECORD = new LuaScript(`
local out = {}
out[1] = redis.call('HMGET', KEYS[1], 'meta', 'state', 'runningMs', 'runs', 'failures', 'rev', 'warningBuckets')
out[2] = redis.call('SISMEMBER', KEYS[2], ARGV[1])
out[3] = redis.call('SCARD', KEYS[3])
out[4] = redis.call('HLEN', KEYS[4])
out[5] = redis.call('LLEN', KEYS[5])
out[6] = redis.call('LINDEX', KEYS[5], -1)
local n = tonumber(ARGV[2])
local touched = {}
for i = 1, n do touched[i] = redis.call('HGET', KEYS[4], ARGV[2 + i]) end
out[7] = touched
local fresh = 0
for i = 3 + n, #ARGV do
  if redis.call('SISMEMBER', KEYS[3], ARGV[i]) == 0 then fresh = fresh + 1 end
end
out[8] = fresh
return out
`);

// KEYS: campaign, done, queued, coverage, buckets, samples.
// ARGV: rev, index, runs, steps, failures, warnings (runs), new warning buckets, runningMs, sample op (push|set), sample,
//       thin-from (0: none), thinned count, thinned samples..., bucket count, (id, json)..., coverage hashes...
// Returns -2: no such campaign, -1: the campaign changed since the read (fold again), 0: already recorded, 1: recorded.
const RECORD = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
redis.call('SREM', KEYS[3], ARGV[2])
if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1 then return 0 end
if redis.call('HGET', KEYS[1], 'rev') ~= ARGV[1] then return -1 end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'runs', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'steps', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'failures', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'warnings', ARGV[6])
redis.call('HINCRBY', KEYS[1], 'warningBuckets', ARGV[7])
if tonumber(ARGV[8]) > tonumber(redis.call('HGET', KEYS[1], 'runningMs') or '0') then redis.call('HSET', KEYS[1], 'runningMs', ARGV[8]) end
if ARGV[9] == 'set' then redis.call('LSET', KEYS[6], -1, ARGV[10]) else redis.call('RPUSH', KEYS[6], ARGV[10]) end
local keep = tonumber(ARGV[11])
local thinned = tonumber(ARGV[12])
local i = 13
if keep > 0 then
  redis.call('LTRIM', KEYS[6], keep, -1)
  for j = i + thinned - 1, i, -1 do redis.call('LPUSH', KEYS[6], ARGV[j]) end
end
i = i + thinned
local buckets = tonumber(ARGV[i])
i = i + 1
for _ = 1, buckets do
  redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1])
  i = i + 2
end
for j = i, #ARGV do redis.call('SADD', KEYS[4], ARGV[j]) end
redis.call('HINCRBY', KEYS[1], 'rev', 1)
return 1
`);

// KEYS: campaign, the campaigns' rev. ARGV: state, runningMs ('' keeps it), the state it must be in ('' any).
// Returns 0 when there is no such campaign, -1 when it is in another state.
const SET_STATE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[3] ~= '' and redis.call('HGET', KEYS[1], 'state') ~= ARGV[3] then return -1 end
redis.call('HSET', KEYS[1], 'state', ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'runningMs', ARGV[2]) end
redis.call('HINCRBY', KEYS[1], 'rev', 1)
redis.call('INCR', KEYS[2])
return 1
`);

// KEYS: campaign. ARGV: ms. Adds running time to a running campaign; returns its running time (-1: not running).
const ADD_RUNNING_MS = new LuaScript(`
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return -1 end
return redis.call('HINCRBY', KEYS[1], 'runningMs', ARGV[1])
`);

// KEYS: buckets, minimized. ARGV: bucket id, JSON. -1: no such bucket; 0: one was kept before; 1: kept.
const RECORD_MINIMIZED = new LuaScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return -1 end
return redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
`);

// KEYS: campaign, done, queued. ARGV: most to claim, last batch + 1 (-1: no end).
// Hands out the next batch indexes not yet done, if the campaign is running; returns {cursor, indexes...}.
const CLAIM = new LuaScript(`
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return {-1} end
local cursor = tonumber(redis.call('HGET', KEYS[1], 'cursor') or '0')
local n = tonumber(ARGV[1])
local total = tonumber(ARGV[2])
local out = {0}
while #out <= n and (total < 0 or cursor < total) do
  if redis.call('SISMEMBER', KEYS[2], cursor) == 0 then
    redis.call('SADD', KEYS[3], cursor)
    out[#out + 1] = cursor
  end
  cursor = cursor + 1
end
redis.call('HSET', KEYS[1], 'cursor', cursor)
out[1] = cursor
return out
`);

// KEYS: campaign, audit, bugs. ARGV: index, FARM bug JSON ('' when the audit agreed), bugs kept.
// Settles a pending audit once: 0 when it was settled before.
const SETTLE_AUDIT = new LuaScript(`
if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then return 0 end
if ARGV[2] == '' then
  redis.call('HINCRBY', KEYS[1], 'auditsPassed', 1)
else
  redis.call('HINCRBY', KEYS[1], 'auditsFailed', 1)
  redis.call('RPUSH', KEYS[3], ARGV[2])
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[3]), -1)
end
return 1
`);

// KEYS: lease. ARGV: holder, ms. Takes or renews the lease; 0 when another holder has it.
const HOLD_LEASE = new LuaScript(`
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`);

// KEYS: lease. ARGV: holder.
const RELEASE_LEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

// KEYS: campaigns, campaign, done, coverage, buckets, minimized, samples, the campaigns' rev.
// ARGV: id, createdAt, meta, state, runningMs, runs, steps, failures, warnings, warning buckets,
//       then counted lists: done, coverage, (bucket id, json), (bucket id, minimized json), samples.
const IMPORT = new LuaScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('INCR', KEYS[8])
redis.call('HSET', KEYS[2], 'meta', ARGV[3], 'state', ARGV[4], 'runningMs', ARGV[5], 'runs', ARGV[6], 'steps', ARGV[7], 'failures', ARGV[8],
  'warnings', ARGV[9], 'warningBuckets', ARGV[10], 'rev', 0, 'cursor', 0)
local i = 11
local function counted(each)
  local n = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, n do i = each(i) end
end
counted(function(j) redis.call('SADD', KEYS[3], ARGV[j]) return j + 1 end)
counted(function(j) redis.call('SADD', KEYS[4], ARGV[j]) return j + 1 end)
counted(function(j) redis.call('HSET', KEYS[5], ARGV[j], ARGV[j + 1]) return j + 2 end)
counted(function(j) redis.call('HSET', KEYS[6], ARGV[j], ARGV[j + 1]) return j + 2 end)
counted(function(j) redis.call('RPUSH', KEYS[7], ARGV[j]) return j + 1 end)
return 1
`);

/** The parts of a campaign that never change, as `meta` keeps them. */
type CampaignMeta = Pick<Campaign, 'id' | 'spec' | 'modelVersion' | 'createdAt'>;
/** A bucket as Redis keeps it: its minimized reproducer lives apart. */
type StoredBucket = Omit<Bucket, 'minimized'>;

const num = (v: string | null | undefined): number => (v == null ? 0 : Number(v));

export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly prefix: string;
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
    this.prefix = options.prefix ?? REDIS_PREFIX_DEFAULT;
    if (!/^[\w.-]+$/.test(this.prefix)) throw new FarmError('EREDIS', `the prefix must be letters, digits, '.', '_' or '-', not ${JSON.stringify(this.prefix)}`);
    this.now = options.now ?? Date.now;
  }

  /** A store with its own client to `url`; an EREDIS error naming the URL when Redis cannot be reached. */
  static async connect(url: string, options: RedisStoreOptions & RedisConnectOptions = {}): Promise<RedisStore> {
    return new RedisStore(await connectRedis(url, options), options, true);
  }

  private key(...parts: (string | number)[]): string {
    return [this.prefix, ...parts].join(':');
  }

  private ckey(id: string, part?: string): string {
    return part === undefined ? this.key('c', id) : this.key('c', id, part);
  }

  /** Every key of a campaign. */
  private campaignKeys(id: string): string[] {
    return [this.ckey(id), ...['done', 'queued', 'cov', 'buckets', 'min', 'samples', 'audit', 'minfail', 'bugs'].map((p) => this.ckey(id, p))];
  }

  private noCampaign(id: string): FarmError {
    return new FarmError('ENOCAMPAIGN', `no campaign ${JSON.stringify(id)} in Redis (prefix ${this.prefix})`);
  }

  private campaignOf(id: string, fields: (string | null)[]): Campaign {
    const [meta, state, runningMs] = fields;
    if (meta == null || state == null) throw this.noCampaign(id);
    return upgradeCampaign({ ...(JSON.parse(meta) as CampaignMeta), state: state as CampaignState, runningMs: num(runningMs) });
  }

  async createCampaign(spec: CampaignSpec): Promise<Campaign> {
    const c = newCampaign(randomBytes(4).toString('hex'), spec, this.now());
    const meta: CampaignMeta = { id: c.id, spec: c.spec, modelVersion: c.modelVersion, createdAt: c.createdAt };
    await this.redis
      .multi()
      .hset(this.ckey(c.id), { meta: JSON.stringify(meta), state: c.state, runningMs: 0, runs: 0, steps: 0, failures: 0, warnings: 0, warningBuckets: 0, rev: 0, cursor: 0 })
      .zadd(this.key('campaigns'), c.createdAt, c.id)
      .incr(this.key('campaigns', 'rev'))
      .exec();
    return c;
  }

  async listCampaigns(): Promise<Campaign[]> {
    const ids = await this.redis.zrevrange(this.key('campaigns'), 0, -1);
    const rows = await Promise.all(ids.map((id) => this.redis.hmget(this.ckey(id), 'meta', 'state', 'runningMs')));
    const out: Campaign[] = [];
    // A campaign deleted between the two reads is simply not listed.
    ids.forEach((id, i) => {
      if (rows[i]![0] !== null) out.push(this.campaignOf(id, rows[i]!));
    });
    return out;
  }

  /**
   * A number that changes whenever a campaign is created, imported, deleted
   * or changes state: the coordinator reads the campaigns again only then.
   */
  async campaignsRev(): Promise<number> {
    return num(await this.redis.get(this.key('campaigns', 'rev')));
  }

  async getCampaign(id: string): Promise<Campaign> {
    return this.campaignOf(id, await this.redis.hmget(this.ckey(id), 'meta', 'state', 'runningMs'));
  }

  async setState(id: string, state: CampaignState, runningMs?: number): Promise<Campaign> {
    const ok = await SET_STATE.run(this.redis, [this.ckey(id), this.key('campaigns', 'rev')], [state, runningMs === undefined ? '' : Math.round(runningMs), '']);
    if (ok === 0) throw this.noCampaign(id);
    return this.getCampaign(id);
  }

  /** Mark a running campaign done; false when it is no longer running (stopped or deleted meanwhile). */
  async finish(id: string): Promise<boolean> {
    return (await SET_STATE.run(this.redis, [this.ckey(id), this.key('campaigns', 'rev')], ['done', '', 'running'])) === 1;
  }

  /**
   * Resume a stopped campaign: running again, and the minimizations that had
   * failed are tried again (as the embedded engine does on resume). ESTATE
   * for a finished one.
   */
  async resume(id: string): Promise<Campaign> {
    const c = await this.getCampaign(id);
    if (c.state === 'done') throw new FarmError('ESTATE', `campaign ${id} is done: there is nothing left to run`);
    await this.redis.del(this.ckey(id, 'minfail'));
    return this.setState(id, 'running');
  }

  /** Add to a running campaign's running time; returns it, or null when the campaign is not running. */
  async addRunningMs(id: string, ms: number): Promise<number | null> {
    const r = Number(await ADD_RUNNING_MS.run(this.redis, [this.ckey(id)], [Math.max(0, Math.round(ms))]));
    return r < 0 ? null : r;
  }

  async deleteCampaign(id: string): Promise<void> {
    if ((await this.redis.exists(this.ckey(id))) === 0) throw this.noCampaign(id);
    await this.redis
      .multi()
      .del(...this.campaignKeys(id))
      .zrem(this.key('campaigns'), id)
      .incr(this.key('campaigns', 'rev'))
      .exec();
  }

  async recordBatch(result: BatchResult, runningMs: number): Promise<RecordOutcome> {
    const id = result.campaignId;
    const keys = [this.ckey(id), this.ckey(id, 'done'), this.ckey(id, 'queued'), this.ckey(id, 'cov'), this.ckey(id, 'buckets'), this.ckey(id, 'samples')];
    const touched = [...new Set([...result.failures, ...result.warnings].map((h) => bucketIdOf(h.title)))];
    for (let attempt = 0; attempt < RECORD_ATTEMPTS_MAX; attempt++) {
      // One script: a consistent view of everything the fold reads, with the rev it must still hold at the write.
      const rows = (await READ_FOR_RECORD.run(this.redis, [keys[0]!, keys[1]!, keys[3]!, keys[4]!, keys[5]!], [result.index, touched.length, ...touched, ...result.coverage])) as unknown[];
      const fields = rows[0] as (string | null)[];
      if (fields[0] === null) throw this.noCampaign(id);
      if (rows[1] === 1) {
        await this.redis.srem(keys[2]!, result.index);
        return { recorded: false, newBuckets: [] };
      }
      const campaign = this.campaignOf(id, fields);
      // A sample counts failure buckets: every bucket but the warnings.
      const [coverageBefore, bucketsBefore, samplesBefore] = [rows[2] as number, (rows[3] as number) - num(fields[6]), rows[4] as number];
      const lastSample = rows[5] === null ? null : (JSON.parse(rows[5] as string) as Sample);
      const stored = rows[6] as (string | null)[];
      const coverageNew = rows[7] as number;

      // Fold with the embedded store's own code, over just the buckets this batch touches.
      const part = new CampaignResults(campaign);
      stored.forEach((json) => {
        if (json === null) return;
        const b = upgradeBucket({ ...(JSON.parse(json) as StoredBucket), minimized: null });
        part.buckets.set(b.id, b);
      });
      const at = this.now();
      const outcome = part.apply(result, at, runningMs);
      const newWarningBuckets = outcome.newBuckets.filter((b) => b.severity === 'warning').length;
      const sample: Sample = {
        at,
        runningMs: part.campaign.runningMs,
        runs: num(fields[3]) + result.runs,
        failures: num(fields[4]) + part.failures,
        coverage: coverageBefore + coverageNew,
        buckets: bucketsBefore + outcome.newBuckets.length - newWarningBuckets,
      };
      // addSample decides between replacing the last sample and appending one, and thins a full history.
      const window = lastSample === null ? [] : [lastSample];
      addSample(window, sample);
      const op = lastSample !== null && window.length === 1 ? 'set' : 'push';
      const written = window[window.length - 1]!;
      let keepFrom = 0;
      let thinned: Sample[] = [];
      if (op === 'push' && samplesBefore + 1 > SAMPLE_LIMITS.samplesMax) {
        keepFrom = (samplesBefore + 1) >> 1;
        const head = (await this.redis.lrange(keys[5]!, 0, keepFrom - 1)).map((s) => JSON.parse(s) as Sample);
        thinned = head.filter((_, i) => i % 2 === 0);
      }
      const bucketArgs: string[] = [];
      for (const bid of touched) {
        const b = part.buckets.get(bid)!;
        const { minimized: _minimized, ...rest } = b;
        bucketArgs.push(bid, JSON.stringify(rest));
      }
      const r = Number(
        await RECORD.run(this.redis, keys, [
          fields[5] ?? '0',
          result.index,
          result.runs,
          result.steps,
          part.failures,
          part.warnings,
          newWarningBuckets,
          Math.round(runningMs),
          op,
          JSON.stringify(written),
          keepFrom,
          thinned.length,
          ...thinned.map((s) => JSON.stringify(s)),
          touched.length,
          ...bucketArgs,
          ...result.coverage,
        ]),
      );
      if (r === -2) throw this.noCampaign(id);
      if (r === 0) return { recorded: false, newBuckets: [] };
      if (r === 1) return { recorded: true, newBuckets: outcome.newBuckets };
    }
    throw new FarmError('ESTATE', `could not record batch ${result.index} of campaign ${id}: it kept changing under ${RECORD_ATTEMPTS_MAX} attempts`);
  }

  async doneBatches(id: string): Promise<number[]> {
    await this.getCampaign(id);
    return (await this.redis.smembers(this.ckey(id, 'done'))).map(Number).sort((a, b) => a - b);
  }

  async summary(id: string): Promise<CampaignSummary> {
    const rows = execResults(
      await this.redis
        .multi()
        .hmget(this.ckey(id), 'meta', 'state', 'runningMs', 'runs', 'steps', 'failures', 'warnings', 'warningBuckets')
        .scard(this.ckey(id, 'done'))
        .scard(this.ckey(id, 'cov'))
        .hlen(this.ckey(id, 'buckets'))
        .hlen(this.ckey(id, 'min'))
        .exec(),
    );
    const f = rows[0] as (string | null)[];
    const campaign = this.campaignOf(id, f);
    const warningBuckets = num(f[7]);
    return {
      campaign,
      runs: num(f[3]),
      steps: num(f[4]),
      failures: num(f[5]),
      warnings: num(f[6]),
      batchesDone: rows[1] as number,
      batchesTotal: batchCount(campaign.spec),
      seedsTotal: seedCount(campaign.spec),
      coverage: rows[2] as number,
      buckets: (rows[3] as number) - warningBuckets,
      warningBuckets,
      minimized: rows[4] as number,
    };
  }

  async samples(id: string): Promise<Sample[]> {
    await this.getCampaign(id);
    return (await this.redis.lrange(this.ckey(id, 'samples'), 0, -1)).map((s) => JSON.parse(s) as Sample);
  }

  async buckets(id: string): Promise<Bucket[]> {
    const rows = execResults(await this.redis.multi().exists(this.ckey(id)).hgetall(this.ckey(id, 'buckets')).hgetall(this.ckey(id, 'min')).exec());
    if (rows[0] === 0) throw this.noCampaign(id);
    return bucketsOf(rows[1] as Record<string, string>, rows[2] as Record<string, string>);
  }

  async bucket(id: string, bucketId: string): Promise<Bucket | null> {
    const [b, m] = await this.redis.multi().hget(this.ckey(id, 'buckets'), bucketId).hget(this.ckey(id, 'min'), bucketId).exec().then(execResults);
    if (b === null) return null;
    return upgradeBucket({ ...(JSON.parse(b as string) as StoredBucket), minimized: m === null ? null : (JSON.parse(m as string) as Minimized) });
  }

  async recordMinimized(id: string, bucketId: string, m: Minimized): Promise<void> {
    const r = await RECORD_MINIMIZED.run(this.redis, [this.ckey(id, 'buckets'), this.ckey(id, 'min')], [bucketId, JSON.stringify(m)]);
    if (r === -1) throw new FarmError('ENOCAMPAIGN', `campaign ${id} has no bucket ${bucketId}`);
  }

  async snapshot(id: string): Promise<CampaignSnapshot> {
    const rows = execResults(
      await this.redis
        .multi()
        .hmget(this.ckey(id), 'meta', 'state', 'runningMs', 'runs', 'steps', 'failures', 'warnings')
        .smembers(this.ckey(id, 'done'))
        .smembers(this.ckey(id, 'cov'))
        .hgetall(this.ckey(id, 'buckets'))
        .hgetall(this.ckey(id, 'min'))
        .lrange(this.ckey(id, 'samples'), 0, -1)
        .exec(),
    );
    const f = rows[0] as (string | null)[];
    const ints = (xs: unknown) => (xs as string[]).map(Number).sort((a, b) => a - b);
    return {
      campaign: this.campaignOf(id, f),
      done: ints(rows[1]),
      runs: num(f[3]),
      steps: num(f[4]),
      failures: num(f[5]),
      warnings: num(f[6]),
      coverage: ints(rows[2]),
      buckets: bucketsOf(rows[3] as Record<string, string>, rows[4] as Record<string, string>),
      samples: (rows[5] as string[]).map((s) => JSON.parse(s) as Sample),
    };
  }

  /**
   * Add an exported campaign (checked: see checkSnapshot) in one step. A
   * campaign exported while running comes in stopped: the farm starts
   * nothing nobody asked it to; `resume` runs what it lacks.
   */
  async importSnapshot(s: CampaignSnapshot): Promise<Campaign> {
    const c = s.campaign;
    const meta: CampaignMeta = { id: c.id, spec: c.spec, modelVersion: c.modelVersion, createdAt: c.createdAt };
    const state: CampaignState = c.state === 'running' ? 'stopped' : c.state;
    const warningBuckets = s.buckets.filter((b) => b.severity === 'warning').length;
    const args: (string | number)[] = [c.id, c.createdAt, JSON.stringify(meta), state, c.runningMs, s.runs, s.steps, s.failures, s.warnings, warningBuckets];
    args.push(s.done.length, ...s.done, s.coverage.length, ...s.coverage);
    args.push(s.buckets.length);
    for (const b of s.buckets) {
      const { minimized: _minimized, ...rest } = b;
      args.push(b.id, JSON.stringify(rest));
    }
    const minimized = s.buckets.filter((b) => b.minimized !== null);
    args.push(minimized.length);
    for (const b of minimized) args.push(b.id, JSON.stringify(b.minimized));
    args.push(s.samples.length, ...s.samples.map((x) => JSON.stringify(x)));
    const keys = [this.key('campaigns'), this.ckey(c.id), ...['done', 'cov', 'buckets', 'min', 'samples'].map((p) => this.ckey(c.id, p)), this.key('campaigns', 'rev')];
    if ((await IMPORT.run(this.redis, keys, args)) === 0) throw new FarmError('ESTATE', `campaign ${c.id} is already in Redis (prefix ${this.prefix}); delete it first to import it again`);
    return this.getCampaign(c.id);
  }

  async workers(): Promise<WorkerInfo[]> {
    const ids = await this.redis.smembers(this.key('workers'));
    if (ids.length === 0) return [];
    const infos = await this.redis.mget(...ids.map((w) => this.key('w', w)));
    const gone = ids.filter((_, i) => infos[i] === null);
    // A worker's key expires when it stops reporting; forget its id too.
    if (gone.length > 0) await this.redis.srem(this.key('workers'), ...gone);
    return infos.filter((x): x is string => x !== null).map((x) => JSON.parse(x) as WorkerInfo);
  }

  async reportWorker(w: WorkerInfo): Promise<void> {
    await this.redis.multi().set(this.key('w', w.id), JSON.stringify(w), 'PX', WORKER_SILENT_MS).sadd(this.key('workers'), w.id).exec();
  }

  /** Forget a worker that is leaving, so the coordinator stops counting its slots at once. */
  async dropWorker(id: string): Promise<void> {
    await this.redis.multi().del(this.key('w', id)).srem(this.key('workers'), id).exec();
  }

  // The coordinator's part: handing out batches, audits, failed minimizations, the lease.

  /**
   * Hand out up to `n` batch indexes of a running campaign, in order,
   * skipping done ones; `total` is its batch count (null: no end). They stay
   * `queued` until recorded. Returns the indexes and the cursor after them,
   * or null when the campaign is not running.
   */
  async claimBatches(id: string, n: number, total: number | null): Promise<{ indexes: number[]; cursor: number } | null> {
    const r = (await CLAIM.run(this.redis, [this.ckey(id), this.ckey(id, 'done'), this.ckey(id, 'queued')], [n, total ?? -1])) as number[];
    if (r[0] === -1) return null;
    return { cursor: r[0]!, indexes: r.slice(1) };
  }

  /** Batches handed out and not recorded, ascending. */
  async queuedBatches(id: string): Promise<number[]> {
    return (await this.redis.smembers(this.ckey(id, 'queued'))).map(Number).sort((a, b) => a - b);
  }

  async progress(id: string): Promise<CampaignProgress> {
    const rows = execResults(
      await this.redis
        .multi()
        .hmget(this.ckey(id), 'cursor', 'warningBuckets')
        .scard(this.ckey(id, 'queued'))
        .hlen(this.ckey(id, 'audit'))
        .hlen(this.ckey(id, 'buckets'))
        .hlen(this.ckey(id, 'min'))
        .hlen(this.ckey(id, 'minfail'))
        .exec(),
    );
    const [cursor, warningBuckets] = rows[0] as (string | null)[];
    // Warnings are never minimized: only failure buckets are waited for.
    const failureBuckets = (rows[3] as number) - num(warningBuckets);
    return { cursor: num(cursor), queued: rows[1] as number, auditsPending: rows[2] as number, bucketsUnminimized: failureBuckets - (rows[4] as number) - (rows[5] as number) };
  }

  /** Remember a minimization that failed for good, so the campaign can finish without it (resume clears these). */
  async minimizeFailed(id: string, bucketId: string, reason: string): Promise<void> {
    await this.redis.hset(this.ckey(id, 'minfail'), bucketId, reason);
  }

  /** Buckets whose minimization failed for good, with why. */
  async minimizeFailures(id: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.ckey(id, 'minfail'));
  }

  /** Note an audited batch's first result until its rerun comes. */
  async addPendingAudit(id: string, index: number, a: PendingAudit): Promise<void> {
    await this.redis.hset(this.ckey(id, 'audit'), String(index), JSON.stringify(a));
  }

  /** Pending audits by batch index. */
  async pendingAudits(id: string): Promise<Map<number, PendingAudit>> {
    const all = await this.redis.hgetall(this.ckey(id, 'audit'));
    return new Map(Object.entries(all).map(([k, v]) => [Number(k), JSON.parse(v) as PendingAudit]));
  }

  /** Settle a pending audit once: agreed (bug null) or a farm bug. False when it was settled before. */
  async settleAudit(id: string, index: number, bug: FarmBug | null): Promise<boolean> {
    const r = await SETTLE_AUDIT.run(this.redis, [this.ckey(id), this.ckey(id, 'audit'), this.ckey(id, 'bugs')], [String(index), bug === null ? '' : JSON.stringify(bug), FARM_BUGS_MAX]);
    return r === 1;
  }

  /** Forget a pending audit whose rerun could not be made. */
  async dropAudit(id: string, index: number): Promise<void> {
    await this.redis.hdel(this.ckey(id, 'audit'), String(index));
  }

  /** Record a farm bug that is not an audit's. */
  async recordFarmBug(id: string, bug: FarmBug): Promise<void> {
    await this.redis.multi().rpush(this.ckey(id, 'bugs'), JSON.stringify(bug)).ltrim(this.ckey(id, 'bugs'), -FARM_BUGS_MAX, -1).exec();
  }

  async auditSummary(id: string): Promise<AuditSummary> {
    const rows = execResults(await this.redis.multi().hmget(this.ckey(id), 'auditsPassed', 'auditsFailed').hlen(this.ckey(id, 'audit')).lrange(this.ckey(id, 'bugs'), 0, -1).exec());
    const [passed, failed] = rows[0] as (string | null)[];
    return { passed: num(passed), failed: num(failed), pending: rows[1] as number, bugs: (rows[2] as string[]).map((b) => JSON.parse(b) as FarmBug) };
  }

  /**
   * Take or renew the coordinator's lease for `ms`: true while `holder` has
   * it. One coordinator hands out batches at a time; a second one stands by
   * and takes over when the first stops renewing.
   */
  async holdLease(holder: string, ms: number): Promise<boolean> {
    return (await HOLD_LEASE.run(this.redis, [this.key('coordinator')], [holder, ms])) === 1;
  }

  async releaseLease(holder: string): Promise<void> {
    await RELEASE_LEASE.run(this.redis, [this.key('coordinator')], [holder]);
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}

/** The replies of an exec(), or the first error among them. */
function execResults(rows: [Error | null, unknown][] | null): unknown[] {
  if (rows === null) throw new FarmError('EREDIS', 'a Redis transaction was discarded');
  return rows.map(([e, v]) => {
    if (e !== null) throw e;
    return v;
  });
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
