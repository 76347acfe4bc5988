/**
 * Page faults, the user copy loop and PTE teardown (mm/memory.c, rmap.c).
 * The copy loop is the hot path of the farm: frame-to-frame copyWithin on the
 * one cell array, no allocation, no per-cell loop.
 */
import { KIND_UNINIT, ZERO } from '../cell.js';
import { uninitData } from '../oracles/uninit-data.js';
import { MET_EFAULT } from '../errno.js';
import type { Gen } from '../gen.js';
import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import { downRead, upRead } from '../locking.js';
import { VMA_ANON, type Mm } from '../mm.js';
import type { Page } from '../page.js';
import type { Task } from '../task.js';
import { pageCacheRelease, unlockPage } from './filemap.js';
import type { IovIter } from './iov.js';

/**
 * handle_mm_fault from do_page_fault, under mmap_sem for reading. Returns
 * false for EFAULT: no VMA at the address, or SIGBUS past the end of a file.
 */
export function* handleMmFault(k: Kernel, t: Task, addr: number): Gen<boolean> {
  const mm = t.mm!;
  t.enter('do_page_fault');
  try {
    k.costs.faults++;
    yield;
    yield* downRead(k, t, mm.mmapSem);
    const ok = yield* handleMmFaultLocked(k, t, addr);
    upRead(k, t, mm.mmapSem);
    return ok;
  } finally {
    t.leave();
  }
}

/** handle_mm_fault proper: the caller holds mmap_sem for reading (do_page_fault, get_user_pages). */
export function* handleMmFaultLocked(k: Kernel, t: Task, addr: number): Gen<boolean> {
  const mm = t.mm!;
  t.enter('handle_mm_fault');
  try {
    const vpage = addr >>> k.pageShift;
    t.touchPte(mm, vpage);
    const vma = vpage < mm.pte.length ? mm.findVma(vpage) : null;
    if (vma === null) {
      if (k.tracing) k.event(t, `fault at ${addr}: no mapping, EFAULT`);
      t.met |= MET_EFAULT;
      return false;
    }
    if (mm.pte[vpage]! >= 0) return true;
    if (vma.kind === VMA_ANON) {
      doAnonymousPage(k, mm, vpage);
      if (k.tracing) k.event(t, `anonymous fault: ${mm.name} page ${vpage} -> frame ${mm.pte[vpage]}`);
      return true;
    }
    const page = yield* k.paths.nopage(k, t, vma, vma.pgoff + (vpage - vma.start));
    // nopage may have slept: the step that maps the page reads and writes the PTE again.
    t.touchPte(mm, vpage);
    if (page === null) {
      if (k.tracing) k.event(t, `fault at ${addr}: past end of ${vma.inode!.name}, SIGBUS`);
      t.met |= MET_EFAULT;
      return false;
    }
    if (mm.pte[vpage]! >= 0) {
      // Another thread of this mm mapped it while we slept.
      if (k.paths.nopageLocks) unlockPage(k, t, page);
      pageCacheRelease(k, t, page);
    } else {
      // The reference nopage took becomes the PTE's: the task holds it no more.
      k.acc.release(page);
      mm.pte[vpage] = page.frame;
      page.mapcount++;
      if (k.tracing) k.event(t, `map ${page.name} at ${mm.name} page ${vpage}`);
      if (k.paths.nopageLocks) unlockPage(k, t, page);
    }
    return true;
  } finally {
    t.leave();
  }
}

/** do_anonymous_page / do_swap_page: a zero page, or the page back from swap. No page-cache lock. */
function doAnonymousPage(k: Kernel, mm: Mm, vpage: number): void {
  const frame = k.mem.allocFrame(true);
  const off = k.mem.frameOff(frame);
  const slot = mm.swapSlot[vpage]!;
  if (slot >= 0) {
    const from = k.mem.slotOff(slot);
    k.mem.cells.copyWithin(off, from, from + k.pageCells);
    k.mem.freeSlot(slot);
    mm.swapSlot[vpage] = -1;
  } else {
    k.mem.fillCells(off, k.pageCells, ZERO);
  }
  mm.pte[vpage] = frame;
}

/**
 * __copy_from_user_inatomic: copy up to `bytes` cells from the user iovec
 * (from `skip` cells past its position) to cell offset `dst`, page by page,
 * stopping at the first source page whose PTE is not present. Page faults are
 * disabled: nothing sleeps. Returns the cells copied.
 */
export function copyFromUserAtomic(k: Kernel, t: Task, dst: number, it: IovIter, skip: number, bytes: number): number {
  const pte = t.mm!.pte;
  const cells = k.mem.cells;
  const mask = k.pageCells - 1;
  let copied = 0;
  while (copied < bytes) {
    const addr = it.addrAt(skip + copied);
    if (addr < 0) break;
    const vpage = addr >>> k.pageShift;
    t.touchPte(t.mm!, vpage);
    const frame = vpage < pte.length ? pte[vpage]! : -1;
    if (frame < 0) break;
    const poff = addr & mask;
    const n = Math.min(bytes - copied, it.contigAt(skip + copied), k.pageCells - poff);
    const src = frame * k.pageCells + poff;
    cells.copyWithin(dst + copied, src, src + n);
    k.copiedFrom(frame, (dst / k.pageCells) | 0);
    copied += n;
  }
  k.costs.cellsCopied += copied;
  if (copied > 0) k.wroteData((dst / k.pageCells) | 0, t);
  return copied;
}

/**
 * __copy_from_user: the same copy, taking page faults as it goes. A fault
 * that finds no mapping ends it (EFAULT). Returns the cells copied.
 */
export function* copyFromUser(k: Kernel, t: Task, dst: number, it: IovIter, skip: number, bytes: number): Gen<number> {
  t.enter('copy_from_user');
  let copied = 0;
  for (;;) {
    copied += copyFromUserAtomic(k, t, dst + copied, it, skip + copied, bytes - copied);
    if (copied === bytes) break;
    if (!(yield* handleMmFault(k, t, it.addrAt(skip + copied)))) break;
  }
  t.leave();
  return copied;
}

/**
 * fault_in_pages_readable: touch the first and the last cell of the user
 * range. The PTEs may be gone again before the copy, which is why this never
 * prevented the deadlock. Returns false for EFAULT.
 */
export function* faultInPagesReadable(k: Kernel, t: Task, addr: number, len: number): Gen<boolean> {
  if (len <= 0) return true;
  t.enter('fault_in_pages_readable');
  try {
    if (presentFrame(k, t, addr) < 0 && !(yield* touch(k, t, addr))) return false;
    const last = addr + len - 1;
    if (last >>> k.pageShift !== addr >>> k.pageShift && presentFrame(k, t, last) < 0 && !(yield* touch(k, t, last))) return false;
    return true;
  } finally {
    t.leave();
  }
}

function* touch(k: Kernel, t: Task, addr: number): Gen<boolean> {
  return (yield* userFrame(k, t, addr)) >= 0;
}

/**
 * The frame behind user address `addr` (get_user / put_user): faulted in
 * if its PTE is not present, again if it goes while the fault sleeps; -1 for
 * EFAULT. The caller uses it before its next preemption point.
 */
export function* userFrame(k: Kernel, t: Task, addr: number): Gen<number> {
  const pte = t.mm!.pte;
  const vpage = addr >>> k.pageShift;
  t.touchPte(t.mm!, vpage);
  while (vpage >= pte.length || pte[vpage]! < 0) {
    if (!(yield* handleMmFault(k, t, addr))) return -1;
  }
  // The step that uses the frame is the one that read its PTE (after the fault's last yield).
  t.touchPte(t.mm!, vpage);
  return pte[vpage]!;
}

/**
 * The frame behind `addr` if its PTE is present, else -1: what userFrame
 * returns without faulting, checked before calling it so that the common
 * case (no fault) creates no coroutine. It reads the PTE slot as userFrame
 * does, so the step's footprint names it either way.
 */
export function presentFrame(k: Kernel, t: Task, addr: number): number {
  const pte = t.mm!.pte;
  const vpage = addr >>> k.pageShift;
  t.touchPte(t.mm!, vpage);
  return vpage < pte.length ? pte[vpage]! : -1;
}

/**
 * A write to user address `addr` (put_user, copy_to_user): the frame behind
 * it, faulted in, and in a MAP_PRIVATE file mapping copied first if it still
 * is the page-cache page (do_wp_page: the private copy is anonymous memory).
 * -1 for EFAULT.
 */
export function* userFrameWrite(k: Kernel, t: Task, addr: number): Gen<number> {
  let frame = presentFrame(k, t, addr);
  if (frame < 0) frame = yield* userFrame(k, t, addr);
  if (frame < 0) return frame;
  const mm = t.mm!;
  const vpage = addr >>> k.pageShift;
  const page = k.frameToPage[frame];
  const vma = mm.findVma(vpage)!;
  if (!vma.private || page === null) return frame;
  // The private copy is the user's: a page not found clean must hand it no UNINIT.
  if (!page!.uninitChecked) {
    const base = k.mem.frameOff(frame);
    const i = k.mem.firstOfKind(base, k.pageCells, KIND_UNINIT);
    if (i < k.pageCells) uninitData(k, t, `do_wp_page's copy of ${page!.name} at offset ${page!.index * k.pageCells + i}`, k.mem.cells[base + i]!);
  }
  const copy = k.mem.allocFrame(true);
  const off = k.mem.frameOff(copy);
  k.mem.cells.copyWithin(off, k.mem.frameOff(frame), k.mem.frameOff(frame) + k.pageCells);
  zapFilePte(k, t, mm, vpage, page!);
  mm.pte[vpage] = copy;
  if (k.tracing) k.event(t, `do_wp_page: ${mm.name} page ${vpage} copied from ${page!.name} to frame ${copy}`);
  return copy;
}

/** Zap one PTE of a file mapping: a page-cache page loses the mapping's reference; a private copy is freed. */
export function zapPte(k: Kernel, t: Task, mm: Mm, vpage: number): void {
  t.touchPte(mm, vpage);
  const frame = mm.pte[vpage]!;
  if (frame < 0) return;
  const page = k.frameToPage[frame];
  if (page) {
    zapFilePte(k, t, mm, vpage, page);
  } else {
    k.mem.freeFrame(frame);
    mm.pte[vpage] = -1;
  }
}

/** Zap one PTE of a file page: the mapping's reference goes. */
export function zapFilePte(k: Kernel, t: Task, mm: Mm, vpage: number, page: Page): void {
  t.touchPte(mm, vpage);
  mm.pte[vpage] = -1;
  page.mapcount--;
  // The PTE's reference goes, not one the zapping task counted as its own.
  k.acc.hold(page);
  pageCacheRelease(k, t, page);
}

/** try_to_unmap: remove every PTE that maps this page-cache page. */
export function tryToUnmap(k: Kernel, t: Task, page: Page): void {
  for (let m = 0; m < k.nrMms && page.mapcount > 0; m++) {
    const mm = k.mms[m]!;
    for (let v = 0; v < mm.pte.length; v++) if (mm.pte[v] === page.frame) zapFilePte(k, t, mm, v, page);
  }
}

/**
 * unmap_mapping_range: zap every PTE that maps pages [fromIndex, toIndex) of
 * the file, private copies too (truncate's even_cows).
 */
export function unmapMappingRange(k: Kernel, t: Task, inode: Inode, fromIndex: number, toIndex = Infinity): void {
  k.acc.readAllVmas();
  for (let m = 0; m < k.nrMms; m++) {
    const mm = k.mms[m]!;
    for (let i = 0; i < mm.nrVmas; i++) {
      const vma = mm.vmas[i]!;
      if (vma.inode !== inode) continue;
      for (let v = vma.start; v < vma.end; v++) {
        const index = vma.pgoff + (v - vma.start);
        if (index >= fromIndex && index < toIndex) zapPte(k, t, mm, v);
      }
    }
  }
}
