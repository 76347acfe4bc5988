/**
 * gup-pin: Nick Piggin, "[patch 9/9] mm: fix pagecache write deadlocks",
 * 2 Feb 2007.
 *
 * An uptodate destination takes the atomic copy (a short one just commits
 * what it got). For a page that is not uptodate: unlock it, take mmap_sem,
 * pin the source pages with get_user_pages (which walks the page table and
 * may fault: no page lock is held), relock, recheck page->mapping,
 * prepare_write, and copy between two kernel mappings (kmap of the pinned
 * source and of the destination), which cannot fault.
 *
 * What the thread says it gets wrong (Andrew Morton): the cost, an mmap_sem
 * acquisition and a page-table walk for every page that is not uptodate; a
 * writer with no mm (a kernel thread writing a kernel buffer: current->mm is
 * NULL, a kernel-bug here); holding two kmaps at once from a bounded pool.
 */
import { EFAULT, PATHS_2_6_20, PG_uptodate, PinnedPages, assertPageLocked, blockPrepareWrite, copyFromPinned, copyFromUserAtomic, doTruncate, downRead, faultInPagesReadable, genericCommitWrite, getUserPages, grabCachePage, lockPage, pageAddress, pageCacheRelease, putUserPages, unlockPage, upRead, type Gen, type Inode, type IovIter, type Kernel, type Strategy, type Task } from '../strategy-api.js';

function* genericFileBufferedWrite(k: Kernel, t: Task, inode: Inode, pos: number, it: IovIter): Gen<number> {
  t.enter('generic_file_buffered_write');
  const pinned = new PinnedPages();
  let written = 0;
  let status = 0;
  do {
    const offset = pos & (k.pageCells - 1);
    const index = pos >>> k.pageShift;
    const bytes = Math.min(k.pageCells - offset, it.count, it.singleSegCount());
    if (!(yield* faultInPagesReadable(k, t, it.addrAt(0), bytes))) {
      status = EFAULT;
      break;
    }
    yield;
    const page = yield* grabCachePage(k, t, inode, index);
    if (!(page.flags & PG_uptodate)) {
      // A short copy cannot be taken into this page: pin the source first.
      unlockPage(k, t, page);
      // down_read(&current->mm->mmap_sem): a kernel thread writing from a kernel buffer has no mm.
      if (t.mm!.kernel) k.bug(t, 'get_user_pages with no mm', `${t.name} is a kernel thread (current->mm is NULL): down_read(&current->mm->mmap_sem) oopses`);
      yield* downRead(k, t, t.mm!.mmapSem);
      const ok = yield* getUserPages(k, t, it, bytes, pinned);
      upRead(k, t, t.mm!.mmapSem);
      yield* lockPage(k, t, page);
      if (!ok || page.mapping === null) {
        // EFAULT, or truncated while unlocked (then start this page again).
        putUserPages(k, t, pinned);
        unlockPage(k, t, page);
        pageCacheRelease(k, t, page);
        if (!ok) {
          status = EFAULT;
          break;
        }
        continue;
      }
    }
    status = yield* blockPrepareWrite(k, t, page, offset, offset + bytes, true);
    if (status < 0) {
      putUserPages(k, t, pinned);
      unlockPage(k, t, page);
      pageCacheRelease(k, t, page);
      // prepare_write() may have instantiated a few blocks outside i_size. Trim these off again.
      if (pos + bytes > inode.iSize) yield* doTruncate(k, t, inode, inode.iSize, false);
      break;
    }
    yield;
    assertPageLocked(k, t, page);
    const dst = pageAddress(k, page.frame) + offset;
    let copied: number;
    if (pinned.n > 0) {
      copyFromPinned(k, t, dst, it, bytes, pinned);
      putUserPages(k, t, pinned);
      copied = bytes;
    } else {
      // Uptodate: a short copy keeps the page valid; commit what was copied.
      copied = copyFromUserAtomic(k, t, dst, it, 0, bytes);
    }
    // The whole range, even after a short copy into an uptodate page: its
    // other cells are valid, and a block allocated for the range must be
    // dirtied to be written.
    genericCommitWrite(k, t, page, offset, offset + bytes);
    k.costs.pagesWritten++;
    unlockPage(k, t, page);
    pageCacheRelease(k, t, page);
    it.advance(copied);
    pos += copied;
    written += copied;
    yield;
  } while (it.count > 0);
  t.leave();
  return written > 0 ? written : status;
}

export const gupPin: Strategy = {
  id: 'gup-pin',
  description: 'Piggin patch 9/9: pin the source with get_user_pages under mmap_sem when the page is not uptodate',
  paths: PATHS_2_6_20,
  performWrite: genericFileBufferedWrite,
};
