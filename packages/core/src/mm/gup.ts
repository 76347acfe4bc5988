/**
 * get_user_pages (2.6.20 mm/memory.c) and the copy from the pages it pinned:
 * what Nick Piggin's patch 9/9 does for a destination page that is not
 * uptodate. The caller holds mmap_sem for reading.
 */
import type { Gen } from '../gen.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { pageCacheRelease } from './filemap.js';
import type { IovIter } from './iov.js';
import { handleMmFaultLocked } from './memory.js';

/** Source pages one destination page can need: its bytes may straddle two user pages. */
const PINS_MAX = 2;

/** The frames get_user_pages pinned, and the user pages they back; allocate one per write and reuse it. */
export class PinnedPages {
  readonly vpage = new Int32Array(PINS_MAX);
  readonly frame = new Int32Array(PINS_MAX);
  n = 0;
}

/**
 * get_user_pages under mmap_sem: walk the page table for each user page of
 * the next `bytes` cells of `it`, fault in what is missing, and pin it (a
 * pinned frame is not reclaimed). False: EFAULT, with nothing left pinned.
 */
export function* getUserPages(k: Kernel, t: Task, it: IovIter, bytes: number, pinned: PinnedPages): Gen<boolean> {
  t.enter('get_user_pages');
  const pte = t.mm!.pte;
  pinned.n = 0;
  for (let skip = 0; skip < bytes; ) {
    const addr = it.addrAt(skip);
    const vpage = addr >>> k.pageShift;
    k.costs.pageTableWalks++;
    while (vpage >= pte.length || pte[vpage]! < 0) {
      if (!(yield* handleMmFaultLocked(k, t, addr))) {
        putUserPages(k, t, pinned);
        t.leave();
        return false;
      }
    }
    const frame = pte[vpage]!;
    t.touchPte(t.mm!, vpage);
    k.framePins[frame]!++;
    const page = k.frameToPage[frame];
    if (page) {
      page.count++; // get_page
      k.acc.hold(page);
    }
    // The pinned frame is read through its kmap in later steps, without its PTE.
    k.acc.holdPte(t.mm!, vpage);
    pinned.vpage[pinned.n] = vpage;
    pinned.frame[pinned.n++] = frame;
    skip += Math.min(bytes - skip, it.contigAt(skip), k.pageCells - (addr & (k.pageCells - 1)));
  }
  t.leave();
  return true;
}

/** put_page of every pinned page. */
export function putUserPages(k: Kernel, t: Task, pinned: PinnedPages): void {
  for (let i = 0; i < pinned.n; i++) {
    const frame = pinned.frame[i]!;
    // A pin keeps reclaim from swapping the page out: its put changes what reclaim may do there.
    t.touchPte(t.mm!, pinned.vpage[i]!);
    k.framePins[frame]!--;
    const page = k.frameToPage[frame];
    if (page) pageCacheRelease(k, t, page);
  }
  pinned.n = 0;
}

/**
 * Copy `bytes` cells of the user iovec to cell offset `dst` through a kmap
 * of each pinned source page and of the destination: a copy between two
 * kernel mappings, which cannot fault.
 */
export function copyFromPinned(k: Kernel, t: Task, dst: number, it: IovIter, bytes: number, pinned: PinnedPages): void {
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
  for (let i = 0; i < pinned.n; i++) {
    k.acc.frame(pinned.frame[i]!);
    k.copiedFrom(pinned.frame[i]!, (dst / k.pageCells) | 0);
  }
  k.wroteData((dst / k.pageCells) | 0, t);
}
