/** The campaign spec the options ask for: `pcfarm fuzz` and `pcfarm campaign start` take the same options. */
import { SCENARIOS, STRATEGIES } from '@pcfarm/core';
import { campaignSpec, FarmError, type CampaignSpec } from '@pcfarm/farm/local';
import { CAMPAIGN_DEFAULTS, CAMPAIGN_LIMITS, CAMPAIGN_SCHEDULERS, STEER_DEFAULTS, STEER_LIMITS } from '@pcfarm/farm/limits';
import { blocksPerPageList, listOf, oneOf, pctDepthOf, UsageError, wholeNumber, type Parsed } from './args.js';
import type { StrategyFiles } from './strategy-files.js';

/** Milliseconds in a second, for --time-s. */
const MS_PER_S = 1000;

/**
 * The options of SPEC_OPTIONS given, as a checked campaign spec; `name`
 * labels it (default: what it runs). `files`, the --strategy-file files
 * loaded, are recorded by reference (id, source hash, path); with them and
 * no --strategy the campaign runs only their strategies.
 */
export function specOf(p: Parsed, files: StrategyFiles, name?: string): CampaignSpec {
  const input: Partial<CampaignSpec> = {};
  const strategies = listOf(p, 'strategy', 'strategies', [...STRATEGIES, ...files.ids]);
  if (files.list.length > 0) input.strategyFiles = files.list.map((f) => ({ id: f.id, sourceHash: f.sourceHash, path: f.path }));
  const scenarios = listOf(p, 'scenario', 'scenarios', SCENARIOS);
  const bpps = blocksPerPageList(p);
  const scheduler = oneOf('scheduler', 'schedulers a campaign runs', p.options.get('scheduler'), CAMPAIGN_SCHEDULERS);
  const pctDepth = pctDepthOf(p);
  if (strategies) input.strategies = strategies;
  if (scenarios) input.scenarios = scenarios;
  if (bpps) input.blocksPerPage = bpps;
  if (scheduler !== undefined) input.scheduler = scheduler;
  if (pctDepth !== undefined) input.pctDepth = pctDepth;
  if (p.options.has('seed-start')) input.seedStart = wholeNumber('seed-start', p.options.get('seed-start'), 0);
  if (p.options.has('seeds')) input.seedsPerCell = wholeNumber('seeds', p.options.get('seeds'), 0, 1, CAMPAIGN_LIMITS.seedsPerCellMax);
  if (p.options.has('time-s')) {
    input.timeBudgetMs = wholeNumber('time-s', p.options.get('time-s'), 0, 1, Math.floor(Number.MAX_SAFE_INTEGER / MS_PER_S)) * MS_PER_S;
    if (!p.options.has('seeds')) input.seedsPerCell = null;
  }
  if (p.options.has('steer-floor-pct')) {
    if (input.seedsPerCell !== null) throw new UsageError('--steer-floor-pct steers a campaign of --time-s T without --seeds: a seed range gives every cell the same seeds');
    input.steer = { ...STEER_DEFAULTS, floorPct: wholeNumber('steer-floor-pct', p.options.get('steer-floor-pct'), 0, 0, STEER_LIMITS.floorPctMax) };
  }
  if (p.options.has('no-pollen') && scheduler !== 'guided' && scheduler !== 'portfolio') throw new UsageError('--no-pollen is for --scheduler guided or portfolio: no other scheduler replays pollen');
  if (p.options.has('batch-seeds')) input.batchSeeds = wholeNumber('batch-seeds', p.options.get('batch-seeds'), 0, 1, CAMPAIGN_LIMITS.batchSeedsMax);
  input.name = name ?? [input.strategies?.join(',') ?? (files.ids.length > 0 ? files.ids.join(',') : 'every strategy'), input.scenarios?.join(',') ?? 'every scenario', `bpp ${(input.blocksPerPage ?? CAMPAIGN_DEFAULTS.blocksPerPage).join(',')}`].join(' x ');
  try {
    return campaignSpec(input);
  } catch (e) {
    if (e instanceof FarmError) throw new UsageError(e.message);
    throw e;
  }
}

/** Whether a campaign made from these options is given the store's pollen (farm's withPollen): unless --no-pollen. */
export const wantsPollen = (p: Parsed): boolean => !p.options.has('no-pollen');
