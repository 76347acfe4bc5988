/**
 * A bounded search on the BullMQ farm (issue 13): the caller cuts it into
 * subtrees, each subtree is a job on the verify queue whose id is the
 * search's identity and the subtree's place in the cut, and the farm's
 * workers run them as the local pool's threads do (verify-pool.ts). A job
 * id names one subtree of one search, so a subtree is run once whoever adds
 * it, and the same search asked again (its jobs kept a day) is answered from
 * the results already there: exactly once, as a campaign's batches are.
 */
import { createHash } from 'node:crypto';
import type { DeepeningResult, Outcome, VerifyBounds, VerifyResult } from '@pcfarm/core';
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { FarmError } from './errors.js';
import { refusalCode } from './farm-queues.js';
import { PayloadReader } from './payload.js';
import type { StrategyResolver } from './strategy-files.js';
import { checkVerifyJob, runVerifyJob, type VerifyJob } from './verify-job.js';
import { verifyDeepeningSpread, type PoolVerifyOptions, type SearchRunner, type VerifyCell } from './verify-pool.js';

/** The queue of subtree jobs, apart from batches and minimizations: `${prefix}-verify`. */
export function verifyQueueName(prefix: string): string {
  return `${prefix}-verify`;
}

/** A subtree's job id: its search's identity and its place in the cut. */
export const verifyJobId = (search: string, index: number): string => `${search}-v${index}`;

/** How long a finished subtree's job (and its result) is kept, in seconds: the same search asked again within it costs nothing. */
export const VERIFY_JOBS_KEPT_S = 86_400;

/** A subtree job's payload: the search it is part of, its place in the cut of `of` subtrees, and the job. */
export interface FarmSubtreeJob {
  search: string;
  index: number;
  of: number;
  job: VerifyJob;
}

/** A search's identity: everything that decides its cut and its schedules (cell, strategy file by source hash, bounds, model version, subtrees). */
export function searchIdentity(job: Pick<VerifyJob, 'strategy' | 'strategyFile' | 'scenario' | 'blocksPerPage' | 'bounds' | 'modelVersion'>, of: number): string {
  const b = job.bounds;
  const fields = [job.strategy, job.strategyFile?.sourceHash ?? '', job.scenario, job.blocksPerPage, b.preemptionsMax, b.delaysMax ?? null, b.reclaimActionsMax, b.paramsMax, job.modelVersion, of];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex').slice(0, 16);
}

/**
 * A subtree job from a payload off the queue, checked: a malformed one, a
 * split job, or one whose id is not its own search's and place's (another
 * client's job under the farm's name) is an EBADJOB naming what is wrong.
 */
export function checkFarmSubtreeJob(payload: unknown, jobId: string | undefined): FarmSubtreeJob {
  const r = new PayloadReader(payload, 'verify subtree job');
  const p = payload as Record<string, unknown>;
  const of = r.whole('of', 1, 1_000_000);
  const index = r.whole('index', 0, of - 1);
  const search = r.str('search');
  const job = checkVerifyJob(p.job);
  if (job.kind !== 'subtree') r.bad('job must be a subtree, not a split: the caller cuts the search');
  const want = searchIdentity(job, of);
  if (search !== want) throw new FarmError('EBADJOB', `verify job ${jobId} names search ${search}, but its cell, bounds and model are search ${want}'s`);
  if (jobId !== verifyJobId(search, index)) throw new FarmError('EBADJOB', `verify job ${jobId} carries subtree ${index} of search ${search}, whose job id is ${verifyJobId(search, index)}`);
  return { search, index, of, job };
}

/** A subtree's result as a job's return value (JSON: the class forms a plain list). */
export type StoredVerifyResult = Omit<VerifyResult, 'forms'> & { forms: number[] };

export function storedResult(r: VerifyResult): StoredVerifyResult {
  return { ...r, forms: Array.from(r.forms) };
}

function resultOf(s: StoredVerifyResult): VerifyResult {
  return { ...s, failure: s.failure as Outcome | null, forms: Uint32Array.from(s.forms) };
}

/**
 * The farm as a runner of one search's subtrees: the cut is made here (it
 * is cheap: one run per cut point), the subtrees are queued, and their
 * results read back as the workers finish them. A subtree a worker refused
 * (its strategy file nowhere, a model version it does not run) fails the
 * search with its reason.
 */
export function farmRunner(queue: Queue, events: QueueEvents, resolve: StrategyResolver): SearchRunner {
  let ids: string[] = [];
  const cancelled: ((r: null) => void)[] = [];
  return {
    async split(job) {
      const r = runVerifyJob(job, resolve, Date.now);
      if (r.kind !== 'split') throw new Error('farm bug: a split job answered with a subtree');
      return r.subtrees;
    },
    run(jobs) {
      const search = searchIdentity(jobs[0]!, jobs.length);
      ids = jobs.map((_, i) => verifyJobId(search, i));
      return jobs.map(async (job, i) => {
        const cancel = new Promise<null>((res) => (cancelled[i] = res));
        const data: FarmSubtreeJob = { search, index: i, of: jobs.length, job: { ...job, cancel: null } };
        const added: Job = await queue.add('subtree', data, { jobId: ids[i]!, removeOnComplete: { age: VERIFY_JOBS_KEPT_S }, removeOnFail: { age: VERIFY_JOBS_KEPT_S } });
        const done = added.waitUntilFinished(events).then(
          (v: StoredVerifyResult) => resultOf(v),
          (e: Error) => {
            const code = refusalCode(e.message);
            throw code === null ? e : new FarmError(code, `subtree ${i} of the search: ${e.message.slice(code.length + 2)}`);
          },
        );
        // Once cancelled nobody reads it: its end (a removed job never finishes) is no one's error.
        done.catch(() => undefined);
        return Promise.race([done, cancel]);
      });
    },
    cancelAfter(i) {
      for (let j = i + 1; j < ids.length; j++) {
        cancelled[j]?.(null);
        // A waiting job goes; one a worker holds finishes, and its result is not read.
        void queue.remove(ids[j]!).catch(() => 0);
      }
    },
  };
}


/**
 * verifyDeepening on the farm whose Redis is `redis` under `prefix`: the
 * workers there run the subtrees of every bound; `resolve` finds a strategy
 * file here to cut the search with.
 */
export async function verifyDeepeningOnFarm(
  redis: Redis,
  prefix: string,
  resolve: StrategyResolver,
  cell: VerifyCell,
  bounds: VerifyBounds,
  upTo: number,
  options: PoolVerifyOptions = {},
): Promise<DeepeningResult & { subtrees: number }> {
  const queue = new Queue(verifyQueueName(prefix), { connection: redis });
  // Every subtree in flight waits on the queue with a listener of its own (Job.waitUntilFinished), and a cut has at
  // least SPLIT_SUBTREES_MIN: past Node's default of 10 it printed a leak warning on every verify --farm.
  queue.setMaxListeners(0);
  // QueueEvents blocks on its connection: one of its own, which is ours to end (BullMQ leaves a connection it was
  // given open on close, and this one would reconnect for as long as the process lives).
  const blocking = redis.duplicate();
  const events = new QueueEvents(verifyQueueName(prefix), { connection: blocking });
  try {
    await events.waitUntilReady();
    return await verifyDeepeningSpread(() => farmRunner(queue, events, resolve), cell, bounds, upTo, options);
  } finally {
    await events.close();
    await queue.close();
    blocking.disconnect();
  }
}
