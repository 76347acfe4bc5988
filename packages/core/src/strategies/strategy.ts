import type { Gen } from '../gen.js';
import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import type { IovIter } from '../mm/iov.js';
import type { KernelPaths } from '../paths.js';
import type { Task } from '../task.js';

/** The readpage callers that wait on PG_writing (Strategy.pageWritingWaiters). */
export interface PageWritingWaiters {
  readonly read: boolean;
  readonly fault: boolean;
  readonly truncate: boolean;
}

/**
 * A buffered write path design. It controls only the write path, called with
 * i_mutex held; everything else is shared, except the kernel paths of its
 * era (2.6.20's filemap_nopage or 2.6.24's filemap_fault) and any it replaces.
 */
export interface Strategy {
  readonly id: string;
  /** One line: where it comes from and its idea. */
  readonly description: string;
  readonly paths: KernelPaths;
  /**
   * Which readpage callers back off when they find PG_writing (the strategy
   * page flag) set under the page lock: do_generic_file_read, the fault
   * handler, truncate. Default: all three. Only a strategy that sets the
   * flag is affected; excl-flag needs all three (Nick Piggin, 4 Feb: "you
   * must also exclude filemap_nopage").
   */
  readonly pageWritingWaiters?: PageWritingWaiters;
  /**
   * Set by the strategy-file loader: a hash of the file's source, recorded
   * in campaigns, buckets and reproducers so a finding names the code it was
   * found in. Absent for a built-in strategy (MODEL_VERSION pins those).
   */
  readonly sourceHash?: string;
  /** Write the iovec to the file at `pos`; returns cells written, or -EFAULT when none were. */
  performWrite(k: Kernel, t: Task, inode: Inode, pos: number, it: IovIter): Gen<number>;
}
