/**
 * zero-retry: Andrew Morton's proposal in the February 2007 thread.
 *
 * No fault under the page lock: copy atomically; on a short copy into a page
 * that is not uptodate, zero the part that was not copied, commit_write the
 * whole range (the page becomes uptodate), unlock, fault the source in and
 * retry the rest.
 *
 * What the thread says it gets wrong: for a moment the page is uptodate with
 * zeroes where the file held data, visible to read() and to mmap (transient
 * zeroes); and if the retry gives up (a real EFAULT) the zeroes stay, on disk.
 */
import { ZERO } from '../cell.js';
import type { Gen } from '../gen.js';
import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import { PG_dirty, PG_uptodate } from '../page.js';
import type { Task } from '../task.js';
import { blockPrepareWrite, genericCommitWrite } from '../fs/buffer.js';
import { assertPageLocked, grabCachePage, pageCacheRelease, unlockPage } from '../mm/filemap.js';
import type { IovIter } from '../mm/iov.js';
import { copyFromUserAtomic, faultInPagesReadable } from '../mm/memory.js';
import { EFAULT } from '../oracles/bad-return.js';
import { PATHS_2_6_20 } from '../paths.js';
import type { Strategy } from './strategy.js';

/**
 * The zero-retry write path. With `keepNotUptodate` (the variant): a short
 * copy into a page that is not uptodate commits only what was copied (i_size
 * and the dirty bit) without zeroing and without marking anything uptodate.
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
      yield* blockPrepareWrite(k, t, page, offset, offset + bytes, true);
      yield;
      assertPageLocked(k, t, page);
      const dst = k.mem.frameOff(page.frame) + offset;
      const copied = copyFromUserAtomic(k, t, dst, it, 0, bytes);
      if (copied === bytes || page.flags & PG_uptodate) {
        // An uptodate page takes the whole range: its other cells are valid.
        genericCommitWrite(k, t, page, offset, offset + bytes);
      } else if (!keepNotUptodate) {
        // Zero what was not copied, so the page can be marked uptodate.
        k.mem.cells.fill(ZERO, dst + copied, dst + bytes);
        if (k.tracing) k.event(t, `atomic copy short: ${copied} of ${bytes}, tail zeroed and committed`);
        genericCommitWrite(k, t, page, offset, offset + bytes);
      } else if (copied > 0) {
        // Commit only what was copied: the page stays not uptodate.
        if (k.tracing) k.event(t, `atomic copy short: ${copied} of ${bytes}, committed without uptodate`);
        page.flags |= PG_dirty;
        if (pos + copied > inode.iSize) inode.iSize = pos + copied;
      }
      k.costs.pagesWritten++;
      unlockPage(k, t, page);
      pageCacheRelease(k, t, page);
      it.advance(copied);
      pos += copied;
      written += copied;
      // Fault the rest in (no page lock is held now) and go round again.
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
