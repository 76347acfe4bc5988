import { describeCell } from '../cell.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';

/** bad-data: a DATA cell that no write consistent with real-time order could have left there (a lost or misplaced write). */
export function badData(k: Kernel, t: Task, at: string, v: number, since: number): never {
  k.fail('bad-data', t, `${at} returned ${describeCell(v)}, which no write in real-time order could have left there between steps ${since} and ${k.step}: a lost or misplaced write`, [], [`${at.split(' of ')[0]} in ${t.where(4)}`, 'DATA']);
}
