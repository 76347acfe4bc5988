/**
 * guided: coverage-guided schedule search for one cell, as AFL is for inputs
 * and Krace, Snowboard and SegFuzz are for interleavings. A corpus keeps the
 * choice lists of runs that reached coverage nothing had reached before
 * (function pairs at a context switch, and communications: a write or
 * release in one task met by a read or acquisition in another); each next
 * run is a corpus entry mutated (a switch added, dropped or moved, a reclaim
 * action changed, two lists spliced, a list cut short), then continued from
 * the run's seed. Entries whose mutants keep finding things get more energy,
 * so more mutants; the others decay.
 *
 * It runs the `random` scheduler, whose choices read as switches: a
 * scheduling choice of 0 keeps the current task, any other value switches
 * (schedulers/scheduler.ts, pickCurrentFirst). Every run it makes replays
 * from its recorded choice list alone, like any other; the search itself is
 * deterministic: the same seeds, in the same order, give the same runs.
 */
import { CHOICE_RECLAIM, CHOICE_SCHED } from '../choice.js';
import type { Model, Outcome, RunInput } from '../model.js';
import { Discovery } from './risk.js';
import { Rng } from '../rng.js';

/** Bounds and weights of a guided search; every one has a default (GUIDED_DEFAULTS). */
export interface GuidedOptions {
  /** Corpus entries kept, at most: past it, the entry with least energy goes. */
  corpusMax: number;
  /** One run in this many is a fresh seeded run, not a mutant (and every run is while the corpus is empty). */
  exploreOneIn: number;
  /** Energy of an entry when it joins the corpus. */
  energyNew: number;
  /** Energy an entry gains when a mutant of it finds something new, and the most it may have. */
  energyReward: number;
  energyMax: number;
  /** Energy kept when a mutant finds nothing (times this), down to 1. */
  energyDecay: number;
  /** Mutations applied to make one mutant, at most. */
  mutationsMax: number;
}

export const GUIDED_DEFAULTS: Readonly<GuidedOptions> = {
  corpusMax: 512,
  exploreOneIn: 2,
  energyNew: 8,
  energyReward: 4,
  energyMax: 64,
  energyDecay: 0.9,
  mutationsMax: 3,
};

interface Entry {
  readonly choices: Uint32Array;
  readonly tags: Uint8Array;
  readonly arities: Uint32Array;
  energy: number;
}

/** Salts the search's PRNG apart from the model's, which the same seed drives. */
const SEARCH_SALT = 0x6775_6964;

export class GuidedSearch {
  readonly options: GuidedOptions;
  /** Every coverage element and finding seen, with how many runs saw each: residual risk reads it (a portfolio shares its own). */
  readonly discovery: Discovery;
  private readonly corpus: Entry[] = [];
  private readonly rng = new Rng();
  private readonly runCoverage = new Set<number>();
  private readonly runCommunications = new Set<number>();
  private parent: Entry | null = null;
  /** Runs that found something new, and mutants run. */
  finds = 0;
  mutants = 0;

  constructor(options: Partial<GuidedOptions> = {}, discovery = new Discovery()) {
    this.options = { ...GUIDED_DEFAULTS, ...options };
    this.discovery = discovery;
  }

  get corpusSize(): number {
    return this.corpus.length;
  }

  /**
   * One run of `model` (whose scheduler must be `random`) from `seed`: a
   * mutant of a corpus entry continued from the seed, or a fresh seeded run.
   */
  run(model: Model, seed: number): Outcome {
    if (model.config.scheduler !== 'random') throw new Error(`guided search runs the random scheduler, not ${model.config.scheduler}`);
    const input = this.nextInput(seed);
    this.runCoverage.clear();
    this.runCommunications.clear();
    model.coverage = this.runCoverage;
    model.communications = this.runCommunications;
    let o: Outcome;
    try {
      o = model.run(input);
    } finally {
      model.coverage = null;
      model.communications = null;
    }
    const fresh = this.discovery.observe(this.runCoverage, this.runCommunications, o);
    const parent = this.parent;
    if (fresh > 0) {
      this.finds++;
      this.add(model);
      if (parent !== null) parent.energy = Math.min(this.options.energyMax, parent.energy + this.options.energyReward);
    } else if (parent !== null) {
      parent.energy = Math.max(1, parent.energy * this.options.energyDecay);
    }
    return o;
  }

  /** The next run's input: mostly a mutant of an entry picked by energy. */
  private nextInput(seed: number): RunInput {
    this.rng.reseed(seed, SEARCH_SALT);
    this.parent = null;
    if (this.corpus.length === 0 || this.rng.below(this.options.exploreOneIn) === 0) return { seed };
    const entry = this.pick();
    this.parent = entry;
    this.mutants++;
    return { choices: this.mutate(entry), thenSeed: seed };
  }

  private pick(): Entry {
    let total = 0;
    for (const e of this.corpus) total += e.energy;
    let x = this.rng.unit() * total;
    for (const e of this.corpus) {
      x -= e.energy;
      if (x < 0) return e;
    }
    return this.corpus[this.corpus.length - 1]!;
  }

  /** A random position whose choice has tag `tag` (a few probes), or -1. */
  private positionOf(e: Entry, len: number, tag: number, nonZero = false): number {
    for (let probe = 0; probe < 8 && len > 0; probe++) {
      const i = this.rng.below(len);
      if (e.tags[i] === tag && (!nonZero || e.choices[i] !== 0) && e.arities[i]! > 1) return i;
    }
    return -1;
  }

  private mutate(e: Entry): number[] {
    const c = Array.from(e.choices);
    const ops = 1 + this.rng.below(this.options.mutationsMax);
    for (let op = 0; op < ops; op++) {
      const r = this.rng.below(100);
      const len = Math.min(c.length, e.choices.length);
      if (r < 35) {
        // Add a switch where the task kept running, or drop one.
        const i = this.positionOf(e, len, CHOICE_SCHED);
        if (i >= 0) c[i] = c[i] === 0 ? 1 + this.rng.below(e.arities[i]! - 1) : 0;
      } else if (r < 55) {
        // Move a switch a few steps earlier or later.
        const i = this.positionOf(e, len, CHOICE_SCHED, true);
        if (i < 0) continue;
        const j = i + (this.rng.below(2) === 0 ? -1 : 1) * (1 + this.rng.below(4));
        if (j < 0 || j >= len || e.tags[j] !== CHOICE_SCHED) continue;
        const v = c[i]!;
        c[i] = c[j]!;
        c[j] = v;
      } else if (r < 70) {
        // Change what reclaim does, or when.
        const i = this.positionOf(e, len, CHOICE_RECLAIM);
        if (i >= 0) c[i] = this.rng.below(e.arities[i]!);
      } else if (r < 85 && this.corpus.length > 1) {
        // Splice: this list's start, another's rest.
        const other = this.corpus[this.rng.below(this.corpus.length)]!;
        const i = this.rng.below(c.length + 1);
        const j = this.rng.below(other.choices.length + 1);
        c.length = i;
        for (let x = j; x < other.choices.length; x++) c.push(other.choices[x]!);
      } else {
        // Keep a prefix; the seed decides the rest.
        c.length = this.rng.below(c.length + 1);
      }
    }
    return c;
  }

  /** The last run's recorded choices join the corpus. */
  private add(model: Model): void {
    const cs = model.choiceStream;
    const n = cs.count;
    const entry: Entry = { choices: new Uint32Array(n), tags: new Uint8Array(n), arities: new Uint32Array(n), energy: this.options.energyNew };
    for (let i = 0; i < n; i++) {
      entry.choices[i] = cs.valueAt(i);
      entry.tags[i] = cs.tagAt(i);
      entry.arities[i] = cs.arityAt(i);
    }
    if (this.corpus.length >= this.options.corpusMax) {
      let least = 0;
      for (let i = 1; i < this.corpus.length; i++) if (this.corpus[i]!.energy < this.corpus[least]!.energy) least = i;
      this.corpus.splice(least, 1);
    }
    this.corpus.push(entry);
  }
}
