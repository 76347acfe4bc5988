/**
 * write-begin-end: generic_perform_write with ->write_begin/->write_end, the
 * design Linux adopted in 2.6.24 (mm/filemap.c, fs/buffer.c), as 2.6.24
 * shipped it.
 *
 * Prefault the current segment; write_begin locks the page and allocates
 * blocks (block_write_begin trims what it instantiated past i_size if that
 * fails); copy with page faults disabled; write_end treats a short copy into
 * a page that is not uptodate as a zero-length one, zeroing the uncopied
 * parts of `new` buffers and marking them uptodate and dirty, so neither
 * stale blocks nor uninitialized memory can be read; on no progress, retry
 * with a single segment. Nothing faults under the page lock.
 *
 * What 2.6.24 did not do: trim the blocks a write that came up short
 * instantiated past i_size. A zero-length write_end past EOF leaves an
 * allocated block, its page zeroed and dirty but wholly past EOF, so
 * writeback drops it and the block keeps its STALE contents; a retry that
 * extends the file (or an extending truncate) then maps the old block and
 * reads STALE back. The filesystems' write_failed handlers that trim them
 * came later (ext2_write_failed, ext4_truncate_failed_write):
 * write-begin-end-trim is this path with that fix.
 *
 * Its other hazard, the retry loop spinning while something keeps taking the
 * source page away, is judged by the livelock oracle under reclaim that never
 * stops (the retry-livelock scenario).
 */
import { EFAULT, PATHS_2_6_24, assertPageLocked, blockWriteBegin, copyFromUserAtomic, doTruncate, faultInPagesReadable, genericWriteEnd, pageAddress, type Gen, type Inode, type IovIter, type Kernel, type Strategy, type Task } from '../strategy-api.js';

/** generic_perform_write; with `trimFailed`, the later fix that trims blocks a short write instantiated past i_size. */
export function genericPerformWrite(trimFailed: boolean) {
  return function* genericPerformWrite(k: Kernel, t: Task, inode: Inode, pos: number, it: IovIter): Gen<number> {
    t.enter('generic_perform_write');
    let written = 0;
    let status = 0;
    do {
      const offset = pos & (k.pageCells - 1);
      let bytes = Math.min(k.pageCells - offset, it.count);
      for (;;) {
        // again:
        // Bring in the user page that we will copy from _first_. Otherwise
        // there's a nasty deadlock on copying from the same page as we're
        // writing to, without it being marked up-to-date.
        if (!(yield* faultInPagesReadable(k, t, it.addrAt(0), Math.min(bytes, it.singleSegCount())))) {
          status = EFAULT;
          break;
        }
        yield;
        const page = yield* blockWriteBegin(k, t, inode, pos, bytes);
        if (typeof page === 'number') {
          status = page;
          break;
        }
        yield;
        assertPageLocked(k, t, page);
        // pagefault_disable(): a missing source PTE ends the copy short.
        let copied = copyFromUserAtomic(k, t, pageAddress(k, page.frame) + offset, it, 0, bytes);
        if (k.tracing && copied < bytes) k.event(t, `atomic copy short: ${copied} of ${bytes}`);
        copied = genericWriteEnd(k, t, page, pos, bytes, copied);
        k.costs.pagesWritten++;
        // The later fix (ext2_write_failed): write_begin may have instantiated blocks outside i_size; trim these off again.
        if (trimFailed && copied < bytes && pos + bytes > inode.iSize) yield* doTruncate(k, t, inode, inode.iSize, false);
        yield; // cond_resched
        it.advance(copied);
        if (copied === 0) {
          // If we were unable to copy any data at all, we must fall back to a
          // single segment length write: not all segments in the iov can be
          // copied at once without a pagefault.
          bytes = Math.min(k.pageCells - offset, it.singleSegCount());
          continue;
        }
        pos += copied;
        written += copied;
        break;
      }
      if (status < 0) break;
    } while (it.count > 0);
    t.leave();
    return written > 0 ? written : status;
  };
}

export const writeBeginEnd: Strategy = {
  id: 'write-begin-end',
  description: 'Linux 2.6.24 generic_perform_write as shipped: atomic copy only; write_end zeroes new buffers after a short copy, then retry',
  paths: PATHS_2_6_24,
  performWrite: genericPerformWrite(false),
};
