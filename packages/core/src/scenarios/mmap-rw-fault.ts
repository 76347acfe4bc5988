import type { Scenario } from './scenario.js';
import { createFile, mapFile, userAddr, userTask } from './setup.js';

/**
 * mmap-rw-fault, after fstests generic/647 (src/mmap-rw-fault.c): a file of
 * a hole page and a data page, mapped shared; pwrite from the mapping of one
 * page into the other, both ways.
 */
export const mmapRwFault: Scenario = {
  id: 'mmap-rw-fault',
  description: 'as fstests generic/647: pwrite from the mapping of a hole page into a data page, and back',
  stepsEstimate: 16,
  setup(k) {
    const file = createFile(k, ['hole', 'data']);
    const mm = k.createMm();
    mapFile(mm, 0, file, 0, 2);
    const pc = k.pageCells;
    userTask(k, 'writer', mm, [
      { op: 'write', file, pos: pc, iov: [userAddr(k, 0), pc] },
      { op: 'write', file, pos: 0, iov: [userAddr(k, 1), pc] },
    ]);
  },
};
