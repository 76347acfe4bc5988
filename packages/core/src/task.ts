import type { Access } from './access.js';
import { LIMITS } from './config.js';
import { HeldLock, type Mutex, type RwSem } from './locks.js';
import type { Mm } from './mm.js';
import type { Page } from './page.js';

export const WAIT_NONE = 0;
export const WAIT_PAGE_LOCK = 1;
export const WAIT_PAGE_EXTRA = 2;
export const WAIT_MUTEX = 3;
export const WAIT_RWSEM = 4;

export type TaskBody = Generator<void, void, void>;

/** The low footprint bits: files (0..7) and processes (8..15), or in a systematic run file pages, i_size and the block allocator (access.ts); the class form hashes them for a user step, its PTE slots (16..31) only order it against reclaim. */
export const FP_COARSE = 0xffff;

/**
 * The footprint bit of PTE slot `vpage` of process `mm` (bits 16..31, hashed:
 * two slots may share a bit, which only makes more steps dependent). Reclaim
 * touches a process only through PTE slots (try_to_unmap, a swap-out), so
 * its actions are compared with a user step by the files and the slots each
 * touches, not by the whole process: a swap-out of one page of a buffer
 * commutes with every step that never looks at that page's PTE.
 */
export function ptesBit(mm: number, vpage: number): number {
  return 1 << (16 + ((vpage + 5 * mm) & 15));
}

/**
 * A user thread or a kernel thread, run as a coroutine that yields at every
 * preemption point. Its kernel stack of function names gives every event and
 * every wait a site that reads like a kernel backtrace.
 */
export class Task {
  readonly id: number;
  inUse = false;
  name = '';
  kthread = false;
  mm: Mm | null = null;
  body: TaskBody | null = null;
  done = false;
  steps = 0;
  /** `steps` when it last made forward progress: wrote or read cells, or finished an operation. */
  progressAt = 0;
  /** What it is blocked on; the scheduler skips it until that is free. */
  waitKind = WAIT_NONE;
  waitPage: Page | null = null;
  waitLock: Mutex | RwSem | null = null;
  /** The primitive it sleeps in: lock_page, down_read, … */
  waitFn = '';
  readonly held: HeldLock[] = [];
  nrHeld = 0;
  private readonly stack: string[] = [];
  depth = 0;
  /** PCT priority: higher runs first. */
  priority = 0;
  /** The errors its current system call met (errno.ts MET_* bits): the only ones it may return. */
  met = 0;
  /**
   * What its current step may touch that another task may too, for pos's
   * partial orders: a bit per file (0..7) it works on, a bit per process
   * (8..15) whose memory or mmap_sem it may use. Set for each operation from
   * what the operation names (program.ts). A systematic run compares its
   * steps by what each step itself read and wrote instead (access.ts).
   */
  footprint = 0;
  /**
   * The PTE slots (ptesBit) its current step has read or written: set where
   * the model reads or writes a page table entry on a task's behalf (faults,
   * the user copies, get_user_pages and its put, munmap, zap, O_DIRECT's
   * walk), cleared before each step. Every access to anonymous memory goes
   * through its PTE within the step, so these are what a swap-out can meet.
   */
  ptes = 0;
  /** Reclaim: the id of the action its last step took (0: none), what that step was to the bounded search. */
  action = 0;
  /** Operations of its program not yet finished, and `steps` when the current one started (surw's estimate). */
  opsLeft = 0;
  opStartedAt = 0;
  /** What each operation of its program returned, in order. */
  readonly returns: number[] = [];

  constructor(
    id: number,
    private readonly acc: Access | null = null,
  ) {
    this.id = id;
    for (let i = 0; i < LIMITS.heldLocksMax; i++) this.held.push(new HeldLock());
    for (let i = 0; i < LIMITS.stackDepthMax; i++) this.stack.push('');
  }

  reset(): void {
    this.inUse = false;
    this.name = '';
    this.kthread = false;
    this.mm = null;
    this.body = null;
    this.done = false;
    this.steps = 0;
    this.progressAt = 0;
    this.waitKind = WAIT_NONE;
    this.waitPage = null;
    this.waitLock = null;
    for (let i = 0; i < this.nrHeld; i++) this.held[i]!.lock = null;
    this.nrHeld = 0;
    this.depth = 0;
    this.priority = 0;
    this.met = 0;
    this.footprint = 0;
    this.ptes = 0;
    this.action = 0;
    this.opsLeft = 0;
    this.opStartedAt = 0;
    this.returns.length = 0;
  }

  /** The step touches PTE slot `vpage` of `mm` (its own or, zapping a file's mappings, another's). */
  touchPte(mm: Mm, vpage: number): void {
    this.ptes |= ptesBit(mm.id, vpage);
    this.acc?.pte(mm, vpage);
  }

  /** Forward progress: the livelock oracle counts steps from here. */
  progress(): void {
    this.progressAt = this.steps;
  }

  /** Enter a kernel function: its name becomes the innermost frame of the site. */
  enter(fn: string): void {
    if (this.depth === this.stack.length) throw new Error(`${this.name}: kernel stack deeper than LIMITS.stackDepthMax`);
    this.stack[this.depth++] = fn;
  }

  leave(): void {
    this.depth--;
  }

  /** The innermost function. */
  get fn(): string {
    return this.depth > 0 ? this.stack[this.depth - 1]! : 'user';
  }

  /** The site as a backtrace, innermost first: `filemap_nopage <- do_page_fault <- …`. */
  where(frames = this.depth): string {
    const parts: string[] = [];
    for (let i = this.depth - 1; i >= 0 && parts.length < frames; i--) parts.push(this.stack[i]!);
    return parts.length > 0 ? parts.join(' <- ') : 'user';
  }

  hold(cls: number, lock: object, key: number, mode: number): void {
    if (this.nrHeld === this.held.length) throw new Error(`${this.name}: holds more than LIMITS.heldLocksMax locks`);
    const h = this.held[this.nrHeld++]!;
    h.cls = cls;
    h.lock = lock;
    h.key = key;
    h.mode = mode;
    h.fn = this.fn;
    h.caller = this.depth > 1 ? this.stack[this.depth - 2]! : 'user';
  }

  /** The record of a held lock, or null. */
  holding(lock: object): HeldLock | null {
    for (let i = this.nrHeld - 1; i >= 0; i--) if (this.held[i]!.lock === lock) return this.held[i]!;
    return null;
  }

  release(lock: object): void {
    for (let i = this.nrHeld - 1; i >= 0; i--) {
      if (this.held[i]!.lock !== lock) continue;
      const h = this.held[i]!;
      for (let j = i; j < this.nrHeld - 1; j++) this.held[j] = this.held[j + 1]!;
      this.held[--this.nrHeld] = h;
      h.lock = null;
      return;
    }
  }

  waitOn(kind: number, fn: string, page: Page | null, lock: Mutex | RwSem | null): void {
    this.waitKind = kind;
    this.waitFn = fn;
    this.waitPage = page;
    this.waitLock = lock;
  }

  clearWait(): void {
    this.waitKind = WAIT_NONE;
    this.waitPage = null;
    this.waitLock = null;
  }
}
