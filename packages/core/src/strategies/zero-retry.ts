/**
 * zero-retry: Andrew Morton's proposal in the February 2007 thread (4 Feb,
 * replying to Anton Altaparmakov): "zero out the uncopied part of the page
 * (if it wasn't uptodate), then run commit_write(), then retry the whole
 * thing."
 *
 * No fault under the page lock: copy atomically; on a short copy into a page
 * that is not uptodate, zero the part that was not copied, commit_write the
 * whole range (the page becomes uptodate), unlock, fault the source in and
 * retry the rest. prepare_write errors are 2.6.20's (unlock, vmtruncate).
 *
 * What the thread says it gets wrong (Nick Piggin: "Data corruption,
 * transient zeroes"): for a moment the page is uptodate with zeroes where the
 * file held data, visible to read() and to mmap; Morton: "the kernel used to
 * do that anyway for a long time (years) until someone noticed"; and if the
 * retry gives up (a real EFAULT) the zeroes stay, on disk.
 */
import { EFAULT, PATHS_2_6_20, PG_uptodate, assertPageLocked, blockCommitWrite, blockPrepareWrite, copyFromUserAtomic, doTruncate, faultInPagesReadable, genericCommitWrite, grabCachePage, memsetZero, pageAddress, pageCacheRelease, unlockPage, type Gen, type Inode, type IovIter, type Kernel, type Strategy, type Task } from '../strategy-api.js';

/**
 * The zero-retry write path. With `keepNotUptodate` (Morton's aside: "perhaps
 * we can prevent it by not marking the page uptodate in this case"), the
 * zeroed range is committed, dirty and raising i_size, but neither its
 * buffers nor the page become uptodate.
 */
export function zeroRetryWrite(keepNotUptodate: boolean) {
  return function* genericFileBufferedWrite(k: Kernel, t: Task, inode: Inode, pos: number, it: IovIter): Gen<number> {
    t.enter('generic_file_buffered_write');
    let written = 0;
    let status = 0;
    do {
      const offset = pos & (k.pageCells - 1);
      const index = pos >>> k.pageShift;
      const bytes = Math.min(k.pageCells - offset, it.count);
      if (!(yield* faultInPagesReadable(k, t, it.addrAt(0), Math.min(it.singleSegCount(), bytes)))) {
        status = EFAULT;
        break;
      }
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
      const dst = pageAddress(k, page.frame) + offset;
      const copied = copyFromUserAtomic(k, t, dst, it, 0, bytes);
      if (copied === bytes || page.flags & PG_uptodate) {
        // An uptodate page takes the whole range: its other cells are valid.
        genericCommitWrite(k, t, page, offset, offset + bytes);
      } else {
        // Zero out the uncopied part of the page, then commit_write().
        memsetZero(k, dst + copied, bytes - copied);
        if (!keepNotUptodate) {
          if (k.tracing) k.event(t, `atomic copy short: ${copied} of ${bytes}, tail zeroed and committed`);
          genericCommitWrite(k, t, page, offset, offset + bytes);
        } else {
          if (k.tracing) k.event(t, `atomic copy short: ${copied} of ${bytes}, tail zeroed and committed without uptodate`);
          blockCommitWrite(k, page, offset, offset + bytes, false);
          if (pos + bytes > inode.iSize) inode.iSize = pos + bytes;
        }
      }
      k.costs.pagesWritten++;
      unlockPage(k, t, page);
      pageCacheRelease(k, t, page);
      it.advance(copied);
      pos += copied;
      written += copied;
      // Then retry the whole thing: fault the rest in (no page lock is held now) and go round again.
      yield;
    } while (it.count > 0);
    t.leave();
    return written > 0 ? written : status;
  };
}

export const zeroRetry: Strategy = {
  id: 'zero-retry',
  description: 'Morton: on a short copy zero the rest of a page that is not uptodate, commit it, unlock, fault in, retry',
  paths: PATHS_2_6_20,
  performWrite: zeroRetryWrite(false),
};
