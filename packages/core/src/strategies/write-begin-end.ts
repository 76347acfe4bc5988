/**
 * write-begin-end: generic_perform_write with ->write_begin/->write_end, the
 * design Linux adopted in 2.6.24 (mm/filemap.c, fs/buffer.c).
 *
 * Prefault the current segment; write_begin locks the page and allocates
 * blocks; copy with page faults disabled; write_end treats a short copy into
 * a page that is not uptodate as a zero-length one, zeroing the uncopied
 * parts of `new` buffers and marking them uptodate and dirty, so neither
 * stale blocks nor uninitialized memory can be read; on no progress, retry
 * with a single segment. Nothing faults under the page lock.
 *
 * Its only hazard: the retry loop spins as long as something keeps taking
 * the source page away (a reclaim that never stops).
 *
 * A zero-progress copy past i_size leaves a block allocated beyond EOF whose
 * disk contents are STALE (writeback skips pages wholly past EOF). Unless it
 * is trimmed at once, a later extending write maps it as an old block and
 * reads the STALE tail in; a mapped copy of that tail then lands inside the
 * file. Like the filesystems' later write_failed handlers, the path trims
 * (vmtruncate to i_size) right after such a write_end. The model finds the
 * stale-data path without the trim.
 */
import type { Gen } from '../gen.js';
import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { blockWriteBegin, genericWriteEnd } from '../fs/buffer.js';
import { assertPageLocked } from '../mm/filemap.js';
import type { IovIter } from '../mm/iov.js';
import { copyFromUserAtomic, faultInPagesReadable } from '../mm/memory.js';
import { doTruncate } from '../mm/truncate.js';
import { EFAULT } from '../oracles/bad-return.js';
import { PATHS_2_6_24 } from '../paths.js';
import type { Strategy } from './strategy.js';

function* genericPerformWrite(k: Kernel, t: Task, inode: Inode, pos: number, it: IovIter): Gen<number> {
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
      yield;
      assertPageLocked(k, t, page);
      // pagefault_disable(): a missing source PTE ends the copy short.
      let copied = copyFromUserAtomic(k, t, k.mem.frameOff(page.frame) + offset, it, 0, bytes);
      if (k.tracing && copied < bytes) k.event(t, `atomic copy short: ${copied} of ${bytes}`);
      copied = genericWriteEnd(k, t, page, pos, bytes, copied);
      k.costs.pagesWritten++;
      // write_begin may have instantiated blocks outside i_size: trim these off again.
      if (copied === 0 && pos + bytes > inode.iSize) yield* doTruncate(k, t, inode, inode.iSize, false);
      yield; // cond_resched
      it.advance(copied);
      if (copied === 0) {
        // Fall back to a single segment: the first one may be all we can fault in.
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
}

export const writeBeginEnd: Strategy = {
  id: 'write-begin-end',
  description: 'Linux 2.6.24 generic_perform_write: atomic copy only; write_end zeroes new buffers after a short copy, then retry',
  paths: PATHS_2_6_24,
  performWrite: genericPerformWrite,
};
