import { describeCell } from '../cell.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';

/** stale-data: a STALE cell reached user space: another file's deleted data, from a block allocated but never written. */
export function staleData(k: Kernel, t: Task, at: string, v: number): never {
  k.fail('stale-data', t, `${at} returned ${describeCell(v)}: another file's deleted data, from a block allocated but never written`, [], [`${at.split(' of ')[0]} in ${t.where(4)}`, 'STALE']);
}
