import { CHOICE_SCHED } from '../choice.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import type { Scheduler } from './scheduler.js';

/**
 * pct: Probabilistic Concurrency Testing (Burckhardt et al., ASPLOS 2010).
 * Tasks get random distinct priorities; the highest-priority runnable task
 * runs; at d-1 change points, drawn over the first pctStepsEstimate user steps, the
 * running task drops below every initial priority. A bug of depth d is found
 * with probability at least 1/(n * k^(d-1)).
 *
 * Kernel threads (reclaim) are daemons, not ranked tasks: memory pressure is
 * ambient in a real kernel (kswapd, direct reclaim in any allocation), and a
 * ranked reclaim thread would run its whole budget in one burst, before or
 * after every window that matters. At each step where one is runnable beside
 * a user task, one choice in pctDaemonOneIn lets it preempt (0: it does not).
 */
export class PctScheduler implements Scheduler {
  readonly id = 'pct' as const;
  private readonly changeAt: number[] = [];
  private readonly left: Task[] = [];
  private nextChange = 0;
  /** changeAt[nextChange], or Infinity past the last: the one number a step compares. */
  private nextChangeAt = Infinity;
  /** PCT's clock: steps of ranked (user) tasks only; daemon steps do not dilute the change points. */
  private userSteps = 0;
  /** What was derived from the runnable set of generation `gen` (Kernel.runnableGen): its first kernel thread, its user tasks, the best of them (null: not worked out yet). */
  private gen = -1;
  private daemon: Task | null = null;
  private users = 0;
  private best: Task | null = null;

  start(k: Kernel): void {
    const n = k.nrTasks;
    const depth = k.cfg.pctDepth;
    // A random permutation of priorities depth .. depth + n - 1; all-zero choices keep task order.
    // (The tasks not yet ranked, in task order, in a reused array: no slice, splice or sort allocates.)
    const left = this.left;
    for (let i = 0; i < n; i++) left[i] = k.tasks[i]!;
    for (let rank = 0; rank < n; rank++) {
      const i = k.choice.choose(n - rank, CHOICE_SCHED);
      left[i]!.priority = depth + n - 1 - rank;
      for (let j = i; j < n - rank - 1; j++) left[j] = left[j + 1]!;
    }
    // The change points in ascending order, each put in its place as drawn.
    this.changeAt.length = 0;
    for (let i = 0; i < depth - 1; i++) {
      const at = 1 + k.choice.choose(k.cfg.pctStepsEstimate, CHOICE_SCHED);
      let j = this.changeAt.length;
      this.changeAt.push(at);
      for (; j > 0 && this.changeAt[j - 1]! > at; j--) this.changeAt[j] = this.changeAt[j - 1]!;
      this.changeAt[j] = at;
    }
    this.nextChange = 0;
    this.nextChangeAt = this.changeAt.length > 0 ? this.changeAt[0]! : Infinity;
    this.userSteps = 0;
    this.gen = -1;
    this.best = null;
  }

  next(k: Kernel, runnable: readonly Task[], n: number, current: Task | null): Task {
    if (this.gen !== k.runnableGen) {
      // The runnable set changed: the daemon and the best ranked task are worked out again.
      this.gen = k.runnableGen;
      this.daemon = null;
      this.users = 0;
      this.best = null;
      for (let i = 0; i < n; i++) {
        if (runnable[i]!.kthread) this.daemon ??= runnable[i]!;
        else this.users++;
      }
    } else if (k.checkFast) {
      let users = 0;
      for (let i = 0; i < n; i++) if (!runnable[i]!.kthread) users++;
      if (users !== this.users) throw new Error(`pct: kept ${this.users} runnable user tasks, ${users} at step ${k.step}`);
    }
    const daemon = this.daemon;
    if (daemon !== null && (this.users === 0 || k.choice.choose(k.cfg.pctDaemonOneIn, CHOICE_SCHED) === k.cfg.pctDaemonOneIn - 1)) return daemon;
    if (this.nextChangeAt <= this.userSteps) {
      while (this.nextChange < this.changeAt.length && this.changeAt[this.nextChange]! <= this.userSteps) {
        // Below every initial priority, and below earlier change points.
        if (current !== null) current.priority = k.cfg.pctDepth - 1 - this.nextChange;
        this.nextChange++;
      }
      this.nextChangeAt = this.nextChange < this.changeAt.length ? this.changeAt[this.nextChange]! : Infinity;
      this.best = null;
    }
    // Priorities change only at change points, so the best of an unchanged set is the one found last.
    if (this.best === null) this.best = bestRanked(runnable, n);
    else if (k.checkFast && bestRanked(runnable, n) !== this.best) throw new Error(`pct: the kept pick ${this.best.name} is not the best runnable task at step ${k.step}`);
    this.userSteps++;
    return this.best;
  }

  /**
   * With no daemon to draw for, the best task of an unchanged set runs on
   * until the next change point: next() would return it, drawing nothing,
   * while userSteps stays below nextChangeAt.
   */
  streak(): number {
    if (this.daemon !== null) return 0;
    return Math.min(this.nextChangeAt - this.userSteps, STREAK_MAX);
  }

  tookStreak(steps: number): void {
    this.userSteps += steps;
  }
}

/** A streak's length when no change point is left (a run ends long before). */
const STREAK_MAX = 0x3fffffff;

/** The runnable user task of the highest priority. */
function bestRanked(runnable: readonly Task[], n: number): Task {
  let best: Task | null = null;
  for (let i = 0; i < n; i++) {
    const t = runnable[i]!;
    if (!t.kthread && (best === null || t.priority > best.priority)) best = t;
  }
  return best!;
}
