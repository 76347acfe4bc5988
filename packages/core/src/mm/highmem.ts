/**
 * Kernel pages a write path copies through, and the memcpy/memset it does on
 * mapped pages (include/linux/highmem.h, mm/page_alloc.c). Addresses are
 * cell offsets into the one memory array; a page's cells start at
 * pageAddress(k, page.frame).
 *
 * A strategy copies into a page-cache page only through these or the user
 * copies (mm/memory.ts), never with k.mem directly: each records what the
 * oracles need to know (a page that may now hold uninitialised cells, a write
 * a reader may meet), and a raw copyWithin would hide it from them.
 */
import { ZERO } from '../cell.js';
import type { Kernel } from '../kernel.js';
import type { Page } from '../page.js';
import type { Task } from '../task.js';

/** __get_free_page(GFP_KERNEL): a kernel page for a temporary copy; its frame. Never fails in this model. */
export function getFreePage(k: Kernel): number {
  return k.mem.allocFrame();
}

/** free_page. */
export function freePage(k: Kernel, frame: number): void {
  k.mem.freeFrame(frame);
}

/** page_address (kmap of a lowmem page): the cell offset of a frame's first cell. */
export function pageAddress(k: Kernel, frame: number): number {
  return k.mem.frameOff(frame);
}

/** memset(addr, 0, n), on cells: what __copy_from_user does to the rest after a fault, and a zeroing write path. */
export function memsetZero(k: Kernel, addr: number, n: number): void {
  k.mem.cells.fill(ZERO, addr, addr + n);
}

/**
 * memcpy(kmap(page) + offset, src, bytes): copy from a kernel address (a
 * temporary page) into a page-cache page.
 */
export function memcpyToPage(k: Kernel, t: Task, page: Page, offset: number, src: number, bytes: number): void {
  k.mem.cells.copyWithin(k.mem.frameOff(page.frame) + offset, src, src + bytes);
  k.wroteFrame(page.frame);
  k.wroteData(page.frame, t);
}
