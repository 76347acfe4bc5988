/**
 * The names the coordinator and the workers agree on: the two BullMQ queues,
 * the job ids, and how a worker's refusal carries its FarmError code in a
 * failed job's reason. A job id is its content's identity (campaign and
 * batch index, or bucket and example), so adding a job again while it
 * exists is a no-op (BullMQ keeps one job per id): a coordinator that
 * restarts and queues what it had queued does not double anything.
 */
import { Job, type Queue } from 'bullmq';
import type { Batch } from './campaign.js';
import type { FarmErrorCode } from './errors.js';

/** The queue of batch jobs (and audit reruns): `${prefix}-batches`. */
export function batchQueueName(prefix: string): string {
  return `${prefix}-batches`;
}

/** The queue of minimization jobs, apart so they never hold up a batch: `${prefix}-minimize`. */
export function minimizeQueueName(prefix: string): string {
  return `${prefix}-minimize`;
}

// BullMQ refuses ':' in custom ids; campaign ids are hex, so '-' separates unambiguously.
export const batchJobId = (campaignId: string, index: number): string => `${campaignId}-${index}`;
export const auditJobId = (campaignId: string, index: number): string => `${campaignId}-a${index}`;
/**
 * A bucket's minimization from one example (a seed of one cell: every cell
 * has the same seeds, so the scenario and blocks per page are part of it); a
 * lower example found later is another job.
 */
export const minimizeJobId = (campaignId: string, bucketId: string, e: { seed: number; scenario: string; blocksPerPage: number }): string => `${campaignId}-m${bucketId}-${e.scenario}-${e.blocksPerPage}-${e.seed}`;

/** Job names on the batch queue: a batch, or the audit rerun of one. */
export type BatchJobName = 'batch' | 'audit';

/** An audit job's payload: the batch, and who ran it first (so that worker lets another take it). */
export interface AuditJobData extends Batch {
  auditOf: string;
  /** Times a worker handed it back for another to run. */
  deferrals?: number;
}

/** The failed reason of a job a worker refused: its FarmError's code first, so the coordinator acts on the code. */
export function refusalReason(code: FarmErrorCode, message: string): string {
  return `${code}: ${message}`;
}

const REFUSAL = /^(E[A-Z]+): /;

/** The FarmError code of a failed job's reason as refusalReason wrote it, or null (a model bug, or a reason of someone else's). */
export function refusalCode(reason: string): FarmErrorCode | null {
  return (REFUSAL.exec(reason)?.[1] as FarmErrorCode | undefined) ?? null;
}

/** A job BullMQ cannot read (its payload is not JSON): its id, and why. */
export interface UnreadableJob {
  id: string;
  error: string;
}

/**
 * The jobs of some states of a queue, like Queue.getJobs, except that a job
 * whose payload is not JSON (written by a client other than BullMQ) is
 * returned apart instead of making the whole read throw.
 */
export async function readJobs(queue: Queue, states: Parameters<Queue['getRanges']>[0], start: number, end: number, asc = false): Promise<{ jobs: Job[]; unreadable: UnreadableJob[] }> {
  const ids = await queue.getRanges(states, start, end, asc);
  const jobs: Job[] = [];
  const unreadable: UnreadableJob[] = [];
  await Promise.all(
    ids.map(async (id) => {
      try {
        const job = await Job.fromId(queue, id);
        if (job !== undefined) jobs.push(job);
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
        unreadable.push({ id, error: e.message });
      }
    }),
  );
  return { jobs, unreadable };
}

/** One job by id as readJobs reads it: undefined when there is none, an UnreadableJob when its payload is not JSON. */
export async function readJob(queue: Queue, id: string): Promise<Job | UnreadableJob | undefined> {
  try {
    return await Job.fromId(queue, id);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return { id, error: e.message };
  }
}
