import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';

/** transient-zero: a ZERO where, during the whole read, the file never held zero at that offset. */
export function transientZero(k: Kernel, t: Task, at: string, since: number): never {
  k.fail('transient-zero', t, `${at} returned ZERO, but the file held no zero there at any step from ${since} to ${k.step}`, [], [`${at.split(' of ')[0]} in ${t.where(4)}`, 'ZERO']);
}
