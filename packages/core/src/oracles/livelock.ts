import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';

/** livelock: a task passes its step budget after reclaim's budget is spent (or the run passes stepsMax). */
export function livelock(k: Kernel, t: Task, why: string): never {
  k.fail('livelock', t, `${t.name} ${why} in ${t.where(4)}: it runs but makes no progress`, [], [`spins in ${t.where(4)}`]);
}
