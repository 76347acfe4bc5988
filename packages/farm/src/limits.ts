/**
 * A campaign's defaults and limits, and the schedulers a campaign may run:
 * one definition each, for the farm's checks, the CLI's help and options,
 * and the dashboard's schemas. Its own entry point (`@pcfarm/farm/limits`),
 * so the CLI's cold start reads them without loading the queues.
 */
import { BLOCKS_PER_PAGE, DEFAULTS, LIMITS, SCHEDULERS, type SchedulerId } from '@pcfarm/core';
import { AUDIT_ONE_IN_DEFAULT } from './audit.js';

/** A scheduler a campaign runs: every one a user picks but `replay`, which needs a recorded choice list, not seeds. */
export type CampaignScheduler = Exclude<SchedulerId, 'replay'>;

/** The schedulers a campaign may run, in the core's order (the core's list, so a new scheduler is a campaign's too). */
export const CAMPAIGN_SCHEDULERS: readonly CampaignScheduler[] = SCHEDULERS.filter((s): s is CampaignScheduler => s !== 'replay');

export const CAMPAIGN_DEFAULTS = {
  /** Every value the model takes: a bug of sub-page buffers is found without asking for it. */
  blocksPerPage: BLOCKS_PER_PAGE,
  scheduler: 'pct',
  pctDepth: DEFAULTS.pctDepth,
  seedStart: 0,
  seedsPerCell: 2000,
  batchSeeds: 250,
  examplesPerBucket: 5,
} as const;

/** Bounds a spec is checked against: a campaign outside them is a mistake, not a wish. */
export const CAMPAIGN_LIMITS = {
  batchSeedsMax: 100_000,
  seedsPerCellMax: Number.MAX_SAFE_INTEGER,
  examplesPerBucketMax: 50,
  /** The PCT scheduler's bug depth, at most: the model's own bound. */
  pctDepthMax: LIMITS.pctDepthMax,
  nameLengthMax: 200,
} as const;

/**
 * A farm worker's defaults (FarmWorkerOptions): the job lock in ms, which
 * decides how soon a dead worker's batches run again elsewhere (within about
 * 1.5 locks); the times a job may stall and still run again; how often a
 * worker reports itself, in ms; and the batch jobs it takes per thread.
 */
export const FARM_WORKER_DEFAULTS = { lockMs: 30_000, stalledRetriesMax: 2, heartbeatMs: 2_000, jobsPerThread: 2 } as const;

/** The stalled check's period for a lock of `lockMs`: half of it, so a dead worker's job runs again within about 1.5 lockMs. */
export function stalledCheckMsFor(lockMs: number): number {
  return Math.max(1, Math.floor(lockMs / 2));
}

/** A coordinator's defaults: each is described where CoordinatorOptions takes it (coordinator.ts). */
export const COORDINATOR_DEFAULTS = {
  queuedPerWorker: 2,
  auditOneIn: AUDIT_ONE_IN_DEFAULT,
  tickMs: 250,
  leaseMs: 15_000,
  reconcileMs: 5_000,
  progressMs: 10_000,
  infraRetriesMax: 3,
  retryBackoffMs: 1_000,
  refusedRetryMs: 5_000,
} as const;
