/**
 * The page cache (mm/filemap.c): page locks, lookups, the read path and the
 * two eras of the file fault handler.
 */
import { KIND_UNINIT } from '../cell.js';
import type { Gen } from '../gen.js';
import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import { lockdepAcquire } from '../locking.js';
import { CLASS_PAGE_LOCK, CLASS_PG_EXTRA, lockKey, MODE_WRITE, pageId } from '../locks.js';
import { COMM_DATA, COMM_LOCK } from '../communication.js';
import type { Vma } from '../mm.js';
import { BH_Dirty, PG_dirty, PG_extra, PG_locked, PG_uptodate, WRITING_WAIT_FAULT, WRITING_WAIT_READ, type Page } from '../page.js';
import { WAIT_PAGE_EXTRA, WAIT_PAGE_LOCK, type Task } from '../task.js';
import { checkUserRead } from '../oracles/user-data.js';
import { EIO } from '../errno.js';
import { userFrameWrite } from './memory.js';

/** The lockdep instance of a page's lock or PG_writing: the file page, whichever struct page it is now. */
function pageKey(cls: number, page: Page): number {
  return lockKey(cls, pageId(page.ino, page.index));
}

export function* lockPage(k: Kernel, t: Task, page: Page): Gen {
  lockdepAcquire(k, t, CLASS_PAGE_LOCK, pageKey(CLASS_PAGE_LOCK, page), MODE_WRITE);
  if (k.tracing && page.flags & PG_locked) k.event(t, `lock_page(${page.name}): sleeps, held by ${page.lockOwner?.name ?? 'nobody'}`);
  while (page.flags & PG_locked) {
    t.waitOn(WAIT_PAGE_LOCK, 'lock_page', page, null);
    yield;
  }
  t.clearWait();
  setPageLocked(k, t, page);
}

/** TestSetPageLocked: take the lock only if it is free (reclaim never sleeps on it). */
export function trylockPage(k: Kernel, t: Task, page: Page): boolean {
  if (page.flags & PG_locked) return false;
  setPageLocked(k, t, page);
  return true;
}

function setPageLocked(k: Kernel, t: Task, page: Page): void {
  k.acc.page(page);
  if (k.comm.pairs !== null) k.comm.read(COMM_LOCK, pageKey(CLASS_PAGE_LOCK, page), t);
  page.flags |= PG_locked;
  k.runnableStale = true;
  page.lockOwner = t;
  t.hold(CLASS_PAGE_LOCK, page, pageKey(CLASS_PAGE_LOCK, page), MODE_WRITE);
  k.costs.pageLockRoundTrips++;
  if (k.tracing) k.event(t, `lock_page(${page.name})`);
}

/** BUG_ON(!PageLocked(page)) before writing into a page-cache page. */
export function assertPageLocked(k: Kernel, t: Task, page: Page): void {
  if (!(page.flags & PG_locked) || page.lockOwner !== t) k.bug(t, 'writing a page without its lock', `copy into ${page.name} without its page lock`);
}

export function unlockPage(k: Kernel, t: Task, page: Page): void {
  k.acc.page(page);
  if (!(page.flags & PG_locked)) k.bug(t, 'unlock_page of an unlocked page', `unlock_page of unlocked page ${page.name}`);
  if (page.flags & PG_uptodate && !page.uninitChecked) {
    const bad = firstUninit(k, page);
    if (bad >= 0) k.bug(t, 'uptodate page holding UNINIT unlocked', `page ${page.name} unlocked uptodate while cell ${bad} holds UNINIT`);
    page.uninitChecked = true;
  }
  page.flags &= ~PG_locked;
  k.runnableStale = true;
  if (k.comm.pairs !== null) k.comm.wrote(COMM_LOCK, pageKey(CLASS_PAGE_LOCK, page), t);
  page.lockOwner?.release(page);
  page.lockOwner = null;
  if (k.tracing) k.event(t, `unlock_page(${page.name})`);
}

function firstUninit(k: Kernel, page: Page): number {
  const i = k.mem.firstOfKind(k.mem.frameOff(page.frame), k.pageCells, KIND_UNINIT);
  return i < k.pageCells ? i : -1;
}

/** wait_on_page_locked: sleep until the page is unlocked, without taking the lock. */
export function* waitOnPageLocked(t: Task, page: Page): Gen {
  while (page.flags & PG_locked) {
    t.waitOn(WAIT_PAGE_LOCK, 'wait_on_page_locked', page, null);
    yield;
  }
  t.clearWait();
}

/**
 * PG_writing (the strategy flag, PG_extra): set under the page lock by a
 * writer that unlocks the page for a slow copy (excl-flag). Only that
 * strategy sets it; the readpage callers and truncate honour it, each unless
 * the strategy says otherwise (Strategy.pageWritingWaiters).
 */
export function setPageWriting(k: Kernel, t: Task, page: Page): void {
  // Setting a bit never waits, so it adds no lockdep edge; holding it does.
  page.flags |= PG_extra;
  k.runnableStale = true;
  page.extraOwner = t;
  t.hold(CLASS_PG_EXTRA, page.extraBit, pageKey(CLASS_PG_EXTRA, page), MODE_WRITE);
  if (k.tracing) k.event(t, `SetPageWriting(${page.name})`);
}

export function endPageWriting(k: Kernel, t: Task, page: Page): void {
  if (k.comm.pairs !== null) k.comm.wrote(COMM_LOCK, pageKey(CLASS_PG_EXTRA, page), t);
  page.flags &= ~PG_extra;
  k.runnableStale = true;
  page.extraOwner = null;
  t.release(page.extraBit);
  if (k.tracing) k.event(t, `end_page_writing(${page.name}): wake_up_bit`);
}

/** wait_on_bit(PG_writing): sleep until the writer clears it; lockdep sees the wait as taking it. */
export function* waitOnPageWriting(k: Kernel, t: Task, page: Page): Gen {
  lockdepAcquire(k, t, CLASS_PG_EXTRA, pageKey(CLASS_PG_EXTRA, page), MODE_WRITE);
  if (k.tracing && page.flags & PG_extra) k.event(t, `wait_on_bit(PG_writing, ${page.name}): sleeps, set by ${page.extraOwner?.name ?? 'nobody'}`);
  while (page.flags & PG_extra) {
    t.waitOn(WAIT_PAGE_EXTRA, 'wait_on_bit', page, null);
    yield;
  }
  t.clearWait();
  if (k.comm.pairs !== null) k.comm.read(COMM_LOCK, pageKey(CLASS_PG_EXTRA, page), t);
}

/**
 * A readpage caller holding the page lock found PG_writing set: unlock, wait
 * for the bit, drop the reference; the caller looks the page up again.
 */
export function* backOffPageWriting(k: Kernel, t: Task, page: Page): Gen {
  unlockPage(k, t, page);
  yield* waitOnPageWriting(k, t, page);
  pageCacheRelease(k, t, page);
}

/** find_get_page: the cached page with a reference taken, or null. */
export function findGetPage(inode: Inode, index: number): Page | null {
  // Looking at the slot is a use of it, found or not (truncate's sweep, a read's no_cached_page).
  inode.acc.filePage(inode.id, index);
  const page = index < inode.pages.length ? inode.pages[index]! : null;
  if (page !== null) {
    page.count++;
    inode.acc.hold(page);
  }
  return page;
}

/** find_lock_page: the cached page, locked and still in this mapping, or null. */
export function* findLockPage(k: Kernel, t: Task, inode: Inode, index: number): Gen<Page | null> {
  for (;;) {
    const page = findGetPage(inode, index);
    if (page === null) return null;
    if (!trylockPage(k, t, page)) yield* lockPage(k, t, page);
    if (page.mapping === inode) return page;
    // Truncated while we slept on the lock.
    unlockPage(k, t, page);
    pageCacheRelease(k, t, page);
  }
}

/** add_to_page_cache: insert a new page, locked (SetPageLocked, not lock_page), with the cache's reference. */
export function addToPageCache(k: Kernel, t: Task, page: Page, inode: Inode, index: number): void {
  if (inode.pages[index] !== null) k.bug(t, 'add_to_page_cache of a cached index', `add_to_page_cache: ${inode.name}:${index} is already cached`);
  page.mapping = inode;
  page.index = index;
  page.ino = inode.id;
  page.count++;
  inode.pages[index] = page;
  // The allocator's reference, page_cache_alloc's, is the caller's: it holds the page from here.
  k.acc.hold(page);
  setPageLocked(k, t, page);
}

export function pageCacheRelease(k: Kernel, t: Task, page: Page): void {
  if (page.count <= 0) k.bug(t, 'page_cache_release of a free page', `page_cache_release of free page ${page.name}`);
  k.acc.release(page);
  if (--page.count > 0) return;
  if (page.flags & PG_locked) k.bug(t, 'freeing a locked page', `freeing locked page ${page.name}`);
  if (page.mapcount > 0) k.bug(t, 'freeing a mapped page', `freeing mapped page ${page.name}`);
  k.freePage(page);
}

/** remove_from_page_cache: page locked; it keeps only the references others hold. */
export function removeFromPageCache(k: Kernel, t: Task, page: Page): void {
  const inode = page.mapping!;
  k.acc.page(page);
  inode.pages[page.index] = null;
  page.mapping = null;
  if (k.tracing) k.event(t, `remove_from_page_cache(${inode.name}:${page.index})`);
  page.count--;
}

/** __grab_cache_page: find the page locked, or create it locked and not uptodate. */
export function* grabCachePage(k: Kernel, t: Task, inode: Inode, index: number): Gen<Page> {
  t.enter('__grab_cache_page');
  const found = yield* findLockPage(k, t, inode, index);
  if (found !== null) {
    t.leave();
    return found;
  }
  const page = k.allocPage();
  addToPageCache(k, t, page, inode, index);
  t.leave();
  return page;
}

/** __set_page_dirty_buffers: a page dirtied through a mapping has every buffer dirty. */
export function setPageDirty(k: Kernel, page: Page): void {
  page.flags |= PG_dirty;
  for (let i = 0; i < k.blocksPerPage; i++) page.bh[i]! |= BH_Dirty;
}

/** page_cache_read: bring a missing page in with readpage, for the fault path. */
function* pageCacheRead(k: Kernel, t: Task, inode: Inode, index: number): Gen {
  t.enter('page_cache_read');
  const page = k.allocPage();
  addToPageCache(k, t, page, inode, index);
  yield* k.paths.readpage(k, t, page);
  pageCacheRelease(k, t, page);
  t.leave();
}

/**
 * filemap_nopage (2.6.20): an uptodate page is mapped without its lock; one
 * that is not uptodate is locked, rechecked and read; a read that fails is
 * tried once more, then it is SIGBUS. Returns the page with a reference for
 * the PTE, or null for SIGBUS.
 */
export function* filemapNopage(k: Kernel, t: Task, vma: Vma, pgoff: number): Gen<Page | null> {
  const inode = vma.inode!;
  t.enter('filemap_nopage');
  try {
    for (;;) {
      // retry_all:
      if (pgoff >= pagesOf(k, inode.iSize)) return null;
      const page = findGetPage(inode, pgoff);
      if (page === null) {
        yield* pageCacheRead(k, t, inode, pgoff);
        continue;
      }
      if (page.flags & PG_uptodate) return page;
      // page_not_uptodate: read it, and on an error "try to re-read it _once_".
      let retry = false;
      for (let attempt = 0; attempt < 2 && !retry; attempt++) {
        yield* lockPage(k, t, page);
        if (page.mapping === null) {
          unlockPage(k, t, page);
          pageCacheRelease(k, t, page);
          retry = true;
          break;
        }
        if (page.flags & PG_uptodate) {
          unlockPage(k, t, page);
          return page;
        }
        if (page.flags & PG_extra && k.writingWaiters & WRITING_WAIT_FAULT) {
          yield* backOffPageWriting(k, t, page);
          retry = true;
          break;
        }
        yield* k.paths.readpage(k, t, page);
        yield* waitOnPageLocked(t, page);
        if (page.flags & PG_uptodate) return page;
      }
      if (retry) continue;
      pageCacheRelease(k, t, page);
      return null;
    }
  } finally {
    t.leave();
  }
}

/**
 * filemap_fault (2.6.24): find_lock_page always, read it if not uptodate, and
 * return it locked (VM_FAULT_LOCKED); null for SIGBUS, past EOF or when the
 * read fails.
 */
export function* filemapFault(k: Kernel, t: Task, vma: Vma, pgoff: number): Gen<Page | null> {
  const inode = vma.inode!;
  t.enter('filemap_fault');
  try {
    for (;;) {
      if (pgoff >= pagesOf(k, inode.iSize)) return null;
      const page = yield* findLockPage(k, t, inode, pgoff);
      if (page === null) {
        yield* pageCacheRead(k, t, inode, pgoff);
        continue;
      }
      if (!(page.flags & PG_uptodate)) {
        if (page.flags & PG_extra && k.writingWaiters & WRITING_WAIT_FAULT) {
          yield* backOffPageWriting(k, t, page);
          continue;
        }
        // page_not_uptodate:
        yield* k.paths.readpage(k, t, page);
        yield* waitOnPageLocked(t, page);
        const failed = !(page.flags & PG_uptodate) && page.mapping !== null;
        pageCacheRelease(k, t, page);
        if (failed) return null;
        continue;
      }
      // The size may have shrunk while we slept.
      if (pgoff >= pagesOf(k, inode.iSize)) {
        unlockPage(k, t, page);
        pageCacheRelease(k, t, page);
        return null;
      }
      return page;
    }
  } finally {
    t.leave();
  }
}

/** How many pages hold `size` cells. */
export function pagesOf(k: Kernel, size: number): number {
  return (size + k.pageCells - 1) >>> k.pageShift;
}

/**
 * do_generic_file_read (2.6.20): find or create each page, readpage when it
 * is not uptodate (under the page lock), then copy to the user holding only a
 * reference. Returns the cells copied out.
 */
export function* doGenericFileRead(k: Kernel, t: Task, inode: Inode, pos: number, len: number, dst: number, readStart: number): Gen<number> {
  t.enter('do_generic_file_read');
  try {
    let copied = 0;
    while (copied < len) {
      const index = (pos + copied) >>> k.pageShift;
      const offset = (pos + copied) & (k.pageCells - 1);
      let page = findGetPage(inode, index);
      if (page === null) {
        if (pos + copied >= inode.iSize) break;
        // no_cached_page:
        page = k.allocPage();
        addToPageCache(k, t, page, inode, index);
        yield* k.paths.readpage(k, t, page);
      } else if (!(page.flags & PG_uptodate)) {
        // page_not_up_to_date:
        yield* lockPage(k, t, page);
        if (page.mapping === null) {
          unlockPage(k, t, page);
          pageCacheRelease(k, t, page);
          continue;
        }
        if (page.flags & PG_extra && !(page.flags & PG_uptodate) && k.writingWaiters & WRITING_WAIT_READ) {
          yield* backOffPageWriting(k, t, page);
          continue;
        }
        if (page.flags & PG_uptodate) unlockPage(k, t, page);
        else yield* k.paths.readpage(k, t, page);
      }
      if (!(page.flags & PG_uptodate)) {
        // readpage did not bring it uptodate: truncated under us (look again), or an I/O error.
        yield* lockPage(k, t, page);
        if (!(page.flags & PG_uptodate)) {
          const truncated = page.mapping === null;
          unlockPage(k, t, page);
          pageCacheRelease(k, t, page);
          if (truncated) {
            yield;
            continue;
          }
          // readpage_error:
          return copied > 0 ? copied : EIO;
        }
        unlockPage(k, t, page);
      }
      // page_ok: i_size is read again now, after the page is uptodate.
      const isize = inode.iSize;
      if (pos + copied >= isize) {
        pageCacheRelease(k, t, page);
        break;
      }
      const nr = Math.min(k.pageCells - offset, len - copied, isize - (pos + copied));
      const n = yield* fileReadActor(k, t, inode, page, offset, nr, dst + copied, readStart);
      pageCacheRelease(k, t, page);
      copied += n;
      if (n < nr) break;
      yield;
    }
    return copied;
  } finally {
    t.leave();
  }
}

/**
 * file_read_actor: copy_to_user from the page, holding only a reference. What
 * the user is handed is judged by the data oracles chunk by chunk, in the same
 * step as the copy.
 */
function* fileReadActor(k: Kernel, t: Task, inode: Inode, page: Page, offset: number, n: number, dst: number, readStart: number): Gen<number> {
  t.enter('file_read_actor');
  const cells = k.mem.cells;
  let done = 0;
  while (done < n) {
    const addr = dst + done;
    const frame = yield* userFrameWrite(k, t, addr);
    if (frame < 0) break;
    const poff = addr & (k.pageCells - 1);
    const m = Math.min(n - done, k.pageCells - poff);
    const src = k.mem.frameOff(page.frame) + offset + done;
    checkUserRead(k, t, inode, src, page.index * k.pageCells + offset + done, m, readStart);
    if (k.comm.pairs !== null) k.comm.read(COMM_DATA, pageId(page.ino, page.index), t);
    // Judged above: nothing UNINIT reaches the user's frame.
    cells.copyWithin(k.mem.frameOff(frame) + poff, src, src + m);
    done += m;
    t.progress();
  }
  t.leave();
  return done;
}
