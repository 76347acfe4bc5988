/**
 * The campaign model (DESIGN.md, farm): strategies x scenarios x blocks per
 * page, a scheduler and its parameters, a seed range or a time budget, cut
 * into batches. A batch is one seed range of one cell; its index says which,
 * so any process can rebuild it, and "recorded once per index" is what makes
 * a result count exactly once.
 */
import { BLOCKS_PER_PAGE, decodeReproducer, DEFAULTS, MODEL_VERSION, SCENARIOS, STRATEGIES, type RunConfig } from '@pcfarm/core';
import { FarmError } from './errors.js';
import { checkStrategyFileRef, type StrategyFileRef } from './strategy-ref.js';
import type { GuideSpec } from './guide.js';
import { CAMPAIGN_DEFAULTS, CAMPAIGN_LIMITS, CAMPAIGN_SCHEDULERS, GUIDE_DEFAULTS, GUIDE_LIMITS, isSearchScheduler, SEARCH_SCHEDULERS, SEED_MAX, seedsPastMax, STEER_DEFAULTS, STEER_LIMITS, type CampaignScheduler } from './limits.js';

/** What a campaign asks; every field has a default (CAMPAIGN_DEFAULTS). */
export interface CampaignSpec {
  /** A label for people; not unique. */
  name: string;
  /** Strategy ids: built-in ones and those of strategyFiles. */
  strategies: string[];
  /**
   * The strategy files the campaign runs, each pinned by its source hash:
   * what a worker needs to find the same file (never its code).
   */
  strategyFiles: StrategyFileRef[];
  scenarios: string[];
  /**
   * Disk blocks per page, each a cell axis: 1 is whole-page buffers, 2 and 4
   * sub-page buffers, where a page is partly uptodate, partly new.
   */
  blocksPerPage: number[];
  scheduler: CampaignScheduler;
  /** PCT bug depth; ignored by the random scheduler. */
  pctDepth: number;
  /** The first seed of every cell. */
  seedStart: number;
  /** Seeds per strategy x scenario x blocks-per-page cell; null runs until the time budget is spent. */
  seedsPerCell: number | null;
  /** Running time the campaign may take, in milliseconds; null runs the whole seed range. */
  timeBudgetMs: number | null;
  /** Seeds in one batch (one job). */
  batchSeeds: number;
  /** Example seeds a batch reports per bucket, and a bucket keeps. */
  examplesPerBucket: number;
  /**
   * How a campaign bounded only by its time budget deals its batches
   * (STEER_DEFAULTS says what each field means); null: round the cells, as a
   * seed-bounded campaign, and as a campaign of an earlier pcfarm.
   */
  steer: SteerSpec | null;
  /**
   * How a guided or portfolio campaign shares what its batches find with
   * the cell's later ones (GUIDE_DEFAULTS says what each field means); null
   * for every other scheduler, and for a campaign of an earlier pcfarm.
   */
  guide: GuideSpec | null;
}

/** See STEER_DEFAULTS. */
export interface SteerSpec {
  firstBatchesPerCell: number;
  floorPct: number;
}

/**
 * The plans of a steered campaign, in the order they were dealt: plan p
 * gives cell c (cellAt's order) deal[p][c] batches. Batch indexes stay
 * dense (the stores' done ranges and Redis's doneBelow fold as before);
 * which cell and seeds an index names is what the plans say.
 */
export type Deal = number[][];

export { CAMPAIGN_DEFAULTS, CAMPAIGN_LIMITS };

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
  /** Its plans, when it is steered (spec.steer); empty for any other. A plan, once stored, never changes. */
  deal: Deal;
}

/** One job: a seed range of one strategy x scenario x blocks per page of one campaign. */
export interface Batch {
  campaignId: string;
  /** The batch's place in the campaign's order; its identity. */
  index: number;
  strategy: string;
  /** The strategy's file, when it is not a built-in: the worker runs it only with a file of this hash. */
  strategyFile: StrategyFileRef | null;
  scenario: string;
  blocksPerPage: number;
  scheduler: CampaignScheduler;
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
  const files = (): StrategyFileRef[] => {
    const v: unknown = input.strategyFiles ?? [];
    if (!Array.isArray(v)) bad(`strategyFiles must be a list of {id, sourceHash, path}, not ${JSON.stringify(v)}`);
    const refs = (v as unknown[]).map((x, i) => checkStrategyFileRef(x, (m) => bad(`strategyFiles[${i}]: ${m}`)));
    const ids = refs.map((r) => r.id);
    if (new Set(ids).size !== ids.length) bad('strategyFiles names one strategy id twice');
    return refs;
  };
  const strategyFiles = files();
  const fileIds = strategyFiles.map((r) => r.id);
  const list = (field: 'strategies' | 'scenarios', known: readonly string[], byDefault: readonly string[] = known): string[] => {
    const v = input[field] ?? [...byDefault];
    if (!Array.isArray(v) || v.length === 0) bad(`${field} must be a non-empty list; known: ${known.join(', ')}`);
    for (const x of v) if (!known.includes(x)) bad(`unknown ${field === 'strategies' ? 'strategy' : 'scenario'} ${JSON.stringify(x)}; known: ${known.join(', ')}`);
    if (new Set(v).size !== v.length) bad(`${field} lists one twice`);
    return [...v];
  };
  const blocksPerPage = (): number[] => {
    const v: unknown = input.blocksPerPage ?? [...CAMPAIGN_DEFAULTS.blocksPerPage];
    const known = BLOCKS_PER_PAGE.join(', ');
    if (!Array.isArray(v) || v.length === 0) bad(`blocksPerPage must be a non-empty list of ${known}, not ${JSON.stringify(v)}`);
    for (const x of v as unknown[]) if (!BLOCKS_PER_PAGE.includes(x as number)) bad(`blocksPerPage must list only ${known} (disk blocks per page), not ${JSON.stringify(x)}`);
    if (new Set(v as number[]).size !== (v as number[]).length) bad('blocksPerPage lists one twice');
    return [...(v as number[])];
  };
  const whole = (field: keyof CampaignSpec, v: unknown, min: number, max: number): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) bad(`${field} must be a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`);
    return v as number;
  };
  const scheduler: string = input.scheduler ?? CAMPAIGN_DEFAULTS.scheduler;
  if (!CAMPAIGN_SCHEDULERS.includes(scheduler as CampaignScheduler)) bad(`unknown scheduler ${JSON.stringify(scheduler)}; a campaign runs ${CAMPAIGN_SCHEDULERS.slice(0, -1).join(', ')} or ${CAMPAIGN_SCHEDULERS.at(-1)}`);
  const timeBudgetMs = input.timeBudgetMs == null ? null : whole('timeBudgetMs', input.timeBudgetMs, 1, Number.MAX_SAFE_INTEGER);
  const seedsPerCell =
    input.seedsPerCell === null || (input.seedsPerCell === undefined && timeBudgetMs !== null)
      ? null
      : whole('seedsPerCell', input.seedsPerCell ?? CAMPAIGN_DEFAULTS.seedsPerCell, 1, CAMPAIGN_LIMITS.seedsPerCellMax);
  if (seedsPerCell === null && timeBudgetMs === null) bad('a campaign needs seedsPerCell, timeBudgetMs or both');
  const name = input.name ?? null;
  if (name !== null && (typeof name !== 'string' || name.length > CAMPAIGN_LIMITS.nameLengthMax)) bad(`name must be a string of at most ${CAMPAIGN_LIMITS.nameLengthMax} characters`);
  const seedStart = whole('seedStart', input.seedStart ?? CAMPAIGN_DEFAULTS.seedStart, 0, SEED_MAX);
  const batchSeeds = whole('batchSeeds', input.batchSeeds ?? CAMPAIGN_DEFAULTS.batchSeeds, 1, CAMPAIGN_LIMITS.batchSeedsMax);
  // Every seed must be one a run takes: a range past the last would fail its first batch, and the
  // campaign would stop with nothing run. A time budget's range has no end: its first batch must fit.
  const seeds = seedsPerCell ?? batchSeeds;
  const past = seedsPastMax(seedStart, seeds);
  if (past !== null) bad(`${past}: start at ${SEED_MAX - (seeds - 1)} at most (seedStart), or run fewer seeds`);
  const steer = (): SteerSpec | null => {
    const v: unknown = input.steer === undefined ? (seedsPerCell === null ? STEER_DEFAULTS : null) : input.steer;
    if (v === null) return null;
    if (typeof v !== 'object') bad(`steer must be null or {firstBatchesPerCell, floorPct}, not ${JSON.stringify(v)}`);
    if (seedsPerCell !== null) bad('steer needs a campaign bounded by its time budget alone (seedsPerCell null): a seed range gives every cell the same seeds');
    const o = v as Partial<SteerSpec>;
    return {
      firstBatchesPerCell: whole('steer', o.firstBatchesPerCell ?? STEER_DEFAULTS.firstBatchesPerCell, 1, STEER_LIMITS.firstBatchesPerCellMax),
      floorPct: whole('steer', o.floorPct ?? STEER_DEFAULTS.floorPct, 0, STEER_LIMITS.floorPctMax),
    };
  };
  const guide = (): GuideSpec | null => {
    const search = isSearchScheduler(scheduler);
    const fields = '{epochRounds, corpusMax, batchStatesMax, pollen}';
    const v: unknown = input.guide === undefined ? (search ? GUIDE_DEFAULTS : null) : input.guide;
    if (v === null) {
      if (search) bad(`guide must be ${fields} for the ${scheduler} scheduler, not null`);
      return null;
    }
    if (typeof v !== 'object') bad(`guide must be null or ${fields}, not ${JSON.stringify(v)}`);
    if (!search) bad(`guide is for the ${SEARCH_SCHEDULERS.join(' and ')} schedulers, not ${scheduler}`);
    const o = v as Partial<GuideSpec>;
    const pollen: unknown = o.pollen ?? [];
    if (!Array.isArray(pollen) || pollen.length > GUIDE_LIMITS.pollenMax) bad(`guide.pollen must be a list of at most ${GUIDE_LIMITS.pollenMax} reproducers (pcfarm1:...), not ${JSON.stringify(pollen).slice(0, 80)}`);
    (pollen as unknown[]).forEach((r, i) => {
      if (typeof r !== 'string') bad(`guide.pollen[${i}] must be a reproducer (pcfarm1:...), not ${JSON.stringify(r)}`);
      try {
        decodeReproducer(r as string, null);
      } catch (e) {
        bad(`guide.pollen[${i}]: ${(e as Error).message}`);
      }
    });
    return {
      epochRounds: whole('guide', o.epochRounds ?? GUIDE_DEFAULTS.epochRounds, 1, GUIDE_LIMITS.epochRoundsMax),
      corpusMax: whole('guide', o.corpusMax ?? GUIDE_DEFAULTS.corpusMax, 1, GUIDE_LIMITS.corpusMaxMax),
      batchStatesMax: whole('guide', o.batchStatesMax ?? GUIDE_DEFAULTS.batchStatesMax, 0, GUIDE_LIMITS.batchStatesMaxMax),
      pollen: [...(pollen as string[])],
    };
  };
  const strategies = list('strategies', [...STRATEGIES, ...fileIds], fileIds.length > 0 ? fileIds : STRATEGIES);
  const scenarios = list('scenarios', SCENARIOS);
  const bpps = blocksPerPage();
  return {
    name: name ?? cellsName(strategies, fileIds.length > 0 ? fileIds : STRATEGIES, scenarios, bpps),
    strategies,
    strategyFiles,
    scenarios,
    blocksPerPage: bpps,
    scheduler: scheduler as CampaignSpec['scheduler'],
    pctDepth: whole('pctDepth', input.pctDepth ?? CAMPAIGN_DEFAULTS.pctDepth, 1, CAMPAIGN_LIMITS.pctDepthMax),
    seedStart,
    seedsPerCell,
    timeBudgetMs,
    batchSeeds,
    examplesPerBucket: whole('examplesPerBucket', input.examplesPerBucket ?? CAMPAIGN_DEFAULTS.examplesPerBucket, 1, CAMPAIGN_LIMITS.examplesPerBucketMax),
    steer: steer(),
    guide: guide(),
  };
}

/**
 * A campaign's name when its spec gives none (a dashboard form left blank, an
 * API client): its cells as fuzz names them, "v2.6.20,two-copy x
 * self-mmap-write x bpp 1,2,4", a full list said as "every strategy" or
 * "every scenario"; cut to CAMPAIGN_LIMITS.nameLengthMax. A list of
 * campaigns all called "campaign" says nothing.
 */
function cellsName(strategies: readonly string[], allStrategies: readonly string[], scenarios: readonly string[], bpps: readonly number[]): string {
  const every = (list: readonly string[], all: readonly string[], what: string) => (list.length === all.length && all.every((x) => list.includes(x)) ? `every ${what}` : list.join(','));
  const name = [every(strategies, allStrategies, 'strategy'), every(scenarios, SCENARIOS, 'scenario'), `bpp ${bpps.join(',')}`].join(' x ');
  return name.length <= CAMPAIGN_LIMITS.nameLengthMax ? name : `${name.slice(0, CAMPAIGN_LIMITS.nameLengthMax - 1)}…`;
}

/** A new campaign record for a checked spec. */
export function newCampaign(id: string, spec: CampaignSpec, now: number): Campaign {
  return { id, spec, modelVersion: MODEL_VERSION, state: 'running', createdAt: now, runningMs: 0, deal: [] };
}

/**
 * A spec as an earlier pcfarm stored it: before blocks per page was an axis,
 * every campaign ran whole-page buffers (the model's default of 1), which a
 * missing field must not turn into the axis' default.
 */
export function upgradeSpec<S extends Partial<CampaignSpec>>(spec: S): S {
  let s = spec;
  if (s.blocksPerPage === undefined) s = { ...s, blocksPerPage: [DEFAULTS.blocksPerPage] };
  // Before strategy files, every strategy was a built-in.
  if (s.strategyFiles === undefined) s = { ...s, strategyFiles: [] };
  // Before steering, every campaign went round its cells: its batch indexes keep that meaning.
  if (s.steer === undefined) s = { ...s, steer: null };
  // Before guided campaigns, none was.
  if (s.guide === undefined) s = { ...s, guide: null };
  // Before pollination, a guided campaign's cells started from nothing.
  if (s.guide != null && s.guide.pollen === undefined) s = { ...s, guide: { ...s.guide, pollen: [] } };
  return s;
}

/** A stored campaign, upgraded (see upgradeSpec). */
export function upgradeCampaign(c: Campaign): Campaign {
  const spec = c.spec.blocksPerPage === undefined || c.spec.strategyFiles === undefined || c.spec.steer === undefined || c.spec.guide === undefined || (c.spec.guide !== null && c.spec.guide.pollen === undefined) ? upgradeSpec(c.spec) : c.spec;
  return spec === c.spec && c.deal !== undefined ? c : { ...c, spec, deal: c.deal ?? [] };
}

/** The cells of a campaign: strategies x scenarios x blocks per page. */
export function cellCount(spec: CampaignSpec): number {
  return spec.strategies.length * spec.scenarios.length * spec.blocksPerPage.length;
}

/** The batches a campaign has in all, or null when only its time budget ends it. */
/** The seeds a full batch of `spec` holds: batchSeeds, or a cell's seeds when it has fewer (then one batch of them). */
export function seedsPerBatch(spec: Pick<CampaignSpec, 'batchSeeds' | 'seedsPerCell'>): number {
  return Math.min(spec.batchSeeds, spec.seedsPerCell ?? spec.batchSeeds);
}

export function batchCount(spec: CampaignSpec): number | null {
  if (spec.seedsPerCell === null) return null;
  return cellCount(spec) * Math.ceil(spec.seedsPerCell / spec.batchSeeds);
}

/** The seeds a campaign runs in all, or null when only its time budget ends it. */
export function seedCount(spec: CampaignSpec): number | null {
  return spec.seedsPerCell === null ? null : cellCount(spec) * spec.seedsPerCell;
}

/**
 * Batch `index` of a campaign. Batches go round the cells (every strategy x
 * scenario x blocks per page gets its first batch before any gets its
 * second), so a campaign's first seconds touch every cell and a time budget
 * spreads evenly; a steered campaign goes round only for its first batches,
 * and then as its plans say (batchPlace). Null past the last batch, and past
 * a steered campaign's plans (dealtEnd): those are not dealt yet.
 */
export function batchAt(campaign: Campaign, index: number): Batch | null {
  const spec = campaign.spec;
  const place = batchPlace(campaign, index);
  if (place === null) return null;
  const seedCount = seedsOfRound(spec, place.round);
  if (seedCount === 0) return null;
  const { strategy, scenario, blocksPerPage } = cellAt(spec, place.cell);
  return {
    campaignId: campaign.id,
    index,
    strategy,
    strategyFile: spec.strategyFiles.find((r) => r.id === strategy) ?? null,
    scenario,
    blocksPerPage,
    scheduler: spec.scheduler,
    pctDepth: spec.pctDepth,
    seedStart: spec.seedStart + place.round * spec.batchSeeds,
    seedCount,
    examplesPerBucket: spec.examplesPerBucket,
    modelVersion: campaign.modelVersion,
  };
}

/** The seeds batch `index` of a campaign runs (batchAt's), 0 when it has no such batch (or none dealt yet). */
export function seedsOfBatch(campaign: Pick<Campaign, 'spec' | 'deal'>, index: number): number {
  const place = batchPlace(campaign, index);
  return place === null ? 0 : seedsOfRound(campaign.spec, place.round);
}

/** The seeds of a cell's batch number `round` (its seeds start at seedStart + round x batchSeeds); 0 past its last. */
function seedsOfRound(spec: CampaignSpec, round: number): number {
  const offset = round * spec.batchSeeds;
  if (spec.seedsPerCell !== null && offset >= spec.seedsPerCell) return 0;
  // A time budget's seeds end at the largest seed a run takes: there the campaign is done.
  const seedsLeft = SEED_MAX - spec.seedStart - offset + 1;
  if (seedsLeft <= 0) return 0;
  return Math.min(spec.seedsPerCell === null ? spec.batchSeeds : Math.min(spec.batchSeeds, spec.seedsPerCell - offset), seedsLeft);
}

/**
 * Which cell batch `index` runs (cellAt's order), and its round: the
 * cell's batch number, from 0. Null for an index that is not a batch, or
 * not dealt yet. Round the cells below the first steered index; past it,
 * plan p's batches go round the cells it gives batches to, each cell
 * leaving the round when it has had its plan's count, its rounds going on
 * from where its earlier plans left them.
 */
export function batchPlace(campaign: Pick<Campaign, 'spec' | 'deal'>, index: number): { cell: number; round: number } | null {
  const spec = campaign.spec;
  if (!Number.isSafeInteger(index) || index < 0) return null;
  const cells = cellCount(spec);
  const total = batchCount(spec);
  if (total !== null && index >= total) return null;
  const first = spec.steer === null ? Infinity : spec.steer.firstBatchesPerCell * cells;
  if (index < first) return { cell: index % cells, round: Math.floor(index / cells) };
  const d = compiled(campaign);
  if (index >= d.end) return null;
  let lo = 0;
  let hi = d.plans.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (d.plans[mid]!.start <= index) lo = mid;
    else hi = mid - 1;
  }
  const plan = d.plans[lo]!;
  const { seg, offset } = segmentAt(plan, index - plan.start);
  const m = seg.members.length;
  const cell = seg.members[offset % m]!;
  return { cell, round: plan.bases[cell]! + seg.from + Math.floor(offset / m) };
}

/** The first batch index a steered campaign has not dealt yet (its next plan starts there); Infinity for any other. */
export function dealtEnd(campaign: Pick<Campaign, 'spec' | 'deal'>): number {
  return campaign.spec.steer === null ? Infinity : compiled(campaign).end;
}

/** A plan made ready for lookups: where it starts, each cell's round before it, and its rounds cut where a cell leaves them. */
interface CompiledPlan {
  start: number;
  counts: readonly number[];
  bases: number[];
  /** Positions pos.. run rounds from..to-1 of the plan round `members` (cells, ascending). */
  segs: { pos: number; from: number; to: number; members: number[] }[];
}

const compiledDeals = new WeakMap<Deal, { plans: CompiledPlan[]; end: number }>();

function compiled(campaign: Pick<Campaign, 'spec' | 'deal'>): { plans: CompiledPlan[]; end: number } {
  const spec = campaign.spec;
  const deal = campaign.deal;
  const known = compiledDeals.get(deal);
  if (known !== undefined && known.plans.length === deal.length) return known;
  const cells = cellCount(spec);
  const firstRounds = spec.steer?.firstBatchesPerCell ?? 0;
  const bases = new Array<number>(cells).fill(firstRounds);
  const plans: CompiledPlan[] = [];
  let start = firstRounds * cells;
  for (const counts of deal) {
    const segs: CompiledPlan['segs'] = [];
    let pos = 0;
    let from = 0;
    for (const v of [...new Set(counts.filter((n) => n > 0))].sort((a, b) => a - b)) {
      const members: number[] = [];
      for (let c = 0; c < cells; c++) if (counts[c]! >= v) members.push(c);
      segs.push({ pos, from, to: v, members });
      pos += (v - from) * members.length;
      from = v;
    }
    plans.push({ start, counts, bases: bases.slice(), segs });
    for (let c = 0; c < cells; c++) bases[c]! += counts[c] ?? 0;
    start += pos;
  }
  const d = { plans, end: start };
  compiledDeals.set(deal, d);
  return d;
}

function segmentAt(plan: CompiledPlan, x: number): { seg: CompiledPlan['segs'][number]; offset: number } {
  let k = plan.segs.length - 1;
  while (k > 0 && plan.segs[k]!.pos > x) k--;
  return { seg: plan.segs[k]!, offset: x - plan.segs[k]!.pos };
}

/** The batches of each cell among the first `x` positions of a plan. */
function planPrefix(plan: CompiledPlan, x: number, into: number[], sign: 1 | -1): void {
  const last = plan.segs.at(-1);
  if (last === undefined) return;
  if (x >= last.pos + (last.to - last.from) * last.members.length) {
    plan.counts.forEach((n, c) => (into[c]! += sign * n));
    return;
  }
  const { seg, offset } = segmentAt(plan, x);
  const r = seg.from + Math.floor(offset / seg.members.length);
  plan.counts.forEach((n, c) => (into[c]! += sign * Math.min(n, r)));
  for (let i = 0; i < offset % seg.members.length; i++) into[seg.members[i]!]! += sign;
}

/** A cell of a campaign by its place in the matrix's order (batchAt's): strategy, then scenario, then blocks per page. */
export function cellAt(spec: CampaignSpec, cell: number): { strategy: string; scenario: string; blocksPerPage: number } {
  const bpps = spec.blocksPerPage.length;
  return {
    strategy: spec.strategies[Math.floor(cell / (spec.scenarios.length * bpps))]!,
    scenario: spec.scenarios[Math.floor(cell / bpps) % spec.scenarios.length]!,
    blocksPerPage: spec.blocksPerPage[cell % bpps]!,
  };
}

/** The place of a cell in the matrix's order (cellAt's inverse); -1 when the campaign has no such cell. */
export function cellIndex(spec: CampaignSpec, strategy: string, scenario: string, blocksPerPage: number): number {
  const [s, sc, b] = [spec.strategies.indexOf(strategy), spec.scenarios.indexOf(scenario), spec.blocksPerPage.indexOf(blocksPerPage)];
  return s < 0 || sc < 0 || b < 0 ? -1 : (s * spec.scenarios.length + sc) * spec.blocksPerPage.length + b;
}

/** The runs of each cell (cellAt's order) in the batches `done`: batch indexes, or ranges [first, last] of them as the stores keep them. */
export function runsByCell(campaign: Pick<Campaign, 'spec' | 'deal'>, done: readonly (number | readonly [number, number])[]): number[] {
  const spec = campaign.spec;
  const cells = cellCount(spec);
  const ranges = done.map((d): readonly [number, number] => (typeof d === 'number' ? [d, d] : d));
  // A steered campaign counts by plans, not by index (a week has millions), unless a batch may run short of seeds:
  // only its last before the largest seed, which no campaign that starts low comes near.
  const lastIndex = ranges.reduce((m, [, last]) => Math.max(m, last), -1);
  if (spec.steer !== null && spec.seedStart + (lastIndex + 1) * spec.batchSeeds <= SEED_MAX) {
    return batchesByCell(campaign, ranges).map((b) => b * spec.batchSeeds);
  }
  const runs = new Array<number>(cells).fill(0);
  for (const [first, last] of ranges) {
    for (let i = first; i <= last; i++) {
      const place = batchPlace(campaign, i);
      if (place !== null) runs[place.cell]! += seedsOfRound(spec, place.round);
    }
  }
  return runs;
}

/** The batches of each cell (cellAt's order) among the batch index ranges `done`, dealt ones only; a loop over the ranges and plans, not the indexes. */
export function batchesByCell(campaign: Pick<Campaign, 'spec' | 'deal'>, done: readonly (readonly [number, number])[]): number[] {
  const spec = campaign.spec;
  const cells = cellCount(spec);
  const out = new Array<number>(cells).fill(0);
  const first = spec.steer === null ? Infinity : spec.steer.firstBatchesPerCell * cells;
  const total = batchCount(spec) ?? Infinity;
  const d = spec.steer === null ? null : compiled(campaign);
  // Indexes 0..x-1 of the round the cells: cell c has ceil((x - c) / cells) of them.
  const round = (x: number, sign: 1 | -1) => {
    for (let c = 0; c < cells; c++) out[c]! += sign * Math.max(0, Math.ceil((x - c) / cells));
  };
  for (const [a, b] of done) {
    const hi = Math.min(b + 1, total, d?.end ?? Infinity);
    if (hi <= a) continue;
    round(Math.min(hi, first), 1);
    round(Math.min(a, first), -1);
    for (const p of d?.plans ?? []) {
      const pEnd = p.segs.length === 0 ? p.start : p.start + p.counts.reduce((x, y) => x + y, 0);
      const lo = Math.max(a, p.start);
      const up = Math.min(hi, pEnd);
      if (lo >= up) continue;
      planPrefix(p, up - p.start, out, 1);
      planPrefix(p, lo - p.start, out, -1);
    }
  }
  return out;
}

/**
 * The run config of a batch's cell: a guided campaign's runs are the random
 * scheduler's, steered by their choices (guide.ts); a portfolio campaign's
 * are its batch's arm's (portfolioArm), pct when the arm is not known here.
 */
export function batchConfig(b: Pick<Batch, 'strategy' | 'scenario' | 'blocksPerPage' | 'scheduler' | 'pctDepth'>): RunConfig {
  const scheduler = b.scheduler === 'guided' ? 'random' : b.scheduler === 'portfolio' ? 'pct' : b.scheduler;
  return { strategy: b.strategy, scenario: b.scenario, blocksPerPage: b.blocksPerPage, scheduler, pctDepth: b.pctDepth };
}

/** The round (the cell's batch number) of batch `b`: where its seeds start. */
export function roundOf(spec: Pick<CampaignSpec, 'seedStart' | 'batchSeeds'>, b: Pick<Batch, 'seedStart'>): number {
  return Math.floor((b.seedStart - spec.seedStart) / spec.batchSeeds);
}
