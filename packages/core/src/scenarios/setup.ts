/** What scenarios build from: files with data and holes, mappings, user tasks. */
import { data } from '../cell.js';
import { EV_DATA, EV_ZERO, OFFSET_INF, OP_INITIAL, TIME_INITIAL } from '../history.js';
import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import { VMA_ANON, VMA_FILE, type Mm } from '../mm.js';
import { runProgram, type Op } from '../program.js';
import type { Task } from '../task.js';

/** A page of a new file: on disk with fresh DATA, or a hole. */
export type PageInit = 'data' | 'hole';

/** The user address of cell `off` of virtual page `vpage`. */
export function userAddr(k: Kernel, vpage: number, off = 0): number {
  return vpage * k.pageCells + off;
}

/**
 * A file whose pages are data or holes, with i_size `size` (default: all of
 * them); nothing is cached. Its history starts with what it holds.
 */
export function createFile(k: Kernel, pages: readonly PageInit[], size = pages.length * k.pageCells): Inode {
  const inode = k.createInode();
  inode.iSize = size;
  const buf = k.newBuf();
  const h = inode.history;
  h.beginOp(OP_INITIAL, TIME_INITIAL, size);
  const cells = k.mem.cells;
  for (let p = 0; p < pages.length; p++) {
    for (let i = 0; i < k.blocksPerPage; i++) {
      const b = p * k.blocksPerPage + i;
      const from = b * k.blockCells;
      if (from >= size) break;
      const n = Math.min(k.blockCells, size - from);
      if (pages[p] === 'hole') {
        h.add(EV_ZERO, from, n, TIME_INITIAL, 0, -1, 0);
        continue;
      }
      const block = k.mem.allocBlock(true);
      inode.blocks[b] = block;
      const off = k.mem.blockOff(block);
      k.mem.fillRamp(off, n, data(buf, from));
      cells.fill(0, off + n, off + k.blockCells); // past EOF a block holds zeroes
      h.add(EV_DATA, from, n, TIME_INITIAL, data(buf, from), -1, 0);
    }
  }
  h.add(EV_ZERO, size, OFFSET_INF, TIME_INITIAL, 0, -1, 0);
  return inode;
}

/** An anonymous buffer of `npages` at `vpage`, holding a fresh buffer's DATA; present, or swapped out. */
export function mapAnon(k: Kernel, mm: Mm, vpage: number, npages: number, swapped = false): void {
  const buf = k.newBuf();
  mm.addVma(vpage, vpage + npages, VMA_ANON, null, 0, buf);
  for (let p = 0; p < npages; p++) {
    const frame = k.mem.allocFrame(true);
    const off = k.mem.frameOff(frame);
    k.mem.fillRamp(off, k.pageCells, data(buf, p * k.pageCells));
    if (swapped) {
      const slot = k.mem.allocSlot();
      k.mem.cells.copyWithin(k.mem.slotOff(slot), off, off + k.pageCells);
      k.mem.freeFrame(frame);
      mm.swapSlot[vpage + p] = slot;
    } else {
      mm.pte[vpage + p] = frame;
    }
  }
}

/** A mapping of `npages` of the file from page `pgoff`, at `vpage`, shared or MAP_PRIVATE; nothing faulted in yet. */
export function mapFile(mm: Mm, vpage: number, inode: Inode, pgoff: number, npages: number, isPrivate = false): void {
  mm.addVma(vpage, vpage + npages, VMA_FILE, inode, pgoff, 0, isPrivate);
}

/**
 * The kernel's address space for a kernel thread that writes from a kernel
 * buffer (set_fs(KERNEL_DS): nfsd, the loop driver): its buffers are present
 * and reclaim never takes them.
 */
export function kernelMm(k: Kernel): Mm {
  const mm = k.createMm();
  mm.kernel = true;
  return mm;
}

export function userTask(k: Kernel, name: string, mm: Mm, ops: readonly Op[]): Task {
  // A task that may munmap can queue a writer on mmap_sem: what lets two of its readers block each other (lockdep's judge).
  if (ops.some((op) => op.op === 'munmap')) mm.mmapSem.writersPossible++;
  return k.createTask(name, mm, (t) => runProgram(k, t, ops));
}
