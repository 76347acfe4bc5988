/**
 * The coordinator's bookkeeping in Redis, beside the store's campaigns and
 * results: which batches are handed out, the audits waiting for their
 * rerun, the minimizations given up on, the farm bugs, the running time,
 * the lease that makes one coordinator the leader, and the inbox where
 * workers post what their jobs came to. Nothing of it is in the
 * coordinator's memory only, so a coordinator killed at any moment is
 * replaced by one that carries on.
 */
import type { Redis } from 'ioredis';
import { FARM_BUGS_MAX, type FarmBug, type PendingAudit } from './audit.js';
import { FarmError } from './errors.js';
import { LUA } from './lua-script.js';
import type { FarmKeys } from './redis-keys.js';
import { execResults, num } from './redis-store.js';

/** What the coordinator must know to tell whether a campaign is finished. */
export interface CampaignProgress {
  /** The next batch index to hand out. */
  cursor: number;
  /** Batches handed out and not yet recorded. */
  queued: number;
  auditsPending: number;
  /** Failure buckets neither minimized (from their lowest example) nor given up on. */
  bucketsUnminimized: number;
}

export class CoordinatorBooks {
  constructor(
    readonly redis: Redis,
    readonly keys: FarmKeys,
  ) {}

  /**
   * A number that changes whenever a campaign is created, imported, deleted
   * or changes state: the coordinator reads the campaigns again only then.
   */
  async campaignsRev(): Promise<number> {
    return num(await this.redis.get(this.keys.campaignsRev));
  }

  /** Add to a running campaign's running time; returns it, or null when the campaign is not running. */
  async addRunningMs(id: string, ms: number): Promise<number | null> {
    const r = Number(await LUA.addRunningMs.run(this.redis, [this.keys.campaign(id)], [Math.max(0, Math.round(ms))]));
    return r < 0 ? null : r;
  }

  /** Mark a running campaign done; false when it is no longer running (stopped or deleted meanwhile). */
  async finish(id: string): Promise<boolean> {
    return (await LUA.setState.run(this.redis, [this.keys.campaign(id), this.keys.campaignsRev], ['done', '', 'running'])) === 1;
  }

  /**
   * Hand out up to `n` batch indexes of a running campaign, in order,
   * skipping done ones; `total` is its batch count (null: no end). They stay
   * `queued` until recorded. Returns the indexes and the cursor after them,
   * or null when the campaign is not running.
   */
  async claimBatches(id: string, n: number, total: number | null): Promise<{ indexes: number[]; cursor: number } | null> {
    const k = this.keys;
    const r = (await LUA.claimBatches.run(this.redis, [k.campaign(id), k.done(id), k.queued(id)], [n, total ?? -1])) as number[];
    if (r[0] === -1) return null;
    return { cursor: r[0]!, indexes: r.slice(1) };
  }

  /** Batches handed out and not recorded, ascending. */
  async queuedBatches(id: string): Promise<number[]> {
    return (await this.redis.smembers(this.keys.queued(id))).map(Number).sort((a, b) => a - b);
  }

  async progress(id: string): Promise<CampaignProgress> {
    const k = this.keys;
    const rows = execResults(
      await this.redis
        .multi()
        .hmget(k.campaign(id), 'cursor', 'warningBuckets')
        .scard(k.queued(id))
        .hlen(k.audits(id))
        .hlen(k.buckets(id))
        .hlen(k.minimized(id))
        .hlen(k.minimizeFailures(id))
        .exec(),
    );
    const [cursor, warningBuckets] = rows[0] as (string | null)[];
    // Warnings are never minimized: only failure buckets are waited for.
    const failureBuckets = (rows[3] as number) - num(warningBuckets);
    return { cursor: num(cursor), queued: rows[1] as number, auditsPending: rows[2] as number, bucketsUnminimized: failureBuckets - (rows[4] as number) - (rows[5] as number) };
  }

  /** Remember a minimization that failed for good, so the campaign can finish without it (resume clears these). */
  async minimizeFailed(id: string, bucketId: string, reason: string): Promise<void> {
    await this.redis.hset(this.keys.minimizeFailures(id), bucketId, reason);
  }

  /** Buckets whose minimization failed for good, with why. */
  async minimizeFailures(id: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.minimizeFailures(id));
  }

  /** Note an audited batch's first result until its rerun comes. */
  async addPendingAudit(id: string, index: number, a: PendingAudit): Promise<void> {
    await this.redis.hset(this.keys.audits(id), String(index), JSON.stringify(a));
  }

  /** Pending audits by batch index. */
  async pendingAudits(id: string): Promise<Map<number, PendingAudit>> {
    const all = await this.redis.hgetall(this.keys.audits(id));
    return new Map(Object.entries(all).map(([k, v]) => [Number(k), JSON.parse(v) as PendingAudit]));
  }

  /** Settle a pending audit once: agreed (bug null) or a farm bug; `sameWorker` when its rerun ran where the batch first did. False when it was settled before. */
  async settleAudit(id: string, index: number, bug: FarmBug | null, sameWorker = false): Promise<boolean> {
    const k = this.keys;
    const r = await LUA.settleAudit.run(this.redis, [k.campaign(id), k.audits(id), k.bugs(id)], [String(index), bug === null ? '' : JSON.stringify(bug), FARM_BUGS_MAX, sameWorker ? '1' : '0']);
    return r === 1;
  }

  /** Forget a pending audit whose rerun could not be made. */
  async dropAudit(id: string, index: number): Promise<void> {
    await this.redis.hdel(this.keys.audits(id), String(index));
  }

  /** Record a farm bug that is not an audit's. */
  async recordFarmBug(id: string, bug: FarmBug): Promise<void> {
    await this.redis.multi().rpush(this.keys.bugs(id), JSON.stringify(bug)).ltrim(this.keys.bugs(id), -FARM_BUGS_MAX, -1).exec().then(execResults);
  }

  /**
   * Take or renew the coordinator's lease for `ms`: true while `holder` has
   * it. One coordinator hands out batches at a time; a second one stands by
   * and takes over when the first stops renewing.
   */
  async holdLease(holder: string, ms: number): Promise<boolean> {
    return (await LUA.holdLease.run(this.redis, [this.keys.lease], [holder, ms])) === 1;
  }

  async releaseLease(holder: string): Promise<void> {
    await LUA.releaseLease.run(this.redis, [this.keys.lease], [holder]);
  }

  /** The first `n` entries of the inbox, as posted (see inbox.ts), oldest first. */
  async inbox(n: number): Promise<string[]> {
    return this.redis.lrange(this.keys.inbox, 0, n - 1);
  }

  /** Drop the first `n` entries of the inbox, recorded: an ESTATE error when `holder` no longer holds the lease. */
  async dropFromInbox(holder: string, n: number): Promise<void> {
    if ((await LUA.trimInbox.run(this.redis, [this.keys.inbox, this.keys.lease], [holder, n])) !== 1) {
      throw new FarmError('ESTATE', `coordinator ${holder} lost its lease while it read the inbox: its successor reads the entries again`);
    }
  }
}
