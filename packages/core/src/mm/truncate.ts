/**
 * vmtruncate and truncate_inode_pages (mm/truncate.c, 2.6.20): lower i_size,
 * unmap the pages past it, then pass one trylocks and skips locked pages,
 * pass two lock_page()s each page past the new size and removes it. A writer
 * that unlocked a page must recheck page->mapping after relocking it.
 */
import { ZERO } from '../cell.js';
import type { Gen } from '../gen.js';
import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import { mutexLock, mutexUnlock } from '../locking.js';
import { PG_dirty, PG_extra, PG_uptodate, WRITING_WAIT_TRUNCATE, type Page } from '../page.js';
import type { Task } from '../task.js';
import { blockInvalidatepage } from '../fs/buffer.js';
import { backOffPageWriting, findGetPage, findLockPage, lockPage, pageCacheRelease, pagesOf, removeFromPageCache, trylockPage, unlockPage } from './filemap.js';
import { tryToUnmap, unmapMappingRange } from './memory.js';

/** truncate(2) / ftruncate(2), with i_mutex or (as some truncate paths do) without it. */
export function* doTruncate(k: Kernel, t: Task, inode: Inode, size: number, withIMutex: boolean): Gen<number> {
  t.enter(withIMutex ? 'do_truncate' : 'vmtruncate');
  if (withIMutex) yield* mutexLock(k, t, inode.iMutex);
  // As vmtruncate: only growing the file skips the page work (do_expand); a
  // truncate to the same size still zeroes the tail of the last page.
  if (size <= inode.iSize) {
    inode.iSize = size;
    if (k.tracing) k.event(t, `i_size ${inode.name} = ${size}`);
    yield;
    unmapMappingRange(k, t, inode, pagesOf(k, size));
    yield* truncateInodePages(k, t, inode, size);
    freeBlocksPast(k, inode, size);
  } else {
    inode.iSize = size;
  }
  if (withIMutex) mutexUnlock(k, t, inode.iMutex);
  t.leave();
  return 0;
}

function* truncateInodePages(k: Kernel, t: Task, inode: Inode, lstart: number): Gen {
  t.enter('truncate_inode_pages');
  const start = pagesOf(k, lstart);
  const partial = lstart & (k.pageCells - 1);
  for (let index = start; index < inode.pages.length; index++) {
    const page = findGetPage(inode, index);
    if (page === null) continue;
    if (trylockPage(k, t, page)) {
      if (!(page.flags & PG_extra) || !(k.writingWaiters & WRITING_WAIT_TRUNCATE)) truncateCompletePage(k, t, inode, page);
      unlockPage(k, t, page);
    }
    pageCacheRelease(k, t, page);
  }
  if (partial !== 0) {
    const page = yield* findLockPage(k, t, inode, start - 1);
    if (page !== null) {
      truncatePartialPage(k, page, partial);
      unlockPage(k, t, page);
      pageCacheRelease(k, t, page);
    }
  }
  // Pass two: sleep on each remaining page lock, and sweep again until none is left.
  for (let again = true; again; ) {
    again = false;
    for (let index = start; index < inode.pages.length; index++) {
      const page = findGetPage(inode, index);
      if (page === null) continue;
      again = true;
      yield* lockPage(k, t, page);
      if (page.flags & PG_extra && k.writingWaiters & WRITING_WAIT_TRUNCATE) {
        yield* backOffPageWriting(k, t, page);
        continue;
      }
      truncateCompletePage(k, t, inode, page);
      unlockPage(k, t, page);
      pageCacheRelease(k, t, page);
      yield;
    }
  }
  t.leave();
}

/** truncate_complete_page: drop its buffers, clear uptodate and dirty, take it out of the mapping. */
function truncateCompletePage(k: Kernel, t: Task, inode: Inode, page: Page): void {
  if (page.mapping !== inode) return;
  if (page.mapcount > 0) tryToUnmap(k, t, page);
  blockInvalidatepage(k, page, 0);
  page.flags &= ~(PG_uptodate | PG_dirty);
  removeFromPageCache(k, t, page);
}

/** truncate_partial_page + block_truncate_page: zero the page and the block past the new size. */
function truncatePartialPage(k: Kernel, page: Page, partial: number): void {
  const off = k.mem.frameOff(page.frame);
  k.mem.cells.fill(ZERO, off + partial, off + k.pageCells);
  blockInvalidatepage(k, page, Math.ceil(partial / k.blockCells) * k.blockCells);
}

/** ext2_truncate: free the blocks past the new size and zero the tail of the last one on disk. */
function freeBlocksPast(k: Kernel, inode: Inode, size: number): void {
  const first = Math.ceil(size / k.blockCells);
  // The block map from the last block kept to the end: read, and past the size written.
  for (let index = Math.max(0, ((first - 1) / k.blocksPerPage) | 0); index * k.blocksPerPage < inode.blocks.length; index++) k.acc.filePage(inode.id, index);
  for (let b = first; b < inode.blocks.length; b++) {
    if (inode.blocks[b]! < 0) continue;
    k.mem.freeBlock(inode.blocks[b]!);
    inode.blocks[b] = -1;
  }
  const tail = size % k.blockCells;
  const last = inode.blocks[first - 1];
  if (tail !== 0 && last !== undefined && last >= 0) {
    const off = k.mem.blockOff(last);
    k.mem.cells.fill(ZERO, off + tail, off + k.blockCells);
  }
}
