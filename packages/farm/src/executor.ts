import type { BatchResult, GuidedInput } from './batch.js';
import type { Batch } from './campaign.js';
import type { Minimized, MinimizeJob } from './minimize-job.js';
import type { VerifyJob, VerifyJobResult } from './verify-job.js';

/**
 * What runs a campaign's jobs: the local pool of worker threads, or (for a
 * test) anything else that turns a batch into its result. A job's promise
 * rejects with an InfraError when the executor lost it (a thread died) and
 * it may be run again; any other rejection is a bug that running it again
 * would only repeat.
 */
export interface Executor {
  /** Jobs it runs at once. */
  readonly concurrency: number;
  /** A batch of a guided campaign comes with its guide (guide.ts); any other with none. */
  runBatch(b: Batch, guided?: GuidedInput | null): Promise<BatchResult>;
  minimize(job: MinimizeJob): Promise<Minimized>;
  /** A part of a bounded search (verify-job.ts), when it has threads for it; without, a farm worker runs it on its own thread. */
  verify?(job: VerifyJob): Promise<VerifyJobResult>;
  close(): Promise<void>;
}

/** A job lost to the infrastructure, not failed by its own content: running it again is right. */
export class InfraError extends Error {
  override readonly name = 'InfraError';
}
