import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import type { Scheduler } from './scheduler.js';

/**
 * pct: Probabilistic Concurrency Testing (Burckhardt et al., ASPLOS 2010).
 * Tasks get random distinct priorities; the highest-priority runnable task
 * runs; at d-1 change points, drawn over the first pctStepsEstimate steps, the
 * running task drops below every initial priority. A bug of depth d is found
 * with probability at least 1/(n * k^(d-1)).
 */
export class PctScheduler implements Scheduler {
  readonly id = 'pct' as const;
  private readonly changeAt: number[] = [];
  private nextChange = 0;

  start(k: Kernel): void {
    const n = k.nrTasks;
    const depth = k.cfg.pctDepth;
    // A random permutation of priorities depth .. depth + n - 1; all-zero choices keep task order.
    const left: Task[] = k.tasks.slice(0, n);
    for (let rank = 0; rank < n; rank++) {
      const i = k.choice.choose(n - rank);
      left.splice(i, 1)[0]!.priority = depth + n - 1 - rank;
    }
    this.changeAt.length = 0;
    for (let i = 0; i < depth - 1; i++) this.changeAt.push(1 + k.choice.choose(k.cfg.pctStepsEstimate));
    this.changeAt.sort((a, b) => a - b);
    this.nextChange = 0;
  }

  next(k: Kernel, runnable: readonly Task[], n: number, current: Task | null): Task {
    while (this.nextChange < this.changeAt.length && this.changeAt[this.nextChange]! <= k.step) {
      // Below every initial priority, and below earlier change points.
      if (current !== null) current.priority = k.cfg.pctDepth - 1 - this.nextChange;
      this.nextChange++;
    }
    let best = runnable[0]!;
    for (let i = 1; i < n; i++) if (runnable[i]!.priority > best.priority) best = runnable[i]!;
    return best;
  }
}
