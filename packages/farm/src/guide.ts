/**
 * The campaign searches (SEARCH_SCHEDULERS), whose batches learn from the
 * cell's earlier ones through the store, so a farm of any size learns as
 * one search does and a resumed campaign goes on from what it had. In a
 * guided campaign every batch runs the core's GuidedSearch from the
 * abstract states earlier batches archived, and adds its own. In a
 * portfolio campaign every batch runs its seeds in plays of a few runs,
 * each by the scheduler a bandit picks from how each did lately
 * (portfolioArm), and adds its plays' tallies.
 *
 * Determinism is kept by epochs (as a bulk-synchronous fuzzer's rounds):
 * a cell's rounds (its batches, in seed order) are cut into epochs, and a
 * batch starts from the guide of its epoch, the states the cell's rounds
 * before that epoch found, folded in round order. Within its batch the
 * search goes on learning, from its own runs only. So a batch's runs depend
 * on its seeds and the rounds before its epoch, never on which worker ran
 * what first: the same seeds in the same batch order give the same buckets
 * on one thread, on the pool, on the farm, and after a resume. The price is
 * a wait: no batch of an epoch starts until the cell's earlier epochs are
 * recorded (the engine and the coordinator hand out other cells' batches
 * meanwhile).
 */
import { PORTFOLIO_DEFAULTS, type ArchivedState, type PortfolioArm } from '@pcfarm/core';
import type { GuidedInput } from './batch.js';
import { batchPlace, cellAt, cellIndex, roundOf, type Batch, type Campaign, type CampaignSpec } from './campaign.js';
import { FarmError } from './errors.js';
import { PORTFOLIO_LATELY_EPOCHS } from './limits.js';
import type { DoneSet } from './results.js';
import type { Store } from './store.js';

export type { ArchivedState };

/** How a guided or portfolio campaign shares what it finds (CampaignSpec.guide; GUIDE_DEFAULTS says what each field means). */
export interface GuideSpec {
  epochRounds: number;
  corpusMax: number;
  batchStatesMax: number;
  /**
   * Failures the store held when the campaign was made, of other campaigns
   * and strategies on its scenarios (pollen.ts), as reproducers: each cell
   * replays those of its scenario and blocks per page failing on another
   * strategy (core pollenFor) as its first runs. Fixed with the spec, so the
   * campaign's runs never depend on what the store gains later.
   */
  pollen: readonly string[];
}

/** How a portfolio arm did over some batches: the runs it had, and the distinct abstract states each of its plays reached, summed. */
export interface ArmTally {
  arm: PortfolioArm;
  runs: number;
  states: number;
}

/**
 * What a batch of a guided or portfolio campaign starts from: its epoch's
 * first round, the states the rounds before it found (guided), and how each
 * arm did in them (portfolio: absent for a guided campaign).
 */
export interface Guide {
  epochStart: number;
  states: ArchivedState[];
  arms?: ArmTally[];
}

/**
 * What one batch adds to its cell's guide (BatchResult.corpus): its round;
 * a guided batch's states in the order its runs reached them; a portfolio
 * batch's tally of each arm it ran, in the arms' order.
 */
export interface Contribution {
  round: number;
  states: ArchivedState[];
  arms?: ArmTally[];
}

/** The arms a portfolio campaign shares a cell's runs among: the core portfolio's (guided is a campaign of its own). */
export const PORTFOLIO_CAMPAIGN_ARMS: readonly PortfolioArm[] = PORTFOLIO_DEFAULTS.arms;

/**
 * Runs of one play, the bandit's unit: a portfolio batch runs its seeds in
 * plays of this many, each by one arm (the core portfolio's round). Short,
 * so the first batches try every arm; a play's distinct states are what
 * its arm is scored by, so arms are compared over runs of one length.
 */
export const PORTFOLIO_PLAY_RUNS = PORTFOLIO_DEFAULTS.roundRuns;

/** The plays a cell's epoch has before batch round `round`: where its first play stands in the epoch. */
export function playsBefore(input: { spec: Pick<CampaignSpec, 'guide' | 'batchSeeds'>; guide: Guide }, round: number): number {
  return (round - input.guide.epochStart) * Math.ceil(input.spec.batchSeeds / PORTFOLIO_PLAY_RUNS);
}

/**
 * How much the bandit (portfolioArm) weighs trying an arm against what it
 * has shown: UCB1's bonus times this. Rewards (states a run, over the best
 * arm's) differ by 10 to 40% between arms; UCB1's own weight (sqrt 2)
 * would keep trying every arm in turn for hundreds of batches.
 */
export const PORTFOLIO_EXPLORE_WEIGHT = 0.25;

/**
 * The round where round `round`'s epoch starts. Epochs double up to
 * epochRounds, then stay that long: rounds 0-1, 2-3, 4-7, 8-15, 16-31,
 * 32-47, ... for 16. Early epochs are short, so what the first batches find
 * guides the next ones soon; later ones are long, so a cell's batches seldom
 * wait.
 */
export function epochStart(round: number, epochRounds: number): number {
  if (round < 2) return 0;
  if (round >= epochRounds) return Math.floor(round / epochRounds) * epochRounds;
  let p = 2;
  while (p * 2 <= round) p *= 2;
  return p;
}

/**
 * A cell's guide for epoch start `start`: the states of its rounds before
 * `start`, in round order, each state once (its first prefix, the runs of
 * every round that reported it), at most corpusMax; and the portfolio arms'
 * tallies over its rounds from `armsFrom` to `start`.
 */
export function buildGuide(contributions: readonly Contribution[], start: number, corpusMax: number, armsFrom = 0): Guide {
  const byState = new Map<number, ArchivedState>();
  const rounds = contributions.filter((c) => c.round < start).sort((a, b) => a.round - b.round);
  const arms = new Map<PortfolioArm, ArmTally>();
  for (const c of rounds) {
    for (const s of c.states) {
      const known = byState.get(s.state);
      if (known !== undefined) known.seen += s.seen;
      else if (byState.size < corpusMax) byState.set(s.state, { state: s.state, seen: s.seen, choices: s.choices });
    }
    if (c.round < armsFrom) continue;
    for (const a of c.arms ?? []) {
      let t = arms.get(a.arm);
      if (t === undefined) arms.set(a.arm, (t = { arm: a.arm, runs: 0, states: 0 }));
      t.runs += a.runs;
      t.states += a.states;
    }
  }
  const g: Guide = { epochStart: start, states: [...byState.values()] };
  if (arms.size > 0) g.arms = PORTFOLIO_CAMPAIGN_ARMS.flatMap((a) => arms.get(a) ?? []);
  return g;
}

/**
 * The arm play number `play` of a cell's epoch runs (a portfolio batch's
 * plays follow on from the epoch's earlier batches': playsBefore): UCB1
 * (Auer et al. 2002) over the cell's latest plays (the guide's tallies
 * cover the last PORTFOLIO_LATELY_EPOCHS epochs' rounds, a sliding window
 * as Garivier and Moulines's SW-UCB keeps), rewarded by the distinct
 * abstract states a play reaches, which track how often an arm fails
 * (BENCHMARKS.md, "Search that learns"), over the best arm's. Every play of
 * an epoch sees the same tallies, so the epoch's plays are dealt one by
 * one, each pick counted as a play of its arm at its mean: an arm not tried
 * lately goes first (in the arms' order), then the best bound.
 * Deterministic: the guide and the play decide it.
 */
export function portfolioArm(guide: Guide, play: number, arms: readonly PortfolioArm[] = PORTFOLIO_CAMPAIGN_ARMS): PortfolioArm {
  return portfolioArms(guide, play, 1, arms)[0]!;
}

/** The arms of plays [first, first + count) of an epoch (portfolioArm's, in one pass: a batch's plays are dealt together). */
export function portfolioArms(guide: Guide, first: number, count: number, arms: readonly PortfolioArm[] = PORTFOLIO_CAMPAIGN_ARMS): PortfolioArm[] {
  const tally = arms.map((a) => guide.arms?.find((t) => t.arm === a));
  const rate = tally.map((t) => (t === undefined || t.runs === 0 ? 0 : t.states / t.runs));
  const best = Math.max(...rate);
  const tried = (t: ArmTally | undefined): boolean => t !== undefined && t.runs > 0 && best > 0;
  const known = tally.flatMap((t, i) => (tried(t) ? [rate[i]! / best] : []));
  // An arm with no play lately goes first, once; after that pick its mean is the worst known, so it gets the
  // plays its trial needs and not the epoch (taken at the best's, it would have them all). With none known, all are equal.
  const unknown = known.length === 0 ? 1 : Math.min(...known);
  const mean = tally.map((t, i) => (tried(t) ? rate[i]! / best : unknown));
  const plays = tally.map((t) => (t === undefined ? 0 : t.runs / PORTFOLIO_PLAY_RUNS));
  let n = plays.reduce((x, y) => x + y, 0);
  const out: PortfolioArm[] = [];
  for (let p = 0; p < first + count; p++) {
    let pick = 0;
    let bound = -Infinity;
    for (let i = 0; i < arms.length; i++) {
      const b = plays[i] === 0 ? Infinity : mean[i]! + PORTFOLIO_EXPLORE_WEIGHT * Math.sqrt((2 * Math.log(Math.max(n, 1))) / plays[i]!);
      if (b > bound) {
        bound = b;
        pick = i;
      }
    }
    plays[pick]!++;
    n++;
    if (p >= first) out.push(arms[pick]!);
  }
  return out;
}

/** Whether a contribution is worth keeping: it adds states, or tallies an arm. */
export function contributes(c: Contribution | undefined): c is Contribution {
  return c !== undefined && (c.states.length > 0 || (c.arms?.length ?? 0) > 0);
}

/** A campaign's guide spec; ESTATE for a campaign whose scheduler keeps none (what the stores' guide() says). */
export function guideSpecOf(c: Pick<Campaign, 'id' | 'spec'>): GuideSpec {
  if (c.spec.guide === null) throw new FarmError('ESTATE', `campaign ${c.id} runs ${c.spec.scheduler}, not guided or portfolio: it has no guide`);
  return c.spec.guide;
}

/**
 * The guides a process has read (the engine's, a farm worker's), by
 * campaign, cell and epoch, at most `max` of them: every batch of an epoch
 * starts from the same guide, and it never changes once its epoch may start.
 */
export class GuideCache {
  private readonly guides = new Map<string, Guide>();

  constructor(private readonly max: number) {}

  /** What batch `b` of campaign `c` runs with besides itself: its guide, read from `store` the first time its cell and epoch come; null for a campaign that keeps none. */
  async input(c: Pick<Campaign, 'id' | 'spec'>, b: Batch, store: Pick<Store, 'guide'>): Promise<GuidedInput | null> {
    const spec = c.spec.guide;
    if (spec === null) return null;
    const cell = cellIndex(c.spec, b.strategy, b.scenario, b.blocksPerPage);
    const round = roundOf(c.spec, b);
    const key = `${c.id}:${cell}:${epochStart(round, spec.epochRounds)}`;
    let guide = this.guides.get(key);
    if (guide === undefined) {
      guide = await store.guide(c.id, cell, round);
      if (this.guides.size >= this.max) this.guides.delete(this.guides.keys().next().value!);
      this.guides.set(key, guide);
    }
    return { spec: c.spec, guide };
  }
}

/** The guide of a batch at round `round` of a cell whose contributions are `contributions` (the stores' guide()). */
export function guideOf(spec: GuideSpec, contributions: readonly Contribution[], round: number): Guide {
  const start = epochStart(round, spec.epochRounds);
  return buildGuide(contributions, start, spec.corpusMax, start - PORTFOLIO_LATELY_EPOCHS * spec.epochRounds);
}

/** How many states a batch that started from `guide` may add to its cell's corpus: what keeps the stored corpus bounded. */
export function statesToAdd(guide: Guide, spec: GuideSpec): number {
  return Math.max(0, Math.min(spec.batchStatesMax, spec.corpusMax - guide.states.length));
}

/**
 * The first index in [from, from + count) whose batch must wait for its
 * epoch (a round of its cell before its epoch is not recorded), or
 * from + count when none must: what the engine and the coordinator hand
 * out up to. `done` holds the recorded batches; every index below `from`
 * not in it is handed out and not yet recorded.
 */
export function guideReadyEnd(campaign: Pick<Campaign, 'spec' | 'deal'>, done: DoneSet, from: number, count: number): number {
  const spec = campaign.spec.guide;
  const end = from + count;
  if (spec === null) return end;
  // Each cell's first round not recorded, from the missing indexes in order (a cell's rounds ascend with its indexes).
  const firstMissing = new Map<number, number>();
  for (let i = done.nextMissing(0); i < end; i = done.nextMissing(i + 1)) {
    const place = batchPlace(campaign, i);
    if (place === null) {
      if (i >= from) return end;
      continue;
    }
    const first = firstMissing.get(place.cell);
    if (i >= from && first !== undefined && first < epochStart(place.round, spec.epochRounds)) return i;
    if (first === undefined) firstMissing.set(place.cell, place.round);
  }
  return end;
}

const isWhole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Why `v` is not a Contribution as a batch makes one (a result from a queue, a corpus from Redis), or null. */
export function contributionShapeWrong(v: unknown): string | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'a corpus contribution is not an object';
  const c = v as Partial<Contribution>;
  if (!isWhole(c.round) || !Array.isArray(c.states)) return 'a corpus contribution lacks its round or its states';
  if (c.arms !== undefined) {
    if (!Array.isArray(c.arms)) return "a corpus contribution's arms are not a list";
    for (const raw of c.arms as unknown[]) {
      const a = raw as Partial<ArmTally> | null;
      if (a === null || typeof a !== 'object' || !PORTFOLIO_CAMPAIGN_ARMS.includes(a.arm as PortfolioArm) || !isWhole(a.runs) || !isWhole(a.states)) {
        return `a corpus contribution's arms must each be one of ${PORTFOLIO_CAMPAIGN_ARMS.join(', ')} with whole runs and states`;
      }
    }
  }
  for (const s of c.states as unknown[]) {
    const x = s as Partial<ArchivedState> | null;
    if (x === null || typeof x !== 'object' || !isWhole(x.state) || !isWhole(x.seen) || !Array.isArray(x.choices) || !x.choices.every(isWhole)) {
      return 'a corpus state lacks its state hash, runs seen or choices (whole numbers)';
    }
  }
  return null;
}

/** What a guided or portfolio campaign's cell has learnt so far (campaign show --json's `search`). */
export interface CellSearch {
  strategy: string;
  scenario: string;
  blocksPerPage: number;
  /** States in its corpus now: what its next epoch starts from (guided). */
  states: number;
  /** How each arm did over its plays (portfolio), in the arms' order. */
  arms: ArmTally[];
}

/** Each cell's corpus and arm tallies now, for the cells that have any (cellAt's order). */
export function searchCells(campaign: Pick<Campaign, 'spec'>, corpus: readonly (readonly [number, readonly Contribution[]])[]): CellSearch[] {
  const spec = campaign.spec.guide;
  if (spec === null) return [];
  // Every batch's tally, not only the latest ones the bandit weighs.
  return corpus.map(([cell, list]) => {
    const g = buildGuide(list, Number.MAX_SAFE_INTEGER, spec.corpusMax, 0);
    return { ...cellAt(campaign.spec, cell), states: g.states.length, arms: g.arms ?? [] };
  });
}
