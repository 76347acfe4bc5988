import type { Scenario } from './scenario.js';
import { createFile, mapFile, userAddr, userTask } from './setup.js';

/**
 * self-mmap-write: one process writes two pages of a file from a shared
 * mapping of those very pages. If reclaim takes a source page away between
 * the prefault and the copy, the fault that brings it back needs the page
 * the writer has locked.
 */
export const selfMmapWrite: Scenario = {
  id: 'self-mmap-write',
  description: 'a process writes file pages from a shared mapping of the same pages',
  stepsEstimate: 12,
  setup(k) {
    const file = createFile(k, ['data', 'data']);
    const mm = k.createMm();
    mapFile(mm, 0, file, 0, 2);
    userTask(k, 'writer', mm, [{ op: 'write', file, pos: 0, iov: [userAddr(k, 0), 2 * k.pageCells] }]);
  },
};
