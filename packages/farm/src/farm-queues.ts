/**
 * The names the coordinator and the workers agree on: the two BullMQ queues
 * and the job ids. A job id is its content's identity (campaign and batch
 * index, or bucket), so adding a job again while it exists is a no-op
 * (BullMQ keeps one job per id): a coordinator that restarts and queues what
 * it had queued does not double anything.
 */
import type { Batch } from './campaign.js';

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
export const minimizeJobId = (campaignId: string, bucketId: string): string => `${campaignId}-m${bucketId}`;

/** Job names on the batch queue: a batch, or the audit rerun of one. */
export type BatchJobName = 'batch' | 'audit';

/** An audit job's payload: the batch, and who ran it first (so that worker lets another take it). */
export interface AuditJobData extends Batch {
  auditOf: string;
  /** Times a worker handed it back for another to run. */
  deferrals?: number;
}

/** The prefix of a failed job's reason when a worker refused it for its model version. */
export const REFUSED_MODEL_VERSION = 'EMODELVERSION';
