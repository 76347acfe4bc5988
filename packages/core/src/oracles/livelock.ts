import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';

/**
 * livelock: a no-progress detector. A user task that takes stallStepsMax
 * steps of its own without forward progress (cells written or read, an
 * operation finished) spins: under reclaim that never stops but is fair (it
 * is one choice among the runnable tasks, never the only one), a retry loop
 * that can make progress does within that bound. Kernel threads are never
 * judged: reclaim runs as long as it is let. A run that passes stepsMax in
 * all blames the user task that has gone longest without progress.
 */
export function livelock(k: Kernel, t: Task, why: string): never {
  k.fail('livelock', t, `${t.name} ${why} in ${t.where(4)}: it runs but makes no progress`, [], [`spins in ${t.where(4)}`]);
}
