/**
 * temp-page: Anton Altaparmakov, 4 Feb 2007 10:59, "[patch 9/9] mm: fix
 * pagecache write deadlocks": "leaving the existing code with the following
 * minor modifications".
 *
 * As 2.6.20 up to the atomic copy. On a short copy, unlock the destination
 * page (keeping a reference), copy the source into a temporary page (which
 * may fault: no page lock is held; a real EFAULT pads the rest with zeroes,
 * as __copy_from_user does), relock, copy the temporary page in and, as the
 * existing code does, commit_write the whole range and say EFAULT if the
 * copy came up short.
 *
 * What the thread says it gets wrong: while it is unlocked the page is not
 * uptodate and prepare_write has already allocated its blocks, whose disk
 * contents are another file's deleted data; a reader's readpage reads them
 * (stale blocks). Truncate can also run in the window; the page's mapping is
 * rechecked after relocking.
 */
import { EFAULT, PATHS_2_6_20, assertPageLocked, blockPrepareWrite, copyFromUser, copyFromUserAtomic, doTruncate, endPageWriting, faultInPagesReadable, freePage, genericCommitWrite, getFreePage, grabCachePage, lockPage, memcpyToPage, memsetZero, pageAddress, pageCacheRelease, setPageWriting, unlockPage, type Gen, type Inode, type IovIter, type Kernel, type Strategy, type Task } from '../strategy-api.js';

/** The temp-page write path; with `pageWriting`, excl-flag's: PG_writing is set across the unlocked window. */
export function tempPageWrite(pageWriting: boolean) {
  return function* genericFileBufferedWrite(k: Kernel, t: Task, inode: Inode, pos: number, it: IovIter): Gen<number> {
    t.enter('generic_file_buffered_write');
    let written = 0;
    let status = 0;
    do {
      const offset = pos & (k.pageCells - 1);
      const index = pos >>> k.pageShift;
      const bytes = Math.min(k.pageCells - offset, it.count);
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
      assertPageLocked(k, t, page);
      let copied = copyFromUserAtomic(k, t, pageAddress(k, page.frame) + offset, it, 0, bytes);
      if (copied < bytes) {
        // The source must be faulted in, which cannot happen under the page lock.
        if (k.tracing) k.event(t, `atomic copy short: ${copied} of ${bytes}, copying through a temporary page`);
        if (pageWriting) setPageWriting(k, t, page);
        unlockPage(k, t, page);
        const tmp = getFreePage(k);
        const tmpAddr = pageAddress(k, tmp);
        copied = yield* copyFromUser(k, t, tmpAddr, it, 0, bytes);
        // __copy_from_user pads what a fault could not copy with zeroes.
        if (copied < bytes) memsetZero(k, tmpAddr + copied, bytes - copied);
        yield* lockPage(k, t, page);
        if (pageWriting) endPageWriting(k, t, page);
        if (page.mapping === null) {
          // Truncated in the window: start this page again.
          freePage(k, tmp);
          unlockPage(k, t, page);
          pageCacheRelease(k, t, page);
          continue;
        }
        memcpyToPage(k, t, page, offset, tmpAddr, bytes);
        freePage(k, tmp);
      }
      // The existing code: commit_write of the whole range, whatever was copied.
      genericCommitWrite(k, t, page, offset, offset + bytes);
      k.costs.pagesWritten++;
      unlockPage(k, t, page);
      pageCacheRelease(k, t, page);
      it.advance(copied);
      pos += copied;
      written += copied;
      if (copied < bytes) {
        status = EFAULT;
        break;
      }
      yield;
    } while (it.count > 0);
    t.leave();
    return written > 0 ? written : status;
  };
}

export const tempPage: Strategy = {
  id: 'temp-page',
  description: 'Altaparmakov 4 Feb 10:59: on a short copy unlock the page and copy through a temporary page',
  paths: PATHS_2_6_20,
  performWrite: tempPageWrite(false),
};
