import { CHOICE_SCHED } from '../choice.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import type { Scheduler } from './scheduler.js';

/** Priorities are drawn from this many values; ties go to the task first in task order. */
const PRIORITY_VALUES = 1 << 16;

/**
 * pos: partial order sampling (Yuan, Yang & Gu, CAV 2018), the default of
 * Fray. Every task's next step has a random priority; the highest runs. After
 * a step, the task that took it draws a new priority, and so does every task
 * whose next step may race with it (their footprints meet: the same file or
 * process, task.ts): racing steps are reordered at random, independent ones
 * keep their order, so schedules that differ only in independent steps are
 * not sampled again and again. Reclaim is a task like any other; its next
 * action may touch anything, so every step it could race with redraws it.
 */
export class PosScheduler implements Scheduler {
  readonly id = 'pos' as const;

  start(k: Kernel): void {
    for (let i = 0; i < k.nrTasks; i++) k.tasks[i]!.priority = k.choice.choose(PRIORITY_VALUES, CHOICE_SCHED);
  }

  next(_k: Kernel, runnable: readonly Task[], n: number): Task {
    let best = runnable[0]!;
    for (let i = 1; i < n; i++) if (runnable[i]!.priority > best.priority) best = runnable[i]!;
    return best;
  }

  stepped(k: Kernel, t: Task, footprint: number): void {
    t.priority = k.choice.choose(PRIORITY_VALUES, CHOICE_SCHED);
    for (let i = 0; i < k.nrTasks; i++) {
      const u = k.tasks[i]!;
      if (u === t || u.done) continue;
      // A kernel thread's next action is unknown: it may race with anything.
      if (u.kthread || t.kthread || (u.footprint & footprint) !== 0) u.priority = k.choice.choose(PRIORITY_VALUES, CHOICE_SCHED);
    }
  }
}
