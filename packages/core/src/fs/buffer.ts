/**
 * Buffer heads and the generic block-device address-space operations
 * (fs/buffer.c): get_block, readpage, prepare/commit_write (2.6.20),
 * write_begin/write_end (2.6.24), writepage and invalidation.
 */
import { ZERO } from '../cell.js';
import type { Gen } from '../gen.js';
import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import { BH_Dirty, BH_Mapped, BH_New, BH_Uptodate, PG_dirty, PG_uptodate, type Page } from '../page.js';
import type { Task } from '../task.js';
import { grabCachePage, pageCacheRelease, unlockPage } from '../mm/filemap.js';
import { doTruncate } from '../mm/truncate.js';
import { EIO, ENOSPC, errnoName, MET_EIO, MET_ENOSPC } from '../errno.js';

/**
 * ext2_get_block: map buffer `i` of the page to its disk block; with create,
 * allocate one for a hole (the buffer becomes `new`: its block still holds
 * STALE). Returns 1 when mapped, 0 when it stays a hole, ENOSPC when the
 * filesystem has no block to give.
 */
export function getBlock(k: Kernel, t: Task, inode: Inode, page: Page, i: number, create: boolean): number {
  const iblock = page.index * k.blocksPerPage + i;
  k.acc.filePage(inode.id, page.index);
  let block = inode.blocks[iblock]!;
  if (block < 0) {
    if (!create) return 0;
    block = k.mem.allocBlock();
    if (block < 0) {
      t.met |= MET_ENOSPC;
      if (k.tracing) k.event(t, `get_block(${inode.name} block ${iblock}): ENOSPC`);
      return ENOSPC;
    }
    inode.blocks[iblock] = block;
    page.bh[i]! |= BH_New;
  }
  page.bh[i]! |= BH_Mapped;
  page.blocknr[i] = block;
  return 1;
}

function bufferOff(k: Kernel, page: Page, i: number): number {
  return k.mem.frameOff(page.frame) + i * k.blockCells;
}

/** Read buffer `i` from its block: false (the buffer stays not uptodate) when the disk read fails. */
function readBuffer(k: Kernel, t: Task, page: Page, i: number): boolean {
  const block = page.blocknr[i]!;
  k.acc.disk(block);
  if (k.mem.badBlock[block] === 1) {
    t.met |= MET_EIO;
    if (k.tracing) k.event(t, `I/O error reading block ${block} of ${page.name}`);
    return false;
  }
  const from = k.mem.blockOff(block);
  k.mem.cells.copyWithin(bufferOff(k, page, i), from, from + k.blockCells);
  if (k.mem.blockMaybeUninit[block] === 1) k.wroteFrame(page.frame);
  page.bh[i]! |= BH_Uptodate;
  return true;
}

function zeroCells(k: Kernel, page: Page, from: number, to: number): void {
  const off = k.mem.frameOff(page.frame);
  k.mem.cells.fill(ZERO, off + from, off + to);
}

function allBuffersUptodate(k: Kernel, page: Page): boolean {
  for (let i = 0; i < k.blocksPerPage; i++) if (!(page.bh[i]! & BH_Uptodate)) return false;
  return true;
}

/**
 * block_read_full_page, called with the page locked: holes and blocks past
 * EOF read as ZERO, mapped blocks are read from disk (the page stays locked
 * while the I/O is in flight), the page becomes uptodate when every buffer
 * is, and it is unlocked. A failed read leaves its buffer and the page not
 * uptodate (end_buffer_async_read: SetPageError); the caller sees that.
 */
export function* blockReadFullPage(k: Kernel, t: Task, page: Page): Gen {
  t.enter('block_read_full_page');
  const inode = page.mapping!;
  const lastBlock = Math.ceil(inode.iSize / k.blockCells);
  let toRead = 0;
  // Buffers filled here from a hole or a clean block: when that is all of them, the frame holds no UNINIT.
  let refilled = 0;
  for (let i = 0; i < k.blocksPerPage; i++) {
    if (page.bh[i]! & BH_Uptodate) continue;
    if (!(page.bh[i]! & BH_Mapped) && page.index * k.blocksPerPage + i < lastBlock) getBlock(k, t, inode, page, i, false);
    if (!(page.bh[i]! & BH_Mapped)) {
      zeroCells(k, page, i * k.blockCells, (i + 1) * k.blockCells);
      page.bh[i]! |= BH_Uptodate;
      refilled++;
      continue;
    }
    toRead |= 1 << i;
  }
  if (toRead !== 0) {
    if (k.tracing) k.event(t, `submit_bh(READ) for ${page.name}`);
    t.enter('submit_bh');
    yield;
    t.leave();
    for (let i = 0; i < k.blocksPerPage; i++) {
      if (!(toRead & (1 << i))) continue;
      k.acc.disk(page.blocknr[i]!);
      const clean = k.mem.blockMaybeUninit[page.blocknr[i]!] === 0;
      if (readBuffer(k, t, page, i) && clean) refilled++;
    }
  }
  if (refilled === k.blocksPerPage) page.uninitChecked = true;
  if (allBuffersUptodate(k, page)) page.flags |= PG_uptodate;
  if (k.tracing) k.event(t, `readpage(${page.name}) done${page.flags & PG_uptodate ? ', uptodate' : ''}`);
  unlockPage(k, t, page);
  t.leave();
}

/**
 * __block_prepare_write: allocate blocks for holes in [from, to) (buffers
 * become `new`); a new buffer of an uptodate page becomes uptodate; for a page
 * that is not uptodate, zero the parts of new buffers outside the write and
 * read the mapped buffers that are only partly overwritten. 2.6.20's
 * prepare_write (`clearNew`) clears `new` on success; 2.6.24's leaves it for
 * commit_write / write_end.
 *
 * Returns 0, or the error: ENOSPC from get_block, EIO from a read. On error
 * the new buffers must not be left for readpage to read STALE from: 2.6.20
 * zeroes each new buffer of the range whole and marks it uptodate and dirty;
 * 2.6.24 does the same through page_zero_new_buffers.
 */
export function* blockPrepareWrite(k: Kernel, t: Task, page: Page, from: number, to: number, clearNew: boolean): Gen<number> {
  t.enter('__block_prepare_write');
  const inode = page.mapping!;
  let toRead = 0;
  let err = 0;
  for (let i = 0; i < k.blocksPerPage && err === 0; i++) {
    const blockStart = i * k.blockCells;
    const blockEnd = blockStart + k.blockCells;
    if (blockEnd <= from || blockStart >= to) {
      if (page.flags & PG_uptodate) page.bh[i]! |= BH_Uptodate;
      continue;
    }
    if (!(page.bh[i]! & BH_Mapped)) {
      const mapped = getBlock(k, t, inode, page, i, true);
      if (mapped < 0) {
        err = mapped;
        break;
      }
      if (page.bh[i]! & BH_New) {
        if (page.flags & PG_uptodate) {
          page.bh[i]! |= BH_Uptodate;
          continue;
        }
        if (blockEnd > to) zeroCells(k, page, to, blockEnd);
        if (blockStart < from) zeroCells(k, page, blockStart, from);
        continue;
      }
    }
    if (page.flags & PG_uptodate) {
      page.bh[i]! |= BH_Uptodate;
      continue;
    }
    if (!(page.bh[i]! & BH_Uptodate) && (blockStart < from || blockEnd > to)) toRead |= 1 << i;
  }
  if (toRead !== 0) {
    t.enter('ll_rw_block');
    yield;
    t.leave();
    for (let i = 0; i < k.blocksPerPage; i++) if (toRead & (1 << i) && !readBuffer(k, t, page, i)) err = EIO;
  }
  if (err !== 0) {
    if (clearNew) zeroNewBuffers2620(k, page, from, to);
    else pageZeroNewBuffers(k, page, from, to);
    if (k.tracing) k.event(t, `prepare_write(${page.name}, ${from}, ${to}) failed: ${errnoName(err)}`);
    t.leave();
    return err;
  }
  if (clearNew) for (let i = 0; i < k.blocksPerPage; i++) page.bh[i]! &= ~BH_New;
  if (k.tracing) k.event(t, `prepare_write(${page.name}, ${from}, ${to})`);
  t.leave();
  return 0;
}

/** 2.6.20 __block_prepare_write's error path: each new buffer of [from, to) zeroed whole, uptodate and dirty. */
function zeroNewBuffers2620(k: Kernel, page: Page, from: number, to: number): void {
  for (let i = 0; i < k.blocksPerPage; i++) {
    const blockStart = i * k.blockCells;
    const blockEnd = blockStart + k.blockCells;
    if (blockEnd <= from || blockStart >= to || !(page.bh[i]! & BH_New)) continue;
    zeroCells(k, page, blockStart, blockEnd);
    page.bh[i] = (page.bh[i]! & ~BH_New) | BH_Uptodate | BH_Dirty;
    page.flags |= PG_dirty;
  }
}

/**
 * __block_commit_write: the buffers in [from, to) become uptodate and dirty;
 * the page is uptodate when every buffer is. Without `uptodate` (a strategy
 * that must not show the range yet) they only become dirty.
 */
export function blockCommitWrite(k: Kernel, page: Page, from: number, to: number, uptodate = true): void {
  let partial = false;
  for (let i = 0; i < k.blocksPerPage; i++) {
    const blockStart = i * k.blockCells;
    const blockEnd = blockStart + k.blockCells;
    if (blockEnd <= from || blockStart >= to) {
      if (!(page.bh[i]! & BH_Uptodate)) partial = true;
    } else {
      page.bh[i]! |= uptodate ? BH_Uptodate | BH_Dirty : BH_Dirty;
      page.flags |= PG_dirty;
      if (!uptodate && !(page.bh[i]! & BH_Uptodate)) partial = true;
    }
    page.bh[i]! &= ~BH_New;
  }
  if (!partial) page.flags |= PG_uptodate;
}

/** generic_commit_write (2.6.20): commit [from, to) and raise i_size past it. */
export function genericCommitWrite(k: Kernel, t: Task, page: Page, from: number, to: number): void {
  const inode = page.mapping!;
  blockCommitWrite(k, page, from, to);
  const pos = page.index * k.pageCells + to;
  if (pos > inode.iSize) inode.iSize = pos;
  if (k.tracing) k.event(t, `commit_write(${page.name}, ${from}, ${to}), i_size ${inode.iSize}`);
}

/**
 * block_write_begin (2.6.24): the page locked, with blocks for [pos, pos +
 * len) of it; or the error of __block_prepare_write, after which the page is
 * unlocked and released, not uptodate (ClearPageUptodate, as 2.6.24 did even
 * for a cached uptodate page), and blocks instantiated past i_size are
 * trimmed off again (vmtruncate; i_mutex is held).
 */
export function* blockWriteBegin(k: Kernel, t: Task, inode: Inode, pos: number, len: number): Gen<Page | number> {
  t.enter('block_write_begin');
  const index = pos >>> k.pageShift;
  const from = pos & (k.pageCells - 1);
  const page = yield* grabCachePage(k, t, inode, index);
  const status = yield* blockPrepareWrite(k, t, page, from, from + len, false);
  if (status < 0) {
    page.flags &= ~PG_uptodate;
    unlockPage(k, t, page);
    pageCacheRelease(k, t, page);
    if (pos + len > inode.iSize) yield* doTruncate(k, t, inode, inode.iSize, false);
    t.leave();
    return status;
  }
  t.leave();
  return page;
}

/**
 * page_zero_new_buffers: zero what of [from, to) lies in `new` buffers of a
 * page that is not uptodate, and make those buffers uptodate and dirty, so
 * that no block allocated for a short copy can ever be read back as STALE.
 */
export function pageZeroNewBuffers(k: Kernel, page: Page, from: number, to: number): void {
  for (let i = 0; i < k.blocksPerPage; i++) {
    const blockStart = i * k.blockCells;
    const blockEnd = blockStart + k.blockCells;
    if (blockEnd <= from || blockStart >= to || !(page.bh[i]! & BH_New)) continue;
    if (!(page.flags & PG_uptodate)) {
      zeroCells(k, page, Math.max(from, blockStart), Math.min(to, blockEnd));
      page.bh[i]! |= BH_Uptodate;
    }
    page.bh[i]! = (page.bh[i]! & ~BH_New) | BH_Dirty;
    page.flags |= PG_dirty;
  }
}

/**
 * block_write_end (2.6.24): a short copy into a page that is not uptodate
 * counts as no copy at all (its buffers may not be uptodate in between), and
 * the new buffers of the uncopied part are zeroed.
 */
export function blockWriteEnd(k: Kernel, page: Page, pos: number, len: number, copied: number): number {
  const start = pos & (k.pageCells - 1);
  if (copied < len) {
    if (!(page.flags & PG_uptodate)) copied = 0;
    pageZeroNewBuffers(k, page, start + copied, start + len);
  }
  blockCommitWrite(k, page, start, start + copied);
  return copied;
}

/** generic_write_end (2.6.24): block_write_end, i_size, unlock, release. */
export function genericWriteEnd(k: Kernel, t: Task, page: Page, pos: number, len: number, copied: number): number {
  t.enter('generic_write_end');
  const inode = page.mapping!;
  copied = blockWriteEnd(k, page, pos, len, copied);
  if (pos + copied > inode.iSize) inode.iSize = pos + copied;
  if (k.tracing) k.event(t, `write_end(${page.name}, ${pos}, ${len}): ${copied} copied, i_size ${inode.iSize}`);
  unlockPage(k, t, page);
  pageCacheRelease(k, t, page);
  t.leave();
  return copied;
}

/**
 * block_write_full_page, called with the page locked: write its dirty
 * buffers inside EOF to disk (allocating blocks for holes dirtied through
 * mmap), zero the part of a page straddling EOF, then unlock.
 */
export function blockWriteFullPage(k: Kernel, t: Task, page: Page): void {
  t.enter('block_write_full_page');
  const inode = page.mapping;
  if (inode !== null) {
    const endIndex = inode.iSize >>> k.pageShift;
    const offset = inode.iSize & (k.pageCells - 1);
    if (page.index > endIndex || (page.index === endIndex && offset === 0)) {
      // Wholly past EOF: truncate will throw it away.
      page.flags &= ~PG_dirty;
    } else {
      if (page.index === endIndex) zeroCells(k, page, offset, k.pageCells);
      const lastBlock = Math.ceil(inode.iSize / k.blockCells);
      for (let i = 0; i < k.blocksPerPage; i++) {
        if (!(page.bh[i]! & BH_Dirty)) continue;
        page.bh[i]! &= ~BH_Dirty;
        if (page.index * k.blocksPerPage + i >= lastBlock) continue;
        // A hole dirtied through mmap gets its block now; on a full filesystem the write is lost (the page is marked in error, as 2.6 did).
        if (!(page.bh[i]! & BH_Mapped) && getBlock(k, t, inode, page, i, true) < 0) continue;
        page.bh[i]! &= ~BH_New;
        const to = k.mem.blockOff(page.blocknr[i]!);
        const from = bufferOff(k, page, i);
        k.mem.cells.copyWithin(to, from, from + k.blockCells);
        // What the disk holds now is as clean as the page was last found.
        k.mem.blockMaybeUninit[page.blocknr[i]!] = page.uninitChecked ? 0 : 1;
      }
      page.flags &= ~PG_dirty;
      if (k.tracing) k.event(t, `writepage(${page.name})`);
    }
  }
  unlockPage(k, t, page);
  t.leave();
}

/**
 * block_invalidatepage: buffers wholly at or past cell `from` of the page
 * are discarded (truncate); from 0 it drops them all.
 */
export function blockInvalidatepage(k: Kernel, page: Page, from: number): void {
  for (let i = 0; i < k.blocksPerPage; i++) {
    if (i * k.blockCells < from) continue;
    page.bh[i] = 0;
    page.blocknr[i] = -1;
  }
}
