import type { Kernel } from '../kernel.js';
import type { Scenario } from './scenario.js';
import { createFile, mapAnon, mapFile, userAddr, userTask } from './setup.js';

/**
 * hole-fill-vs-read: a write fills a hole of a sparse file from an anonymous
 * buffer (which reclaim may swap out) while another process reads the hole
 * with read() and through a mapping. A block allocated for the hole holds
 * STALE until written: any path that lets a reader readpage it exposes
 * another file's data.
 *
 * The writer's fault on its own buffer takes its mm's mmap_sem, the loader's
 * fault takes the other mm's: a design that faults under the page lock (or
 * under PG_writing) closes the class cycle mmap_sem -> page lock -> mmap_sem,
 * but not with these instances. The -same-mm witness makes them meet.
 */
export const holeFillVsRead: Scenario = {
  id: 'hole-fill-vs-read',
  description: 'a write fills a hole from an anonymous buffer while readers in another process use read() and loads',
  stepsEstimate: 16,
  witness: 'hole-fill-vs-read-same-mm',
  setup(k) {
    holeFillVsReadTasks(k, false);
  },
};

/**
 * The tasks of hole-fill-vs-read; with `sameMm` its witness: the loader is a
 * thread of the writer's process, beside a thread in munmap that queues a
 * writer on that mmap_sem, so the writer's fault under the page lock and the
 * loader's fault on the page wait for each other through it.
 */
export function holeFillVsReadTasks(k: Kernel, sameMm: boolean): void {
  const file = createFile(k, ['data', 'hole']);
  const pc = k.pageCells;
  const mmW = k.createMm();
  mapAnon(k, mmW, 0, 1);
  const mmR = k.createMm();
  mapAnon(k, mmR, 0, 1);
  const mmL = sameMm ? mmW : mmR;
  mapFile(mmL, 2, file, 0, 2);
  userTask(k, 'writer', mmW, [{ op: 'write', file, pos: pc, iov: [userAddr(k, 0), pc] }]);
  userTask(k, 'reader', mmR, [{ op: 'read', file, pos: pc, len: pc, dst: userAddr(k, 0) }]);
  userTask(k, 'loader', mmL, [{ op: 'load', addr: userAddr(k, 3), len: pc }]);
  if (sameMm) {
    mapAnon(k, mmW, 5, 1);
    userTask(k, 'unmapper', mmW, [{ op: 'munmap', addr: userAddr(k, 5), len: pc }]);
  }
}
