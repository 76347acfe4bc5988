/**
 * Every value handed to user space (read, load) is judged when it is handed
 * over, against the file's history: the first cell no linearization allows
 * is named by its provenance and goes to the oracle for its kind.
 */
import { cellKind } from '../cell.js';
import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { badData } from './bad-data.js';
import { staleData } from './stale-data.js';
import { transientZero } from './transient-zero.js';
import { uninitData } from './uninit-data.js';

/** Judge memory cells[off, off + n), file offsets [fileOff, …) of `inode`, seen by a read that began at step `since`. */
export function checkUserRead(k: Kernel, t: Task, inode: Inode, off: number, fileOff: number, n: number, since: number, op = 'read'): void {
  const i = k.legality.firstIllegal(inode.id, off, fileOff, n, since, k.step);
  if (i < 0) return;
  const v = k.mem.cells[off + i]!;
  const at = `${op} of ${inode.name} at offset ${fileOff + i}`;
  switch (cellKind(v)) {
    case 'stale':
      return staleData(k, t, at, v);
    case 'uninit':
      return uninitData(k, t, at, v);
    case 'zero':
      return transientZero(k, t, at, since);
    case 'data':
      return badData(k, t, at, v, since);
  }
}
