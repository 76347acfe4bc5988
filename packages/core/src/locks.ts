import type { Task } from './task.js';

/** Lock classes for lockdep-style ordering (MODEL.md §2). */
export const CLASS_PAGE_LOCK = 0;
export const CLASS_I_MUTEX = 1;
export const CLASS_MMAP_SEM = 2;
export const CLASS_PG_EXTRA = 3;
export const LOCK_CLASSES = ['page_lock', 'i_mutex', 'mmap_sem', 'PG_writing'] as const;

export const MODE_READ = 0;
export const MODE_WRITE = 1;

/** A sleeping mutex (i_mutex). */
export class Mutex {
  owner: Task | null = null;
  constructor(readonly name: string) {}
  reset(): void {
    this.owner = null;
  }
}

/**
 * A read-write semaphore (mmap_sem). As in Linux, a queued writer blocks new
 * readers, and release hands the lock to the waiters at the head of the queue
 * (a writer, or every reader up to the next writer).
 */
export class RwSem {
  writer: Task | null = null;
  readonly readers: Task[] = [];
  readonly queue: Task[] = [];
  readonly queueMode: number[] = [];
  constructor(readonly name: string) {}
  reset(): void {
    this.writer = null;
    this.readers.length = 0;
    this.queue.length = 0;
    this.queueMode.length = 0;
  }
}

/** A lock a task holds, and where it took it (for deadlock and lockdep reports). */
export class HeldLock {
  cls = 0;
  lock: object | null = null;
  mode = MODE_WRITE;
  /** The function that took it and its caller, innermost first. */
  fn = '';
  caller = '';
}
