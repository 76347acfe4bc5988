import type { Gen } from '../gen.js';
import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import type { IovIter } from '../mm/iov.js';
import type { KernelPaths } from '../paths.js';
import type { Task } from '../task.js';

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
  /** Write the iovec to the file at `pos`; returns cells written, or -EFAULT when none were. */
  performWrite(k: Kernel, t: Task, inode: Inode, pos: number, it: IovIter): Gen<number>;
}
