/**
 * A findings diff's fix tracking, as syzbot's: every failure bucket of
 * campaign A re-run against B's counterpart strategy (its minimized
 * reproducer and a few example seeds), marked fixed or still failing.
 *
 * Re-tests run the model (a few runs per bucket, every failure bucket of
 * A), so they run off the main thread and bounded like the matrix
 * (ThreadWork: one diff's re-tests at a time, a few more queued, cancelled
 * when the request goes away), each diff's within RETEST_LIMITS.timeMs.
 *
 * A bucket that cannot be re-tested here is said to be so, with the reason,
 * and the rest are answered: B's strategy file missing from this machine
 * (code never travels with a campaign: the file must be where B found it,
 * with the same source hash), A made by another model version, the time
 * run out, the server busy with other diffs.
 */
import { createHash } from 'node:crypto';
import { MODEL_VERSION } from '@pcfarm/core';
import type { CampaignSnapshot, Retest } from '@pcfarm/farm';
import { HttpError } from './errors.js';
import { ThreadWork } from './thread-work.js';

export const RETEST_LIMITS = {
  /**
   * Wall time of one diff's re-tests, at most, in milliseconds: buckets not
   * reached by then are answered "not run", saying why (each bucket is a few
   * runs, milliseconds each, so a diff of a few hundred buckets fits).
   */
  timeMs: 20_000,
  /** Diffs re-tested at once, a thread each: one leaves the other cores to campaigns. */
  computingMax: 1,
  /** Diffs waiting for a thread; beyond that a diff is answered with its re-tests not run (busy). */
  queuedMax: 2,
  /** Finished re-tests kept, by campaigns and what they found; a result with a bucket not run is not kept. */
  cached: 8,
} as const;

/** fixed, still failing, or not run here (`reason` says why). */
export type RetestVerdict = Retest['verdict'] | 'not-run';

/** A re-test as the API answers it. */
export interface RetestView {
  bucketId: string;
  title: string;
  /** B's strategy it was (or would have been) run against. */
  against: string;
  verdict: RetestVerdict;
  /** What reproduced it ("reproducer", or "seed N in SCENARIO at B blocks per page"); null unless still failing. */
  by: string | null;
  /** Re-runs made. */
  runs: number;
  /** How the re-runs that did not reproduce it ended, by kind ("clean" for a pass). */
  outcomes: Record<string, number>;
  /** Why it was not run; null when it was. */
  reason: string | null;
}

/** What a re-test thread is given: the two campaigns (without what re-tests do not read), their strategy pairs, where to look for strategy files, its time. */
export interface RetestJob {
  a: CampaignSnapshot;
  b: CampaignSnapshot;
  pairs: [string, string][];
  strategyDirs: string[];
  timeMs: number;
}

/** What a re-test thread answers. */
export interface RetestAnswer {
  retests: RetestView[];
  /** Milliseconds the thread took. */
  ms: number;
}

/** The re-tests a diff asks for: each failure bucket of A whose strategy has a counterpart in B, in A's order. */
export function plannedRetests(a: CampaignSnapshot, pairs: readonly [string, string][]): Pick<RetestView, 'bucketId' | 'title' | 'against'>[] {
  return a.buckets.flatMap((bk) => {
    const pair = pairs.find(([x]) => x === bk.strategy);
    return bk.severity !== 'failure' || pair === undefined ? [] : [{ bucketId: bk.id, title: bk.title, against: pair[1] }];
  });
}

/** Every planned re-test, not run, for `reason`. */
export function notRun(a: CampaignSnapshot, pairs: readonly [string, string][], reason: string): RetestView[] {
  return plannedRetests(a, pairs).map((p) => ({ ...p, verdict: 'not-run', by: null, runs: 0, outcomes: {}, reason }));
}

/** A snapshot without what a re-test does not read (coverage, samples, the batches done), for a thread to be sent less. */
function lean(s: CampaignSnapshot): CampaignSnapshot {
  return { ...s, done: [], coverage: [], samples: [] };
}

export class RetestCache {
  private readonly threads = new ThreadWork<RetestAnswer>(
    new URL('./retest-worker.js', import.meta.url),
    { computingMax: RETEST_LIMITS.computingMax, queuedMax: RETEST_LIMITS.queuedMax, cachedMax: RETEST_LIMITS.cached },
    { one: 'findings diff', many: 'findings diffs' },
    (m, _data, ms) => ({ retests: (m as RetestAnswer).retests, ms }),
    (r) => r.retests.every((x) => x.verdict !== 'not-run'),
  );

  /**
   * `strategyDirs`: directories of strategy files besides the paths
   * campaigns recorded; `timeMs`: one diff's re-tests at most, in
   * milliseconds (default RETEST_LIMITS.timeMs).
   */
  constructor(
    private readonly strategyDirs: readonly string[] = [],
    readonly timeMs: number = RETEST_LIMITS.timeMs,
  ) {}

  /**
   * Re-test A's failure buckets against B. Never fails for a bucket it
   * cannot re-test, nor for a busy server: those buckets say why. Rejects
   * with WorkCancelled when `signal` aborts first, or the server stops.
   */
  async retest(a: CampaignSnapshot, b: CampaignSnapshot, pairs: [string, string][], signal?: AbortSignal): Promise<RetestAnswer> {
    if (plannedRetests(a, pairs).length === 0) return { retests: [], ms: 0 };
    if (a.campaign.modelVersion !== MODEL_VERSION) {
      return { retests: notRun(a, pairs, `campaign ${a.campaign.id} was run by model ${a.campaign.modelVersion} and this dashboard runs ${MODEL_VERSION}: its seeds and reproducers would run differently here, so a pass would prove nothing`), ms: 0 };
    }
    const job: RetestJob = { a: lean(a), b: lean(b), pairs, strategyDirs: [...this.strategyDirs], timeMs: this.timeMs };
    try {
      return await this.threads.get(RetestCache.key(a, b, pairs), `${a.campaign.id} against ${b.campaign.id}`, job, signal);
    } catch (e) {
      // The diff itself is cheap and worth answering; only its re-tests wait for a less busy server.
      if (e instanceof HttpError && e.code === 'EBUSY') return { retests: notRun(a, pairs, `not re-tested: ${e.message}`), ms: 0 };
      throw e;
    }
  }

  get work(): ThreadWork<RetestAnswer>['work'] {
    return this.threads.work;
  }

  close(): Promise<void> {
    return this.threads.close();
  }

  /** The two campaigns and everything of them a re-test reads: a bucket minimized since, or new, is a new re-test. */
  private static key(a: CampaignSnapshot, b: CampaignSnapshot, pairs: readonly [string, string][]): string {
    const h = createHash('sha256');
    h.update(JSON.stringify([pairs, b.campaign.spec.strategyFiles, b.campaign.spec.scenarios, a.campaign.spec.scenarios]));
    for (const bk of a.buckets) if (bk.severity === 'failure') h.update(JSON.stringify([bk.id, bk.minimized?.reproducer ?? null, bk.examples]));
    return `${a.campaign.id}>${b.campaign.id}:${h.digest('hex').slice(0, 16)}`;
  }
}
