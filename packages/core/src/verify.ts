/**
 * Bounded exhaustive verification: every schedule of one cell up to a bound,
 * explored, ending in a counterexample or a certificate.
 *
 * The model is deterministic and cheap to rerun, so the search is stateless
 * (CHESS, Musuvathi & Qadeer, PLDI 2007): a schedule is a choice list of the
 * systematic scheduler, each run records every choice it made with its arity
 * and kind, and the next schedule is the deepest choice that still has an
 * untried value within the bounds, everything after it left at 0. Bounds:
 *   - preemptions (the CHESS bound): switching away from the user task that
 *     ran last while it could go on; switching when it blocks or ends, and
 *     letting reclaim act, are free;
 *   - reclaim actions: reclaim's iterations (each may act once);
 *   - parameters: a generated scenario's parameters, by the sum of their
 *     values (0: the simplest workload only).
 * Within the bounds every schedule is run once: `schedules` counts them, and
 * `classes` counts their equivalence classes (schedules that only reorder
 * independent steps are one class: two user steps neither of which writes
 * what the other reads or writes, as access.ts records every access to
 * shared state; a reclaim action and a step that share no file page, no PTE
 * slot, and for a writeback no i_size written and no block allocator), by a
 * canonical form of each run (Model.classForm). The sleep sets reduce
 * reclaim's actions only: user steps are all run, whatever their relation.
 * The certificate's hash is over the sorted class forms, so any split of the
 * search (the farm's subtrees) gives the same hash. splitSearch cuts the
 * search into subtrees by prefix, each carrying the sleep sets the whole
 * search would have at its root, so the subtrees run one by one, or on
 * threads in any order, add up to the whole search schedule for schedule;
 * mergeSearch folds their results into its certificate.
 */
import { CHOICE_PARAM, CHOICE_RECLAIM, CHOICE_SCHED } from './choice.js';
import type { RunConfig } from './config.js';
import { Model, type ModelOptions, type Outcome } from './model.js';
import { delays, preempts, SCHED_RECLAIM_OFFERED, type Sleeping } from './schedulers/systematic.js';

/** The bounds of one search; each has a default and a stated meaning. */
export interface VerifyBounds {
  /** Preemptions a schedule may make (CHESS's bound K). */
  preemptionsMax: number;
  /** Instead of preemptions, delays a schedule may make (delay bounding: every deviation from the deterministic schedule counts); unset: preemptions bound. */
  delaysMax?: number;
  /** Iterations of reclaim, each taking at most one action. */
  reclaimActionsMax: number;
  /** A generated scenario's parameters: the largest sum of their values explored. */
  paramsMax: number;
}

export const VERIFY_DEFAULTS: VerifyBounds = { preemptionsMax: 2, reclaimActionsMax: 2, paramsMax: 0 };

export interface VerifyOptions {
  /** Runs the search may make before it stops unfinished; default unlimited. */
  schedulesMax?: number;
  /** Asked before each run; true stops the search unfinished (how a caller adds a time budget). */
  shouldStop?: () => boolean;
  /** Explore only schedules that start with this choice list (a subtree: the farm's batch). */
  prefix?: readonly number[];
  /** Keep going after a failure, to count every schedule (tests); default: stop at the first. */
  exhaustive?: boolean;
  /** Called with every run and its class form (tests compare searches run by run). */
  onRun?: (outcome: Outcome, classForm: number) => void;
  /** Extra strategies or scenarios (a strategy file, a planted test), as for a Model. */
  model?: ModelOptions;
  /** Sleep sets over reclaim actions; default true. False runs every schedule (the plain enumeration the reduction is checked against). */
  reduction?: boolean;
  /** With `prefix`: the reclaim actions the whole search had explored at the prefix's scheduling choices (a Subtree's), asleep below them as in the whole search. */
  sleeping?: readonly PrefixSleep[];
  /**
   * A model of this search to run it on (verifyModel's), instead of a new
   * one: a thread that runs many subtrees keeps one, as a batch runner keeps
   * its models, rather than allocate a kernel's memory for each.
   */
  instance?: Model;
}

/** The model a search of `config` within `bounds` runs on: systematic, with the bounds' reclaim budget, untraced. */
export function verifyModel(config: RunConfig, bounds: Pick<VerifyBounds, 'reclaimActionsMax'>, options: ModelOptions = {}): Model {
  return new Model({ ...config, scheduler: 'systematic', reclaimActionsMax: bounds.reclaimActionsMax, trace: false }, options);
}

/** Reclaim actions explored at scheduling choice `at` (ids and footprints, as the systematic scheduler's Sleeping). */
export interface PrefixSleep extends Sleeping {
  at: number;
}

/** One part of a split search: the schedules that start with `prefix`. */
export interface Subtree {
  prefix: number[];
  /** What the whole search has asleep where the subtree starts (VerifyOptions.sleeping). */
  sleeping: PrefixSleep[];
}

export interface VerifyResult {
  /** `fail`: a counterexample; `clean`: every schedule within the bounds passed; `stopped`: a budget ran out first. */
  result: 'fail' | 'clean' | 'stopped';
  /** The first failing run, with its choices (a systematic choice list). */
  failure: Outcome | null;
  bounds: VerifyBounds;
  schedules: number;
  classes: number;
  /** FNV-1a of the sorted class forms of every schedule run: equal searches, equal hashes. */
  hash: string;
  /** The class forms, ascending (what `classes` counts and `hash` is over): the parts of a split search are merged by them. */
  forms: Uint32Array;
}

/** The certificate's hash: FNV-1a over the class forms, ascending, four bytes each. */
export function formsHash(sorted: Uint32Array): string {
  let h = 0x811c9dc5;
  for (const f of sorted) for (let b = 0; b < 4; b++) h = Math.imul(h ^ ((f >>> (b * 8)) & 0xff), 16777619);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Explore every schedule of `config` (strategy, scenario, blocks per page) within `bounds`. */
export function verify(config: RunConfig, bounds: VerifyBounds = VERIFY_DEFAULTS, options: VerifyOptions = {}): VerifyResult {
  const model = options.instance ?? verifyModel(config, bounds, options.model);
  const c = model.config;
  if (c.scheduler !== 'systematic' || c.reclaimActionsMax !== bounds.reclaimActionsMax || c.strategy !== config.strategy || c.scenario !== config.scenario || c.blocksPerPage !== (config.blocksPerPage ?? c.blocksPerPage)) {
    throw new Error(`verify: the model given runs ${c.strategy} x ${c.scenario} (${c.scheduler}, ${c.reclaimActionsMax} reclaim actions), not this search's`);
  }
  const stream = model.choiceStream;
  const sched = model.systematic!;
  const prefix: number[] = options.prefix ? [...options.prefix] : [];
  const fixed = prefix.length;
  const forms = new Set<number>();
  // Reclaim actions already explored at a scheduling choice of the current path: asleep below it.
  const done = new Map<number, Sleeping>();
  for (const s of options.sleeping ?? []) if (s.at < fixed) done.set(s.at, { ids: [...s.ids], fps: [...s.fps] });
  const reduce = options.reduction ?? true;
  const byDelays = bounds.delaysMax !== undefined;
  const switchesMax = bounds.delaysMax ?? bounds.preemptionsMax;
  const costs = byDelays ? delays : preempts;
  sched.inject = reduce ? (at) => done.get(at) : null;
  let schedules = 0;
  let failure: Outcome | null = null;
  let stopped = false;
  let preBefore = new Int32Array(256);
  let reclaimBefore = new Int32Array(256);
  let paramBefore = new Int32Array(256);
  for (;;) {
    if ((options.schedulesMax !== undefined && schedules >= options.schedulesMax) || options.shouldStop?.()) {
      stopped = true;
      break;
    }
    const o = model.run({ choices: prefix });
    schedules++;
    const form = model.classForm();
    forms.add(form);
    options.onRun?.(o, form);
    if (!o.ok && failure === null) {
      failure = o;
      if (!options.exhaustive) break;
    }
    const n = stream.count;
    if (n + 1 > preBefore.length) {
      preBefore = new Int32Array(2 * (n + 1));
      reclaimBefore = new Int32Array(2 * (n + 1));
      paramBefore = new Int32Array(2 * (n + 1));
    }
    let pre = 0;
    let rec = 0;
    let par = 0;
    for (let i = 0; i < n; i++) {
      preBefore[i] = pre;
      reclaimBefore[i] = rec;
      paramBefore[i] = par;
      const v = stream.valueAt(i);
      const tag = stream.tagAt(i);
      if (tag === CHOICE_SCHED && costs(stream.auxAt(i), stream.arityAt(i), v)) pre++;
      else if (tag === CHOICE_RECLAIM && v > 0) rec++;
      else if (tag === CHOICE_PARAM) par += v;
    }
    const asleep = (at: number, id: number): boolean => reduce && (sched.asleep.get(at)!.includes(id) || (done.get(at)?.ids.includes(id) ?? false));
    /** The first reclaim action after `after` (1-based) at scheduling choice `at` that is not asleep and within the reclaim bound, or -1. */
    const nextAction = (at: number, after: number): number => {
      // Reclaim that never stops (a scenario's reclaimForever) is bounded here, not by its own budget.
      if (reclaimBefore[at]! + 1 > bounds.reclaimActionsMax) return -1;
      const c = sched.candidates.get(at)!;
      for (let a = after + 1; a <= c.ids.length; a++) if (!asleep(at, c.ids[a - 1]!)) return a;
      return -1;
    };
    // Backtrack: the deepest choice past the fixed prefix with an alternative still to try.
    let j = n - 1;
    let take: number[] | null = null;
    for (; j >= fixed && take === null; j--) {
      const arity = stream.arityAt(j);
      const tag = stream.tagAt(j);
      const v = stream.valueAt(j);
      if (tag === CHOICE_RECLAIM) {
        // Reclaim acts only where the search sent it: the scheduling choice before this one chose it.
        const at = j - 1;
        const c = sched.candidates.get(at)!;
        if (v > 0) {
          const d = done.get(at) ?? { ids: [], fps: [] };
          d.ids.push(c.ids[v - 1]!);
          d.fps.push(c.fps[v - 1]!);
          done.set(at, d);
        }
        const a = nextAction(at, v);
        if (a > 0) take = [a];
        continue;
      }
      if (tag === CHOICE_SCHED) {
        const flags = stream.auxAt(j);
        const reclaim = flags & SCHED_RECLAIM_OFFERED ? arity - 1 : -1;
        const usersEnd = reclaim >= 0 ? reclaim : arity;
        // Alternatives in order: the default (0), reclaim's actions, then the other user tasks.
        if (v === 0 && reclaim >= 0) {
          const a = nextAction(j, 0);
          if (a > 0) {
            take = [reclaim, a];
            continue;
          }
        }
        for (let u = v === 0 || v === reclaim ? 1 : v + 1; u < usersEnd; u++) {
          if (preBefore[j]! + (costs(flags, arity, u) ? 1 : 0) > switchesMax) continue;
          take = [u];
          break;
        }
        if (take === null) done.delete(j);
        continue;
      }
      for (let w = v + 1; w < arity && paramBefore[j]! + w <= bounds.paramsMax; w++) {
        take = [w];
        break;
      }
    }
    if (take === null) break;
    j++;
    for (const key of done.keys()) if (key > j) done.delete(key);
    prefix.length = j;
    for (let i = fixed; i < j; i++) prefix[i] = stream.valueAt(i);
    prefix.push(...take);
  }
  const sorted = Uint32Array.from(forms).sort();
  return {
    result: failure !== null ? 'fail' : stopped ? 'stopped' : 'clean',
    failure,
    bounds,
    schedules,
    classes: forms.size,
    hash: formsHash(sorted),
    forms: sorted,
  };
}

/** How finely splitSearch cuts by default: subtrees enough to keep a few threads busy however unequal they are. */
export const SPLIT_SUBTREES_MIN = 32;
/** Rounds of cutting at most: each cuts every subtree at its next choice with alternatives, so a search this deep stays whole below. */
export const SPLIT_ROUNDS_MAX = 12;

/**
 * Cut the search of `config` within `bounds` into subtrees by prefix, in the
 * order the whole search explores them: each round cuts every subtree at
 * its first choice that has alternatives within the bounds (the default, then
 * reclaim's actions, then the other user tasks, as verify tries them), until
 * there are `subtreesMin` or nothing left to cut. Each subtree carries the
 * reclaim actions the whole search has explored at its cut points (asleep
 * below them), so verify(config, bounds, {prefix, sleeping}) of each, in
 * order, runs exactly the whole search's schedules. The cut depends on the
 * search alone, never on how many threads will run it.
 */
export function splitSearch(config: RunConfig, bounds: VerifyBounds, options: { subtreesMin?: number; model?: ModelOptions; reduction?: boolean } = {}): Subtree[] {
  const model = verifyModel(config, bounds, options.model);
  const stream = model.choiceStream;
  const sched = model.systematic!;
  const reduce = options.reduction ?? true;
  const costs = bounds.delaysMax !== undefined ? delays : preempts;
  const switchesMax = bounds.delaysMax ?? bounds.preemptionsMax;
  const subtreesMin = options.subtreesMin ?? SPLIT_SUBTREES_MIN;
  /** The subtrees of `t` at its first choice with alternatives, or null when it is one schedule (or starts with what only verify backtracks over). */
  const cut = (t: Subtree): Subtree[] | null => {
    const inherited = new Map(t.sleeping.map((s) => [s.at, s]));
    sched.inject = reduce ? (at) => inherited.get(at) : null;
    model.run({ choices: t.prefix });
    let pre = 0;
    let rec = 0;
    let par = 0;
    for (let i = 0; i < stream.count; i++) {
      const v = stream.valueAt(i);
      const tag = stream.tagAt(i);
      const arity = stream.arityAt(i);
      const flags = stream.auxAt(i);
      if (i >= t.prefix.length) {
        // Past the prefix every value is the default 0; the alternatives here, in verify's order.
        if (tag === CHOICE_RECLAIM) return null;
        const base = t.prefix.concat(new Array<number>(i - t.prefix.length).fill(0));
        const kids: Subtree[] = [{ prefix: [...base, 0], sleeping: t.sleeping }];
        if (tag === CHOICE_SCHED) {
          const reclaim = flags & SCHED_RECLAIM_OFFERED ? arity - 1 : -1;
          const explored: PrefixSleep = { at: i, ids: [], fps: [] };
          const withExplored = (): PrefixSleep[] => (explored.ids.length === 0 ? t.sleeping : [...t.sleeping, { at: i, ids: [...explored.ids], fps: [...explored.fps] }]);
          if (reclaim >= 0 && rec + 1 <= bounds.reclaimActionsMax) {
            const c = sched.candidates.get(i)!;
            const asleep = sched.asleep.get(i)!;
            for (let a = 1; a <= c.ids.length; a++) {
              if (reduce && asleep.includes(c.ids[a - 1]!)) continue;
              kids.push({ prefix: [...base, reclaim, a], sleeping: withExplored() });
              explored.ids.push(c.ids[a - 1]!);
              explored.fps.push(c.fps[a - 1]!);
            }
          }
          for (let u = 1; u < (reclaim >= 0 ? reclaim : arity); u++) if (pre + (costs(flags, arity, u) ? 1 : 0) <= switchesMax) kids.push({ prefix: [...base, u], sleeping: withExplored() });
        } else {
          for (let w = 1; w < arity && par + w <= bounds.paramsMax; w++) kids.push({ prefix: [...base, w], sleeping: t.sleeping });
        }
        if (kids.length > 1) return kids;
      }
      if (tag === CHOICE_SCHED && costs(flags, arity, v)) pre++;
      else if (tag === CHOICE_RECLAIM && v > 0) rec++;
      else if (tag === CHOICE_PARAM) par += v;
    }
    return null;
  };
  let parts: Subtree[] = [{ prefix: [], sleeping: [] }];
  let open = [true];
  for (let round = 0; round < SPLIT_ROUNDS_MAX && parts.length < subtreesMin && open.includes(true); round++) {
    const next: Subtree[] = [];
    const nextOpen: boolean[] = [];
    parts.forEach((t, i) => {
      const kids = open[i] ? cut(t) : null;
      next.push(...(kids ?? [t]));
      nextOpen.push(...(kids === null ? [false] : kids.map(() => true)));
    });
    parts = next;
    open = nextOpen;
  }
  sched.inject = null;
  return parts;
}

/**
 * The whole search's result from its subtrees' (splitSearch's order; null
 * for one not run because an earlier one failed): their schedules added and
 * their class forms merged, up to the first that failed, whose counterexample
 * it is, as the whole search stops there. A subtree stopped by a budget
 * leaves the search stopped, unless one failed.
 */
export function mergeSearch(bounds: VerifyBounds, parts: readonly (VerifyResult | null)[]): VerifyResult {
  let schedules = 0;
  let failure: Outcome | null = null;
  let stopped = false;
  const forms = new Set<number>();
  for (const p of parts) {
    if (p === null) {
      stopped = true;
      continue;
    }
    schedules += p.schedules;
    for (const f of p.forms) forms.add(f);
    if (p.result === 'fail') {
      failure = p.failure;
      break;
    }
    if (p.result === 'stopped') stopped = true;
  }
  const sorted = Uint32Array.from(forms).sort();
  return { result: failure !== null ? 'fail' : stopped ? 'stopped' : 'clean', failure, bounds, schedules, classes: sorted.length, hash: formsHash(sorted), forms: sorted };
}

/** What iterative deepening came to: the smallest failing bound, or the highest certified one. */
export interface DeepeningResult {
  /** `fail` at bound `bound`; `clean` when every bound up to `bound` (the last asked) is certified; `stopped` when the budget ran out first. */
  result: 'fail' | 'clean' | 'stopped';
  /** The failing bound, or the highest certified (-1: none). */
  bound: number;
  /** The last search: its counterexample or its certificate. */
  last: VerifyResult;
  /** The certificate of the highest bound certified (null: none). */
  certified: VerifyResult | null;
  /** Schedules run over every bound. */
  schedules: number;
}

/** `bounds` with its preemption bound, or its delay bound when it has one, set to `b`: deepening's step. */
export function boundsAt(bounds: VerifyBounds, b: number): VerifyBounds {
  return bounds.delaysMax !== undefined ? { ...bounds, delaysMax: b } : { ...bounds, preemptionsMax: b };
}

/**
 * Iterative deepening (CHESS): bound 0, 1, 2, … up to `upTo` (preemptions,
 * or delays when `bounds.delaysMax` is set), each a whole search, until one
 * fails or the caller's budget stops it; the answer is the smallest failing
 * bound or the highest certified one.
 */
export function verifyDeepening(config: RunConfig, bounds: VerifyBounds, upTo: number, options: VerifyOptions = {}): DeepeningResult {
  let schedules = 0;
  let last: VerifyResult | null = null;
  let certified: VerifyResult | null = null;
  for (let b = 0; b <= upTo; b++) {
    last = verify(config, boundsAt(bounds, b), options);
    schedules += last.schedules;
    if (last.result === 'fail') return { result: 'fail', bound: b, last, certified, schedules };
    if (last.result === 'stopped') return { result: 'stopped', bound: b - 1, last, certified, schedules };
    certified = last;
  }
  return { result: 'clean', bound: upTo, last: last!, certified, schedules };
}
