import { Access, ACC_BUFID } from './access.js';
import { ChoiceStream } from './choice.js';
import { LIMITS, type ResolvedConfig } from './config.js';
import { Legality, type History } from './history.js';
import { Inode } from './inode.js';
import { LOCK_CLASSES, pageId } from './locks.js';
import { Lockdep } from './oracles/lock-order.js';
import { COMM_DATA, Communications } from './communication.js';
import { Memory } from './memory.js';
import { Mm } from './mm.js';
import { Page, WRITING_WAIT_FAULT, WRITING_WAIT_READ, WRITING_WAIT_TRUNCATE } from './page.js';
import type { Strategy } from './strategies/strategy.js';
import { Task, type TaskBody } from './task.js';
import type { KernelPaths } from './paths.js';

export type FailureKind =
  | 'deadlock'
  | 'lock-order'
  | 'stale-data'
  | 'uninit-data'
  | 'transient-zero'
  | 'bad-data'
  | 'livelock'
  | 'final-state'
  | 'bad-return'
  | 'kernel-bug';

/**
 * Every kind, most severe first: what a cell's verdict is when its runs found
 * several. A deadlock hangs the machine; the data kinds hand a user data that
 * is not theirs or lose theirs (stale-data, uninit-data, bad-data,
 * transient-zero, final-state); bad-return lies about what landed; a
 * kernel-bug is a BUG_ON of the model; a livelock spins without progress; a
 * lock-order failure is a cycle whose lock instances can meet, a deadlock this
 * run did not happen to close. A warning (a class-only lock-order cycle) is
 * less severe than any failure.
 */
export const FAILURE_KINDS: readonly FailureKind[] = [
  'deadlock',
  'stale-data',
  'uninit-data',
  'bad-data',
  'transient-zero',
  'final-state',
  'bad-return',
  'kernel-bug',
  'livelock',
  'lock-order',
];

/** A finding's rank in FAILURE_KINDS: lower is more severe. */
export function severityOf(kind: FailureKind): number {
  return FAILURE_KINDS.indexOf(kind);
}

/** Whether a finding fails the run or only warns (a class-only lock-order cycle). */
export type Severity = 'failure' | 'warning';

/** How a run failed: the oracle's kind, what it saw, and where. */
export interface Failure {
  kind: FailureKind;
  message: string;
  /** The task that failed (for a deadlock, the first task of the cycle). */
  task: string;
  /** Its kernel backtrace, innermost first. */
  site: string;
  /** The global step the failure was judged at. */
  step: number;
  /** The cycle, the offending cells, the earlier lock orders: one line each. */
  details: string[];
  /**
   * What the failure is, as kernel sites and categories with no seed, step,
   * offset, page or task name in them: the same bug reached from any seed has
   * the same sites, so a signature is its kind, strategy and sites.
   */
  sites: string[];
  /** `failure`, or `warning` for a finding that cannot happen in this scenario as it stands. */
  severity: Severity;
  /** For a warning: a scenario where the instances do meet, to run to see it happen; else null. */
  witness: string | null;
}

/** One line of a replay trace. */
export interface TraceEvent {
  step: number;
  task: string;
  site: string;
  what: string;
  locks: string;
}

/** What the write path cost, for MODEL.md §4's comparison in the fault-free case. */
export class Costs {
  pagesWritten = 0;
  pageTableWalks = 0;
  mmapSemAcquisitions = 0;
  pageLockRoundTrips = 0;
  kmaps = 0;
  cellsCopied = 0;
  faults = 0;
  reset(): void {
    this.pagesWritten = 0;
    this.pageTableWalks = 0;
    this.mmapSemAcquisitions = 0;
    this.pageLockRoundTrips = 0;
    this.kmaps = 0;
    this.cellsCopied = 0;
    this.faults = 0;
  }
}

/** Thrown to unwind a run once an oracle has judged it; never escapes the model. */
export const FAILED = Symbol('pcfarm.failed');

/**
 * The whole state of the small kernel, reused across runs: memory, files,
 * processes, tasks, the choice stream and what the oracles need. Kernel paths
 * are functions of (kernel, task, …) in mm/ and fs/, as in Linux.
 */
export class Kernel {
  readonly cfg: ResolvedConfig;
  readonly pageCells: number;
  readonly pageShift: number;
  readonly blockCells: number;
  readonly blocksPerPage: number;
  readonly mem: Memory;
  readonly inodes: Inode[] = [];
  nrInodes = 0;
  readonly mms: Mm[] = [];
  nrMms = 0;
  readonly tasks: Task[] = [];
  nrTasks = 0;
  private readonly pagePool: Page[] = [];
  /** Pages [0, pagesHigh) of the pool may have been used this run: what reset() resets (allocPage takes the lowest free one). */
  private pagesHigh = 0;
  /** Frame -> the page-cache page using it, for rmap and reclaim. */
  readonly frameToPage: (Page | null)[];
  /** Frame -> get_user_pages pins: a pinned anonymous frame is not swapped out. */
  readonly framePins: Int32Array;
  readonly choice = new ChoiceStream();
  readonly lockdep = new Lockdep();
  /** Communication coverage, recorded when its `pairs` is set (Model.communications). */
  readonly comm = new Communications();
  readonly legality: Legality;
  readonly costs = new Costs();
  /** What the running user step reads and writes of shared state, recorded for a systematic run only (access.ts). */
  readonly acc: Access;
  readonly strategy: Strategy;
  readonly paths: KernelPaths;
  /** WRITING_WAIT_* bits: the readpage callers that back off on PG_writing (Strategy.pageWritingWaiters). */
  readonly writingWaiters: number;
  /** The global step: the number of preemption points passed; the model's only clock. */
  step = 0;
  /**
   * A lock word a sleeper may wait on changed (a page lock, PG_writing, an
   * i_mutex, an rwsem hand-off): the scheduler loop works out again which
   * tasks can run. Between such changes its runnable set is kept as it was.
   */
  runnableStale = true;
  /** Counts the times the runnable set was worked out: a scheduler may keep what it derived from it until this changes. */
  runnableGen = 0;
  /** Tests: every fast path is checked against the slow one it replaces, at each use (ModelOptions.checkFast). */
  checkFast = false;
  failure: Failure | null = null;
  /** A lock-order finding: the run goes on, as the kernel does after a lockdep splat. */
  deferred: Failure | null = null;
  /** Findings that do not fail the run (class-only lock-order cycles), in the order found. */
  readonly warnings: Failure[] = [];
  readonly tracing: boolean;
  readonly trace: TraceEvent[] = [];
  /** The scenario's reclaim never stops (Scenario.reclaimForever). */
  reclaimForever = false;
  private nextBuf = 1;

  constructor(cfg: ResolvedConfig, strategy: Strategy, paths: KernelPaths) {
    this.cfg = cfg;
    this.strategy = strategy;
    this.paths = paths;
    const w = strategy.pageWritingWaiters;
    this.writingWaiters = w === undefined ? WRITING_WAIT_READ | WRITING_WAIT_FAULT | WRITING_WAIT_TRUNCATE : (w.read ? WRITING_WAIT_READ : 0) | (w.fault ? WRITING_WAIT_FAULT : 0) | (w.truncate ? WRITING_WAIT_TRUNCATE : 0);
    this.pageCells = cfg.pageCells;
    this.pageShift = Math.log2(cfg.pageCells);
    this.blocksPerPage = cfg.blocksPerPage;
    this.blockCells = cfg.pageCells / cfg.blocksPerPage;
    this.tracing = cfg.trace;
    this.mem = new Memory(LIMITS.framesMax, cfg.pageCells, LIMITS.diskPagesMax * cfg.blocksPerPage, this.blockCells, LIMITS.swapSlotsMax);
    this.frameToPage = new Array<Page | null>(LIMITS.framesMax).fill(null);
    this.framePins = new Int32Array(LIMITS.framesMax);
    this.acc = new Access(LIMITS.tasksMax, this.frameToPage);
    this.mem.acc = this.acc;
    for (let i = 0; i < LIMITS.inodesMax; i++) this.inodes.push(new Inode(i, LIMITS.filePagesMax, cfg.blocksPerPage, LIMITS.historyEventsMax, this.acc));
    for (let i = 0; i < LIMITS.tasksMax; i++) this.mms.push(new Mm(i, LIMITS.vpagesMax, 8));
    for (let i = 0; i < LIMITS.tasksMax; i++) this.tasks.push(new Task(i, this.acc));
    for (let i = 0; i < LIMITS.framesMax; i++) this.pagePool.push(new Page(i));
    for (const page of this.pagePool) resetPage(page);
    this.legality = new Legality(this.inodes.map((inode): History => inode.history), this.mem);
  }

  /** Forget the previous run; every object is kept for the next. */
  reset(): void {
    this.mem.reset();
    for (let i = 0; i < this.nrInodes; i++) this.inodes[i]!.reset();
    this.nrInodes = 0;
    for (let i = 0; i < this.nrMms; i++) this.mms[i]!.reset();
    this.nrMms = 0;
    for (let i = 0; i < this.nrTasks; i++) this.tasks[i]!.reset();
    this.nrTasks = 0;
    for (let i = 0; i < this.pagesHigh; i++) resetPage(this.pagePool[i]!);
    this.pagesHigh = 0;
    this.frameToPage.fill(null);
    this.framePins.fill(0);
    this.lockdep.reset();
    this.comm.reset();
    this.costs.reset();
    this.acc.reset();
    this.step = 0;
    this.runnableStale = true;
    this.failure = null;
    this.deferred = null;
    this.warnings.length = 0;
    this.trace.length = 0;
    this.reclaimForever = false;
    this.nextBuf = 1;
  }

  createInode(): Inode {
    if (this.nrInodes === this.inodes.length) throw new Error('too many files: raise LIMITS.inodesMax');
    const inode = this.inodes[this.nrInodes++]!;
    inode.inUse = true;
    return inode;
  }

  createMm(): Mm {
    if (this.nrMms === this.mms.length) throw new Error('too many processes: raise LIMITS.tasksMax');
    const mm = this.mms[this.nrMms++]!;
    mm.inUse = true;
    return mm;
  }

  createTask(name: string, mm: Mm | null, body: (t: Task) => TaskBody): Task {
    if (this.nrTasks === this.tasks.length) throw new Error('too many tasks: raise LIMITS.tasksMax');
    const t = this.tasks[this.nrTasks++]!;
    t.inUse = true;
    t.name = name;
    t.mm = mm;
    t.kthread = mm === null;
    t.body = body(t);
    return t;
  }

  /**
   * Cells that may hold UNINIT were copied into `frame` (a temporary page, a
   * disk block written from a page not found clean): if it is a page-cache
   * page, the next unlock of it scans it for UNINIT again. User memory never
   * holds UNINIT (a read that would put it there fails first), so copies
   * from it need not say so; every other copy into a frame that may be a
   * page-cache page must.
   */
  wroteFrame(frame: number): void {
    const page = this.frameToPage[frame];
    if (page !== null && page !== undefined) page.uninitChecked = false;
  }

  /** Task `t` wrote file data into `frame`: if it is a page-cache page, a communication the next reader of that page may meet. */
  wroteData(frame: number, t: Task): void {
    if (this.comm.pairs === null) return;
    const page = this.frameToPage[frame];
    if (page !== null && page !== undefined) this.comm.wrote(COMM_DATA, pageId(page.ino, page.index), t);
  }

  /** A user copy read frame `src` into frame `dst`: a page-cache source not found clean may carry UNINIT along. */
  copiedFrom(src: number, dst: number): void {
    const from = this.frameToPage[src];
    if (from !== null && from !== undefined && !from.uninitChecked) this.wroteFrame(dst);
  }

  /** A new user-buffer id for DATA tags. */
  newBuf(): number {
    this.acc.writeGlobal(ACC_BUFID);
    return this.nextBuf++;
  }

  /** page_cache_alloc: a page with one reference and a frame of UNINIT cells. */
  allocPage(): Page {
    for (const page of this.pagePool) {
      if (page.inUse) continue;
      if (page.id >= this.pagesHigh) this.pagesHigh = page.id + 1;
      page.inUse = true;
      page.frame = this.mem.allocFrame();
      page.count = 1;
      this.frameToPage[page.frame] = page;
      return page;
    }
    throw new Error('out of pages: raise LIMITS.framesMax');
  }

  /** The last reference is gone: the frame goes back. */
  freePage(page: Page): void {
    this.frameToPage[page.frame] = null;
    this.mem.freeFrame(page.frame);
    resetPage(page);
  }

  /** An oracle's verdict: record it and unwind the run. */
  fail(kind: FailureKind, t: Task | null, message: string, details: string[] = [], sites: string[] = t !== null ? [t.where(4)] : []): never {
    this.failure ??= { kind, message, task: t?.name ?? 'kernel', site: t?.where() ?? 'kernel', step: this.step, details, sites, severity: 'failure', witness: null };
    throw FAILED;
  }

  /** A BUG_ON of the model: `what` names it without numbers or names of pages. */
  bug(t: Task, what: string, message: string): never {
    return this.fail('kernel-bug', t, `BUG: ${message}`, [], [`${what} in ${t.where(4)}`]);
  }

  /** Record a trace event (replay mode only; callers check `tracing` before building text). */
  event(t: Task, what: string): void {
    this.trace.push({ step: this.step, task: t.name, site: t.where(3), what, locks: heldLocks(t) });
  }
}

function resetPage(page: Page): void {
  page.inUse = false;
  page.mapping = null;
  page.index = 0;
  page.ino = -1;
  page.frame = -1;
  page.flags = 0;
  page.count = 0;
  page.mapcount = 0;
  page.lockOwner = null;
  page.uninitChecked = false;
  page.extraOwner = null;
  page.bh.fill(0);
  page.blocknr.fill(-1);
}

/** A lock's name as reports print it. */
export function lockName(cls: number, lock: object | null): string {
  if (lock instanceof Page) return `${LOCK_CLASSES[cls]}(${lock.name})`;
  if (lock !== null && 'page' in lock) return `${LOCK_CLASSES[cls]}(${(lock as { page: Page }).page.name})`;
  return (lock as { name?: string } | null)?.name ?? LOCK_CLASSES[cls]!;
}

function heldLocks(t: Task): string {
  const names: string[] = [];
  for (let i = 0; i < t.nrHeld; i++) names.push(lockName(t.held[i]!.cls, t.held[i]!.lock));
  return names.join(', ');
}
