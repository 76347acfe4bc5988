import type { Scenario } from './scenario.js';
import { createFile, mapAnon, userAddr, userTask } from './setup.js';

/**
 * write-errors: prepare_write / write_begin failing, with the vmtruncate that
 * follows, as 2.6.20 and 2.6.24 had them. The filesystem is full, so filling
 * the hole page (an extending write) fails in get_block with ENOSPC; the
 * first page's first block is a bad sector, so a write that overwrites part
 * of it fails reading it with EIO (and so does a reader's readpage). Each
 * write must return what it wrote or the error it met, leave no block past
 * i_size, and nobody may see what a failed prepare_write allocated.
 */
export const writeErrors: Scenario = {
  id: 'write-errors',
  description: 'prepare_write/write_begin failing with ENOSPC (a full filesystem) and EIO (a bad block partly overwritten), readers beside',
  stepsEstimate: 24,
  setup(k) {
    const pc = k.pageCells;
    const file = createFile(k, ['data', 'hole']);
    k.mem.blocksFree = 0;
    k.mem.badBlock[file.blocks[0]!] = 1;
    const mmA = k.createMm();
    mapAnon(k, mmA, 0, 1);
    const mmB = k.createMm();
    mapAnon(k, mmB, 0, 1);
    const mmR = k.createMm();
    mapAnon(k, mmR, 0, 2);
    userTask(k, 'eio-writer', mmA, [{ op: 'write', file, pos: pc / 8, iov: [userAddr(k, 0), pc / 4] }]);
    userTask(k, 'enospc-writer', mmB, [{ op: 'write', file, pos: pc + pc / 4, iov: [userAddr(k, 0), pc] }]);
    userTask(k, 'reader', mmR, [{ op: 'read', file, pos: 0, len: 2 * pc, dst: userAddr(k, 0) }]);
  },
};
