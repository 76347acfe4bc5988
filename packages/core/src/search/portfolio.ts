/**
 * portfolio: a cell's runs shared among schedulers by what each has found
 * lately, a multi-armed bandit (UCB1, Auer et al. 2002). Runs go in rounds;
 * each round runs one scheduler, and its reward is the share of the round's
 * runs that reached something no run of any scheduler had reached. A
 * scheduler that stops finding things gets fewer rounds, never none.
 * Deterministic like the rest: the same seeds in the same order give the
 * same rounds and the same runs.
 */
import type { RunConfig } from '../config.js';
import type { Model, Outcome } from '../model.js';
import { GuidedSearch, type GuidedOptions } from './guided.js';
import { Discovery } from './risk.js';

/** The schedulers a portfolio shares runs among. */
export const PORTFOLIO_ARMS = ['pct', 'random', 'pos', 'surw', 'guided'] as const;
export type PortfolioArm = (typeof PORTFOLIO_ARMS)[number];

export interface PortfolioOptions {
  /** Runs of one scheduler in a row: one bandit decision. */
  roundRuns: number;
  /** The guided arm's options. */
  guided: Partial<GuidedOptions>;
}

export const PORTFOLIO_DEFAULTS: Readonly<PortfolioOptions> = { roundRuns: 4, guided: {} };

/** What each arm got and found, for a summary. */
export interface ArmStats {
  arm: PortfolioArm;
  rounds: number;
  runs: number;
  /** Runs that reached something new. */
  finds: number;
}

export class PortfolioSearch {
  readonly options: PortfolioOptions;
  readonly discovery = new Discovery();
  private readonly models = new Map<PortfolioArm, Model>();
  private readonly guided: GuidedSearch;
  private readonly stats: ArmStats[] = PORTFOLIO_ARMS.map((arm) => ({ arm, rounds: 0, runs: 0, finds: 0 }));
  private readonly runCoverage = new Set<number>();
  private readonly runCommunications = new Set<number>();
  private arm = 0;
  private roundLeft = 0;
  private roundFinds = 0;
  private rewardSum = new Float64Array(PORTFOLIO_ARMS.length);

  /** `model(config)` builds the cell's model for one scheduler (the cell's config with that scheduler). */
  constructor(
    private readonly cell: RunConfig,
    private readonly model: (config: RunConfig) => Model,
    options: Partial<PortfolioOptions> = {},
  ) {
    this.options = { ...PORTFOLIO_DEFAULTS, ...options };
    this.guided = new GuidedSearch(this.options.guided, this.discovery);
  }

  /** How the rounds went so far, arm by arm. */
  armStats(): readonly ArmStats[] {
    return this.stats;
  }

  /** One run from `seed`, by the scheduler the current round runs. */
  run(seed: number): Outcome {
    if (this.roundLeft === 0) this.startRound();
    const arm = PORTFOLIO_ARMS[this.arm]!;
    const stat = this.stats[this.arm]!;
    const m = this.modelOf(arm === 'guided' ? 'random' : arm);
    let o: Outcome;
    let fresh: number;
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
    stat.runs++;
    stat.finds += fresh;
    this.roundFinds += fresh;
    if (--this.roundLeft === 0) this.rewardSum[this.arm]! += this.roundFinds / this.options.roundRuns;
    return o;
  }

  /** UCB1: every arm once, then the best mean reward plus its exploration bonus. */
  private startRound(): void {
    const n = this.stats.reduce((s, a) => s + a.rounds, 0);
    let best = -1;
    let bestScore = -Infinity;
    for (let i = 0; i < PORTFOLIO_ARMS.length; i++) {
      const a = this.stats[i]!;
      const score = a.rounds === 0 ? Infinity : this.rewardSum[i]! / a.rounds + Math.sqrt((2 * Math.log(n)) / a.rounds);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    this.arm = best;
    this.stats[best]!.rounds++;
    this.roundLeft = this.options.roundRuns;
    this.roundFinds = 0;
  }

  private modelOf(scheduler: Exclude<PortfolioArm, 'guided'>): Model {
    let m = this.models.get(scheduler);
    if (m === undefined) {
      m = this.model({ ...this.cell, scheduler });
      this.models.set(scheduler, m);
    }
    return m;
  }
}
