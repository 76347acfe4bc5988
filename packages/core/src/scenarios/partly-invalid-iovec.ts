import type { Scenario } from './scenario.js';
import { createFile, mapAnon, userAddr, userTask } from './setup.js';

/**
 * partly-invalid-iovec, after LTP writev07: a writev whose second segment
 * points at unmapped memory. The write must return the length of what it
 * wrote (the first segment), leave the rest of the file as it was, and say
 * EFAULT only if it wrote nothing.
 */
export const partlyInvalidIovec: Scenario = {
  id: 'partly-invalid-iovec',
  description: 'as LTP writev07: a writev whose later segment is unmapped; return value and file contents must agree',
  stepsEstimate: 12,
  setup(k) {
    const file = createFile(k, ['data']);
    const pc = k.pageCells;
    const mmW = k.createMm();
    mapAnon(k, mmW, 0, 1);
    const mmR = k.createMm();
    mapAnon(k, mmR, 0, 1);
    // Virtual page 1 of the writer is not mapped at all.
    userTask(k, 'writer', mmW, [{ op: 'write', file, pos: 0, iov: [userAddr(k, 0), pc / 2, userAddr(k, 1), pc / 2] }]);
    userTask(k, 'reader', mmR, [{ op: 'read', file, pos: 0, len: pc, dst: userAddr(k, 0) }]);
  },
};
