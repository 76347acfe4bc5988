/**
 * The minimizer: delta debugging over the choice stream (MODEL.md §5). A run
 * is its choice list, 0 is always the simplest answer and a short list is
 * padded with 0s, so shrinking a failure is shrinking a list of numbers,
 * whatever made them: the scheduler, reclaim, or a generated scenario's
 * parameters.
 *
 * Candidates are judged by one total order on the list a run records (its
 * trailing zeros trimmed): fewer choices first, then fewer context switches,
 * then the smaller list in lexicographic order. A candidate is kept when its
 * run fails with the same signature and comes strictly first in that order.
 * Two passes, each repeated until a whole round of both keeps nothing:
 * - remove ranges (ddmin's chunks): the whole list, then halves, quarters, …
 *   single choices, at every position;
 * - change values: lower each choice (to 0, to half, by one, to 1, 2 or 3),
 *   and raise it a little (to 1, 2 or 3, or by one): a raise is kept only
 *   when its run is shorter or has fewer context switches, since the order
 *   puts both before the values.
 * The order is strict, and only finitely many lists come before the input
 * (a recorded value is below its decision's arity), so the search ends; at
 * its fixpoint no candidate of either pass is kept, so minimizing the result
 * again changes nothing. The core has no clock: the budget here is a number
 * of runs, and a caller adds a time budget through `shouldStop`.
 */
import { ConfigError } from './config.js';
import type { Model, Outcome, RunInput } from './model.js';
import { signatureOf, type Signature } from './signature.js';

/** The minimizer's default budget. */
export const MINIMIZE_DEFAULTS = {
  /** Model runs in all, the first run of the input included. */
  runsMax: 5000,
} as const;

export interface MinimizeOptions {
  /** Model runs the minimizer may make, the first run of the input included; default MINIMIZE_DEFAULTS.runsMax. */
  runsMax?: number;
  /** Asked before every run after the first; true stops with the smallest list found so far (how the CLI adds a time budget). */
  shouldStop?: () => boolean;
}

/** How big a failing run is. */
export interface RunSize {
  /** Choices a reproducer holds (the recorded list without its implied trailing zeros). */
  choices: number;
  /** Of those, the ones that are not 0. */
  nonZero: number;
  /** Context switches in the run. */
  switches: number;
  /** Preemption points passed. */
  steps: number;
}

/** Why the minimizer stopped. `fixpoint`: minimizing the result again changes nothing. */
export type MinimizeStop = 'fixpoint' | 'runs' | 'caller';

export interface MinimizeResult {
  /** The signature every kept candidate failed with: the input's. */
  signature: Signature;
  /** The smallest failing list found, trailing zeros trimmed. */
  choices: number[];
  /** Its run. */
  outcome: Outcome;
  before: RunSize;
  after: RunSize;
  /** Model runs made. */
  runs: number;
  stoppedBy: MinimizeStop;
}

/**
 * Shrink a failing run (a seed or a choice list of `model`'s configuration)
 * to the smallest choice list that fails with the same signature.
 * Throws ConfigError EPASSES when the input does not fail.
 */
export function minimize(model: Model, input: RunInput, options: MinimizeOptions = {}): MinimizeResult {
  const runsMax = options.runsMax ?? MINIMIZE_DEFAULTS.runsMax;
  if (!Number.isSafeInteger(runsMax) || runsMax < 1) throw new ConfigError('EBADCONFIG', `runsMax must be a whole number of at least 1, not ${runsMax}`);
  const first = model.run(input);
  const signature = signatureOf(first);
  if (signature === null) {
    const what = 'seed' in input ? `seed ${input.seed}` : `the ${input.choices.length}-choice list`;
    throw new ConfigError('EPASSES', `nothing to minimize: ${what} of ${first.strategy} x ${first.scenario} passes`);
  }
  const search = new Search(model, signature.title, runsMax, options.shouldStop ?? null, first);
  const before = sizeOf(search.best);
  let stoppedBy: MinimizeStop = 'fixpoint';
  for (;;) {
    const removed = search.removeRanges();
    const changed = search.changeValues();
    if (search.stopped !== null) {
      stoppedBy = search.stopped;
      break;
    }
    if (!removed && !changed) break;
  }
  return { signature, choices: search.best.choices, outcome: search.best.outcome, before, after: sizeOf(search.best), runs: search.runs, stoppedBy };
}

interface Candidate {
  choices: number[];
  outcome: Outcome;
}

class Search {
  best: Candidate;
  runs = 1;
  stopped: 'runs' | 'caller' | null = null;
  /** Lists already run: a list once rejected stays rejected, since the best only gets smaller. */
  private readonly tried = new Set<string>();

  constructor(
    private readonly model: Model,
    private readonly title: string,
    private readonly runsMax: number,
    private readonly shouldStop: (() => boolean) | null,
    first: Outcome,
  ) {
    this.best = { choices: trimZeros(first.choices), outcome: first };
    this.tried.add(this.best.choices.join());
  }

  /** ddmin's ranges: the whole list, halves, quarters, … single choices. */
  removeRanges(): boolean {
    let changed = false;
    for (let size = this.best.choices.length; size >= 1 && this.stopped === null; size >>= 1) {
      for (let at = 0; at < this.best.choices.length && this.stopped === null; ) {
        const list = this.best.choices;
        if (this.attempt([...list.slice(0, at), ...list.slice(at + size)])) changed = true;
        else at += size;
      }
    }
    return changed;
  }

  /** Lower each choice, or raise it a little when that saves a context switch. */
  changeValues(): boolean {
    let changed = false;
    for (let at = 0; at < this.best.choices.length && this.stopped === null; at++) {
      const v = this.best.choices[at]!;
      for (const w of alternatives(v)) {
        const list = this.best.choices.slice();
        list[at] = w;
        if (this.attempt(list)) {
          changed = true;
          break;
        }
        if (this.stopped !== null) break;
      }
    }
    return changed;
  }

  /** Run a candidate; keep it when it fails the same way and comes first in the order. */
  private attempt(candidate: number[]): boolean {
    const list = trimZeros(candidate);
    const key = list.join();
    if (this.tried.has(key)) return false;
    if (this.runs >= this.runsMax) this.stopped = 'runs';
    else if (this.shouldStop?.()) this.stopped = 'caller';
    if (this.stopped !== null) return false;
    this.tried.add(key);
    this.runs++;
    const outcome = this.model.run({ choices: list });
    if (outcome.ok || signatureOf(outcome)!.title !== this.title) return false;
    // What the run recorded, not what was asked: clamped values, the real length.
    const next = { choices: trimZeros(outcome.choices), outcome };
    if (compare(next, this.best) >= 0) return false;
    this.best = next;
    this.tried.add(next.choices.join());
    return true;
  }
}

/** The big steps down first (0, half, one less), then 1, 2, 3 and one more: each, if not v, once. */
function alternatives(v: number): number[] {
  const out: number[] = [];
  for (const w of [0, v >> 1, v - 1, 1, 2, 3, v + 1]) if (w !== v && w >= 0 && w <= 0xffffffff && !out.includes(w)) out.push(w);
  return out;
}

/** The minimizer's order: fewer choices, then fewer context switches, then lexicographically smaller. */
function compare(a: Candidate, b: Candidate): number {
  if (a.choices.length !== b.choices.length) return a.choices.length - b.choices.length;
  if (a.outcome.switches !== b.outcome.switches) return a.outcome.switches - b.outcome.switches;
  for (let i = 0; i < a.choices.length; i++) if (a.choices[i] !== b.choices[i]) return a.choices[i]! - b.choices[i]!;
  return 0;
}

/** A choice list without its trailing zeros, which a replay supplies anyway. */
export function trimZeros(choices: readonly number[]): number[] {
  let n = choices.length;
  while (n > 0 && choices[n - 1] === 0) n--;
  return choices.slice(0, n);
}

function sizeOf(c: Candidate): RunSize {
  return { choices: c.choices.length, nonZero: c.choices.filter((v) => v !== 0).length, switches: c.outcome.switches, steps: c.outcome.steps };
}
