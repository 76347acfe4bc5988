/**
 * Reclaim (mm/vmscan.c): a kernel thread with a bounded budget of
 * iterations; in each, the choice stream picks one action or none. It only
 * ever trylocks pages, never sleeps on a page lock.
 *
 *   unmap      try_to_unmap a mapped page (a page someone holds a reference to
 *              can lose its PTEs, but is not freed)
 *   writeback  write a dirty page back (pageout)
 *   evict      shrink_page_list: unmap a clean page nobody else references
 *              and free it
 *   swapout    move an anonymous page to swap
 */
import { CHOICE_RECLAIM } from '../choice.js';
import { FP_BALLOC, FP_ISIZE, fpPageBit } from '../access.js';
import type { Gen } from '../gen.js';
import type { Kernel } from '../kernel.js';
import { VMA_ANON } from '../mm.js';
import { PG_dirty, type Page } from '../page.js';
import { ptesBit, type Task } from '../task.js';
import { removeFromPageCache, trylockPage, unlockPage } from './filemap.js';
import { tryToUnmap } from './memory.js';

const UNMAP = 0;
const WRITEBACK = 1;
const EVICT = 2;
const SWAPOUT = 3;
const ACTION_NAMES = ['unmap', 'writeback', 'evict', 'swapout'];

const CANDIDATES_MAX = 256;

/** The reclaim thread's candidate list, reused every iteration. */
export class ReclaimCandidates {
  readonly action = new Uint8Array(CANDIDATES_MAX);
  readonly a = new Int32Array(CANDIDATES_MAX);
  readonly b = new Int32Array(CANDIDATES_MAX);
  n = 0;
  push(action: number, a: number, b: number): void {
    if (this.n === CANDIDATES_MAX) return;
    this.action[this.n] = action;
    this.a[this.n] = a;
    this.b[this.n++] = b;
  }
}

const candidates = new ReclaimCandidates();

export function* kswapd(k: Kernel, t: Task): Gen {
  t.enter('kswapd');
  for (let i = 0; k.reclaimForever || i < k.cfg.reclaimActionsMax; i++) {
    collect(k);
    const c = k.choice.choose(candidates.n + 1, CHOICE_RECLAIM);
    t.footprint = 0;
    t.action = 0;
    if (c > 0) {
      t.footprint = actionFootprint(k, candidates.action[c - 1]!, candidates.a[c - 1]!, candidates.b[c - 1]!);
      t.action = actionId(c - 1);
      t.enter('shrink_page_list');
      act(k, t, candidates.action[c - 1]!, candidates.a[c - 1]!, candidates.b[c - 1]!);
      t.leave();
    }
    // Its last iteration ends it: no step of reclaim that can do nothing.
    if (!k.reclaimForever && i + 1 >= k.cfg.reclaimActionsMax) break;
    yield;
  }
  t.leave();
}

/**
 * The actions reclaim could take now (what its next choice would choose
 * among, value i + 1 for candidate i): for the bounded search, each as an
 * id that names it whatever the state (action, file or process, page) and
 * the footprint it touches.
 */
export function reclaimCandidates(k: Kernel, ids: number[], fps: number[]): void {
  collect(k);
  ids.length = 0;
  fps.length = 0;
  for (let i = 0; i < candidates.n; i++) {
    ids.push(actionId(i));
    fps.push(actionFootprint(k, candidates.action[i]!, candidates.a[i]!, candidates.b[i]!));
  }
}

/** Candidate i's id: its action, file or process, and page, whatever else the state holds (never 0). */
function actionId(i: number): number {
  return 1 + candidates.action[i]! * 4096 + candidates.a[i]! * 64 + candidates.b[i]!;
}

/**
 * What an action touches (task.ts footprint bits): a page of file `a` (its
 * lock, flags, references, buffers, blocks, and i_size for writepage; in a
 * systematic run the page's own bit and, for writepage, i_size and the block
 * allocator, access.ts fpPageBit; else the file's bit) and
 * the PTE slots that map it (try_to_unmap zaps them); or, for a swap-out,
 * the PTE slot of page `b` of process `a` alone (shrink_page_list takes no
 * mmap_sem: the rmap walk and add_to_swap use the page's PTEs only). Never a
 * process bit: a step of a process that uses none of these slots commutes
 * with the action. Frames and swap slots it frees are the allocators', and
 * which one a later allocation gets renames memory without changing what
 * any task sees (as for the file-and-process footprints before).
 */
function actionFootprint(k: Kernel, action: number, a: number, b: number): number {
  if (action === SWAPOUT) return ptesBit(a, b) >>> 0;
  // A systematic run compares user steps with it by the page (access.ts): writepage also reads i_size and may allocate a hole's block.
  let fp = k.acc.on ? fpPageBit(a, b) | (action === WRITEBACK ? FP_ISIZE | FP_BALLOC : 0) : 1 << a;
  const frame = k.inodes[a]!.pages[b]!.frame;
  for (let m = 0; m < k.nrMms; m++) {
    const mm = k.mms[m]!;
    for (let v = 0; v < mm.pte.length; v++) if (mm.pte[v] === frame) fp |= ptesBit(m, v);
  }
  return fp >>> 0;
}

/** Every action reclaim could take now, in a fixed order (files, then anonymous memory). */
function collect(k: Kernel): void {
  candidates.n = 0;
  for (let f = 0; f < k.nrInodes; f++) {
    const inode = k.inodes[f]!;
    for (let index = 0; index < inode.pages.length; index++) {
      const page = inode.pages[index];
      if (!page) continue;
      if (page.mapcount > 0) candidates.push(UNMAP, f, index);
      if (page.flags & PG_dirty) candidates.push(WRITEBACK, f, index);
      else if (page.count === 1 + page.mapcount) candidates.push(EVICT, f, index);
    }
  }
  for (let m = 0; m < k.nrMms; m++) {
    const mm = k.mms[m]!;
    if (mm.kernel) continue;
    for (let i = 0; i < mm.nrVmas; i++) {
      const vma = mm.vmas[i]!;
      if (vma.kind !== VMA_ANON) continue;
      for (let v = vma.start; v < vma.end; v++) if (mm.pte[v]! >= 0 && k.framePins[mm.pte[v]!] === 0) candidates.push(SWAPOUT, m, v);
    }
  }
}

function act(k: Kernel, t: Task, action: number, a: number, b: number): void {
  if (action === SWAPOUT) {
    swapOut(k, t, a, b);
    return;
  }
  const page = k.inodes[a]!.pages[b]!;
  if (!trylockPage(k, t, page)) {
    if (k.tracing) k.event(t, `${ACTION_NAMES[action]} ${page.name}: trylock_page failed`);
    return;
  }
  if (k.tracing) k.event(t, `${ACTION_NAMES[action]} ${page.name}`);
  if (action === UNMAP) {
    tryToUnmap(k, t, page);
    unlockPage(k, t, page);
  } else if (action === WRITEBACK) {
    k.paths.writepage(k, t, page);
  } else {
    evict(k, t, page);
  }
}

/** shrink_page_list for one clean page: unmap it and free it if nobody else holds it. */
function evict(k: Kernel, t: Task, page: Page): void {
  tryToUnmap(k, t, page);
  if (page.flags & PG_dirty || page.count !== 1) {
    unlockPage(k, t, page);
    return;
  }
  removeFromPageCache(k, t, page);
  unlockPage(k, t, page);
  k.freePage(page);
}

function swapOut(k: Kernel, t: Task, m: number, vpage: number): void {
  const mm = k.mms[m]!;
  const slot = k.mem.allocSlot();
  if (slot < 0) return;
  const frame = mm.pte[vpage]!;
  const from = k.mem.frameOff(frame);
  k.mem.cells.copyWithin(k.mem.slotOff(slot), from, from + k.pageCells);
  k.mem.freeFrame(frame);
  mm.pte[vpage] = -1;
  mm.swapSlot[vpage] = slot;
  if (k.tracing) k.event(t, `swapout ${mm.name} page ${vpage} -> slot ${slot}`);
}
