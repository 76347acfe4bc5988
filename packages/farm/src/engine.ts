/**
 * The campaign engine: hands a campaign's batches to an executor, records
 * each result once, starts one minimization per new failure bucket, and
 * stops at the end of the seed range, the time budget, or when asked. It
 * keeps no state the store does not have: resuming is running it again on
 * the same store.
 */
import { hostname } from 'node:os';
import type { BatchResult } from './batch.js';
import { batchAt, cellCount, dealtEnd, type Batch, type Campaign } from './campaign.js';
import { GuideCache, guideReadyEnd } from './guide.js';
import { FarmError } from './errors.js';
import { InfraError, type Executor } from './executor.js';
import { MINIMIZE_RUNS_MAX_DEFAULT, type MinimizeJob } from './minimize-job.js';
import { DoneSet, ofLowestExample, type Bucket, type CampaignSummary } from './results.js';
import { dealNextPlan } from './steer.js';
import type { Store } from './store.js';

export interface EngineOptions {
  /** Minimize each new failure bucket in the background; default true. */
  minimize?: boolean;
  /** Model runs per minimization; default MINIMIZE_RUNS_MAX_DEFAULT. */
  minimizeRunsMax?: number;
  /** Minimizations that run beside the batches while batches remain; default 1. */
  minimizeSlots?: number;
  /** Jobs kept in flight per unit of executor concurrency, so a thread never waits on the main thread; default 2. */
  inflightPerSlot?: number;
  /** Times a job lost to the infrastructure is run again before the campaign stops; default 3. */
  infraRetriesMax?: number;
  /** Aborting stops the campaign: no new job starts, jobs in flight finish and count. */
  signal?: AbortSignal;
  /** Called after every recorded batch and minimization. */
  onProgress?(p: Progress): void;
  /** Epoch-millisecond clock; tests pass their own. */
  now?: () => number;
}

/** What the engine reports as it goes. */
export interface Progress {
  campaign: Campaign;
  /** Runs recorded, over the whole campaign (earlier sessions included). */
  runs: number;
  /** Runs that failed, and runs that warned. */
  failures: number;
  warnings: number;
  /** Failure buckets, and warning buckets. */
  buckets: number;
  warningBuckets: number;
  coverage: number;
  batchesDone: number;
  batchesTotal: number | null;
  /** Minimizations waiting or running. */
  minimizing: number;
  /** Running time of the campaign, all sessions. */
  runningMs: number;
  /**
   * Running time left, estimated: what is left of the time budget, or the
   * batches left at this session's rate (the lesser when it has both); null
   * when it has a seed range and no batch of this session has ended yet.
   */
  remainingMs: number | null;
  /** The buckets a batch just created (failures and warnings), when it did. */
  newBuckets: Bucket[];
}

/** How a session of a campaign ended. */
export interface EngineResult {
  summary: CampaignSummary;
  /** done: the seed range or time budget is used up; stopped: the signal; */
  endedBy: 'done' | 'stopped';
}

/**
 * Run (or resume) a campaign until it is done or the signal stops it. An
 * operational error (a job the executor cannot run, a store that fails)
 * rejects after the campaign is marked stopped, so it can be resumed.
 */
export async function runCampaign(store: Store, campaignId: string, executor: Executor, options: EngineOptions = {}): Promise<EngineResult> {
  const now = options.now ?? Date.now;
  const minimizeOn = options.minimize ?? true;
  const runsMax = options.minimizeRunsMax ?? MINIMIZE_RUNS_MAX_DEFAULT;
  const inflightMax = executor.concurrency * (options.inflightPerSlot ?? 2);
  const retriesMax = options.infraRetriesMax ?? 3;
  const minimizeSlots = options.minimizeSlots ?? 1;
  const signal = options.signal;

  let campaign = await store.getCampaign(campaignId);
  const startedAt = now();
  const baseMs = campaign.runningMs;
  const runningMs = () => baseMs + (now() - startedAt);
  const workerId = `local-${hostname()}-${process.pid}`;
  if (campaign.state === 'done') return { summary: await store.summary(campaignId), endedBy: 'done' };
  campaign = await store.setState(campaignId, 'running', baseMs);

  const done = DoneSet.of(await store.doneBatches(campaignId));
  const minimizeQueue: MinimizeJob[] = [];
  if (minimizeOn) for (const b of await store.buckets(campaignId)) if (needsMinimizing(b)) minimizeQueue.push(minimizeJobOf(campaign, b, runsMax));
  let nextIndex = 0;
  let exhausted = false;
  let inflight = 0;
  let minimizingNow = 0;
  /** Resolves the main loop's wait: a job ended, or the signal fired. */
  let wake: () => void = () => {};
  let failure: Error | null = null;
  const retries = new Map<number, number>();
  const retryQueue: Batch[] = [];
  let sessionRuns = 0;
  let sessionBatches = 0;
  let lastReport = 0;

  /** See Progress.remainingMs; batchesLeft null when only the time budget ends the campaign. */
  function remainingMs(batchesLeft: number | null, t: number): number | null {
    const budget = campaign.spec.timeBudgetMs === null ? null : Math.max(0, campaign.spec.timeBudgetMs - runningMs());
    const bySeeds = batchesLeft === null || sessionBatches === 0 ? null : (batchesLeft * (t - startedAt)) / sessionBatches;
    if (budget === null) return bySeeds;
    return bySeeds === null ? budget : Math.min(budget, bySeeds);
  }
  const budgetLeft = () => campaign.spec.timeBudgetMs === null || runningMs() < campaign.spec.timeBudgetMs;
  const stopping = () => failure !== null || signal?.aborted === true;

  async function nextBatch(): Promise<Batch | null> {
    const again = retryQueue.shift();
    if (again !== undefined) return again;
    if (exhausted || !budgetLeft()) return null;
    // Past the batches done in one step: a campaign of days has millions, in a few ranges.
    nextIndex = done.nextMissing(nextIndex);
    // A steered campaign deals its next plan from what it has found when it has handed out the last one's batches.
    while (nextIndex >= dealtEnd(campaign)) campaign = await dealNextPlan(store, campaign);
    // A guided batch waits until its cell's earlier epochs are recorded (guide.ts): one of them is in flight, and its end wakes the loop.
    if (guideReadyEnd(campaign, done, nextIndex, 1) === nextIndex) return null;
    const b = batchAt(campaign, nextIndex++);
    if (b === null) exhausted = true;
    return b;
  }

  async function progress(newBuckets: Bucket[]): Promise<void> {
    const t = now();
    if (t - lastReport >= 1000) {
      lastReport = t;
      const elapsedS = Math.max((t - startedAt) / 1000, 0.001);
      await store.reportWorker({ id: workerId, host: hostname(), pid: process.pid, concurrency: executor.concurrency, runs: sessionRuns, runsPerSec: sessionRuns / elapsedS, seenAt: t });
    }
    if (options.onProgress === undefined) return;
    const s = await store.summary(campaignId);
    options.onProgress({
      campaign: s.campaign,
      runs: s.runs,
      failures: s.failures,
      warnings: s.warnings,
      buckets: s.buckets,
      warningBuckets: s.warningBuckets,
      coverage: s.coverage,
      batchesDone: s.batchesDone,
      batchesTotal: s.batchesTotal,
      minimizing: minimizeQueue.length + minimizingNow,
      runningMs: runningMs(),
      remainingMs: remainingMs(s.batchesTotal === null ? null : s.batchesTotal - s.batchesDone, t),
      newBuckets,
    });
  }

  // Two epochs' guides of every cell: the one its batches start from, and the next once its first batch does.
  const guides = new GuideCache(2 * cellCount(campaign.spec));

  async function runOneBatch(b: Batch): Promise<void> {
    let r: BatchResult;
    try {
      r = await executor.runBatch(b, await guides.input(campaign, b, store));
    } catch (e) {
      if (e instanceof InfraError && (retries.get(b.index) ?? 0) < retriesMax) {
        retries.set(b.index, (retries.get(b.index) ?? 0) + 1);
        retryQueue.push(b);
        return;
      }
      throw e;
    }
    sessionRuns += r.runs;
    sessionBatches++;
    const rec = await store.recordBatch(r, runningMs());
    // Done once recorded, not before: a guided batch that waits for this one reads its states from the store.
    done.add(b.index);
    if (minimizeOn) {
      for (const bucket of [...rec.newBuckets, ...rec.lowered]) {
        if (!needsMinimizing(bucket)) continue;
        // A lowered bucket's queued job is of an example that is no longer its lowest: replaced, not run.
        const stale = minimizeQueue.findIndex((j) => j.bucketId === bucket.id);
        if (stale >= 0) minimizeQueue.splice(stale, 1);
        minimizeQueue.push(minimizeJobOf(campaign, bucket, runsMax));
      }
    }
    await progress(rec.newBuckets);
  }

  async function runOneMinimization(job: MinimizeJob): Promise<void> {
    minimizingNow++;
    try {
      // Its example may have stopped being the bucket's lowest while the job waited: that bucket has a newer job.
      const b = await store.bucket(job.campaignId, job.bucketId);
      if (b === null || !needsMinimizing(b) || !ofLowestExample(b, job)) return;
      const m = await executor.minimize(job);
      await store.recordMinimized(job.campaignId, job.bucketId, m);
    } catch (e) {
      // A minimization lost to the infrastructure is simply tried on the next resume.
      if (!(e instanceof InfraError)) throw e;
    } finally {
      minimizingNow--;
    }
    await progress([]);
  }

  function start(work: Promise<void>): void {
    inflight++;
    work
      .catch((e: unknown) => {
        failure ??= e instanceof Error ? e : new Error(String(e));
      })
      .finally(() => {
        inflight--;
        wake();
      });
  }

  const onAbort = () => wake();
  signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      while (!stopping() && inflight < inflightMax) {
        // Up to minimizeSlots minimizations run beside the batches, so a long campaign gets its
        // reproducers as it goes; when the batches are done, every slot minimizes.
        const b = minimizingNow < minimizeSlots && minimizeQueue.length > 0 ? null : await nextBatch();
        if (b !== null) {
          start(runOneBatch(b));
          continue;
        }
        const job = minimizeQueue.shift();
        if (job === undefined) break;
        start(runOneMinimization(job));
      }
      if (inflight === 0) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }

  const finished = failure === null && signal?.aborted !== true && retryQueue.length === 0 && (exhausted || !budgetLeft()) && minimizeQueue.length === 0;
  await store.setState(campaignId, finished ? 'done' : 'stopped', runningMs());
  // This process runs nothing more of it: withdraw now rather than be shown late until the store gives up on it.
  await store.dropWorker(workerId).catch((e: unknown) => {
    failure ??= e instanceof Error ? e : new Error(String(e));
  });
  if (failure !== null) throw failure;
  return { summary: await store.summary(campaignId), endedBy: finished ? 'done' : 'stopped' };
}

/** Whether a bucket still wants its reproducer: a failure bucket not yet minimized (a warning has no failure to keep). */
export function needsMinimizing(b: Bucket): boolean {
  return b.severity === 'failure' && b.minimized === null;
}

/** The minimization job of a failure bucket: its lowest example, the one every run of the campaign ends with. */
export function minimizeJobOf(campaign: Campaign, b: Bucket, runsMax: number): MinimizeJob {
  if (b.severity !== 'failure') throw new FarmError('ESTATE', `bucket ${b.id} of campaign ${campaign.id} is a warning: its runs did not fail, so there is nothing to minimize (its witness scenario is the run to look at)`);
  const ex = b.examples[0];
  if (ex === undefined) throw new FarmError('ESTATE', `bucket ${b.id} of campaign ${campaign.id} has no example to minimize`);
  return {
    campaignId: campaign.id,
    bucketId: b.id,
    title: b.title,
    strategy: b.strategy,
    strategyFile: campaign.spec.strategyFiles.find((r) => r.id === b.strategy) ?? null,
    scenario: ex.scenario,
    blocksPerPage: ex.blocksPerPage,
    scheduler: campaign.spec.scheduler,
    pctDepth: campaign.spec.pctDepth,
    seed: ex.seed,
    ...(ex.reproducer === undefined ? {} : { reproducer: ex.reproducer }),
    runsMax,
    modelVersion: campaign.modelVersion,
  };
}
