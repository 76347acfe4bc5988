/**
 * Running one batch: every seed of its range through one reused Model, the
 * findings grouped by signature with a few example seeds (failures and
 * warnings apart), and the coverage the runs reached. Pure CPU work: the
 * pool's threads and the BullMQ workers both call it.
 */
import { createHash } from 'node:crypto';
import { decodeReproducer, encodeReproducer, findingSignature, GuidedSearch, Model, pollenFor, PORTFOLIO_ARM_CONFIG, reproducerOf, StateCoverage, type Failure, type FailureKind, type Outcome, type PollenRun, type PortfolioArm, type Reproducer, type RunConfig, type Severity } from '@pcfarm/core';
import { batchConfig, CAMPAIGN_LIMITS, roundOf, type Batch, type CampaignSpec } from './campaign.js';
import { PORTFOLIO_CAMPAIGN_ARMS, PORTFOLIO_PLAY_RUNS, playsBefore, portfolioArms, statesToAdd, type Contribution, type Guide } from './guide.js';
import { isSearchScheduler, seedsPastMax } from './limits.js';
import type { StrategyFileRef } from './strategy-ref.js';
import { FarmError } from './errors.js';
import { PayloadReader } from './payload.js';
import { strategyResolver, type StrategyResolver } from './strategy-files.js';

/** One bucket's share of a batch. */
export interface BucketHit {
  /** The signature title: the bucket's key. */
  title: string;
  kind: FailureKind;
  /** A failure fails its run; a warning (a class-only lock-order cycle) does not. */
  severity: Severity;
  strategy: string;
  scenario: string;
  sites: string[];
  /** Runs with this finding. */
  count: number;
  /** The first seeds of the range with it, at most the batch's examplesPerBucket. */
  examples: number[];
  /**
   * A guided batch's: each example's run as a reproducer (`pcfarm1:`), for
   * a guided run is its seed and the states its batch started from, which a
   * seed alone does not give. Absent for every other scheduler.
   */
  reproducers?: string[];
  /** For a warning: the scenario where its lock instances meet (the scenario's witness), or null. */
  witness: string | null;
}

/** What a batch came to. */
export interface BatchResult {
  /** The identity of the batch it is the result of (batchIdentity): what the coordinator checks before it counts it. */
  batch: string;
  campaignId: string;
  index: number;
  strategy: string;
  scenario: string;
  blocksPerPage: number;
  seedStart: number;
  runs: number;
  /** Preemption points passed in all. */
  steps: number;
  /** Each failing run's failure, by signature: a run fails once, so their counts add up to the failing runs. */
  failures: BucketHit[];
  /** Every run's warnings (failing or not), by signature. */
  warnings: BucketHit[];
  /** Runs with at least one warning (a run may have several, so this is not the sum of the warning counts). */
  warningRuns: number;
  /** The distinct interleaving-coverage hashes the batch reached, ascending (see Model.coverage), already mixed with its cell. */
  coverage: number[];
  /**
   * Of `coverage`, the hashes exactly one run of the batch reached, ascending:
   * Good-Turing's singletons, from which a campaign estimates the chance
   * that its next run reaches something new (issue 14). Absent in results
   * of an earlier pcfarm.
   */
  coverageSingles?: number[];
  /**
   * Of `coverage`, the hashes exactly two runs of the batch reached,
   * ascending: with the singletons, what Chao's extrapolation of the
   * discoveries ahead needs (core's chaoNewPerRun). Absent in results of a
   * pcfarm before it, whose campaigns then count no doubletons.
   */
  coverageDoubles?: number[];
  /** Only in a journal's record (CampaignResults.journalForm): hashes one or two runs had reached before, reached again by this batch. */
  coverageAgain?: number[];
  /** A guided batch's: the abstract states it adds to its cell's corpus (guide.ts). Absent for every other scheduler. */
  corpus?: Contribution;
  /** Wall time the batch took, in milliseconds (the only figure that is not deterministic). */
  elapsedMs: number;
}

/** What a guided or portfolio batch needs besides itself: its campaign's guide spec and its epoch's guide (the store's guide()). */
export interface GuidedInput {
  spec: Pick<CampaignSpec, 'guide' | 'seedStart' | 'batchSeeds'>;
  guide: Guide;
}

/**
 * Runs batches on Models kept per cell, so a worker builds each cell's model
 * once and reuses it for every batch of that cell.
 */
export class BatchRunner {
  private readonly models = new Map<string, Model>();
  private readonly coverage = new RunCounter();
  /** A portfolio batch's states of one run (reused). */
  private readonly states = new StateCoverage(true);
  /** The last campaign pollen decoded, by identity: a worker's batches share their campaign's spec. */
  private pollen: { from: readonly string[]; decoded: Reproducer[] } | null = null;

  /** `resolve` finds the strategy file a job names (default: at its recorded path, by hash). */
  constructor(private readonly resolve: StrategyResolver = strategyResolver([])) {}

  /** The model of a cell, built on first use. */
  model(b: Pick<Batch, 'strategy' | 'strategyFile' | 'scenario' | 'blocksPerPage' | 'scheduler' | 'pctDepth'>): Model {
    return this.modelOf(batchConfig(b), b.strategyFile);
  }

  /** The model of a run config (a portfolio arm's, a reproducer's), its strategy's file when it is one's; built on first use. */
  modelOf(config: RunConfig, strategyFile: StrategyFileRef | null): Model {
    const key = `${strategyFile?.sourceHash ?? ''}\0${JSON.stringify(config)}`;
    let m = this.models.get(key);
    if (m === undefined) {
      m = new Model(config, strategyFile === null ? {} : { strategies: [this.resolve(strategyFile)] });
      this.models.set(key, m);
    }
    return m;
  }

  /** The runs of a campaign's pollen that batch `b`'s cell replays first (core pollenFor), decoded once a campaign. */
  private pollenOf(pollen: readonly string[], b: Pick<Batch, 'strategy' | 'scenario' | 'blocksPerPage'>): PollenRun[] {
    if (pollen.length === 0) return [];
    if (this.pollen?.from !== pollen) this.pollen = { from: pollen, decoded: pollen.map((r) => decodeReproducer(r, null)) };
    return pollenFor(this.pollen.decoded, b);
  }

  /** Run a checked batch; `now` is a millisecond clock for elapsedMs; a guided or portfolio batch needs `guided`, its guide. */
  run(b: Batch, now: () => number, guided: GuidedInput | null = null): BatchResult {
    const t0 = now();
    if (isSearchScheduler(b.scheduler) !== (guided !== null)) throw new FarmError('EBADJOB', `batch ${b.index} of campaign ${b.campaignId} runs ${b.scheduler}: ${guided === null ? 'it needs its guide' : 'it takes no guide'}`);
    const search = b.scheduler === 'guided' ? new GuidedSearch() : null;
    search?.load(guided!.guide.states);
    const round = guided === null ? 0 : roundOf(guided.spec, b);
    const pollen = guided === null ? [] : this.pollenOf(guided.spec.guide!.pollen, b);
    // A portfolio batch runs its seeds in plays of PORTFOLIO_PLAY_RUNS, each by the arm its epoch's tallies pick
    // for that play, and tallies each arm's runs and the distinct states each play of it reached.
    const portfolio = b.scheduler === 'portfolio';
    const armOfPlay = portfolio ? portfolioArms(guided!.guide, playsBefore(guided!, round), Math.ceil(b.seedCount / PORTFOLIO_PLAY_RUNS)) : [];
    const tallies = new Map<PortfolioArm, { arm: PortfolioArm; runs: number; states: number }>();
    const playStates = new Set<number>();
    const runStates = portfolio ? this.states : null;
    const baseConfig = batchConfig(b);
    let config = baseConfig;
    let model = this.modelOf(config, b.strategyFile);
    /** Run on `m` from now on, counting into the batch's coverage (a search counts its own and sets the model's itself). */
    const use = (m: Model): void => {
      model.coverage = null;
      model.states = null;
      model = m;
      if (search !== null) return;
      model.coverage = this.coverage;
      model.states = runStates;
    };
    // Failure and warning titles never meet (a warning's sites end in `class only`), so one map keys both.
    const hits = new Map<string, BucketHit>();
    // The run's own config: a portfolio play's arm's, or the pollen's it replays.
    let runConfig = config;
    const add = (f: Failure, seed: number, o: Outcome): void => {
      const sig = findingSignature(b.strategy, f);
      let hit = hits.get(sig.title);
      if (hit === undefined) {
        hit = { title: sig.title, kind: sig.kind, severity: sig.severity, strategy: b.strategy, scenario: b.scenario, sites: [...sig.sites], count: 0, examples: [], witness: f.witness };
        hits.set(sig.title, hit);
      }
      hit.count++;
      if (hit.examples.length < b.examplesPerBucket) {
        hit.examples.push(seed);
        if (guided !== null) (hit.reproducers ??= []).push(encodeReproducer(reproducerOf(runConfig, o.choices, b.strategyFile?.sourceHash)));
      }
    };
    let o: Outcome;
    this.coverage.clear();
    let steps = 0;
    let warningRuns = 0;
    let tally: { arm: PortfolioArm; runs: number; states: number } | null = null;
    /** Close a portfolio play: its distinct states go to its arm's tally. */
    const endPlay = (): void => {
      if (tally !== null) tally.states += playStates.size;
      playStates.clear();
    };
    try {
      use(model);
      for (let seed = b.seedStart; seed < b.seedStart + b.seedCount; seed++) {
        const k = seed - b.seedStart;
        if (portfolio && k % PORTFOLIO_PLAY_RUNS === 0) {
          endPlay();
          const arm = armOfPlay[k / PORTFOLIO_PLAY_RUNS]!;
          config = { ...baseConfig, ...PORTFOLIO_ARM_CONFIG[arm] };
          use(this.modelOf(config, b.strategyFile));
          tally = tallies.get(arm) ?? { arm, runs: 0, states: 0 };
          tallies.set(arm, tally);
        }
        this.coverage.run = seed;
        runConfig = config;
        const p = guided === null ? undefined : pollen[seed - guided.spec.seedStart];
        if (p !== undefined) {
          // The cell's first runs replay its pollen, outside the search and the plays (pollen.ts).
          runConfig = p.config;
          const m = this.modelOf(p.config, b.strategyFile);
          m.coverage = this.coverage;
          try {
            o = m.run({ choices: p.choices });
          } finally {
            m.coverage = m === model && search === null ? this.coverage : null;
          }
        } else if (search === null) {
          runStates?.reset();
          o = model.run({ seed });
          if (runStates !== null) {
            for (let i = 0; i < runStates.n; i++) playStates.add(runStates.hashes[i]!);
            tally!.runs++;
          }
        } else {
          // The search counts its own coverage per run (its Good-Turing and its corpus): the batch's counter is fed from it.
          o = search.run(model, seed);
          for (const h of search.lastCoverage) this.coverage.add(h);
        }
        steps += o.steps;
        if (o.failure !== null) add(o.failure, seed, o);
        if (o.warnings.length > 0) warningRuns++;
        for (const w of o.warnings) add(w, seed, o);
      }
      endPlay();
    } finally {
      model.coverage = null;
      model.states = null;
    }
    const cell = cellHash(b.strategy, b.scenario, b.blocksPerPage);
    const mix = (h: number): number => Math.imul(h ^ cell, 0x9e3779b1) >>> 0;
    const coverage = [...this.coverage.lastRun.keys()].map(mix).sort((x, y) => x - y);
    const coverageSingles = [...this.coverage.lastRun.keys()].filter((h) => !this.coverage.again.has(h)).map(mix).sort((x, y) => x - y);
    const coverageDoubles = [...this.coverage.again].filter((h) => !this.coverage.thrice.has(h)).map(mix).sort((x, y) => x - y);
    const sorted = [...hits.values()].sort((x, y) => (x.title < y.title ? -1 : x.title > y.title ? 1 : 0));
    return {
      ...emptyResult(b),
      steps,
      failures: sorted.filter((h) => h.severity === 'failure'),
      warnings: sorted.filter((h) => h.severity === 'warning'),
      warningRuns,
      coverage,
      coverageSingles,
      coverageDoubles,
      ...(search === null ? {} : { corpus: { round, states: search.found(statesToAdd(guided!.guide, guided!.spec.guide!)) } }),
      // In the arms' order, whatever order the plays went in.
      ...(!portfolio ? {} : { corpus: { round, states: [], arms: PORTFOLIO_CAMPAIGN_ARMS.flatMap((a) => tallies.get(a) ?? []) } }),
      elapsedMs: now() - t0,
    };
  }
}

/** The result of batch `b` had every seed run and found nothing: what a result is before its findings (and a fleet simulation's whole answer). */
export function emptyResult(b: Batch): BatchResult {
  return {
    batch: batchIdentity(b),
    campaignId: b.campaignId,
    index: b.index,
    strategy: b.strategy,
    scenario: b.scenario,
    blocksPerPage: b.blocksPerPage,
    seedStart: b.seedStart,
    runs: b.seedCount,
    steps: 0,
    failures: [],
    warnings: [],
    warningRuns: 0,
    coverage: [],
    elapsedMs: 0,
  };
}

/**
 * A batch's coverage, counted by run: each hash with the last run that
 * reached it, the hashes a second run reached, and those a third did. One
 * map lookup a context switch, as a Set's add costs.
 */
class RunCounter {
  run = 0;
  readonly lastRun = new Map<number, number>();
  readonly again = new Set<number>();
  readonly thrice = new Set<number>();

  add(h: number): this {
    const last = this.lastRun.get(h);
    if (last !== this.run) {
      if (last !== undefined) {
        if (this.again.has(h)) this.thrice.add(h);
        else this.again.add(h);
      }
      this.lastRun.set(h, this.run);
    }
    return this;
  }

  clear(): void {
    this.lastRun.clear();
    this.again.clear();
    this.thrice.clear();
  }
}

function cellHash(strategy: string, scenario: string, blocksPerPage: number): number {
  const text = `${strategy}\0${scenario}\0${blocksPerPage}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h;
}

/**
 * A batch's identity: a hash of everything that decides what it runs
 * (campaign, index, cell, strategy file by id and source hash, scheduler,
 * seed range, examples kept, model version). A job or a result under a
 * batch's id whose identity is not that of the campaign's batch at that
 * index is not that batch, however well formed.
 */
export function batchIdentity(b: Batch): string {
  const fields = [b.campaignId, b.index, b.strategy, b.strategyFile?.id ?? '', b.strategyFile?.sourceHash ?? '', b.scenario, b.blocksPerPage, b.scheduler, b.pctDepth, b.seedStart, b.seedCount, b.examplesPerBucket, b.modelVersion];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex').slice(0, 16);
}

/** How `got` differs from the batch it claims to be, one phrase per field; empty when they are the same batch. */
export function batchDifferences(got: Batch, want: Batch): string[] {
  const out: string[] = [];
  const same = (f: keyof Batch, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${f} ${JSON.stringify(a)} instead of ${JSON.stringify(b)}`);
  };
  for (const f of ['campaignId', 'index', 'strategy', 'scenario', 'blocksPerPage', 'scheduler', 'pctDepth', 'seedStart', 'seedCount', 'examplesPerBucket', 'modelVersion'] as const) same(f, got[f], want[f]);
  same('strategyFile', got.strategyFile === null ? null : [got.strategyFile.id, got.strategyFile.sourceHash], want.strategyFile === null ? null : [want.strategyFile.id, want.strategyFile.sourceHash]);
  return out;
}

/**
 * A batch from a job payload that came over a queue or a thread boundary,
 * checked field by field: a malformed one is an EBADJOB naming the field,
 * one made by another model version an EMODELVERSION.
 */
export function checkBatch(payload: unknown): Batch {
  new PayloadReader(payload, 'batch job').modelVersion();
  return readBatch(payload);
}

/** A batch from a payload, checked like checkBatch but of any model version: what the coordinator reads a job as. */
export function readBatch(payload: unknown): Batch {
  const r = new PayloadReader(payload, 'batch job');
  const b: Batch = {
    campaignId: r.str('campaignId'),
    index: r.whole('index', 0, Number.MAX_SAFE_INTEGER),
    ...r.strategy(),
    scenario: r.scenario(),
    blocksPerPage: r.blocksPerPage(),
    scheduler: r.scheduler(),
    pctDepth: r.whole('pctDepth', 1, CAMPAIGN_LIMITS.pctDepthMax),
    seedStart: r.whole('seedStart', 0, Number.MAX_SAFE_INTEGER),
    seedCount: r.whole('seedCount', 1, CAMPAIGN_LIMITS.batchSeedsMax),
    examplesPerBucket: r.whole('examplesPerBucket', 1, CAMPAIGN_LIMITS.examplesPerBucketMax),
    modelVersion: r.str('modelVersion'),
  };
  // The campaign's definition of a seed range (campaignSpec) holds for a job too: every seed one a run takes.
  const past = seedsPastMax(b.seedStart, b.seedCount);
  if (past !== null) r.bad(past);
  return b;
}
