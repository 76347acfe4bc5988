import type { Scenario } from './scenario.js';
import { createFile, mapAnon, mapFile, userAddr, userTask } from './setup.js';

/**
 * mmap-sem-inversion: three threads of one process. A writer whose copy
 * faults while it holds the destination page lock (so it wants mmap_sem for
 * reading); a thread unmapping something else (queued for mmap_sem for
 * writing, which blocks new readers); a thread faulting on the locked page
 * (holding mmap_sem for reading, waiting for the page lock).
 */
export const mmapSemInversion: Scenario = {
  id: 'mmap-sem-inversion',
  description: 'a writer faulting under a page lock, a thread queued in munmap, a thread faulting on the locked page',
  stepsEstimate: 16,
  setup(k) {
    const file = createFile(k, ['data']);
    const mm = k.createMm();
    mapAnon(k, mm, 0, 1);
    mapFile(mm, 2, file, 0, 1);
    mapAnon(k, mm, 4, 1);
    const pc = k.pageCells;
    userTask(k, 'writer', mm, [{ op: 'write', file, pos: 0, iov: [userAddr(k, 0), pc] }]);
    userTask(k, 'unmapper', mm, [{ op: 'munmap', addr: userAddr(k, 4), len: pc }]);
    userTask(k, 'faulter', mm, [{ op: 'load', addr: userAddr(k, 2), len: pc }]);
  },
};
