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
  private nextChange = 0;
  /** PCT's clock: steps of ranked (user) tasks only; daemon steps do not dilute the change points. */
  private userSteps = 0;

  start(k: Kernel): void {
    const n = k.nrTasks;
    const depth = k.cfg.pctDepth;
    // A random permutation of priorities depth .. depth + n - 1; all-zero choices keep task order.
    const left: Task[] = k.tasks.slice(0, n);
    for (let rank = 0; rank < n; rank++) {
      const i = k.choice.choose(n - rank, CHOICE_SCHED);
      left.splice(i, 1)[0]!.priority = depth + n - 1 - rank;
    }
    this.changeAt.length = 0;
    for (let i = 0; i < depth - 1; i++) this.changeAt.push(1 + k.choice.choose(k.cfg.pctStepsEstimate, CHOICE_SCHED));
    this.changeAt.sort((a, b) => a - b);
    this.nextChange = 0;
    this.userSteps = 0;
  }

  next(k: Kernel, runnable: readonly Task[], n: number, current: Task | null): Task {
    let daemon: Task | null = null;
    let users = 0;
    for (let i = 0; i < n; i++) {
      if (runnable[i]!.kthread) daemon ??= runnable[i]!;
      else users++;
    }
    if (daemon !== null && (users === 0 || k.choice.choose(k.cfg.pctDaemonOneIn, CHOICE_SCHED) === k.cfg.pctDaemonOneIn - 1)) return daemon;
    while (this.nextChange < this.changeAt.length && this.changeAt[this.nextChange]! <= this.userSteps) {
      // Below every initial priority, and below earlier change points.
      if (current !== null) current.priority = k.cfg.pctDepth - 1 - this.nextChange;
      this.nextChange++;
    }
    let best: Task | null = null;
    for (let i = 0; i < n; i++) {
      const t = runnable[i]!;
      if (!t.kthread && (best === null || t.priority > best.priority)) best = t;
    }
    this.userSteps++;
    return best!;
  }
}
