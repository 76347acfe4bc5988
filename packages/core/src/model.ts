import { ACCESS_WORDS, type Access } from './access.js';
import { ConfigError, resolveConfig, type ResolvedConfig, type RunConfig } from './config.js';
import type { ChoiceStream } from './choice.js';
import { FAILED, Kernel, type Costs, type Failure, type TraceEvent } from './kernel.js';
import type { KernelPaths } from './paths.js';
import { SCENARIO_TABLE, type Scenario } from './scenarios/index.js';
import { createScheduler, type Scheduler } from './schedulers/index.js';
import { SystematicScheduler } from './schedulers/systematic.js';
import { STRATEGY_TABLE, type Strategy } from './strategies/index.js';
import { FP_COARSE, Task, type TaskBody, WAIT_MUTEX, WAIT_NONE, WAIT_PAGE_EXTRA, WAIT_PAGE_LOCK } from './task.js';
import { kswapd } from './mm/vmscan.js';
import { deadlock } from './oracles/deadlock.js';
import { finalState } from './oracles/final-state.js';
import { livelock } from './oracles/livelock.js';
import { PG_extra, PG_locked } from './page.js';
import { formatEvent } from './trace.js';
import type { StateSink } from './search/states.js';

/** Run from a seed, or replay a recorded or minimized choice list. */
/**
 * A run's input: a seed; a choice list (a replay: past its end every choice
 * is 0); or a choice list then a seed (a guided search's mutant: past the
 * list, choices come from the seed). A run of either list input is replayed
 * by its recorded choices alone.
 */
export type RunInput = { seed: number } | { choices: readonly number[] } | { choices: readonly number[]; thenSeed: number };

/** What one run came to. */
export interface Outcome {
  strategy: string;
  scenario: string;
  scheduler: string;
  /** The seed it ran from, or null when it replayed a choice list. */
  seed: number | null;
  ok: boolean;
  failure: Failure | null;
  /** Preemption points passed. */
  steps: number;
  /** Context switches: steps that ran a different task from the step before (what a minimized reproducer has fewest of). */
  switches: number;
  /** Every choice the run made: replaying them gives this run again. */
  choices: number[];
  /** A hash of the schedule (which task ran at each step): equal runs have equal hashes. */
  scheduleHash: string;
  /** Replay mode: the events, and a hash of their text. */
  trace: TraceEvent[] | null;
  traceHash: string | null;
  costs: Omit<Costs, 'reset'>;
  /** Findings that do not fail the run (class-only lock-order cycles), each at most once. */
  warnings: Failure[];
}

/** Strategies loaded from files (and, for tests, extra scenarios and kernel paths replaced to plant a bug). */
export interface ModelOptions {
  strategies?: readonly Strategy[];
  scenarios?: readonly Scenario[];
  paths?: Partial<KernelPaths>;
  /**
   * Tests: every fast path also runs the slow one it replaces, at each use,
   * and a difference throws. What the loop keeps between steps (the runnable
   * set, pct's pick) is worked out from scratch at every step, pct is asked
   * at every step, an oracle's scan is checked against its cell loop.
   */
  checkFast?: boolean;
}

/**
 * A model instance for one configuration, reused across runs: every object
 * (memory, pages, tasks) is allocated once and reset between runs.
 */
export class Model {
  readonly config: ResolvedConfig;
  private readonly kernel: Kernel;
  /** The strategy it runs: a built-in one, or one loaded from a file (its sourceHash set). */
  get strategy(): Strategy {
    return this.kernel.strategy;
  }
  private readonly scenario: Scenario;
  private readonly scheduler: Scheduler;
  private readonly runnable: Task[] = [];
  private readonly sync = new Task(-1);
  private scheduleHash = 0;
  private switches = 0;
  /**
   * Interleaving coverage, when a caller sets it: each context switch adds a
   * hash of (the function the task preempted stopped in, the one the task
   * resumed stops in). The hash is of the names, so every model instance on
   * every machine gives the same numbers. Anything with a Set's add will
   * do: a batch counts the runs that reach each hash.
   */
  coverage: CoverageSink | null = null;

  /**
   * Communication coverage, when a caller sets it: each directed pair of
   * sites (a task wrote a page's data or released a lock, another then read
   * it or took it) the runs reach (communication.ts).
   */
  get communications(): Set<number> | null {
    return this.kernel.comm.pairs;
  }

  set communications(pairs: Set<number> | null) {
    this.kernel.comm.pairs = pairs;
  }
  /**
   * Abstract-state coverage, when a search sets it: told at each context
   * switch, it hashes what the kernel's state is (search/states.ts).
   */
  states: StateSink | null = null;
  private readonly siteHashes = new Map<string, number>();
  /** Systematic runs log each step's task and footprint, for classForm(). */
  private readonly stepLog: StepLog | null;
  /** Whether the scheduler is told each step's footprint (systematic, pos). */
  private readonly stepped: boolean;


  constructor(config: RunConfig, options: ModelOptions = {}) {
    const strategies = new Map(STRATEGY_TABLE);
    for (const s of options.strategies ?? []) strategies.set(s.id, s);
    const scenarios = new Map(SCENARIO_TABLE);
    for (const s of options.scenarios ?? []) scenarios.set(s.id, s);
    this.config = resolveConfig(config, [...strategies.keys()], [...scenarios.keys()]);
    const strategy = strategies.get(this.config.strategy)!;
    this.kernel = new Kernel(this.config, strategy, { ...strategy.paths, ...options.paths });
    this.kernel.checkFast = options.checkFast === true;
    this.scenario = scenarios.get(this.config.scenario)!;
    if (this.config.pctStepsEstimate === 0) this.config.pctStepsEstimate = this.scenario.stepsEstimate;
    this.scheduler = createScheduler(this.config.scheduler);
    this.sync.name = 'sync';
    this.stepLog = this.config.scheduler === 'systematic' ? new StepLog() : null;
    this.kernel.acc.on = this.stepLog !== null;
    this.stepped = this.scheduler.stepped !== undefined;
  }

  /** The choice stream of the last run: what a systematic search backtracks over. */
  get choiceStream(): ChoiceStream {
    return this.kernel.choice;
  }

  /** The systematic scheduler (a bounded search's runs), or null. */
  get systematic(): SystematicScheduler | null {
    return this.scheduler instanceof SystematicScheduler ? this.scheduler : null;
  }

  /**
   * A hash of the last run's equivalence class (systematic runs only): its
   * Foata normal form, each step placed one level after the last earlier
   * step it depends on (the same task's; for two user steps, one that wrote
   * what it read or used what it wrote, access.ts; for a reclaim action, one
   * whose footprint meets its own), so runs that only reorder independent
   * steps hash alike.
   */
  classForm(): number {
    return this.stepLog!.foataHash();
  }

  run(input: RunInput): Outcome {
    const k = this.kernel;
    k.reset();
    let seed: number | null = null;
    if ('seed' in input) {
      if (this.config.scheduler === 'replay' || this.config.scheduler === 'systematic') throw new ConfigError('EREPLAYSEED', `the ${this.config.scheduler} scheduler runs a choice list, not a seed`);
      if (!Number.isSafeInteger(input.seed) || input.seed < 0) throw new ConfigError('EBADSEED', `a seed must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, not ${input.seed}`);
      seed = input.seed;
      k.choice.seed(input.seed);
    } else if ('thenSeed' in input) {
      if (!Number.isSafeInteger(input.thenSeed) || input.thenSeed < 0) throw new ConfigError('EBADSEED', `a seed must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, not ${input.thenSeed}`);
      k.choice.replayThenSeed(input.choices, input.thenSeed);
    } else {
      k.choice.replay(input.choices);
    }
    // Kept in a field: a failure unwinds the loop mid-run, and its schedule counts too.
    this.scheduleHash = 0x811c9dc5;
    this.stepLog?.reset();
    let costs: Outcome['costs'] | null = null;
    this.switches = 0;
    try {
      k.reclaimForever = this.scenario.reclaimForever === true;
      this.scenario.setup(k);
      k.createTask('kswapd', null, (t) => kswapd(k, t));
      this.scheduler.start(k);
      this.loop();
      // What the run's tasks cost, before the final-state check adds its own sync.
      costs = { ...k.costs };
      finalState(k, this.sync);
    } catch (e) {
      if (e !== FAILED) throw e;
    }
    // Lock order is judged on the whole run; a failure found meanwhile is more severe.
    k.lockdep.judge(k, this.scenario.witness ?? null);
    if (k.failure === null && k.deferred !== null) k.failure = k.deferred;
    const traceText = k.tracing ? k.trace.map(formatEvent).join('\n') : null;
    return {
      strategy: this.config.strategy,
      scenario: this.config.scenario,
      scheduler: this.config.scheduler,
      seed,
      ok: k.failure === null,
      failure: k.failure,
      steps: k.step,
      switches: this.switches,
      choices: k.choice.choices(),
      scheduleHash: hex(this.scheduleHash),
      trace: k.tracing ? k.trace.slice() : null,
      traceHash: traceText === null ? null : hex(fnv(traceText)),
      costs: costs ?? { ...k.costs },
      warnings: k.warnings.slice(),
    };
  }

  private siteHash(fn: string): number {
    let h = this.siteHashes.get(fn);
    if (h === undefined) this.siteHashes.set(fn, (h = fnv(fn)));
    return h;
  }

  /**
   * Run tasks until every user task finishes, hashing which task ran at each
   * step. Kernel threads (reclaim) keep nobody's run alive and hold no lock
   * across a preemption point, so they can neither end a wait nor be
   * waited for: when no user task can run, the run is a deadlock, whatever
   * reclaim could still do.
   */
  private loop(): void {
    const k = this.kernel;
    const { stepsMax, stallStepsMax } = this.config;
    const runnable = this.runnable;
    const stepLog = this.stepLog;
    // A systematic run records what each user step reads and writes (access.ts): its class form compares user steps by that.
    const acc = stepLog !== null ? k.acc : null;
    const checkFast = k.checkFast;
    // checkFast asks the scheduler at every step, so that its kept pick is checked at each; a stepped scheduler is told each step.
    const streaks = this.scheduler.streak !== undefined && !checkFast && !this.stepped;
    let current: Task | null = null;
    let n = 0;
    // Kept in locals, written back however the loop ends: a failure unwinds it mid-run, and its schedule counts too.
    let scheduleHash = this.scheduleHash;
    let switches = 0;
    // The step running, while it runs: a step an oracle fails ends the run mid-step, and a systematic run's class form counts it too.
    let stepping: Task | null = null;
    try {
      for (;;) {
        // The runnable set changes only when a lock word a sleeper waits on
        // does, or a task sleeps or ends (k.runnableStale); otherwise it is kept.
        if (k.runnableStale) {
          k.runnableStale = false;
          k.runnableGen++;
          let live = 0;
          let users = 0;
          n = 0;
          for (let i = 0; i < k.nrTasks; i++) {
            const t = k.tasks[i]!;
            if (t.done) continue;
            if (!t.kthread) live++;
            if (canRun(t)) {
              runnable[n++] = t;
              if (!t.kthread) users++;
            }
          }
          if (live === 0) return;
          if (users === 0) deadlock(k);
        } else if (checkFast) {
          checkFastRunnable(k, runnable, n);
        }
        const t = this.scheduler.next(k, runnable, n, current);
        if (k.step >= stepsMax) livelock(k, leastProgress(k), `made no progress the run could finish in: the run passed its ${stepsMax} steps`);
        if (current !== null && t !== current) {
          switches++;
          if (this.coverage !== null) this.coverage.add((Math.imul(this.siteHash(current.fn), 31) ^ this.siteHash(t.fn)) >>> 0);
          if (this.states !== null) this.states.switched(k, current, t, k.choice.count);
        }
        current = t;
        k.step++;
        t.steps++;
        if (t.steps - t.progressAt > stallStepsMax && !t.kthread) livelock(k, t, `took ${stallStepsMax} steps of its own without writing, reading or finishing anything`);
        scheduleHash = Math.imul(scheduleHash ^ (t.id + 1), 16777619);
        const before = t.footprint;
        t.ptes = 0;
        if (acc !== null && !t.kthread) acc.begin(t.id, t.mm!.id);
        stepping = t;
        resumeTask(k, t);
        stepping = null;
        if (acc !== null) acc.end();
        if (this.stepped) {
          // Reclaim's step is the action it took, touching what that action touches; a user step, its operation's files and process and the PTE slots it used.
          // A systematic run's user step: the pages it used (access.ts reclaimFacing) instead of its operation's files and processes.
          const fp = acc !== null ? systematicFootprint(t, acc) : (t.kthread ? t.footprint : before | t.footprint | t.ptes) >>> 0;
          stepLog?.pushStep(t, fp, acc);
          this.scheduler.stepped!(k, t, fp);
        }
        if (streaks && !k.runnableStale) {
          // The steps the scheduler is sure to give t next, drawing nothing,
          // while the runnable set stays: run them without asking it, as many
          // as neither budget (stepsMax, stallStepsMax) can run out in. Past
          // them the loop asks again and checks the budgets, as at any step.
          const m = Math.min(this.scheduler.streak!(k), stepsMax - k.step, stallStepsMax - (t.steps - t.progressAt));
          let ran = 0;
          while (ran < m && !k.runnableStale) {
            ran++;
            k.step++;
            t.steps++;
            scheduleHash = Math.imul(scheduleHash ^ (t.id + 1), 16777619);
            resumeTask(k, t);
          }
          if (ran > 0) this.scheduler.tookStreak!(ran);
        }
      }
    } finally {
      this.scheduleHash = scheduleHash;
      this.switches = switches;
      if (stepping !== null && stepLog !== null) {
        // The failing step is the schedule's last: two runs that fail in different tasks' steps after one prefix are two classes, not one.
        stepLog.pushStep(stepping, systematicFootprint(stepping, acc!), acc);
        acc!.end();
      }
    }
  }
}

/**
 * %GeneratorPrototype%.next, called directly: every task body is a generator
 * of its own function, so `t.body.next` would be a lookup through as many
 * prototypes as there are task kinds; the one builtin behind them all is a
 * constant call.
 */
const resume = Object.getPrototypeOf(function* () {}).prototype.next as (this: TaskBody) => IteratorResult<void, void>;

/** Resume t for one step; a task that ends or goes to sleep changes the runnable set (a task clears its wait only while it runs). */
function resumeTask(k: Kernel, t: Task): void {
  if (resume.call(t.body!).done) {
    t.done = true;
    k.runnableStale = true;
  } else if (t.waitKind !== WAIT_NONE) {
    k.runnableStale = true;
  }
}

/** Where a run's coverage goes: a Set, or anything else with an add. */
export interface CoverageSink {
  add(hash: number): unknown;
}

/**
 * The steps of a systematic run, for its Foata normal form. Two user steps
 * depend on each other when they are the same task's, or one writes an
 * object the other reads or writes (access.ts: what each recorded); a
 * reclaim action and any step, when their footprints meet (files and PTE
 * slots, task.ts ptesBit).
 */
class StepLog {
  private task = new Uint8Array(256);
  private fp = new Uint32Array(256);
  private what = new Uint32Array(256);
  private level = new Uint16Array(256);
  /** Per step, its read set then its write set, ACCESS_WORDS words each (zero for reclaim's steps). */
  private rw = new Uint32Array(256 * 2 * ACCESS_WORDS);
  n = 0;
  /** Per object bit, while the form is worked out: the highest level of a step so far that wrote it, and that read or wrote it. */
  private readonly maxW = new Int32Array(ACCESS_WORDS * 32);
  private readonly maxA = new Int32Array(ACCESS_WORDS * 32);
  /** Per task id: the level of its last step so far. */
  private readonly taskLevel = new Int32Array(256);
  /** Reclaim's steps so far (indices). */
  private readonly reclaims: number[] = [];

  reset(): void {
    this.n = 0;
  }

  private readonly byLevel = (a: number, b: number): number => this.level[a]! - this.level[b]! || this.task[a]! - this.task[b]! || this.what[a]! - this.what[b]!;

  /** Task `t`'s step with footprint `fp`: reclaim's is the action it took; a user step's, what it read and wrote (`acc`, systematic runs). */
  pushStep(t: Task, fp: number, acc: Access | null): void {
    if (t.kthread) this.push(t.id, fp, t.action, null);
    else this.push(t.id, fp, 0, acc);
  }

  private push(task: number, fp: number, what: number, acc: Access | null): void {
    if (this.n === this.task.length) {
      const grow = <T extends Uint8Array | Uint16Array | Uint32Array>(a: T, b: T): T => (b.set(a), b);
      this.task = grow(this.task, new Uint8Array(this.n * 2));
      this.fp = grow(this.fp, new Uint32Array(this.n * 2));
      this.what = grow(this.what, new Uint32Array(this.n * 2));
      this.level = grow(this.level, new Uint16Array(this.n * 2));
      this.rw = grow(this.rw, new Uint32Array(this.n * 4 * ACCESS_WORDS));
    }
    const base = this.n * 2 * ACCESS_WORDS;
    if (acc !== null) {
      this.rw.set(acc.r, base);
      this.rw.set(acc.w, base + ACCESS_WORDS);
    } else {
      this.rw.fill(0, base, base + 2 * ACCESS_WORDS);
    }
    this.task[this.n] = task;
    this.what[this.n] = what;
    this.fp[this.n++] = fp;
  }

  /** The steps' order by level, reused from run to run. */
  private readonly order: number[] = [];

  foataHash(): number {
    const n = this.n;
    const order = this.order;
    const { rw, maxW, maxA, taskLevel, reclaims } = this;
    order.length = 0;
    reclaims.length = 0;
    maxW.fill(-1);
    maxA.fill(-1);
    taskLevel.fill(-1);
    for (let i = 0; i < n; i++) {
      let level = 0;
      if (this.what[i] === 0) {
        // A user step: after its task's last step, every step that wrote what it reads, every step that used what it writes, and every reclaim action its footprint meets.
        const task = this.task[i]!;
        level = taskLevel[task]! + 1;
        const r = i * 2 * ACCESS_WORDS;
        const w = r + ACCESS_WORDS;
        for (let wd = 0; wd < ACCESS_WORDS; wd++) {
          for (let x = rw[w + wd]!; x !== 0; x &= x - 1) {
            const o = wd * 32 + (31 - Math.clz32(x & -x));
            if (maxA[o]! >= level) level = maxA[o]! + 1;
          }
          for (let x = rw[r + wd]! & ~rw[w + wd]!; x !== 0; x &= x - 1) {
            const o = wd * 32 + (31 - Math.clz32(x & -x));
            if (maxW[o]! >= level) level = maxW[o]! + 1;
          }
        }
        for (const j of reclaims) if ((this.fp[j]! & this.fp[i]!) !== 0 && this.level[j]! >= level) level = this.level[j]! + 1;
        taskLevel[task] = level;
        for (let wd = 0; wd < ACCESS_WORDS; wd++) {
          for (let x = rw[w + wd]!; x !== 0; x &= x - 1) {
            const o = wd * 32 + (31 - Math.clz32(x & -x));
            if (maxW[o]! < level) maxW[o] = level;
            if (maxA[o]! < level) maxA[o] = level;
          }
          for (let x = rw[r + wd]!; x !== 0; x &= x - 1) {
            const o = wd * 32 + (31 - Math.clz32(x & -x));
            if (maxA[o]! < level) maxA[o] = level;
          }
        }
      } else {
        // A reclaim action: after every step whose footprint meets its own (files and PTE slots; its actions are one multiset, not ordered by task).
        for (let j = 0; j < i; j++) if ((this.fp[j]! & this.fp[i]!) !== 0 && this.level[j]! >= level) level = this.level[j]! + 1;
        reclaims.push(i);
      }
      this.level[i] = level;
      order.push(i);
    }
    // Within a level, by task: equivalent runs list the same steps in the same order.
    order.sort(this.byLevel);
    let h = 0x811c9dc5;
    for (const i of order) {
      h = Math.imul(h ^ this.level[i]!, 16777619);
      h = Math.imul(h ^ this.task[i]!, 16777619);
      // A user step's PTE slots only order it against reclaim, which the levels say: a search without reclaim keeps its forms.
      h = Math.imul(h ^ (this.what[i] === 0 ? this.fp[i]! & FP_COARSE : this.fp[i]!), 16777619);
      h = Math.imul(h ^ this.what[i]!, 16777619);
      if (this.what[i] === 0) {
        // What the step read and wrote: equivalent runs' steps do alike, so this only tells apart steps that did different things.
        const r = i * 2 * ACCESS_WORDS;
        for (let wd = 0; wd < 2 * ACCESS_WORDS; wd++) if (rw[r + wd] !== 0) h = Math.imul(h ^ rw[r + wd]! ^ (wd << 27), 16777619);
      }
    }
    return h >>> 0;
  }
}

/** A systematic run's step against reclaim's actions: reclaim's, the action it took; a user step's, the pages, i_size and allocator it used (access.ts) and its PTE slots. */
function systematicFootprint(t: Task, acc: Access): number {
  return (t.kthread ? t.footprint : acc.reclaimFacing() | t.ptes) >>> 0;
}

/** The live user task that has gone longest without progress: the one to blame when the run outlasts stepsMax. */
function leastProgress(k: Kernel): Task {
  let worst: Task | null = null;
  for (let i = 0; i < k.nrTasks; i++) {
    const t = k.tasks[i]!;
    if (t.done || t.kthread) continue;
    if (worst === null || t.steps - t.progressAt > worst.steps - worst.progressAt) worst = t;
  }
  return worst!;
}

/** The kept runnable set must be what a walk over every task finds now. */
function checkFastRunnable(k: Kernel, runnable: readonly Task[], n: number): void {
  let m = 0;
  for (let i = 0; i < k.nrTasks; i++) {
    const t = k.tasks[i]!;
    if (t.done || !canRun(t)) continue;
    if (m >= n || runnable[m] !== t) throw new Error(`kept runnable set is stale at step ${k.step}: ${t.name} can run but is not in it at ${m}`);
    m++;
  }
  if (m !== n) throw new Error(`kept runnable set is stale at step ${k.step}: it holds ${n} tasks, ${m} can run`);
}

/** Whether what the task waits for is free now (rwsem waiters are woken by hand-off). */
function canRun(t: Task): boolean {
  switch (t.waitKind) {
    case WAIT_NONE:
      return true;
    case WAIT_PAGE_LOCK:
      return !(t.waitPage!.flags & PG_locked);
    case WAIT_PAGE_EXTRA:
      return !(t.waitPage!.flags & PG_extra);
    case WAIT_MUTEX:
      return (t.waitLock as { owner: Task | null }).owner === null;
    default:
      return false;
  }
}

function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h;
}

function hex(h: number): string {
  return (h >>> 0).toString(16).padStart(8, '0');
}

let cached: { key: string; model: Model } | null = null;

/**
 * The whole contract of the core: run one configuration from a seed, or
 * replay a choice list, and say what happened. The model instance is kept for
 * the next call with the same configuration.
 */
export function runOne(config: RunConfig, input: RunInput): Outcome {
  const key = JSON.stringify(config);
  if (cached === null || cached.key !== key) cached = { key, model: new Model(config) };
  return cached.model.run(input);
}
