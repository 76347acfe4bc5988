import { CHOICE_SCHED } from '../choice.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import type { Scheduler } from './scheduler.js';

/**
 * Steps an operation takes, as surw estimates it: the model's write, read,
 * fault and truncate paths yield 4 to 12 times an operation.
 */
export const SURW_STEPS_PER_OP = 8;

/**
 * surw: sampling (close to) uniformly over interleavings, after SURW (ASPLOS
 * 2025): at each step a task runs with probability proportional to how many
 * steps it has left, which makes every interleaving of known step counts
 * equally likely (a uniform random walk over merges). The steps left are
 * estimated: SURW_STEPS_PER_OP for each operation not yet finished, less the
 * steps already taken in the current one (at least 1); reclaim's are its
 * iterations left.
 */
export class SurwScheduler implements Scheduler {
  readonly id = 'surw' as const;

  start(): void {}

  next(k: Kernel, runnable: readonly Task[], n: number): Task {
    let total = 0;
    for (let i = 0; i < n; i++) total += weight(k, runnable[i]!);
    let c = k.choice.choose(total, CHOICE_SCHED);
    for (let i = 0; i < n; i++) {
      c -= weight(k, runnable[i]!);
      if (c < 0) return runnable[i]!;
    }
    return runnable[n - 1]!;
  }
}

function weight(k: Kernel, t: Task): number {
  if (t.kthread) return k.reclaimForever ? SURW_STEPS_PER_OP : Math.max(1, k.cfg.reclaimActionsMax - t.steps);
  return Math.max(1, t.opsLeft * SURW_STEPS_PER_OP - (t.steps - t.opStartedAt));
}
