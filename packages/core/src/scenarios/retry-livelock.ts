import type { Scenario } from './scenario.js';
import { createFile, mapAnon, userAddr, userTask } from './setup.js';

/**
 * retry-livelock: the loops that retry a copy that came up short (write-begin-
 * end's "goto again", two-copy's recheck, zero-retry's retry) against reclaim
 * that never stops and may take the source page away again every time. A
 * write from a buffer straddling two pages, then a writev whose second
 * segment starts swapped out (2.6.24 prefaults only the first), with a reader
 * beside. Reclaim is fair: one choice among the runnable tasks, never the
 * only one; the livelock oracle asks whether the writer still makes progress
 * within stallStepsMax steps of its own.
 */
export const retryLivelock: Scenario = {
  id: 'retry-livelock',
  description: 'writes whose source reclaim may take away again and again, under reclaim that never stops (the retry livelock)',
  stepsEstimate: 32,
  reclaimForever: true,
  setup(k) {
    const pc = k.pageCells;
    const file = createFile(k, ['data', 'data']);
    const mmW = k.createMm();
    mapAnon(k, mmW, 0, 2);
    mapAnon(k, mmW, 2, 1, true);
    const mmR = k.createMm();
    mapAnon(k, mmR, 0, 2);
    userTask(k, 'writer', mmW, [
      { op: 'write', file, pos: 0, iov: [userAddr(k, 0, pc / 2), pc] },
      { op: 'write', file, pos: pc, iov: [userAddr(k, 0), pc / 2, userAddr(k, 2), pc / 2] },
    ]);
    userTask(k, 'reader', mmR, [{ op: 'read', file, pos: 0, len: 2 * pc, dst: userAddr(k, 0) }]);
  },
};
