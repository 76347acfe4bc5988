/**
 * An O_DIRECT write: generic_file_direct_write and generic_file_direct_IO
 * (mm/filemap.c, 2.6.20), for a file whose filesystem does not hold i_mutex
 * across it, as XFS (its own iolock, shared for direct I/O) and block devices
 * (generic_file_aio_write_nolock) did. This is the real path the thread means
 * by "Not all truncates hold i_mutex. Neither do all invalidates" (Nick
 * Piggin, 4 Feb 2007): invalidate_inode_pages2_range removes cached pages,
 * each under its page lock, while a buffered writer holding i_mutex may have
 * unlocked one of them.
 *
 * Unmap the range, write back and wait on its dirty pages, write the user
 * pages straight to the file's blocks (get_user_pages under mmap_sem), then
 * invalidate: lock each cached page of the range, unmap it, and take it out
 * of the page cache, unless its buffers are still dirty (invalidate_complete_page2
 * fails: the write returns EIO and the page stays).
 *
 * Only writes over allocated blocks inside i_size are modelled (a hole makes
 * the kernel fall back to a buffered write); a scenario that asks for more is
 * a mistake of the scenario.
 *
 * Unserialized direct and buffered I/O of one range were never coherent: a
 * page a buffered writer read before the direct write reached the disk, and
 * dirtied after, is written back over it. That is no write path's hazard and
 * the kernel never promised otherwise, so the history holds a direct write's
 * cells weak: they may show, and hide nothing. What is judged is what the
 * invalidation does to the write paths and the readers.
 */
import type { Gen } from '../gen.js';
import { OP_DIRECT } from '../history.js';
import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import { downRead, upRead } from '../locking.js';
import { BH_Dirty, PG_dirty, type Page } from '../page.js';
import type { Task } from '../task.js';
import { EFAULT, EIO, MET_EIO } from '../errno.js';
import { findGetPage, lockPage, pageCacheRelease, removeFromPageCache, unlockPage } from '../mm/filemap.js';
import { handleMmFaultLocked, unmapMappingRange } from '../mm/memory.js';
import { checkFileNow } from '../oracles/file-state.js';
import { blockInvalidatepage } from './buffer.js';
import { recordUserSource } from './read_write.js';

export function* sysDirectWrite(k: Kernel, t: Task, inode: Inode, pos: number, addr: number, len: number): Gen<number> {
  t.enter('generic_file_direct_write');
  const h = inode.history;
  const op = h.beginOp(OP_DIRECT, k.step);
  const evFirst = h.n;
  recordUserSource(k, t.mm!, inode, pos, addr, len);
  const evEnd = h.n;
  t.met = 0;
  const first = pos >>> k.pageShift;
  const end = (pos + len + k.pageCells - 1) >>> k.pageShift;
  for (let b = (pos / k.blockCells) | 0; b < Math.ceil((pos + len) / k.blockCells); b++) {
    k.acc.filePage(inode.id, (b / k.blocksPerPage) | 0);
    if (inode.blocks[b]! < 0 || pos + len > inode.iSize) throw new Error(`direct write of ${inode.name} [${pos}, ${pos + len}) is not over allocated blocks inside i_size: not modelled`);
  }
  // generic_file_direct_IO: unmap the range, then filemap_write_and_wait.
  unmapMappingRange(k, t, inode, first, end);
  for (let index = first; index < end; index++) {
    const page = findGetPage(inode, index);
    if (page === null) continue;
    if (page.flags & PG_dirty) {
      yield* lockPage(k, t, page);
      if (page.mapping === inode && page.flags & PG_dirty) k.paths.writepage(k, t, page);
      else unlockPage(k, t, page);
    }
    pageCacheRelease(k, t, page);
    yield;
  }
  // ->direct_IO: pin the user pages and write them to the blocks.
  const written = yield* directIo(k, t, inode, pos, addr, len);
  let ret = written;
  if (written > 0) {
    // An invalidation that fails returns EIO, but the blocks were written: the data landed.
    const invalidated = yield* invalidateInodePages2Range(k, t, inode, first, end - 1);
    if (invalidated < 0) ret = invalidated;
  }
  const landed = written > 0 ? written : 0;
  for (let e = evFirst; e < evEnd; e++) {
    h.finish(e, k.step, Math.max(0, Math.min(h.len[e]!, pos + landed - h.pos[e]!)));
    // Incoherent with buffered I/O by design (above): its data may show, and hides nothing.
    h.weak[e] = 1;
  }
  h.endOp(op, k.step, -1);
  if (ret !== len && !(ret === EIO && t.met & MET_EIO) && !(ret === EFAULT)) {
    k.fail('bad-return', t, `direct write(${inode.name}, ${pos}, ${len}) returned ${ret}`, [], ['direct write returned short']);
  }
  checkFileNow(k, t, inode, `direct write(${inode.name}, ${pos}, ${len}) = ${ret}`);
  t.leave();
  return ret;
}

/** blockdev_direct_IO, reduced to what matters here: get_user_pages under mmap_sem, then the blocks are written. */
function* directIo(k: Kernel, t: Task, inode: Inode, pos: number, addr: number, len: number): Gen<number> {
  t.enter('blockdev_direct_IO');
  const mm = t.mm!;
  yield* downRead(k, t, mm.mmapSem);
  t.enter('get_user_pages');
  for (let a = addr & ~(k.pageCells - 1); a < addr + len; a += k.pageCells) {
    const vpage = a >>> k.pageShift;
    t.touchPte(mm, vpage);
    while (vpage >= mm.pte.length || mm.pte[vpage]! < 0) {
      if (!(yield* handleMmFaultLocked(k, t, Math.max(a, addr)))) {
        t.leave();
        upRead(k, t, mm.mmapSem);
        t.leave();
        return EFAULT;
      }
    }
  }
  t.leave();
  // The bios are built from the pinned pages and submitted in one go.
  const cells = k.mem.cells;
  for (let done = 0; done < len; ) {
    const a = addr + done;
    const o = pos + done;
    const n = Math.min(len - done, k.pageCells - (a & (k.pageCells - 1)), k.blockCells - (o % k.blockCells));
    t.touchPte(mm, a >>> k.pageShift);
    // The block map entry read for the block written (the block's cells are told by blockOff).
    k.acc.filePage(inode.id, o >>> k.pageShift);
    const src = k.mem.frameOff(mm.pte[a >>> k.pageShift]!) + (a & (k.pageCells - 1));
    cells.copyWithin(k.mem.blockOff(inode.blocks[(o / k.blockCells) | 0]!) + (o % k.blockCells), src, src + n);
    done += n;
  }
  upRead(k, t, mm.mmapSem);
  if (k.tracing) k.event(t, `direct_IO(${inode.name}, ${pos}, ${len}): written to disk`);
  t.enter('submit_bio');
  yield;
  t.leave();
  t.progress();
  t.leave();
  return len;
}

/**
 * invalidate_inode_pages2_range (mm/truncate.c, 2.6.20): under each page's
 * lock, unmap it and remove it from the page cache; a page whose buffers are
 * dirty cannot be released (invalidate_complete_page2 fails) and stays: EIO.
 */
function* invalidateInodePages2Range(k: Kernel, t: Task, inode: Inode, start: number, end: number): Gen<number> {
  t.enter('invalidate_inode_pages2_range');
  let ret = 0;
  for (let index = start; index <= end; index++) {
    const page = findGetPage(inode, index);
    if (page === null) continue;
    yield* lockPage(k, t, page);
    if (page.mapping !== inode) {
      unlockPage(k, t, page);
      pageCacheRelease(k, t, page);
      continue;
    }
    if (page.mapcount > 0) unmapMappingRange(k, t, inode, index, index + 1);
    if (!invalidateCompletePage2(k, t, page)) {
      t.met |= MET_EIO;
      ret = EIO;
    }
    unlockPage(k, t, page);
    pageCacheRelease(k, t, page);
    yield;
  }
  t.leave();
  return ret;
}

/** test_clear_page_dirty, try_to_release_page, __remove_from_page_cache; false (dirt put back) when a buffer is still dirty. */
function invalidateCompletePage2(k: Kernel, t: Task, page: Page): boolean {
  const wasDirty = page.flags & PG_dirty;
  page.flags &= ~PG_dirty;
  for (let i = 0; i < k.blocksPerPage; i++) {
    if (page.bh[i]! & BH_Dirty) {
      page.flags |= wasDirty;
      return false;
    }
  }
  blockInvalidatepage(k, page, 0);
  removeFromPageCache(k, t, page);
  return true;
}
