import type { Scenario } from './scenario.js';
import { createFile, mapAnon, userAddr, userTask } from './setup.js';

/**
 * extend-vs-truncate: a writer extends the file page by page from a buffer
 * reclaim may swap out, while one truncate (holding i_mutex) shrinks it into
 * its first page and another (without i_mutex, as some truncate paths run)
 * cuts it mid-way through the second; a reader reads it all.
 */
export const extendVsTruncate: Scenario = {
  id: 'extend-vs-truncate',
  description: 'writes that extend the file against truncates, with and without i_mutex',
  stepsEstimate: 24,
  setup(k) {
    const file = createFile(k, ['data']);
    const pc = k.pageCells;
    const mmW = k.createMm();
    mapAnon(k, mmW, 0, 2);
    const mmT = k.createMm();
    const mmR = k.createMm();
    mapAnon(k, mmR, 0, 1);
    userTask(k, 'writer', mmW, [{ op: 'write', file, pos: pc, iov: [userAddr(k, 0), 2 * pc] }]);
    userTask(k, 'truncate', mmT, [{ op: 'truncate', file, size: pc / 2, iMutex: true }]);
    userTask(k, 'vmtruncate', mmT, [{ op: 'truncate', file, size: pc + pc / 2, iMutex: false }]);
    userTask(k, 'reader', mmR, [{ op: 'read', file, pos: 0, len: pc, dst: userAddr(k, 0) }]);
  },
};
