/**
 * guided: coverage-guided schedule search for one cell, as AFL is for inputs
 * and Krace, Snowboard and SegFuzz are for interleavings.
 *
 * It keeps an archive of abstract states (states.ts) and explores it as
 * Go-Explore does (Ecoffet et al., "First return, then explore", Nature
 * 2021): every state any run reached is kept with a prefix of choices that
 * reaches it and how many runs reached it; a run picks a state, the rarer
 * the likelier (1/sqrt(runs that reached it), as AFLFast's power schedules
 * favour rare paths), replays the prefix that returns to it, and goes on
 * from the run's seed. A hazard that needs a rare state and then one more
 * unlikely step costs a blind sampler the product of both chances, and about
 * the second alone once the first is archived. One run in exploreOneIn is a
 * fresh seeded run.
 *
 * Beside it, the event corpus of the first guided search: choice lists of
 * runs that reached function pairs or communications nothing had reached,
 * mutated (a switch added, dropped or moved, a reclaim action changed, two
 * lists spliced, a list cut short), with energy for entries whose mutants
 * find things. Events saturate within tens of runs on these cells, and its
 * mutants did no better than fresh runs (BENCHMARKS.md, "Search that
 * learns"), so by default (returnPercent 100) every mutant is a return;
 * returnPercent below 100 gives the rest to the corpus.
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
import { StateCoverage } from './states.js';
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
  /**
   * Of the runs that are not fresh, the share (in 100ths) that return to an
   * archived state rather than mutate a corpus entry. Over the 20 cells
   * where pct needs 13 runs or more (40 offsets), the geometric mean of
   * guided over pct was 0.965 with the corpus alone, 0.92 with returns only,
   * about 1.0 half and half.
   */
  returnPercent: number;
  /** States archived, at most: past it, new states are counted but not kept. */
  archiveMax: number;
  /** Whether a task's function is part of its abstract state. */
  stateSites: boolean;
  /** How an archived state is weighed: 0 rarity, 1/sqrt(runs reaching it); 1 Go-Explore's 1/sqrt(1 + times chosen); 2 both (0.96 against rarity's 0.92, as above). */
  stateWeight: number;
}

export const GUIDED_DEFAULTS: Readonly<GuidedOptions> = {
  corpusMax: 512,
  exploreOneIn: 2,
  energyNew: 8,
  energyReward: 4,
  energyMax: 64,
  energyDecay: 0.9,
  mutationsMax: 3,
  returnPercent: 100,
  archiveMax: 8192,
  stateSites: true,
  stateWeight: 0,
};

interface Entry {
  readonly choices: Uint32Array;
  readonly tags: Uint8Array;
  readonly arities: Uint32Array;
  energy: number;
}

/** An archived abstract state: a run that reached it, and how far into that run's choices. */
interface Cell {
  entry: Entry;
  at: number;
  seen: number;
  chosen: number;
  /** The run that last counted it: a run counts a state once. */
  lastRun: number;
}

/**
 * An archived state as a campaign keeps it between batches (the farm's
 * guide.ts): its hash, the runs that reached it, and the choices that
 * return a run to it.
 */
export interface ArchivedState {
  state: number;
  seen: number;
  choices: number[];
}

/** Salts the search's PRNG apart from the model's, which the same seed drives. */
const SEARCH_SALT = 0x6775_6964;

export class GuidedSearch {
  readonly options: GuidedOptions;
  /** Every coverage element and finding seen, with how many runs saw each: residual risk reads it (a portfolio shares its own). */
  readonly discovery: Discovery;
  private readonly corpus: Entry[] = [];
  private readonly archive = new Map<number, Cell>();
  private readonly cells: Cell[] = [];
  private readonly rng = new Rng();
  private readonly runCoverage = new Set<number>();
  private readonly runCommunications = new Set<number>();
  private readonly runStates: StateCoverage;
  private parent: Entry | null = null;
  private runs = 0;
  /** Archived states given by load(): found() is what comes after them. */
  private loaded = 0;
  /** Runs that found something new, and mutants run. */
  finds = 0;
  mutants = 0;
  /** Runs that reached an abstract state no run had reached, and mutants that returned to an archived state. */
  stateFinds = 0;
  returns = 0;

  constructor(options: Partial<GuidedOptions> = {}, discovery = new Discovery()) {
    this.options = { ...GUIDED_DEFAULTS, ...options };
    this.discovery = discovery;
    this.runStates = new StateCoverage(this.options.stateSites);
  }

  get corpusSize(): number {
    return this.corpus.length;
  }

  /** The function pairs the last run reached (what a campaign's batch counts as its coverage). */
  get lastCoverage(): ReadonlySet<number> {
    return this.runCoverage;
  }

  /**
   * Archive states another search found (a campaign's corpus, guide.ts),
   * before this one runs: its runs return to them as to its own. A state
   * given twice keeps its first prefix and both counts.
   */
  load(states: readonly ArchivedState[]): void {
    if (this.runs > 0 || this.cells.length > this.loaded) throw new Error('a guided search loads its archive before its first run');
    for (const s of states) {
      const known = this.archive.get(s.state);
      if (known !== undefined) {
        known.seen += s.seen;
        continue;
      }
      if (this.cells.length >= this.options.archiveMax) continue;
      const entry: Entry = { choices: Uint32Array.from(s.choices), tags: new Uint8Array(0), arities: new Uint32Array(0), energy: 0 };
      const c: Cell = { entry, at: s.choices.length, seen: Math.max(1, s.seen), chosen: 0, lastRun: -1 };
      this.archive.set(s.state, c);
      this.cells.push(c);
    }
    this.loaded = this.cells.length;
  }

  /** The states this search archived itself (not loaded), in the order its runs reached them, each with the runs that reached it. */
  found(max = Infinity): ArchivedState[] {
    const out: ArchivedState[] = [];
    // The archive's order is the cells' (each is set as it is pushed): the loaded ones come first.
    let i = 0;
    for (const [state, c] of this.archive) {
      if (out.length >= max) break;
      if (i++ < this.loaded) continue;
      out.push({ state, seen: c.seen, choices: Array.from(c.entry.choices.subarray(0, c.at)) });
    }
    return out;
  }

  /** Abstract states reached so far (archived or not). */
  get statesSeen(): number {
    return this.archive.size;
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
    this.runStates.reset();
    model.coverage = this.runCoverage;
    model.communications = this.runCommunications;
    model.states = this.runStates;
    let o: Outcome;
    try {
      o = model.run(input);
    } finally {
      model.coverage = null;
      model.communications = null;
      model.states = null;
    }
    this.runs++;
    const fresh = this.discovery.observe(this.runCoverage, this.runCommunications, o);
    const newStates = this.observeStates(model);
    const parent = this.parent;
    if (fresh > 0 || newStates > 0) {
      this.finds++;
      if (fresh > 0) this.add(model);
      if (parent !== null) parent.energy = Math.min(this.options.energyMax, parent.energy + this.options.energyReward);
    } else if (parent !== null) {
      parent.energy = Math.max(1, parent.energy * this.options.energyDecay);
    }
    return o;
  }

  /** The last run's entry, when observeStates made one (so that add() does not make another). */
  private corpusEntry: Entry | null = null;

  /** Count the run's states into the archive; returns how many no run had reached. */
  private observeStates(model: Model): number {
    this.corpusEntry = null;
    const s = this.runStates;
    let fresh = 0;
    for (let i = 0; i < s.n; i++) {
      const h = s.hashes[i]!;
      const cell = this.archive.get(h);
      if (cell !== undefined) {
        if (cell.lastRun !== this.runs) {
          cell.lastRun = this.runs;
          cell.seen++;
        }
        continue;
      }
      fresh++;
      if (this.cells.length >= this.options.archiveMax) continue;
      this.corpusEntry ??= entryOf(model, 0);
      const c: Cell = { entry: this.corpusEntry, at: s.at[i]!, seen: 1, chosen: 0, lastRun: this.runs };
      this.archive.set(h, c);
      this.cells.push(c);
    }
    if (fresh > 0) this.stateFinds++;
    return fresh;
  }

  /** The next run's input: mostly a mutant of an entry picked by energy. */
  private nextInput(seed: number): RunInput {
    this.rng.reseed(seed, SEARCH_SALT);
    this.parent = null;
    if ((this.corpus.length === 0 && this.cells.length === 0) || this.rng.below(this.options.exploreOneIn) === 0) return { seed };
    this.mutants++;
    if (this.cells.length > 0 && (this.corpus.length === 0 || this.rng.below(100) < this.options.returnPercent)) {
      const cell = this.pickCell();
      cell.chosen++;
      this.returns++;
      return { choices: this.returnTo(cell), thenSeed: seed };
    }
    const entry = this.pick();
    this.parent = entry;
    return { choices: this.mutate(entry), thenSeed: seed };
  }

  private pickCell(): Cell {
    const w = this.options.stateWeight;
    let total = 0;
    for (const c of this.cells) total += cellWeight(c, w);
    let x = this.rng.unit() * total;
    for (const c of this.cells) {
      x -= cellWeight(c, w);
      if (x < 0) return c;
    }
    return this.cells[this.cells.length - 1]!;
  }

  /** The prefix of choices that reaches `cell`'s state: replayed, then the run goes on from its seed. */
  private returnTo(cell: Cell): number[] {
    const e = cell.entry;
    const c = new Array<number>(cell.at);
    for (let i = 0; i < cell.at; i++) c[i] = e.choices[i]!;
    return c;
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
    const entry = this.corpusEntry ?? entryOf(model, 0);
    entry.energy = this.options.energyNew;
    if (this.corpus.length >= this.options.corpusMax) {
      let least = 0;
      for (let i = 1; i < this.corpus.length; i++) if (this.corpus[i]!.energy < this.corpus[least]!.energy) least = i;
      this.corpus.splice(least, 1);
    }
    this.corpus.push(entry);
  }
}

function cellWeight(c: Cell, how: number): number {
  if (how === 0) return 1 / Math.sqrt(c.seen);
  if (how === 1) return 1 / Math.sqrt(1 + c.chosen);
  return 1 / Math.sqrt(c.seen * (1 + c.chosen));
}

/** The model's last run, as a corpus entry. */
function entryOf(model: Model, energy: number): Entry {
  const cs = model.choiceStream;
  const n = cs.count;
  const entry: Entry = { choices: new Uint32Array(n), tags: new Uint8Array(n), arities: new Uint32Array(n), energy };
  for (let i = 0; i < n; i++) {
    entry.choices[i] = cs.valueAt(i);
    entry.tags[i] = cs.tagAt(i);
    entry.arities[i] = cs.arityAt(i);
  }
  return entry;
}
