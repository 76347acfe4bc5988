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
import type { Gen } from '../gen.js';
import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import { downRead, upRead } from '../locking.js';
import { PG_uptodate } from '../page.js';
import type { Task } from '../task.js';
import { blockPrepareWrite, genericCommitWrite } from '../fs/buffer.js';
import { doTruncate } from '../mm/truncate.js';
import { assertPageLocked, grabCachePage, lockPage, pageCacheRelease, unlockPage } from '../mm/filemap.js';
import type { IovIter } from '../mm/iov.js';
import { copyFromUserAtomic, faultInPagesReadable, handleMmFaultLocked } from '../mm/memory.js';
import { EFAULT } from '../errno.js';
import { PATHS_2_6_20 } from '../paths.js';
import type { Strategy } from './strategy.js';

/** Source pages one destination page can need: its bytes may straddle two user pages. */
const PINS_MAX = 2;

/** The frames get_user_pages pinned, and the user pages they back. */
class Pinned {
  readonly vpage = new Int32Array(PINS_MAX);
  readonly frame = new Int32Array(PINS_MAX);
  n = 0;
}

/**
 * get_user_pages under mmap_sem: walk the page table for each user page of
 * the next `bytes` cells, fault in what is missing, and pin it. False: EFAULT.
 */
function* getUserPages(k: Kernel, t: Task, it: IovIter, bytes: number, pinned: Pinned): Gen<boolean> {
  t.enter('get_user_pages');
  const pte = t.mm!.pte;
  pinned.n = 0;
  for (let skip = 0; skip < bytes; ) {
    const addr = it.addrAt(skip);
    const vpage = addr >>> k.pageShift;
    k.costs.pageTableWalks++;
    while (vpage >= pte.length || pte[vpage]! < 0) {
      if (!(yield* handleMmFaultLocked(k, t, addr))) {
        unpin(k, t, pinned);
        t.leave();
        return false;
      }
    }
    const frame = pte[vpage]!;
    k.framePins[frame]!++;
    const page = k.frameToPage[frame];
    if (page) page.count++; // get_page
    pinned.vpage[pinned.n] = vpage;
    pinned.frame[pinned.n++] = frame;
    skip += Math.min(bytes - skip, it.contigAt(skip), k.pageCells - (addr & (k.pageCells - 1)));
  }
  t.leave();
  return true;
}

function unpin(k: Kernel, t: Task, pinned: Pinned): void {
  for (let i = 0; i < pinned.n; i++) {
    const frame = pinned.frame[i]!;
    k.framePins[frame]!--;
    const page = k.frameToPage[frame];
    if (page) pageCacheRelease(k, t, page);
  }
  pinned.n = 0;
}

/** Copy `bytes` cells of the user iovec to cell offset `dst` through the pinned frames (kmap each). */
function copyFromPinned(k: Kernel, t: Task, dst: number, it: IovIter, bytes: number, pinned: Pinned): void {
  const cells = k.mem.cells;
  k.costs.kmaps += 1 + pinned.n;
  for (let done = 0; done < bytes; ) {
    const addr = it.addrAt(done);
    const vpage = addr >>> k.pageShift;
    let frame = -1;
    for (let i = 0; i < pinned.n; i++) if (pinned.vpage[i] === vpage) frame = pinned.frame[i]!;
    const poff = addr & (k.pageCells - 1);
    const n = Math.min(bytes - done, it.contigAt(done), k.pageCells - poff);
    const src = k.mem.frameOff(frame) + poff;
    cells.copyWithin(dst + done, src, src + n);
    done += n;
  }
  k.costs.cellsCopied += bytes;
  for (let i = 0; i < pinned.n; i++) k.copiedFrom(pinned.frame[i]!, (dst / k.pageCells) | 0);
  k.wroteData((dst / k.pageCells) | 0, t);
}

function* genericFileBufferedWrite(k: Kernel, t: Task, inode: Inode, pos: number, it: IovIter): Gen<number> {
  t.enter('generic_file_buffered_write');
  const pinned = new Pinned();
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
        unpin(k, t, pinned);
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
      unpin(k, t, pinned);
      unlockPage(k, t, page);
      pageCacheRelease(k, t, page);
      // prepare_write() may have instantiated a few blocks outside i_size. Trim these off again.
      if (pos + bytes > inode.iSize) yield* doTruncate(k, t, inode, inode.iSize, false);
      break;
    }
    yield;
    assertPageLocked(k, t, page);
    const dst = k.mem.frameOff(page.frame) + offset;
    let copied: number;
    if (pinned.n > 0) {
      copyFromPinned(k, t, dst, it, bytes, pinned);
      unpin(k, t, pinned);
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
