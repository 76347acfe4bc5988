import type { Scenario } from './scenario.js';
import { createFile, mapAnon, mapFile, userAddr, userTask } from './setup.js';

/**
 * hole-fill-vs-read: a write fills a hole of a sparse file from an anonymous
 * buffer (which reclaim may swap out) while another process reads the hole
 * with read() and through a mapping. A block allocated for the hole holds
 * STALE until written: any path that lets a reader readpage it exposes
 * another file's data.
 */
export const holeFillVsRead: Scenario = {
  id: 'hole-fill-vs-read',
  description: 'a write fills a hole from an anonymous buffer while readers use read() and loads',
  stepsEstimate: 16,
  setup(k) {
    const file = createFile(k, ['data', 'hole']);
    const mmW = k.createMm();
    mapAnon(k, mmW, 0, 1);
    const mmR = k.createMm();
    mapAnon(k, mmR, 0, 1);
    mapFile(mmR, 2, file, 0, 2);
    const pc = k.pageCells;
    userTask(k, 'writer', mmW, [{ op: 'write', file, pos: pc, iov: [userAddr(k, 0), pc] }]);
    userTask(k, 'reader', mmR, [{ op: 'read', file, pos: pc, len: pc, dst: userAddr(k, 0) }]);
    userTask(k, 'loader', mmR, [{ op: 'load', addr: userAddr(k, 3), len: pc }]);
  },
};
