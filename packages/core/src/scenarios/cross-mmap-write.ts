import type { Scenario } from './scenario.js';
import { createFile, mapFile, userAddr, userTask } from './setup.js';

/**
 * cross-mmap-write: two processes, each writing its file from a shared
 * mapping of the other's (ABBA): each may hold its destination page locked
 * while faulting on the page the other holds.
 */
export const crossMmapWrite: Scenario = {
  id: 'cross-mmap-write',
  description: "two processes each write their file from a mapping of the other's (ABBA)",
  stepsEstimate: 12,
  setup(k) {
    const a = createFile(k, ['data']);
    const b = createFile(k, ['data']);
    const mmA = k.createMm();
    const mmB = k.createMm();
    mapFile(mmA, 0, b, 0, 1);
    mapFile(mmB, 0, a, 0, 1);
    userTask(k, 'writerA', mmA, [{ op: 'write', file: a, pos: 0, iov: [userAddr(k, 0), k.pageCells] }]);
    userTask(k, 'writerB', mmB, [{ op: 'write', file: b, pos: 0, iov: [userAddr(k, 0), k.pageCells] }]);
  },
};
