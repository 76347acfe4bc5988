import { CHOICE_SCHED } from '../choice.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { pickCurrentFirst, type Scheduler } from './scheduler.js';

/** random: uniform among the runnable tasks at every preemption point (keeping the current one is one of them). */
export class RandomScheduler implements Scheduler {
  readonly id = 'random' as const;
  start(): void {}
  next(k: Kernel, runnable: readonly Task[], n: number, current: Task | null): Task {
    return pickCurrentFirst(runnable, n, current, k.choice.choose(n, CHOICE_SCHED));
  }
}
