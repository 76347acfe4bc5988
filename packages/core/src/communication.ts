/**
 * Communication coverage (Krace's alias coverage, Snowboard's potential
 * memory communications, for this model): a directed pair of kernel sites,
 * (where one task wrote a page's data or released a lock) -> (where another
 * task then read that page's data or took that lock). Two different tasks
 * on one object means a context switch came between them, so each pair is an
 * interleaving the run reached, named by sites only: the same pair from any
 * seed, on any machine, hashes the same.
 *
 * Collected when a caller asks for it (Model.communications), like the
 * function-pair coverage of context switches.
 */
import type { Task } from './task.js';

/** What an object is, in a pair's hash: a page's data, or a lock. */
export const COMM_DATA = 1;
export const COMM_LOCK = 2;

/** Objects one run may touch: pages of 4 files and the locks of files and processes; past it, pairs are not counted. */
const OBJECTS_MAX = 512;

export class Communications {
  /** The last writer or releaser of each object this run: its task id (-1: none) and site hash. */
  private readonly lastTask = new Int16Array(OBJECTS_MAX * 3);
  private readonly lastSite = new Int32Array(OBJECTS_MAX * 3);
  private readonly touched: number[] = [];
  private readonly siteHashes = new Map<string, number>();
  /** The pairs found, across runs until the caller resets it. */
  pairs: Set<number> | null = null;

  constructor() {
    this.lastTask.fill(-1);
  }

  /** Start a run: no object has a writer yet. */
  reset(): void {
    for (const slot of this.touched) this.lastTask[slot] = -1;
    this.touched.length = 0;
  }

  /** Task `t`, in its current function, wrote object `key` of kind `kind` (or released it). */
  wrote(kind: number, key: number, t: Task): void {
    // The final check's sync is no task of the run.
    if (t.id < 0) return;
    const slot = this.slot(kind, key);
    if (slot < 0) return;
    if (this.lastTask[slot] === -1) this.touched.push(slot);
    this.lastTask[slot] = t.id;
    this.lastSite[slot] = this.siteHash(t.fn);
  }

  /** Task `t` read object `key` (or took it): a pair if another task wrote it last. */
  read(kind: number, key: number, t: Task): void {
    if (t.id < 0) return;
    const slot = this.slot(kind, key);
    if (slot < 0 || this.lastTask[slot] === -1 || this.lastTask[slot] === t.id) return;
    this.pairs?.add((Math.imul(Math.imul(this.lastSite[slot]!, 31) ^ this.siteHash(t.fn), 31) ^ kind) >>> 0);
  }

  private slot(kind: number, key: number): number {
    // Data keys are a page's id (file * 64 + index); lock keys class * 1024 + id (locks.ts), every id under 256.
    if (kind === COMM_DATA) return key < 256 ? key : -1;
    const slot = 256 + (key >>> 10) * 256 + (key & 1023);
    return (key & 1023) < 256 && slot < OBJECTS_MAX * 3 ? slot : -1;
  }

  private siteHash(fn: string): number {
    let h = this.siteHashes.get(fn);
    if (h === undefined) {
      h = 0x811c9dc5;
      for (let i = 0; i < fn.length; i++) h = Math.imul(h ^ fn.charCodeAt(i), 16777619);
      this.siteHashes.set(fn, h);
    }
    return h;
  }
}
