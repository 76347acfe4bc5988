import type { Scenario } from './scenario.js';
import { createFile, mapAnon, userAddr, userTask } from './setup.js';

/**
 * multi-segment: a writev filling one page from two segments, the second in
 * a page that starts swapped out. 2.6.24 prefaults only the first segment,
 * so the atomic copy comes up short and the write must fall back to one
 * segment at a time: the retry loop that livelocks if reclaim never stops.
 */
export const multiSegment: Scenario = {
  id: 'multi-segment',
  description: 'a writev whose later segment is not present (the retry livelock)',
  stepsEstimate: 16,
  setup(k) {
    const file = createFile(k, ['data']);
    const pc = k.pageCells;
    const mmW = k.createMm();
    mapAnon(k, mmW, 0, 1);
    mapAnon(k, mmW, 1, 1, true);
    const mmR = k.createMm();
    mapAnon(k, mmR, 0, 1);
    userTask(k, 'writer', mmW, [{ op: 'write', file, pos: 0, iov: [userAddr(k, 0), pc / 2, userAddr(k, 1), pc / 2] }]);
    userTask(k, 'reader', mmR, [{ op: 'read', file, pos: 0, len: pc, dst: userAddr(k, 0) }]);
  },
};
