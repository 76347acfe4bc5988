import { describeCell } from '../cell.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';

/** uninit-data: an UNINIT cell reached user space: page memory nobody wrote. */
export function uninitData(k: Kernel, t: Task, at: string, v: number): never {
  k.fail('uninit-data', t, `${at} returned ${describeCell(v)}: page memory nobody wrote`, [], [`${at.split(' of ')[0]} in ${t.where(4)}`, 'UNINIT']);
}
