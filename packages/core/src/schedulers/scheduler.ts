import type { SchedulerId } from '../config.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';

/** Picks the task to run at each preemption point, drawing only from the choice stream. */
export interface Scheduler {
  readonly id: SchedulerId;
  /** A run starts: its tasks exist. */
  start(k: Kernel): void;
  /** The next task among runnable[0, n) (in task order); `current` ran last. */
  next(k: Kernel, runnable: readonly Task[], n: number, current: Task | null): Task;
  /** After each step: task `t` took it, touching `footprint` (task.ts footprint bits). Only schedulers that define it are told. */
  stepped?(k: Kernel, t: Task, footprint: number): void;
  /**
   * After next(): how many steps after this one it would pick the same task
   * again, drawing no choice, while the runnable set stays as it is (0: ask
   * at every step). The loop may run those without asking, and tells
   * tookStreak how many it ran (it may stop sooner and ask again).
   */
  streak?(k: Kernel): number;
  tookStreak?(steps: number): void;
}

/**
 * Index `c` among the runnable tasks, counted with the current task first:
 * 0 keeps running the current one (the simplest answer), c > 0 is the c-th
 * of the others in task order.
 */
export function pickCurrentFirst(runnable: readonly Task[], n: number, current: Task | null, c: number): Task {
  let cur = -1;
  for (let i = 0; i < n; i++) if (runnable[i] === current) cur = i;
  if (cur < 0) return runnable[c]!;
  if (c === 0) return runnable[cur]!;
  return runnable[c <= cur ? c - 1 : c]!;
}
