import { CHOICE_SCHED } from '../choice.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { pickCurrentFirst, type Scheduler } from './scheduler.js';

/**
 * replay: the choice list is the schedule. Each preemption point with more
 * than one runnable task takes one choice, the index of the task to run with
 * the current task first, so 0 means "no context switch" and a hand-edited
 * or minimized list reads as the switches it makes. It runs only from a
 * choice list, never from a seed.
 */
export class ReplayScheduler implements Scheduler {
  readonly id = 'replay' as const;
  start(): void {}
  next(k: Kernel, runnable: readonly Task[], n: number, current: Task | null): Task {
    return pickCurrentFirst(runnable, n, current, k.choice.choose(n, CHOICE_SCHED));
  }
}
