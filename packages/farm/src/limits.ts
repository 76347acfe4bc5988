/**
 * A campaign's defaults and limits, and the schedulers a campaign may run:
 * one definition each, for the farm's checks, the CLI's help and options,
 * and the dashboard's schemas. Its own entry point (`@pcfarm/farm/limits`),
 * so the CLI's cold start reads them without loading the queues.
 */
import { BLOCKS_PER_PAGE, DEFAULTS, LIMITS, SCHEDULERS, type SchedulerId } from '@pcfarm/core';
import { AUDIT_ONE_IN_DEFAULT } from './audit.js';

/**
 * The largest seed a run takes (the core's Model.run refuses any above it):
 * a campaign, a batch or a hunt whose seeds go past it is refused, not left
 * to fail partway.
 */
export const SEED_MAX = Number.MAX_SAFE_INTEGER;

/** Seeds `start` .. start + count - 1 in words when they run past SEED_MAX (each caller adds what to do), else null. */
export function seedsPastMax(start: number, count: number): string | null {
  return start > SEED_MAX - (count - 1) ? `seeds ${start}..${BigInt(start) + BigInt(count - 1)} run past the largest seed, ${SEED_MAX}` : null;
}

/**
 * A scheduler a campaign runs: every one a user picks but `replay`, which
 * needs a recorded choice list, not seeds; and `guided`, the core's
 * coverage-guided search over the random scheduler, its states shared
 * between a cell's batches (guide.ts).
 */
export type CampaignScheduler = Exclude<SchedulerId, 'replay'> | SearchScheduler;

/**
 * The campaign schedulers whose batches start from what their cell's
 * earlier epochs found (guide.ts): `guided`, and `portfolio`, which gives
 * each batch the scheduler a bandit picks from how the earlier ones did.
 */
export const SEARCH_SCHEDULERS = ['guided', 'portfolio'] as const;
export type SearchScheduler = (typeof SEARCH_SCHEDULERS)[number];

/** Whether a campaign scheduler is a search (SEARCH_SCHEDULERS): its batches go in epochs, and its examples are reproducers. */
export function isSearchScheduler(s: string): s is SearchScheduler {
  return (SEARCH_SCHEDULERS as readonly string[]).includes(s);
}

/** The schedulers a campaign may run, in the core's order (the core's list, so a new scheduler is a campaign's too), then the searches. */
export const CAMPAIGN_SCHEDULERS: readonly CampaignScheduler[] = [...SCHEDULERS.filter((s): s is Exclude<SchedulerId, 'replay'> => s !== 'replay'), ...SEARCH_SCHEDULERS];

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
 * How a campaign bounded only by its time budget is steered (steer.ts): it
 * spends its time where it still finds things. Every cell first gets
 * firstBatchesPerCell batches, round the cells as a seed-bounded campaign
 * deals them (so nothing is starved and its canaries run); after that the
 * batches are dealt in plans, and each plan gives a cell a share that
 * follows its residual risk (the chance its next run reaches coverage or a
 * bucket none has: risk.ts), but never less than floorPct percent of an
 * even share. A plan is planBatchesPerCellMin batches per cell, or
 * planGrowthPct percent of the batches dealt before it when that is more:
 * the shares follow the risk closely early on, and a campaign of weeks
 * keeps few plans (about 60 for a million batches).
 */
export const STEER_DEFAULTS = {
  /** Batches every cell gets, in the matrix's order, before the risk steers (a spec field: it fixes what every batch index means). */
  firstBatchesPerCell: 2,
  /** A cell's least share of a plan, in percent of an even share (a spec field). */
  floorPct: 25,
} as const;

/** Bounds a steered spec is checked against, and the plans' size (the same for every campaign: a plan once dealt is kept whole). */
export const STEER_LIMITS = {
  firstBatchesPerCellMax: 1_000,
  /** floorPct at most: 100 is an even deal. */
  floorPctMax: 100,
  /** A plan's batches per cell, at least. */
  planBatchesPerCellMin: 4,
  /** A plan's batches, at least, in percent of those dealt before it. */
  planGrowthPct: 12.5,
} as const;

/**
 * How a guided or portfolio campaign shares what its batches find
 * (guide.ts), spec fields all: they decide what every batch runs. A cell's
 * rounds are cut into epochs that double up to epochRounds rounds; a batch
 * starts from what its cell's earlier epochs found. A guided batch starts
 * from their states, at most corpusMax of them, and adds at most
 * batchStatesMax of its own (none once its cell has corpusMax), so a cell's
 * stored corpus stays under corpusMax plus epochRounds x batchStatesMax
 * states. A portfolio batch runs the arm the bandit picks from the earlier
 * batches' tallies (portfolioArm).
 */
export const GUIDE_DEFAULTS = {
  epochRounds: 16,
  corpusMax: 512,
  batchStatesMax: 64,
  /** A spec given none has none; a new campaign is given what the store holds (pollen.ts, POLLEN_DEFAULTS). */
  pollen: [] as readonly string[],
} as const;

/**
 * The portfolio's bandit weighs what each arm found lately: its batches in
 * the last this many epochs' worth of rounds (epochRounds each) before a
 * batch's epoch (guide.ts, portfolioArm). An arm with none there is tried
 * again, once, as a new one is: a campaign of weeks keeps checking that its
 * favourite is still best.
 */
export const PORTFOLIO_LATELY_EPOCHS = 2;

/** Bounds a guided spec is checked against. */
export const GUIDE_LIMITS = {
  epochRoundsMax: 1_024,
  /** A guide travels to every batch of its epoch: a few hundred kilobytes at most. */
  corpusMaxMax: 4_096,
  batchStatesMaxMax: 1_024,
  /** Reproducers a spec's pollen holds, at most: each a few hundred bytes, read by every batch of the campaign. */
  pollenMax: 256,
} as const;

/**
 * What a new guided or portfolio campaign gathers as its pollen
 * (pollen.ts): from the newest campaignsMax campaigns of this model version
 * and verify's counterexamples, at most perCellMax failures for each of its
 * scenario x blocks per page cells, taken a strategy at a time so that the
 * most strategies are heard; at most GUIDE_LIMITS.pollenMax in all.
 */
export const POLLEN_DEFAULTS = {
  campaignsMax: 64,
  perCellMax: 8,
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
