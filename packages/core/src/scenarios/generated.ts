import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import type { Mm } from '../mm.js';
import type { Op } from '../program.js';
import type { Scenario } from './scenario.js';
import { createFile, kernelMm, mapAnon, mapFile, userAddr, userTask, type PageInit } from './setup.js';

/**
 * Virtual layout of every generated process: a 2-page source buffer, a 1-page
 * read buffer, a page for munmap to take, then each file's 4-page shared
 * mapping, then each file's 4-page MAP_PRIVATE mapping (only ever read: a
 * write source; nothing stores to it, so it always shows the file).
 */
const SRC_VPAGE = 0;
const DST_VPAGE = 2;
const SCRATCH_VPAGE = 3;
const FILE_VPAGE = 4;
const FILE_MAP_PAGES = 4;
const PRIVATE_VPAGE = FILE_VPAGE + 2 * FILE_MAP_PAGES;

/**
 * generated: files, tasks, operations, offsets, lengths and sources all drawn
 * from the choice stream, smallest first, so that a choice list of zeroes is
 * the simplest workload and the minimizer shrinks workloads and schedules
 * through the same stream. It draws from everything the named scenarios
 * reach: threads of one process (so one mmap_sem) with a thread in munmap,
 * writes at quarter-page offsets and lengths (partial blocks at 2 and 4
 * blocks a page) whose source may overlap the destination in a mapping of
 * the same file, MAP_PRIVATE sources, and a kernel thread writing from a
 * kernel buffer (no user mm).
 */
export const generated: Scenario = {
  id: 'generated',
  description: 'files, tasks and operations drawn from the choice stream, small values first',
  stepsEstimate: 32,
  params: true,
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
    let last: Mm | null = null;
    for (let i = 0; i < nrTasks; i++) {
      // 0: a process of its own; 1: a thread of the last one's; 2: a kernel thread writing a kernel buffer.
      const kind = i === 0 ? 0 : c.choose(3);
      if (kind === 2) {
        const mm = kernelMm(k);
        mapAnon(k, mm, SRC_VPAGE, 2);
        const ops: Op[] = [];
        const nrOps = 1 + c.choose(2);
        for (let j = 0; j < nrOps; j++) ops.push(anonWrite(k, files));
        userTask(k, `kwriter${i}`, mm, ops);
        continue;
      }
      let mm: Mm | null = last;
      if (kind === 0 || mm === null) {
        mm = k.createMm();
        mapAnon(k, mm, SRC_VPAGE, 2, c.choose(2) === 1);
        mapAnon(k, mm, DST_VPAGE, 1);
        mapAnon(k, mm, SCRATCH_VPAGE, 1);
        for (let f = 0; f < nrFiles; f++) {
          mapFile(mm, FILE_VPAGE + f * FILE_MAP_PAGES, files[f]!, 0, FILE_MAP_PAGES);
          mapFile(mm, PRIVATE_VPAGE + f * FILE_MAP_PAGES, files[f]!, 0, FILE_MAP_PAGES, true);
        }
      }
      last = mm;
      const ops: Op[] = [];
      const nrOps = 1 + c.choose(3);
      for (let j = 0; j < nrOps; j++) ops.push(drawOp(k, files));
      userTask(k, `task${i}`, mm, ops);
    }
  },
};

/** A quarter page: offsets and lengths at this grain cut blocks at 2 and 4 blocks a page. */
function quarter(k: Kernel): number {
  return k.pageCells / 4;
}

function anonWrite(k: Kernel, files: Inode[]): Op {
  const c = k.choice;
  const q = quarter(k);
  const file = files[c.choose(files.length)]!;
  const pos = c.choose(8) * q;
  const srcOff = c.choose(4) * q;
  const len = Math.min((1 + c.choose(8)) * q, 8 * q - srcOff);
  return { op: 'write', file, pos, iov: [userAddr(k, SRC_VPAGE, srcOff), len] };
}

function drawOp(k: Kernel, files: Inode[]): Op {
  const c = k.choice;
  const q = quarter(k);
  const kind = c.choose(8);
  if (kind === 0) return anonWrite(k, files);
  const f = c.choose(files.length);
  const file = files[f]!;
  const pos = c.choose(8) * q;
  const len = (1 + c.choose(8)) * q;
  const mapping = (g: number): number => userAddr(k, FILE_VPAGE + g * FILE_MAP_PAGES);
  const privateMapping = (g: number): number => userAddr(k, PRIVATE_VPAGE + g * FILE_MAP_PAGES);
  switch (kind) {
    case 1:
      return { op: 'read', file, pos, len: Math.min(len, 4 * q), dst: userAddr(k, DST_VPAGE) };
    case 2: {
      // From a mapping (shared or private) of any file, the same one included: its source may overlap its destination.
      const src = c.choose(files.length);
      const base = c.choose(3) === 2 ? privateMapping(src) : mapping(src);
      return { op: 'write', file, pos, iov: [base + c.choose(8) * q, len] };
    }
    case 3:
      return { op: 'load', addr: mapping(f) + pos, len };
    case 4:
      return { op: 'store', addr: mapping(f) + pos, len };
    case 5:
      return { op: 'truncate', file, size: c.choose(7) * 2 * q, iMutex: true };
    case 6:
      return { op: 'munmap', addr: userAddr(k, SCRATCH_VPAGE), len: 4 * q };
    default:
      return { op: 'fsync', file };
  }
}
