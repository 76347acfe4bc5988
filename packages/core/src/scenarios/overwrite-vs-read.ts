import type { Kernel } from '../kernel.js';
import type { Scenario } from './scenario.js';
import { createFile, mapAnon, mapFile, userAddr, userTask } from './setup.js';

/**
 * overwrite-vs-read: existing data overwritten from an anonymous buffer that
 * straddles two pages (so reclaim can make the copy come up short half way)
 * while another process reads with read() and through a mapping. A reader
 * may see old or new data in any cell, never a zero the file never held.
 * Its lock-order cycles are class-only (two mms); the -same-mm witness makes
 * the instances meet.
 */
export const overwriteVsRead: Scenario = {
  id: 'overwrite-vs-read',
  description: 'existing data overwritten from a buffer straddling two pages while readers read',
  stepsEstimate: 16,
  witness: 'overwrite-vs-read-same-mm',
  setup(k) {
    overwriteVsReadTasks(k, false);
  },
};

/** The tasks of overwrite-vs-read; with `sameMm`, its witness (the loader a thread of the writer, beside a thread in munmap). */
export function overwriteVsReadTasks(k: Kernel, sameMm: boolean): void {
  const file = createFile(k, ['data']);
  const mmW = k.createMm();
  mapAnon(k, mmW, 0, 2);
  const mmR = k.createMm();
  mapAnon(k, mmR, 0, 1);
  const mmL = sameMm ? mmW : mmR;
  mapFile(mmL, 3, file, 0, 1);
  const pc = k.pageCells;
  userTask(k, 'writer', mmW, [{ op: 'write', file, pos: 0, iov: [userAddr(k, 0, pc / 2), pc] }]);
  userTask(k, 'reader', mmR, [{ op: 'read', file, pos: 0, len: pc, dst: userAddr(k, 0) }]);
  userTask(k, 'loader', mmL, [{ op: 'load', addr: userAddr(k, 3), len: pc }]);
  if (sameMm) {
    mapAnon(k, mmW, 5, 1);
    userTask(k, 'unmapper', mmW, [{ op: 'munmap', addr: userAddr(k, 5), len: pc }]);
  }
}
