import type { Scenario } from './scenario.js';
import { createFile, mapFile, userAddr, userTask } from './setup.js';

/**
 * mmap-rw-fault, as fstests generic/647 runs src/mmap-rw-fault.c with -2:
 * each phase a fresh file of a hole page and a data page, mapped MAP_PRIVATE
 * (two pages), then a read or write whose user buffer is that mapping, and
 * fsync:
 *   1. pread the data page into the mapping of the hole page (page faults
 *      during read; the private copy is written, not the file);
 *   2. pwrite into the hole page from the mapping of the data page;
 *   3. the self-overlapping pwrite (-2): the data page from the mapping of
 *      that same page. generic/647 issues it with O_DIRECT, which this model
 *      runs as fs/direct-io.ts; a filesystem that serves it buffered (no
 *      direct I/O, or a hole) takes the write path under test: both are here.
 * Reclaim runs beside, so the source page can go between the prefault and the
 * copy, and the fault that brings it back wants the destination page's lock.
 */
export const mmapRwFault: Scenario = {
  id: 'mmap-rw-fault',
  description: 'as fstests generic/647: reads and writes whose buffer is a private mapping of the file, the last one self-overlapping',
  stepsEstimate: 40,
  setup(k) {
    const pc = k.pageCells;
    const mm = k.createMm();
    const files = [0, 1, 2, 3].map((f) => {
      const file = createFile(k, ['hole', 'data']);
      mapFile(mm, 2 * f, file, 0, 2, true);
      return file;
    });
    const [readInto, writeInto, selfBuffered, selfDirect] = files as [typeof files[0], typeof files[0], typeof files[0], typeof files[0]];
    const map = (f: number, page: number): number => userAddr(k, 2 * f + page);
    userTask(k, 'mmap-rw-fault', mm, [
      { op: 'read', file: readInto, pos: pc, len: pc, dst: map(0, 0) },
      { op: 'fsync', file: readInto },
      { op: 'write', file: writeInto, pos: 0, iov: [map(1, 1), pc] },
      { op: 'fsync', file: writeInto },
      { op: 'write', file: selfBuffered, pos: pc, iov: [map(2, 1), pc] },
      { op: 'fsync', file: selfBuffered },
      { op: 'direct-write', file: selfDirect, pos: pc, addr: map(3, 1), len: pc },
      { op: 'fsync', file: selfDirect },
    ]);
  },
};
