import type { Scenario } from './scenario.js';
import { createFile, mapAnon, mapFile, userAddr, userTask } from './setup.js';

/**
 * extend-vs-truncate: a write that overwrites the second half of a file's only
 * page and extends it by two more, against what changes a file's size or
 * pages the way 2.6.20 did: truncates under i_mutex (shrinking into the first
 * page, then extending again) and an O_DIRECT write of the first page's first
 * half, whose invalidate_inode_pages2 removes the page without i_mutex (the
 * real path behind "not all truncates hold i_mutex"). A reader reads every
 * page and a loader touches every page through a shared mapping.
 */
export const extendVsTruncate: Scenario = {
  id: 'extend-vs-truncate',
  description: 'an extending write against truncates under i_mutex and an O_DIRECT write that invalidates pages without it, readers over every page',
  stepsEstimate: 40,
  setup(k) {
    const pc = k.pageCells;
    const file = createFile(k, ['data']);
    const mmW = k.createMm();
    mapAnon(k, mmW, 0, 3);
    const mmT = k.createMm();
    const mmD = k.createMm();
    mapAnon(k, mmD, 0, 1);
    const mmR = k.createMm();
    mapAnon(k, mmR, 0, 3);
    mapFile(mmR, 4, file, 0, 3);
    userTask(k, 'writer', mmW, [{ op: 'write', file, pos: pc / 2, iov: [userAddr(k, 0, pc / 2), 2 * pc] }]);
    userTask(k, 'truncate', mmT, [
      { op: 'truncate', file, size: pc / 2, iMutex: true },
      { op: 'truncate', file, size: 2 * pc, iMutex: true },
    ]);
    userTask(k, 'direct', mmD, [{ op: 'direct-write', file, pos: 0, addr: userAddr(k, 0), len: pc / 2 }]);
    userTask(k, 'reader', mmR, [{ op: 'read', file, pos: 0, len: 3 * pc, dst: userAddr(k, 0) }]);
    userTask(k, 'loader', mmR, [{ op: 'load', addr: userAddr(k, 4), len: 3 * pc }]);
  },
};
