/**
 * two-copy: Nick Piggin, 4 Feb 2007 16:10; kept in Linux 2.6.24 as
 * generic_perform_write_2copy for filesystems without write_begin.
 *
 * An uptodate page can take a short atomic copy (its other bytes are valid).
 * A page that is not uptodate cannot, and a fault cannot be taken with it
 * locked: so unlock it, copy the source into a temporary page (which may
 * fault) *before* prepare_write has allocated anything, relock, recheck that
 * the page is still mapped and still not uptodate (else start again), then
 * prepare_write and copy the temporary page in.
 *
 * The thread finds nothing of its hazards here; the recheck loop can spin.
 */
import { EFAULT, PATHS_2_6_24, PG_uptodate, assertPageLocked, blockPrepareWrite, copyFromUser, copyFromUserAtomic, doTruncate, faultInPagesReadable, freePage, genericCommitWrite, getFreePage, grabCachePage, lockPage, memcpyToPage, pageAddress, pageCacheRelease, unlockPage, type Gen, type Inode, type IovIter, type Kernel, type Strategy, type Task } from '../strategy-api.js';

function* genericPerformWrite2copy(k: Kernel, t: Task, inode: Inode, pos: number, it: IovIter): Gen<number> {
  t.enter('generic_perform_write_2copy');
  let written = 0;
  let status = 0;
  do {
    const offset = pos & (k.pageCells - 1);
    const index = pos >>> k.pageShift;
    let bytes = Math.min(k.pageCells - offset, it.count);
    // Bring in the user page that we will copy from _first_.
    if (!(yield* faultInPagesReadable(k, t, it.addrAt(0), Math.min(bytes, it.singleSegCount())))) {
      status = EFAULT;
      break;
    }
    yield;
    const page = yield* grabCachePage(k, t, inode, index);
    let srcFrame = -1;
    let copied = 0;
    if (!(page.flags & PG_uptodate)) {
      // Non-uptodate pages cannot cope with short copies, and we cannot take
      // a pagefault with the destination page locked: copy via a temporary page.
      unlockPage(k, t, page);
      srcFrame = getFreePage(k);
      copied = yield* copyFromUser(k, t, pageAddress(k, srcFrame), it, 0, bytes);
      if (copied === 0) {
        freePage(k, srcFrame);
        pageCacheRelease(k, t, page);
        status = EFAULT;
        break;
      }
      bytes = copied;
      yield* lockPage(k, t, page);
      // Can't handle the page going uptodate here (that would need a
      // non-atomic, zeroing usercopy), nor it being truncated: start again.
      if (page.mapping === null || page.flags & PG_uptodate) {
        if (k.tracing) k.event(t, `${page.name} ${page.mapping === null ? 'truncated' : 'went uptodate'} while unlocked: retry`);
        unlockPage(k, t, page);
        pageCacheRelease(k, t, page);
        freePage(k, srcFrame);
        continue;
      }
    }
    // 2.6.24's block_prepare_write: the 2.6.24 buffer rules, and the page not uptodate after an error.
    status = yield* blockPrepareWrite(k, t, page, offset, offset + bytes, false);
    if (status < 0) {
      page.flags &= ~PG_uptodate;
      // fs_write_aop_error:
      unlockPage(k, t, page);
      pageCacheRelease(k, t, page);
      if (srcFrame >= 0) freePage(k, srcFrame);
      // prepare_write() may have instantiated a few blocks outside i_size. Trim these off again.
      if (pos + bytes > inode.iSize) yield* doTruncate(k, t, inode, inode.iSize, false);
      break;
    }
    assertPageLocked(k, t, page);
    if (srcFrame < 0) {
      // The page is uptodate, so a short copy is harmless.
      copied = copyFromUserAtomic(k, t, pageAddress(k, page.frame) + offset, it, 0, bytes);
    } else {
      memcpyToPage(k, t, page, offset, pageAddress(k, srcFrame), bytes);
      k.costs.kmaps += 2;
      k.costs.cellsCopied += bytes;
      freePage(k, srcFrame);
      copied = bytes;
    }
    // commit_write of the whole range even after a short copy into an
    // uptodate page: "if unmodified parts of the page are marked dirty and
    // written out to disk, it doesn't really matter", and a block allocated
    // for the range must be written.
    genericCommitWrite(k, t, page, offset, offset + bytes);
    k.costs.pagesWritten++;
    unlockPage(k, t, page);
    pageCacheRelease(k, t, page);
    it.advance(copied);
    pos += copied;
    written += copied;
    yield; // balance_dirty_pages_ratelimited, cond_resched
  } while (it.count > 0);
  t.leave();
  return written > 0 ? written : status;
}

export const twoCopy: Strategy = {
  id: 'two-copy',
  description: 'Piggin 4 Feb 16:10 (2.6.24 generic_perform_write_2copy): copy a page that is not uptodate via a temporary page first',
  paths: PATHS_2_6_24,
  performWrite: genericPerformWrite2copy,
};
