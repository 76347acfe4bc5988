import type { Access } from './access.js';
import { History } from './history.js';
import { CLASS_I_MUTEX, lockKey, Mutex } from './locks.js';
import type { Page } from './page.js';

/** A file: i_size, its block map, i_mutex and its page cache (address_space). */
export class Inode {
  readonly id: number;
  readonly name: string;
  inUse = false;
  /** i_size in cells (iSize reads and writes it, telling the access record). */
  private size = 0;
  /** File block -> disk block, or -1 for a hole. */
  readonly blocks: Int32Array;
  readonly iMutex: Mutex;
  /** The page cache: page index -> page. */
  readonly pages: (Page | null)[];
  /** Every write, store and truncate of this file, for the data oracles. */
  readonly history: History;

  constructor(id: number, filePagesMax: number, blocksPerPage: number, historyEventsMax: number, readonly acc: Access) {
    this.id = id;
    this.name = `f${id}`;
    this.blocks = new Int32Array(filePagesMax * blocksPerPage).fill(-1);
    this.iMutex = new Mutex(`i_mutex(${this.name})`, lockKey(CLASS_I_MUTEX, id));
    this.pages = new Array<Page | null>(filePagesMax).fill(null);
    this.history = new History(historyEventsMax, id, acc);
  }

  /** i_size in cells: read by read(), faults, commit_write, truncate; a step that reads it depends on one that writes it. */
  get iSize(): number {
    this.acc.readIsize(this.id);
    return this.size;
  }

  set iSize(size: number) {
    this.acc.writeIsize(this.id);
    this.size = size;
  }

  reset(): void {
    this.inUse = false;
    this.size = 0;
    this.blocks.fill(-1);
    this.iMutex.reset();
    this.pages.fill(null);
    this.history.reset();
  }
}
