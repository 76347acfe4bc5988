/**
 * Abstract-state coverage: at every context switch, a hash of what matters
 * to the page-cache hazards at that instant, and the choice index where the
 * run stood. Events (function pairs at a switch, communications) saturate
 * within tens of runs on the small cells of this model (BENCHMARKS.md,
 * "Search that learns"); states do not: the same pair of functions meets
 * with the page locked or not, uptodate or not, its PTE present or not, the
 * other task queued on mmap_sem or not. What a state holds is coarse on
 * purpose, as Go-Explore's "cells" are (Ecoffet et al., "First return, then
 * explore", Nature 2021): enough to tell progress toward a hazard apart,
 * not so much that every run is new.
 *
 * Per user task: operations left, the function it stands in, what it waits
 * for. Per page of every file: in the cache or not, PG_locked, PG_uptodate,
 * PG_dirty, the strategy's flag, which task holds its lock, mapped or not,
 * each buffer's state. Per process: which PTEs are present, mmap_sem's
 * writer, readers and queue. Per file: i_mutex's owner.
 *
 * Collected only when a search sets Model.states; a plain seeded run pays
 * one null check at each switch, and nothing here changes what a run does.
 */
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';

/** What the model tells at each context switch (Model.states). */
export interface StateSink {
  /** The run switches from `from` to `to`; the choice stream holds `choices` choices so far. */
  switched(k: Kernel, from: Task, to: Task, choices: number): void;
}

/** States one run records, at most: the rest of a long run is not recorded. */
const STATES_PER_RUN_MAX = 1024;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 16777619;

function mix(h: number, v: number): number {
  return Math.imul(h ^ v, FNV_PRIME);
}

/** The abstract states of one run, in order, each with the choice count it was reached at. */
export class StateCoverage implements StateSink {
  readonly hashes = new Uint32Array(STATES_PER_RUN_MAX);
  /** Choices made when the state was reached: replaying that many of the run's choices returns to it. */
  readonly at = new Uint32Array(STATES_PER_RUN_MAX);
  n = 0;
  private readonly fnHashes = new Map<string, number>();

  /** `sites`: whether a task's function is part of its state (a finer state); the rest always is. */
  constructor(readonly sites = true) {}

  reset(): void {
    this.n = 0;
  }

  switched(k: Kernel, _from: Task, to: Task, choices: number): void {
    if (this.n === STATES_PER_RUN_MAX) return;
    let h = mix(FNV_OFFSET, to.id);
    for (let i = 0; i < k.nrTasks; i++) {
      const t = k.tasks[i]!;
      if (t.kthread) continue;
      if (t.done) {
        h = mix(h, 0xffff);
        continue;
      }
      h = mix(h, t.opsLeft | (t.waitKind << 8) | (t.nrHeld << 12));
      if (this.sites) h = mix(h, this.fnHash(t.fn));
    }
    for (let i = 0; i < k.nrInodes; i++) {
      const inode = k.inodes[i]!;
      h = mix(h, inode.iMutex.owner === null ? 0 : inode.iMutex.owner.id + 1);
      for (let p = 0; p < inode.pages.length; p++) {
        const page = inode.pages[p];
        if (page === null || page === undefined) {
          h = mix(h, 0);
          continue;
        }
        const bh = page.bh[0]! | (page.bh[1]! << 4) | (page.bh[2]! << 8) | (page.bh[3]! << 12);
        const owner = page.lockOwner === null ? 0 : page.lockOwner.id + 1;
        h = mix(h, 1 | (page.flags << 1) | (owner << 5) | ((page.mapcount > 0 ? 1 : 0) << 9) | (bh << 10));
      }
    }
    for (let i = 0; i < k.nrMms; i++) {
      const mm = k.mms[i]!;
      let present = 0;
      for (let v = 0; v < mm.pte.length && v < 31; v++) if (mm.pte[v]! >= 0) present |= 1 << v;
      h = mix(h, present);
      const sem = mm.mmapSem;
      h = mix(h, (sem.writer === null ? 0 : sem.writer.id + 1) | (sem.readers.length << 4) | (sem.queue.length << 8));
    }
    this.hashes[this.n] = h >>> 0;
    this.at[this.n++] = choices;
  }

  private fnHash(fn: string): number {
    let h = this.fnHashes.get(fn);
    if (h === undefined) {
      h = FNV_OFFSET;
      for (let i = 0; i < fn.length; i++) h = Math.imul(h ^ fn.charCodeAt(i), FNV_PRIME);
      this.fnHashes.set(fn, h);
    }
    return h;
  }
}
