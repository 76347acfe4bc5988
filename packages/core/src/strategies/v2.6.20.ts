/**
 * v2.6.20: generic_file_buffered_write + filemap_copy_from_user, as Linux
 * 2.6.20 shipped them (mm/filemap.c, mm/filemap.h).
 *
 * Prefault the source, lock the destination page, prepare_write (on an error:
 * unlock, and vmtruncate the blocks it may have instantiated past i_size),
 * copy with __copy_from_user_inatomic_nocache, which leaves what it could not
 * copy as it was (Neil Brown, 2006: "Prepare for __copy_from_user_inatomic to
 * not zero missed bytes"; the NOTE in mm/filemap.h says why: a zeroed tail
 * is "neither the data before the write, nor the data after"); on a short
 * copy do the faulting __copy_from_user_nocache *while holding the page
 * lock*, which pads what it could not copy with zeroes; commit_write the full
 * length whatever was copied.
 *
 * The thread's charges against it: the faulting copy takes mmap_sem and,
 * when the source is a mapping of a page that is not uptodate, that page's
 * lock: a self deadlock when it is the destination page, an ABBA deadlock
 * across two writers, a three-way one through a queued munmap; and a
 * zero-padded tail is committed after a real EFAULT.
 */
import { EFAULT, PATHS_2_6_20, assertPageLocked, blockPrepareWrite, copyFromUser, copyFromUserAtomic, doTruncate, faultInPagesReadable, genericCommitWrite, grabCachePage, memsetZero, pageAddress, pageCacheRelease, unlockPage, type Gen, type Inode, type IovIter, type Kernel, type Page, type Strategy, type Task } from '../strategy-api.js';

function* genericFileBufferedWrite(k: Kernel, t: Task, inode: Inode, pos: number, it: IovIter): Gen<number> {
  t.enter('generic_file_buffered_write');
  let written = 0;
  let status = 0;
  do {
    const offset = pos & (k.pageCells - 1);
    const index = pos >>> k.pageShift;
    const bytes = Math.min(k.pageCells - offset, it.count);

    // Bring in the user page that we will copy from _first_. Otherwise
    // there's a nasty deadlock on copying from the same page as we're
    // writing to, without it being marked up-to-date.
    yield* faultInPagesReadable(k, t, it.addrAt(0), Math.min(it.singleSegCount(), bytes));
    yield;

    const page = yield* grabCachePage(k, t, inode, index);
    status = yield* blockPrepareWrite(k, t, page, offset, offset + bytes, true);
    if (status < 0) {
      unlockPage(k, t, page);
      pageCacheRelease(k, t, page);
      // prepare_write() may have instantiated a few blocks outside i_size. Trim these off again.
      if (pos + bytes > inode.iSize) yield* doTruncate(k, t, inode, inode.iSize, false);
      break;
    }
    yield;
    const copied = yield* filemapCopyFromUser(k, t, page, offset, it, bytes);
    genericCommitWrite(k, t, page, offset, offset + bytes);
    k.costs.pagesWritten++;
    status = 0;
    if (copied > 0) {
      status = copied;
      written += copied;
      it.advance(copied);
      pos += copied;
    }
    if (copied !== bytes) status = EFAULT;
    unlockPage(k, t, page);
    pageCacheRelease(k, t, page);
    if (status < 0) break;
    yield; // balance_dirty_pages_ratelimited, cond_resched
  } while (it.count > 0);
  t.leave();
  return written > 0 ? written : status;
}

/**
 * filemap_copy_from_user: the atomic copy under kmap_atomic; if it comes up
 * short, the slow copy under kmap, which takes page faults while the caller
 * holds the destination page's lock.
 */
function* filemapCopyFromUser(k: Kernel, t: Task, page: Page, offset: number, it: IovIter, bytes: number): Gen<number> {
  t.enter('filemap_copy_from_user');
  assertPageLocked(k, t, page);
  const dst = pageAddress(k, page.frame) + offset;
  let copied = copyFromUserAtomic(k, t, dst, it, 0, bytes);
  if (copied < bytes) {
    // The uncopied tail is left as it was: no zeroes for a reader to see between the two copies.
    if (k.tracing) k.event(t, `atomic copy short: ${copied} of ${bytes}`);
    yield; // kunmap_atomic: preemptible again
    // Do it the slow way.
    copied = yield* copyFromUser(k, t, dst, it, 0, bytes);
    // __copy_from_user_nocache pads what a fault could not copy with zeroes.
    if (copied < bytes) memsetZero(k, dst + copied, bytes - copied);
  }
  t.leave();
  return copied;
}

export const v2_6_20: Strategy = {
  id: 'v2.6.20',
  description: 'Linux 2.6.20 generic_file_buffered_write: the faulting copy runs under the destination page lock',
  paths: PATHS_2_6_20,
  performWrite: genericFileBufferedWrite,
};
