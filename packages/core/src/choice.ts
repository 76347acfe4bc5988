/**
 * The one choice stream (MODEL.md §5). Every nondeterministic decision in a
 * run is `choose(n)`. A seed expands into choices through the model's
 * PRNG (rng.ts); a recorded or minimized list replays without it, answering 0 once
 * it runs out (or, for a guided search's mutant, going on from a seed). A choice with n = 1 is no choice: it consumes and records
 * nothing, so recorded lists hold only real decisions.
 */
import { Rng } from './rng.js';

/** What a choice decides, recorded beside it for systematic exploration (verify.ts). */
export const CHOICE_PARAM = 0;
export const CHOICE_SCHED = 1;
export const CHOICE_RECLAIM = 2;

export class ChoiceStream {
  private readonly rng = new Rng();
  private list: ArrayLike<number> | null = null;
  private listPos = 0;
  /** Past the list's end: draw from the seeded PRNG instead of answering 0 (replayThenSeed). */
  private thenSeeded = false;
  private recorded = new Uint32Array(1024);
  /** Beside each recorded choice: its arity, what it decides (CHOICE_*), and a word its decider adds (markLast). */
  private arity = new Uint32Array(1024);
  private tag = new Uint8Array(1024);
  private aux = new Uint32Array(1024);
  /** How many choices have been recorded in this run. */
  count = 0;

  /** Start a run from a seed (a non-negative safe integer). */
  seed(seed: number): void {
    this.list = null;
    this.thenSeeded = false;
    this.count = 0;
    this.rng.reseed(seed);
  }

  /** Start a run that replays `choices`; past its end every answer is 0. */
  replay(choices: ArrayLike<number>): void {
    this.list = choices;
    this.listPos = 0;
    this.thenSeeded = false;
    this.count = 0;
  }

  /**
   * Start a run that takes `choices` first and then goes on from `seed`: a
   * mutated prefix with a fresh tail. What it records replays the run
   * exactly, by replay() alone.
   */
  replayThenSeed(choices: ArrayLike<number>, seed: number): void {
    this.seed(seed);
    this.list = choices;
    this.listPos = 0;
    this.thenSeeded = true;
  }

  /** A decision among `n` alternatives, of kind `tag` (CHOICE_*); 0 is always the simplest one. */
  choose(n: number, tag = CHOICE_PARAM): number {
    if (n <= 1) return 0;
    let v: number;
    if (this.list !== null && (this.listPos < this.list.length || !this.thenSeeded)) {
      v = this.listPos < this.list.length ? this.list[this.listPos]! : 0;
      this.listPos++;
      // An edited or lowered list may hold a value too big for this decision:
      // take the largest that fits, so lowering a value never jumps around.
      if (v >= n) v = n - 1;
    } else {
      v = this.rng.below(n);
    }
    this.record(v, n, tag);
    return v;
  }

  /** Attach a word to the choice just recorded (the systematic scheduler says which value preempts). */
  markLast(word: number): void {
    this.aux[this.count - 1] = word;
  }

  arityAt(i: number): number {
    return this.arity[i]!;
  }

  tagAt(i: number): number {
    return this.tag[i]!;
  }

  auxAt(i: number): number {
    return this.aux[i]!;
  }

  valueAt(i: number): number {
    return this.recorded[i]!;
  }

  /** Whether this run replays a list (rather than a seed). */
  get replaying(): boolean {
    return this.list !== null;
  }

  /** The choices made so far in this run. */
  choices(): number[] {
    // A plain loop: Array.from over a typed array goes through its iterator, several times slower.
    const out = new Array<number>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.recorded[i]!;
    return out;
  }

  private record(v: number, n: number, tag: number): void {
    if (this.count === this.recorded.length) {
      const size = this.recorded.length * 2;
      const grow = <T extends Uint32Array | Uint8Array>(a: T, b: T): T => (b.set(a), b);
      this.recorded = grow(this.recorded, new Uint32Array(size));
      this.arity = grow(this.arity, new Uint32Array(size));
      this.tag = grow(this.tag, new Uint8Array(size));
      this.aux = grow(this.aux, new Uint32Array(size));
    }
    this.arity[this.count] = n;
    this.tag[this.count] = tag;
    this.aux[this.count] = 0;
    this.recorded[this.count++] = v;
  }
}
