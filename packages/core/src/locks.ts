import type { Task } from './task.js';

/** Lock classes for lockdep-style ordering (MODEL.md §2). */
export const CLASS_PAGE_LOCK = 0;
export const CLASS_I_MUTEX = 1;
export const CLASS_MMAP_SEM = 2;
export const CLASS_PG_EXTRA = 3;
export const LOCK_CLASSES = ['page_lock', 'i_mutex', 'mmap_sem', 'PG_writing'] as const;

export const MODE_READ = 0;
export const MODE_WRITE = 1;

/**
 * A lock instance as lockdep's instance edges name it: class * 1024 + id,
 * where the id is the file for i_mutex, the mm for mmap_sem, and file * 64 +
 * index for a page's lock or PG_writing (the page of the file, whichever
 * struct page holds it now).
 */
export function lockKey(cls: number, id: number): number {
  return cls * 1024 + id;
}

/** The id a lock key names (lockKey's): the file of an i_mutex, the mm of an mmap_sem. */
export function lockKeyId(key: number): number {
  return key % 1024;
}

/** The key's id of a file page. */
export function pageId(ino: number, index: number): number {
  return ino * 64 + index;
}

/** `page_lock(f0:1)`, `mmap_sem(mm0)`, `i_mutex(f0)`: a lock instance as reports print it. */
export function lockKeyName(key: number): string {
  const cls = Math.floor(key / 1024);
  const id = lockKeyId(key);
  switch (cls) {
    case CLASS_I_MUTEX:
      return `i_mutex(f${id})`;
    case CLASS_MMAP_SEM:
      return `mmap_sem(mm${id})`;
    default:
      return `${LOCK_CLASSES[cls]}(f${Math.floor(id / 64)}:${id % 64})`;
  }
}

/** A sleeping mutex (i_mutex). */
export class Mutex {
  owner: Task | null = null;
  constructor(
    readonly name: string,
    readonly key: number,
  ) {}
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
  /** Tasks whose programs may take it for writing (munmap): what lets two readers block each other. */
  writersPossible = 0;
  constructor(
    readonly name: string,
    readonly key: number,
  ) {}
  reset(): void {
    this.writersPossible = 0;
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
  /** The instance, by lockKey. */
  key = 0;
  mode = MODE_WRITE;
  /** The function that took it and its caller, innermost first. */
  fn = '';
  caller = '';
}
