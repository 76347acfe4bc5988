/**
 * The campaign model (DESIGN.md, farm): strategies x scenarios, a scheduler
 * and its parameters, a seed range or a time budget, cut into batches. A
 * batch is one seed range of one strategy x scenario; its index says which,
 * so any process can rebuild it, and "recorded once per index" is what makes
 * a result count exactly once.
 */
import { DEFAULTS, MODEL_VERSION, SCENARIOS, SCHEDULERS, STRATEGIES, type RunConfig, type SchedulerId } from '@pcfarm/core';
import { FarmError } from './errors.js';

/** What a campaign asks; every field has a default (CAMPAIGN_DEFAULTS). */
export interface CampaignSpec {
  /** A label for people; not unique. */
  name: string;
  strategies: string[];
  scenarios: string[];
  scheduler: Exclude<SchedulerId, 'replay'>;
  /** PCT bug depth; ignored by the random scheduler. */
  pctDepth: number;
  /** The first seed of every cell. */
  seedStart: number;
  /** Seeds per strategy x scenario cell; null runs until the time budget is spent. */
  seedsPerCell: number | null;
  /** Running time the campaign may take, in milliseconds; null runs the whole seed range. */
  timeBudgetMs: number | null;
  /** Seeds in one batch (one job). */
  batchSeeds: number;
  /** Example seeds a batch reports per bucket, and a bucket keeps. */
  examplesPerBucket: number;
}

export const CAMPAIGN_DEFAULTS = {
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
  pctDepthMax: 16,
  nameLengthMax: 200,
} as const;

export type CampaignState = 'running' | 'stopped' | 'done';

/** A stored campaign. */
export interface Campaign {
  id: string;
  spec: CampaignSpec;
  /** The MODEL_VERSION its results were made with: another version would find other results. */
  modelVersion: string;
  state: CampaignState;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Time spent running, in milliseconds, across every resume (what a time budget counts). */
  runningMs: number;
}

/** One job: a seed range of one strategy x scenario of one campaign. */
export interface Batch {
  campaignId: string;
  /** The batch's place in the campaign's order; its identity. */
  index: number;
  strategy: string;
  scenario: string;
  scheduler: Exclude<SchedulerId, 'replay'>;
  pctDepth: number;
  seedStart: number;
  seedCount: number;
  examplesPerBucket: number;
  modelVersion: string;
}

/**
 * A complete spec from a partial one, checked: an unknown strategy or
 * scenario, a limit out of range or a campaign with neither a seed range nor
 * a time budget is an EBADCAMPAIGN naming the field.
 */
export function campaignSpec(input: Partial<CampaignSpec>): CampaignSpec {
  const bad = (m: string): never => {
    throw new FarmError('EBADCAMPAIGN', m);
  };
  if (input === null || typeof input !== 'object') bad('a campaign spec must be an object');
  const list = (field: 'strategies' | 'scenarios', known: readonly string[]): string[] => {
    const v = input[field] ?? [...known];
    if (!Array.isArray(v) || v.length === 0) bad(`${field} must be a non-empty list; known: ${known.join(', ')}`);
    for (const x of v) if (!known.includes(x)) bad(`unknown ${field === 'strategies' ? 'strategy' : 'scenario'} ${JSON.stringify(x)}; known: ${known.join(', ')}`);
    if (new Set(v).size !== v.length) bad(`${field} lists one twice`);
    return [...v];
  };
  const whole = (field: keyof CampaignSpec, v: unknown, min: number, max: number): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) bad(`${field} must be a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`);
    return v as number;
  };
  const scheduler: string = input.scheduler ?? CAMPAIGN_DEFAULTS.scheduler;
  if (!SCHEDULERS.includes(scheduler as SchedulerId) || scheduler === 'replay') bad(`unknown scheduler ${JSON.stringify(scheduler)}; a campaign runs pct or random`);
  const timeBudgetMs = input.timeBudgetMs == null ? null : whole('timeBudgetMs', input.timeBudgetMs, 1, Number.MAX_SAFE_INTEGER);
  const seedsPerCell =
    input.seedsPerCell === null || (input.seedsPerCell === undefined && timeBudgetMs !== null)
      ? null
      : whole('seedsPerCell', input.seedsPerCell ?? CAMPAIGN_DEFAULTS.seedsPerCell, 1, CAMPAIGN_LIMITS.seedsPerCellMax);
  if (seedsPerCell === null && timeBudgetMs === null) bad('a campaign needs seedsPerCell, timeBudgetMs or both');
  const name = input.name ?? 'campaign';
  if (typeof name !== 'string' || name.length > CAMPAIGN_LIMITS.nameLengthMax) bad(`name must be a string of at most ${CAMPAIGN_LIMITS.nameLengthMax} characters`);
  return {
    name,
    strategies: list('strategies', STRATEGIES),
    scenarios: list('scenarios', SCENARIOS),
    scheduler: scheduler as CampaignSpec['scheduler'],
    pctDepth: whole('pctDepth', input.pctDepth ?? CAMPAIGN_DEFAULTS.pctDepth, 1, CAMPAIGN_LIMITS.pctDepthMax),
    seedStart: whole('seedStart', input.seedStart ?? CAMPAIGN_DEFAULTS.seedStart, 0, Number.MAX_SAFE_INTEGER),
    seedsPerCell,
    timeBudgetMs,
    batchSeeds: whole('batchSeeds', input.batchSeeds ?? CAMPAIGN_DEFAULTS.batchSeeds, 1, CAMPAIGN_LIMITS.batchSeedsMax),
    examplesPerBucket: whole('examplesPerBucket', input.examplesPerBucket ?? CAMPAIGN_DEFAULTS.examplesPerBucket, 1, CAMPAIGN_LIMITS.examplesPerBucketMax),
  };
}

/** A new campaign record for a checked spec. */
export function newCampaign(id: string, spec: CampaignSpec, now: number): Campaign {
  return { id, spec, modelVersion: MODEL_VERSION, state: 'running', createdAt: now, runningMs: 0 };
}

/** The batches a campaign has in all, or null when only its time budget ends it. */
export function batchCount(spec: CampaignSpec): number | null {
  if (spec.seedsPerCell === null) return null;
  return spec.strategies.length * spec.scenarios.length * Math.ceil(spec.seedsPerCell / spec.batchSeeds);
}

/** The seeds a campaign runs in all, or null when only its time budget ends it. */
export function seedCount(spec: CampaignSpec): number | null {
  return spec.seedsPerCell === null ? null : spec.strategies.length * spec.scenarios.length * spec.seedsPerCell;
}

/**
 * Batch `index` of a campaign. Batches go round the cells (every strategy x
 * scenario gets its first batch before any gets its second), so a campaign's
 * first seconds touch every cell and a time budget spreads evenly. Null past
 * the last batch.
 */
export function batchAt(campaign: Campaign, index: number): Batch | null {
  const spec = campaign.spec;
  const cells = spec.strategies.length * spec.scenarios.length;
  const total = batchCount(spec);
  if (!Number.isSafeInteger(index) || index < 0 || (total !== null && index >= total)) return null;
  const cell = index % cells;
  const round = (index - cell) / cells;
  const offset = round * spec.batchSeeds;
  const seedCount = spec.seedsPerCell === null ? spec.batchSeeds : Math.min(spec.batchSeeds, spec.seedsPerCell - offset);
  return {
    campaignId: campaign.id,
    index,
    strategy: spec.strategies[Math.floor(cell / spec.scenarios.length)]!,
    scenario: spec.scenarios[cell % spec.scenarios.length]!,
    scheduler: spec.scheduler,
    pctDepth: spec.pctDepth,
    seedStart: spec.seedStart + offset,
    seedCount,
    examplesPerBucket: spec.examplesPerBucket,
    modelVersion: campaign.modelVersion,
  };
}

/** The run config of a batch's cell. */
export function batchConfig(b: Pick<Batch, 'strategy' | 'scenario' | 'scheduler' | 'pctDepth'>): RunConfig {
  return { strategy: b.strategy, scenario: b.scenario, scheduler: b.scheduler, pctDepth: b.pctDepth };
}
