import type { Inode } from './inode.js';
import type { Task } from './task.js';

/** Page flags (page->flags). */
export const PG_locked = 1;
export const PG_uptodate = 2;
export const PG_dirty = 4;
/** The one extra flag a strategy may use (excl-flag's PG_writing). */
export const PG_extra = 8;

/** Kernel.writingWaiters bits: which readpage callers back off on PG_extra. */
export const WRITING_WAIT_READ = 1;
export const WRITING_WAIT_FAULT = 2;
export const WRITING_WAIT_TRUNCATE = 4;

/** Buffer state bits (struct buffer_head's b_state), one byte per block of the page. */
export const BH_Mapped = 1;
export const BH_New = 2;
export const BH_Uptodate = 4;
export const BH_Dirty = 8;

export const BUFFERS_PER_PAGE_MAX = 4;

/** A page-cache page (struct page). Pages are pooled and reused across runs. */
export class Page {
  readonly id: number;
  inUse = false;
  /** page->mapping: the file it caches, or null once truncated or freed. */
  mapping: Inode | null = null;
  index = 0;
  /** The file it was added to, kept once truncate clears `mapping`: its lock's instance for lockdep. */
  ino = -1;
  frame = -1;
  flags = 0;
  /** References: the page cache holds one, each PTE one, each get_page one. */
  count = 0;
  mapcount = 0;
  /** Who holds PG_locked (its held-lock record says where it was taken). */
  lockOwner: Task | null = null;
  /**
   * Its frame was scanned for UNINIT (unlock_page's BUG_ON) and nothing that
   * could bring UNINIT in has written it since (Kernel.wroteFrame): the next
   * unlock of the uptodate page need not scan it again. Zero fills and user
   * stores cannot bring UNINIT in.
   */
  uninitChecked = false;
  /** Who set PG_extra. */
  extraOwner: Task | null = null;
  /** The identity of PG_extra as a lock, for held-lock records and reports. */
  readonly extraBit: { readonly page: Page };
  readonly bh = new Uint8Array(BUFFERS_PER_PAGE_MAX);
  /** Disk block of each buffer, valid while BH_Mapped. */
  readonly blocknr = new Int32Array(BUFFERS_PER_PAGE_MAX);

  constructor(id: number) {
    this.id = id;
    this.extraBit = { page: this };
  }

  /** How the page is named in traces and reports: `f0:1` is file 0's page 1. */
  get name(): string {
    return this.mapping !== null ? `${this.mapping.name}:${this.index}` : `page#${this.id}(was index ${this.index}, out of the cache)`;
  }
}
