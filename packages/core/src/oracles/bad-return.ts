/**
 * bad-return: when a write or read returns, the count must be one the call
 * could give: no more than asked, EFAULT only from a source that really is
 * unmapped, no more than its mapped source, and i_size not raised past it.
 *
 * What a write's count says landed is judged here too, but a cell that did
 * not land is reported under the kind that names what the user lost: their
 * data (bad-data: the write's own cells, or the file's old ones past a short
 * count, are gone), or someone else's handed to them (stale-data,
 * uninit-data).
 */
import { cellKind, describeCell } from '../cell.js';
import type { FailureKind } from '../kernel.js';
import { EFAULT, EIO, ENOSPC, errnoName, MET_EIO, metBit } from '../errno.js';
import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import { BH_Uptodate } from '../page.js';
import type { Task } from '../task.js';
import { TIME_INF } from '../history.js';

/**
 * Judge write(inode, pos, len) returning `ret`: its history events are
 * [evFirst, evEnd), and `sourced` cells from pos on had a mapped source when
 * it began.
 */
export function checkWriteReturn(k: Kernel, t: Task, inode: Inode, pos: number, len: number, ret: number, iSizeBefore: number, since: number, evFirst: number, evEnd: number, sourced: number): void {
  const call = `write(${inode.name}, ${pos}, ${len})`;
  k.acc.readHistory(inode.id);
  if (ret > len) k.fail('bad-return', t, `${call} returned ${ret}, more than it was asked to write`, [], ['write returned more than asked']);
  if (ret < 0 && metBit(ret) === 0) k.fail('bad-return', t, `${call} returned ${ret}, an error no path of the model can give`, [], ['write returned an impossible error']);
  if (ret < 0 && !(t.met & metBit(ret))) {
    const why = ret === EFAULT ? 'every source page was mapped' : ret === ENOSPC ? 'no block allocation failed' : 'no disk read failed';
    k.fail('bad-return', t, `${call} returned ${errnoName(ret)} though ${why}`, [], [ret === EFAULT ? 'EFAULT from a mapped source' : `${errnoName(ret)} that never happened`]);
  }
  if (t.met === 0 && ret >= 0 && ret < len) k.fail('bad-return', t, `${call} returned ${ret} though every source page was mapped and nothing failed`, [], ['short write from a mapped source']);
  const written = Math.max(ret, 0);
  if (written > sourced) k.fail('bad-return', t, `${call} returned ${ret}, but only its first ${sourced} source cells were mapped: the rest cannot have been written`, [], ['count past the mapped source']);
  checkLanded(k, t, inode, call, ret, pos, Math.min(pos + written, inode.iSize));
  if (written < len) checkTail(k, t, inode, call, pos + written, Math.min(pos + len, inode.iSize), since);
  if (inode.iSize > Math.max(iSizeBefore, pos + written) && !othersRan(inode, since, evFirst, evEnd)) {
    k.fail('bad-return', t, `${call} returned ${ret} but left i_size at ${inode.iSize}, past the ${written} cells it wrote`, [], ['i_size raised past the cells written']);
  }
}

/**
 * Up to the returned count the write must have landed: just after it
 * returns, each cell (in uptodate buffers of cached pages) holds its data or
 * that of a write or truncate that overlapped it, never what it overwrote.
 */
function checkLanded(k: Kernel, t: Task, inode: Inode, call: string, ret: number, from: number, to: number): void {
  const i = firstIllegalCached(k, inode, from, to, k.step + 1);
  if (i < 0) return;
  const v = cellAt(k, inode, i);
  k.fail(lossKind(v), t, `${call} returned ${ret}, but offset ${i} holds ${describeCell(v)}, not what it wrote: the write is lost`, [], ['returned count did not land', cellKind(v).toUpperCase()]);
}

/** What a user lost when a cell holds `v` where their data should be. */
function lossKind(v: number): FailureKind {
  switch (cellKind(v)) {
    case 'stale':
      return 'stale-data';
    case 'uninit':
      return 'uninit-data';
    default:
      return 'bad-data';
  }
}

function cellAt(k: Kernel, inode: Inode, o: number): number {
  k.acc.filePage(inode.id, o >>> k.pageShift);
  const page = inode.pages[o >>> k.pageShift]!;
  return k.mem.cells[k.mem.frameOff(page.frame) + (o & (k.pageCells - 1))]!;
}

/** The first file offset in [from, to), among uptodate buffers of cached pages, illegal over [since, now]; or -1. */
function firstIllegalCached(k: Kernel, inode: Inode, from: number, to: number, since: number): number {
  for (let o = from; o < to; ) {
    const index = o >>> k.pageShift;
    const pageEnd = Math.min(to, (index + 1) * k.pageCells);
    k.acc.filePage(inode.id, index);
    const page = inode.pages[index];
    if (page) {
      const base = k.mem.frameOff(page.frame) - index * k.pageCells;
      for (let b = 0; b < k.blocksPerPage; b++) {
        if (!(page.bh[b]! & BH_Uptodate)) continue;
        const bStart = Math.max(o, index * k.pageCells + b * k.blockCells);
        const bEnd = Math.min(pageEnd, index * k.pageCells + (b + 1) * k.blockCells);
        if (bStart >= bEnd) continue;
        const i = k.legality.firstIllegal(inode.id, base + bStart, bStart, bEnd - bStart, since, Math.max(since, k.step));
        if (i >= 0) return bStart + i;
      }
    }
    o = pageEnd;
  }
  return -1;
}

/** Cells past the returned count, in uptodate buffers of cached pages, must still hold legal values. */
function checkTail(k: Kernel, t: Task, inode: Inode, call: string, from: number, to: number, since: number): void {
  const i = firstIllegalCached(k, inode, from, to, since);
  if (i < 0) return;
  const v = cellAt(k, inode, i);
  k.fail(lossKind(v), t, `${call} returned short, yet offset ${i}, past the returned count, now holds ${describeCell(v)}, which no write could have left there: the file's data there is lost`, [], ['file changed past the returned count', cellKind(v).toUpperCase()]);
}

/** Whether any other write or truncate of the file overlapped [since, now]. */
function othersRan(inode: Inode, since: number, evFirst: number, evEnd: number): boolean {
  const h = inode.history;
  for (let e = 0; e < h.n; e++) {
    if (e >= evFirst && e < evEnd) continue;
    if (h.start[e]! < 0) continue;
    if (h.end[e] === TIME_INF || h.end[e]! >= since) return true;
  }
  return false;
}

/** Judge read(inode, pos, len) returning `ret`: at most `len`, and EIO only after a disk read failed. */
export function checkReadReturn(k: Kernel, t: Task, inode: Inode, pos: number, len: number, ret: number): void {
  if (ret > len || (ret < 0 && !(ret === EIO && t.met & MET_EIO))) k.fail('bad-return', t, `read(${inode.name}, ${pos}, ${len}) returned ${ret < 0 ? errnoName(ret) : ret}`, [], ['read returned out of range']);
}
