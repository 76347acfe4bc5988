/**
 * What one step of a user task read and wrote of the state another task may
 * share, for the bounded search's independence between user steps (verify.ts,
 * Model.classForm). Two user steps commute when neither writes what the other
 * reads or writes (Mazurkiewicz's independence, with reads told from writes):
 * each then runs from a state that agrees on all it reads, and leaves the
 * same state in either order. The kernel model records every access to shared
 * state here, at the access, not at the page-cache lookups alone: a task keeps
 * its reference to a page across steps, so a page it holds is touched by every
 * step until it lets go (`hold`, `release`).
 *
 * The objects, one bit each in a fixed layout of ACCESS_WORDS 32-bit words
 * (objects past a field's bits fold onto the same bit, which only makes more
 * steps dependent):
 *   word 0: i_size of file f (bit f), its history (8 + f: the events a write,
 *           store or truncate records and the data oracles judge by, and its
 *           running operations), its i_mutex (16 + f), the block allocator (24:
 *           which block the next allocation gets, and ENOSPC), the user-buffer
 *           counter (25: a store's DATA tags);
 *   word 1: mmap_sem of process m (bit m), its VMAs (16 + m);
 *   words 2-3: file page (f, index): its page-cache slot, its struct page
 *           (flags, lock, count, mapcount, buffers, block numbers), its frame's
 *           cells, and the file's block map entries of that index;
 *   words 4-7: PTE slot (m, vpage): the entry, and for anonymous memory the
 *           frame's cells behind it;
 *   words 8-9: disk block b: its cells, bad and maybe-uninit marks.
 * Frames, struct pages and swap slots only rename memory (which free one an
 * allocation gets), as for reclaim's actions, so their allocators are not
 * objects; kernel counters that no task reads (costs, lockdep's edge set,
 * judged whole at the end) are not either.
 *
 * Recording costs one test where nothing asks for it (`cur` is set only
 * between begin and end, which only a systematic run's loop calls), so
 * fuzzing pays nothing else.
 */
import { lockKeyId, type Mutex, type RwSem } from './locks.js';
import type { Mm } from './mm.js';
import type { Page } from './page.js';

/** 32-bit words of a step's read set and of its write set. */
export const ACCESS_WORDS = 10;
const W_PAGES = 2;
const W_PTES = 4;
const W_DISK = 8;
/** Bits of the fields that fold: file pages, PTE slots, disk blocks. */
const PAGE_BITS = 64;
const PTE_BITS = 128;
const DISK_BITS = 64;
/** File pages a file has bits for before the next file's (LIMITS.filePagesMax). */
const PAGES_PER_FILE = 8;
/** PTE slots a process has bits for before the next one's (LIMITS.vpagesMax). */
const PTES_PER_MM = 24;

export const ACC_BALLOC = 24;
export const ACC_BUFID = 25;

/**
 * Footprint bits (task.ts) a systematic run gives user steps and reclaim's
 * actions, for the two to be compared by (the sleep sets over reclaim's
 * actions and the class form): bits 0..11 a file page (folded), 12 any
 * file's i_size written (writepage reads it), 13 the block allocator
 * (writepage may allocate a hole's block); 16..31 PTE slots (ptesBit), as
 * before. A step of a file that uses none of the pages an action touches
 * commutes with it.
 */
export const FP_PAGE_BITS = 12;
export const FP_ISIZE = 1 << 12;
export const FP_BALLOC = 1 << 13;

/** The object bit of file page (ino, index) among the PAGE_BITS of words 2-3. */
function pageBit(ino: number, index: number): number {
  return (ino * PAGES_PER_FILE + index) & (PAGE_BITS - 1);
}

/** The object bit of PTE slot (mm, vpage) among the PTE_BITS of words 4-7. */
function pteBit(mm: Mm, vpage: number): number {
  return (mm.id * PTES_PER_MM + vpage) & (PTE_BITS - 1);
}

/** The footprint bit of file page (ino, index). */
export function fpPageBit(ino: number, index: number): number {
  return 1 << pageBit(ino, index) % FP_PAGE_BITS;
}

export class Access {
  /** Set for a systematic run (the bounded search): reclaim's action footprints are then by page (mm/vmscan.ts actionFootprint). */
  on = false;
  /** The task whose step is running (its id), or -1 between steps. */
  cur = -1;
  readonly r = new Uint32Array(ACCESS_WORDS);
  readonly w = new Uint32Array(ACCESS_WORDS);
  /** Per task, per file-page bit: references it holds (page-cache lookups it has not released). */
  private readonly held: Uint8Array;
  /** Per task: the file-page bits it holds (2 words), and PTE slots it has pinned (4 words). */
  private readonly heldPages: Uint32Array;
  private readonly heldPtes: Uint32Array;

  constructor(
    tasksMax: number,
    private readonly frameToPage: readonly (Page | null)[],
  ) {
    this.held = new Uint8Array(tasksMax * PAGE_BITS);
    this.heldPages = new Uint32Array(tasksMax * 2);
    this.heldPtes = new Uint32Array(tasksMax * 4);
  }

  reset(): void {
    this.cur = -1;
    this.r.fill(0);
    this.w.fill(0);
    this.held.fill(0);
    this.heldPages.fill(0);
    this.heldPtes.fill(0);
  }

  /** Before task `id`'s step: empty sets, then what it holds (it may use any of it in this step), and its own VMAs read. */
  begin(id: number, mm: number): void {
    this.cur = id;
    this.r.fill(0);
    this.w.fill(0);
    this.w[W_PAGES] = this.heldPages[id * 2]!;
    this.w[W_PAGES + 1] = this.heldPages[id * 2 + 1]!;
    for (let i = 0; i < 4; i++) this.w[W_PTES + i] = this.heldPtes[id * 4 + i]!;
    if (mm >= 0) this.r[1]! |= 1 << (16 + (mm & 15));
  }

  /**
   * The step's footprint against reclaim's actions (FP_PAGE_BITS, FP_ISIZE,
   * FP_BALLOC; the caller adds its PTE slots): the file pages it used, read
   * or written, whether it wrote an i_size or used the block allocator.
   */
  reclaimFacing(): number {
    let fp = 0;
    for (let wd = 0; wd < 2; wd++) {
      for (let x = (this.r[W_PAGES + wd]! | this.w[W_PAGES + wd]!) >>> 0; x !== 0; x &= x - 1) fp |= 1 << ((wd * 32 + (31 - Math.clz32(x & -x))) % FP_PAGE_BITS);
    }
    if ((this.w[0]! & 0xff) !== 0) fp |= FP_ISIZE;
    if (((this.r[0]! | this.w[0]!) & (1 << ACC_BALLOC)) !== 0) fp |= FP_BALLOC;
    // The whole-file check reads every i_size too (what writepage changes no more than the pages say, but conservatively).
    if (this.r[0] === 0xffffffff) fp |= FP_ISIZE | FP_BALLOC;
    return fp;
  }

  /** After the step: nothing is recorded until the next begin. */
  end(): void {
    this.cur = -1;
  }

  /** The task's operation ended: it holds nothing into the next (a reference handed to a PTE is the PTE's). */
  dropHeld(id: number): void {
    this.held.fill(0, id * PAGE_BITS, (id + 1) * PAGE_BITS);
    this.heldPages[id * 2] = 0;
    this.heldPages[id * 2 + 1] = 0;
    for (let i = 0; i < 4; i++) this.heldPtes[id * 4 + i] = 0;
  }

  private set(a: Uint32Array, word: number, bit: number): void {
    a[word]! |= 1 << bit;
  }

  readIsize(ino: number): void {
    if (this.cur >= 0) this.r[0]! |= 1 << (ino & 7);
  }

  writeIsize(ino: number): void {
    if (this.cur >= 0) this.w[0]! |= 1 << (ino & 7);
  }

  readHistory(ino: number): void {
    if (this.cur >= 0) this.r[0]! |= 1 << (8 + (ino & 7));
  }

  writeHistory(ino: number): void {
    if (this.cur >= 0) this.w[0]! |= 1 << (8 + (ino & 7));
  }

  /** A global of word 0 written (ACC_BALLOC, ACC_BUFID). */
  writeGlobal(bit: number): void {
    if (this.cur >= 0) this.w[0]! |= 1 << bit;
  }

  /** i_mutex `m` (its key names its file) taken or released (a lock word: written either way). */
  iMutex(m: Mutex): void {
    if (this.cur >= 0) this.w[0]! |= 1 << (16 + (lockKeyId(m.key) & 7));
  }

  /** mmap_sem `sem` (its key names its process) taken, queued on or released. */
  mmapSem(sem: RwSem): void {
    if (this.cur >= 0) this.w[1]! |= 1 << (lockKeyId(sem.key) & 15);
  }

  /** VMAs of process `mm` changed (munmap). */
  writeVmas(mm: number): void {
    if (this.cur >= 0) this.w[1]! |= 1 << (16 + (mm & 15));
  }

  /** Every process's VMAs read (unmap_mapping_range walks them all). */
  readAllVmas(): void {
    if (this.cur >= 0) this.r[1]! |= 0xffff0000;
  }

  /** File page (ino, index) used: its slot, struct page, frame, block map entries. */
  filePage(ino: number, index: number): void {
    if (this.cur < 0) return;
    const b = pageBit(ino, index);
    this.set(this.w, W_PAGES + (b >>> 5), b & 31);
  }

  /** The task now holds a reference to `page` (a file page): its steps use it until released. */
  hold(page: Page): void {
    if (this.cur < 0 || page.ino < 0) return;
    const b = pageBit(page.ino, page.index);
    this.set(this.w, W_PAGES + (b >>> 5), b & 31);
    const i = this.cur * PAGE_BITS + b;
    if (this.held[i]! < 255) this.held[i]!++;
    this.heldPages[this.cur * 2 + (b >>> 5)]! |= 1 << (b & 31);
  }

  /** The task let go of a reference to `page` (page_cache_release): used now, held no more once none is left. */
  release(page: Page): void {
    if (this.cur < 0 || page.ino < 0) return;
    const b = pageBit(page.ino, page.index);
    this.set(this.w, W_PAGES + (b >>> 5), b & 31);
    const i = this.cur * PAGE_BITS + b;
    // A reference it never counted (a PTE's, given back by a zap) leaves the count at 0: it is used, not held.
    if (this.held[i]! > 0 && --this.held[i]! === 0) this.heldPages[this.cur * 2 + (b >>> 5)]! &= ~(1 << (b & 31));
  }

  /** A page used in this step without a reference of the task's own (a page-cache page found through a frame). */
  page(page: Page): void {
    if (this.cur < 0 || page.ino < 0) return;
    this.filePage(page.ino, page.index);
  }

  /** The cells of `frame` used: a page-cache page's are its file page's. */
  frame(frame: number): void {
    if (this.cur < 0 || frame < 0) return;
    const page = this.frameToPage[frame];
    if (page !== null && page !== undefined) this.page(page);
  }

  /** PTE slot `vpage` of `mm` read or written, and the frame it maps (anonymous cells, or a page-cache page's). */
  pte(mm: Mm, vpage: number): void {
    if (this.cur < 0) return;
    const b = pteBit(mm, vpage);
    this.set(this.w, W_PTES + (b >>> 5), b & 31);
    if (vpage < mm.pte.length) this.frame(mm.pte[vpage]!);
  }

  /** The task pinned PTE slot `vpage` of `mm` (get_user_pages): it reads the frame behind it in later steps of this operation. */
  holdPte(mm: Mm, vpage: number): void {
    if (this.cur < 0) return;
    const b = pteBit(mm, vpage);
    this.heldPtes[this.cur * 4 + (b >>> 5)]! |= 1 << (b & 31);
  }

  /** Disk block `block` read or written (its cells, its marks). */
  disk(block: number): void {
    if (this.cur < 0 || block < 0) return;
    const b = block & (DISK_BITS - 1);
    this.set(this.w, W_DISK + (b >>> 5), b & 31);
  }

  /** The step read everything (the whole-file check): it depends on every step that writes anything. */
  readAll(): void {
    if (this.cur >= 0) this.r.fill(0xffffffff);
  }
}
