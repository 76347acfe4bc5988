import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import type { Op } from '../program.js';
import type { Scenario } from './scenario.js';
import { createFile, mapAnon, mapFile, userAddr, userTask, type PageInit } from './setup.js';

/** Virtual layout of every generated process: a 2-page source buffer, a 1-page read buffer, then each file's mapping. */
const SRC_VPAGE = 0;
const DST_VPAGE = 2;
const FILE_VPAGE = 4;
const FILE_MAP_PAGES = 4;

/**
 * generated: files, tasks, operations, offsets, lengths and sources all drawn
 * from the choice stream, smallest first, so that a choice list of zeroes is
 * the simplest workload and the minimizer shrinks workloads and schedules
 * through the same stream.
 */
export const generated: Scenario = {
  id: 'generated',
  description: 'files, tasks and operations drawn from the choice stream, small values first',
  stepsEstimate: 32,
  setup(k) {
    const c = k.choice;
    const pc = k.pageCells;
    const half = pc / 2;
    const files: Inode[] = [];
    const nrFiles = 1 + c.choose(2);
    for (let f = 0; f < nrFiles; f++) {
      const pages: PageInit[] = [];
      const nrPages = 1 + c.choose(3);
      for (let p = 0; p < nrPages; p++) pages.push(c.choose(3) === 2 ? 'hole' : 'data');
      files.push(createFile(k, pages, nrPages * pc - c.choose(2) * half));
    }
    const nrTasks = 1 + c.choose(3);
    for (let i = 0; i < nrTasks; i++) {
      const mm = k.createMm();
      mapAnon(k, mm, SRC_VPAGE, 2, c.choose(2) === 1);
      mapAnon(k, mm, DST_VPAGE, 1);
      for (let f = 0; f < nrFiles; f++) mapFile(mm, FILE_VPAGE + f * FILE_MAP_PAGES, files[f]!, 0, FILE_MAP_PAGES);
      const ops: Op[] = [];
      const nrOps = 1 + c.choose(3);
      for (let j = 0; j < nrOps; j++) ops.push(drawOp(k, files, half));
      userTask(k, `task${i}`, mm, ops);
    }
  },
};

function drawOp(k: Kernel, files: Inode[], half: number): Op {
  const c = k.choice;
  const f = c.choose(files.length);
  const file = files[f]!;
  const pos = c.choose(4) * half;
  const len = (1 + c.choose(4)) * half;
  const mapping = (g: number): number => userAddr(k, FILE_VPAGE + g * FILE_MAP_PAGES);
  switch (c.choose(7)) {
    case 0: {
      const srcOff = c.choose(2) * half;
      return { op: 'write', file, pos, iov: [userAddr(k, SRC_VPAGE, srcOff), Math.min(len, 4 * half - srcOff)] };
    }
    case 1:
      return { op: 'read', file, pos, len: Math.min(len, 2 * half), dst: userAddr(k, DST_VPAGE) };
    case 2: {
      const src = c.choose(files.length);
      return { op: 'write', file, pos, iov: [mapping(src) + c.choose(4) * half, len] };
    }
    case 3:
      return { op: 'load', addr: mapping(f) + pos, len };
    case 4:
      return { op: 'store', addr: mapping(f) + pos, len };
    case 5:
      return { op: 'truncate', file, size: c.choose(5) * half, iMutex: true };
    default:
      return { op: 'fsync', file };
  }
}
