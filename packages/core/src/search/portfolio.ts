/**
 * portfolio: a cell's runs shared among schedulers, as Coyote's and LACE's
 * portfolios are, by which of them reaches most. Runs go in rounds; each
 * round runs one arm. By default the arms are cut by successive halving on
 * the abstract states each reaches (halvingRound); UCB1 on new coverage, the
 * first portfolio's bandit, is kept as bandit 0. Deterministic like the
 * rest: the same seeds in the same order give the same rounds and the same
 * runs.
 */
import type { RunConfig } from '../config.js';
import type { Model, Outcome } from '../model.js';
import { GuidedSearch, type GuidedOptions } from './guided.js';
import { Discovery } from './risk.js';
import { StateCoverage } from './states.js';

/** The schedulers a portfolio shares runs among. */
export const PORTFOLIO_ARMS = ['pct', 'random', 'pos', 'surw', 'guided', 'pct-sparse'] as const;
export type PortfolioArm = (typeof PORTFOLIO_ARMS)[number];

/**
 * What each arm runs: its scheduler, and the configuration it changes.
 * pct-sparse is pct whose reclaim preempts one step in four, not two: at
 * one in two, reclaim spends its 12 actions in the first 24 or so steps,
 * before the later operations of a long program (mmap-rw-fault's third
 * write), and pct at one in four finds those cells' failures 3 to 5 times
 * sooner (and cross-mmap-write's 3 times later). Its runs replay under its
 * configuration (PortfolioSearch.lastConfig), which a reproducer carries.
 */
export const PORTFOLIO_ARM_CONFIG: Readonly<Record<PortfolioArm, Partial<RunConfig> & { scheduler: RunConfig['scheduler'] }>> = {
  pct: { scheduler: 'pct' },
  random: { scheduler: 'random' },
  pos: { scheduler: 'pos' },
  surw: { scheduler: 'surw' },
  guided: { scheduler: 'random' },
  'pct-sparse': { scheduler: 'pct', pctDaemonOneIn: 4 },
};

export interface PortfolioOptions {
  /** Runs of one scheduler in a row: one bandit decision. */
  roundRuns: number;
  /** The guided arm's options. */
  guided: Partial<GuidedOptions>;
  /**
   * The arms it shares runs among. guided is not among the default ones: it
   * seeks new states, so a cut by states keeps it whether or not it fails
   * sooner (with it the 20 cells' geometric mean over pct was 0.75, without
   * it 0.69, at 20 offsets).
   */
  arms: readonly PortfolioArm[];
  /** 0: UCB1 on new coverage; 1: successive halving on abstract states. */
  bandit: number;
  /** Successive halving: runs each arm gets before the first cut. */
  halvingRuns: number;
  /** Once one arm is left: one round in this many goes to another. */
  exploreOneIn: number;
}

export const PORTFOLIO_DEFAULTS: Readonly<PortfolioOptions> = { roundRuns: 4, guided: {}, arms: ['pct', 'random', 'pos', 'surw', 'pct-sparse'], bandit: 1, halvingRuns: 4, exploreOneIn: 8 };

/** What each arm got and found, for a summary. */
export interface ArmStats {
  arm: PortfolioArm;
  rounds: number;
  runs: number;
  /** Runs that reached something new. */
  finds: number;
  /** Abstract states its own runs reached. */
  states: number;
}

export class PortfolioSearch {
  readonly options: PortfolioOptions;
  readonly discovery = new Discovery();
  private readonly models = new Map<PortfolioArm, Model>();
  private readonly guided: GuidedSearch;
  private readonly stats: ArmStats[];
  private readonly armStates: Set<number>[];
  private readonly runCoverage = new Set<number>();
  private readonly runCommunications = new Set<number>();
  private readonly runStates = new StateCoverage();
  private arm = 0;
  private roundLeft = 0;
  private roundFinds = 0;
  private rewardSum: Float64Array;
  /** Successive halving: the arms still in, and the runs each gets before the next cut. */
  private alive: number[];
  private cutAt: number;
  private rounds = 0;
  private lastArm: PortfolioArm = 'pct';

  /** `model(config)` builds the cell's model for one scheduler (the cell's config with that scheduler). */
  constructor(
    private readonly cell: RunConfig,
    private readonly model: (config: RunConfig) => Model,
    options: Partial<PortfolioOptions> = {},
  ) {
    this.options = { ...PORTFOLIO_DEFAULTS, ...options };
    this.guided = new GuidedSearch(this.options.guided, this.discovery);
    this.stats = this.options.arms.map((arm) => ({ arm, rounds: 0, runs: 0, finds: 0, states: 0 }));
    this.armStates = this.options.arms.map(() => new Set<number>());
    this.rewardSum = new Float64Array(this.options.arms.length);
    this.alive = this.options.arms.map((_, i) => i);
    this.cutAt = this.options.halvingRuns;
  }

  /** How the rounds went so far, arm by arm. */
  armStats(): readonly ArmStats[] {
    return this.stats;
  }

  /** The configuration the last run ran under: what its choices replay with. */
  get lastConfig(): RunConfig {
    return { ...this.cell, ...PORTFOLIO_ARM_CONFIG[this.lastArm] };
  }

  /** One run from `seed`, by the scheduler the current round runs. */
  run(seed: number): Outcome {
    if (this.roundLeft === 0) this.startRound();
    const arm = this.options.arms[this.arm]!;
    this.lastArm = arm;
    const stat = this.stats[this.arm]!;
    const m = this.modelOf(arm);
    let o: Outcome;
    let fresh: number;
    this.runStates.reset();
    m.states = this.runStates;
    try {
      if (arm === 'guided') {
        const before = this.guided.finds;
        o = this.guided.run(m, seed);
        fresh = this.guided.finds - before;
      } else {
        this.runCoverage.clear();
        this.runCommunications.clear();
        m.coverage = this.runCoverage;
        m.communications = this.runCommunications;
        try {
          o = m.run({ seed });
        } finally {
          m.coverage = null;
          m.communications = null;
        }
        fresh = this.discovery.observe(this.runCoverage, this.runCommunications, o) > 0 ? 1 : 0;
      }
    } finally {
      m.states = null;
    }
    const own = this.armStates[this.arm]!;
    for (let i = 0; i < this.runStates.n; i++) own.add(this.runStates.hashes[i]!);
    stat.states = own.size;
    stat.runs++;
    stat.finds += fresh;
    this.roundFinds += fresh;
    if (--this.roundLeft === 0) this.rewardSum[this.arm]! += this.roundFinds / this.options.roundRuns;
    return o;
  }

  private startRound(): void {
    if (this.options.bandit === 1) this.halvingRound();
    else this.ucbRound();
    this.rounds++;
    this.stats[this.arm]!.rounds++;
    this.roundLeft = this.options.roundRuns;
    this.roundFinds = 0;
  }

  /**
   * Successive halving (Karnin et al., ICML 2013; Jamieson & Talwalkar,
   * AISTATS 2016), scored by abstract states: every arm still in runs until
   * it has the budget of this stage; then the half that reached fewest
   * distinct states of their own (at equal runs) is cut, and the budget
   * doubles. Runs to a failure do not tell arms apart (the search ends at
   * the first), and events saturate in tens of runs on every arm alike;
   * the states an arm reaches do differ, and track how often it fails.
   * Once one arm is left it gets the runs, but one round in exploreOneIn
   * goes to another arm in turn, in case the cut was wrong.
   */
  private halvingRound(): void {
    const n = this.options.arms.length;
    if (this.alive.length === 1) {
      const r = this.rounds % this.options.exploreOneIn;
      // A portfolio of one arm has no other to try.
      if (r === this.options.exploreOneIn - 1 && n > 1) {
        this.arm = (this.alive[0]! + 1 + (Math.floor(this.rounds / this.options.exploreOneIn) % (n - 1))) % n;
        return;
      }
      this.arm = this.alive[0]!;
      return;
    }
    for (;;) {
      for (const i of this.alive) {
        if (this.stats[i]!.runs < this.cutAt) {
          this.arm = i;
          return;
        }
      }
      // Everyone has had this stage's runs: cut the half with fewest states (ties: the earlier arm stays).
      const ranked = this.alive.slice().sort((a, b) => this.stats[b]!.states - this.stats[a]!.states || a - b);
      this.alive = ranked.slice(0, Math.max(1, Math.floor(ranked.length / 2)));
      this.cutAt *= 2;
      if (this.alive.length === 1) {
        this.arm = this.alive[0]!;
        return;
      }
    }
  }

  /** UCB1 (Auer et al. 2002): every arm once, then the best mean reward (share of runs that reached new coverage) plus its exploration bonus. */
  private ucbRound(): void {
    const n = this.stats.reduce((s, a) => s + a.rounds, 0);
    let best = -1;
    let bestScore = -Infinity;
    for (let i = 0; i < this.options.arms.length; i++) {
      const a = this.stats[i]!;
      const score = a.rounds === 0 ? Infinity : this.rewardSum[i]! / a.rounds + Math.sqrt((2 * Math.log(n)) / a.rounds);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    this.arm = best;
  }

  private modelOf(arm: PortfolioArm): Model {
    // The guided arm runs the random scheduler's model, which the random arm shares.
    const key = arm === 'guided' ? 'random' : arm;
    let m = this.models.get(key);
    if (m === undefined) {
      m = this.model({ ...this.cell, ...PORTFOLIO_ARM_CONFIG[key] });
      this.models.set(key, m);
    }
    return m;
  }
}
