/**
 * final-state: after every task finishes, write back, drop caches and re-read
 * from disk. Every cell inside i_size must be a value some linearization of
 * the completed writes and truncates leaves, and so must the file as a whole
 * (file-state.ts, which also judges it each time a write or truncate
 * returns); no page may be left locked, with a leaked reference, or past
 * i_size holding data, dirt or blocks.
 */
import { cellKind, describeCell, ZERO } from '../cell.js';
import { checkFileOnDisk } from './file-state.js';
import type { Kernel } from '../kernel.js';
import { BH_Dirty, BH_Mapped, PG_dirty, PG_locked, PG_uptodate, type Page } from '../page.js';
import type { Task } from '../task.js';
import { pagesOf, removeFromPageCache, trylockPage, unlockPage } from '../mm/filemap.js';
import { exitMmap } from '../mm/mmap.js';

/**
 * Whether a page past i_size could ever matter: dirty, holding blocks, or
 * uptodate with something other than zeroes (a later extension of the file
 * would show it). A page that holds none of these is harmless cache: 2.6.24's
 * filemap_fault leaves one behind when a fault races truncate (it reads the
 * page in, finds i_size has shrunk and returns SIGBUS), and
 * generic_perform_write_2copy leaves an empty one when its copy fails.
 */
function holdsSomething(k: Kernel, page: Page): boolean {
  if (page.flags & PG_dirty) return true;
  for (let i = 0; i < k.blocksPerPage; i++) if (page.bh[i]! & (BH_Mapped | BH_Dirty)) return true;
  if (!(page.flags & PG_uptodate)) return false;
  return k.mem.firstNotEqual(k.mem.frameOff(page.frame), k.pageCells, ZERO) < k.pageCells;
}

export function finalState(k: Kernel, sync: Task): void {
  for (let m = 0; m < k.nrMms; m++) exitMmap(k, sync, k.mms[m]!);
  for (let f = 0; f < k.nrInodes; f++) {
    const inode = k.inodes[f]!;
    for (let index = 0; index < inode.pages.length; index++) {
      const page = inode.pages[index];
      if (!page) continue;
      if (page.flags & PG_locked) {
        const held = page.lockOwner?.holding(page);
        const by = page.lockOwner === null ? '' : ` by ${page.lockOwner.name}${held ? ` (taken in ${held.fn} <- ${held.caller})` : ''}`;
        k.fail('final-state', null, `page ${page.name} left locked${by} after every task finished`, [], [`page left locked, taken in ${held ? `${held.fn} <- ${held.caller}` : 'an exited task'}`]);
      }
      if (page.count !== 1) k.fail('final-state', null, `page ${page.name} has ${page.count - 1} leaked reference(s) after every task finished`, [], ['leaked page reference']);
      // One with data, dirt or blocks is what truncate should have removed.
      if (index >= pagesOf(k, inode.iSize) && holdsSomething(k, page)) k.fail('final-state', null, `page ${page.name} is cached past i_size ${inode.iSize}`, [], ['page cached past i_size']);
    }
  }
  // sync; echo 3 > /proc/sys/vm/drop_caches
  for (let f = 0; f < k.nrInodes; f++) {
    const inode = k.inodes[f]!;
    for (let index = 0; index < inode.pages.length; index++) {
      const page = inode.pages[index];
      if (!page) continue;
      trylockPage(k, sync, page);
      if (page.flags & PG_dirty) {
        k.paths.writepage(k, sync, page);
        trylockPage(k, sync, page);
      }
      removeFromPageCache(k, sync, page);
      unlockPage(k, sync, page);
      k.freePage(page);
    }
  }
  // Re-read every file from disk, a hole as ZERO: each cell alone, then the file as a whole.
  const zeroOff = k.mem.zeroOff;
  for (let f = 0; f < k.nrInodes; f++) {
    const inode = k.inodes[f]!;
    for (let o = 0; o < inode.iSize; o += k.blockCells) {
      const n = Math.min(k.blockCells, inode.iSize - o);
      const block = inode.blocks[o / k.blockCells]!;
      const off = block >= 0 ? k.mem.blockOff(block) : zeroOff;
      const i = k.legality.firstIllegal(inode.id, off, o, n, k.step, k.step);
      if (i >= 0) {
        const v = k.mem.cells[off + i]!;
        k.fail('final-state', null, `after sync and drop_caches, ${inode.name} offset ${o + i} holds ${describeCell(v)}, which no linearization of the completed writes and truncates leaves`, [], [`${cellKind(v)} on disk after sync`]);
      }
    }
    checkFileOnDisk(k, inode);
  }
}
