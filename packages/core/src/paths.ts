import type { Gen } from './gen.js';
import type { Kernel } from './kernel.js';
import type { Vma } from './mm.js';
import type { Page } from './page.js';
import type { Task } from './task.js';
import { blockReadFullPage, blockWriteFullPage } from './fs/buffer.js';
import { filemapFault, filemapNopage } from './mm/filemap.js';

/**
 * The kernel paths a strategy's era or a strategy itself may replace (the
 * address_space_operations and the fault handler), and that a test may
 * replace to plant a bug.
 */
export interface KernelPaths {
  /** a_ops->readpage: called with the page locked; unlocks it. */
  readpage(k: Kernel, t: Task, page: Page): Gen;
  /** a_ops->writepage: called with the page locked; unlocks it. */
  writepage(k: Kernel, t: Task, page: Page): void;
  /** vm_ops->nopage / ->fault: the page with a reference (2.6.24: locked), or null for SIGBUS. */
  nopage(k: Kernel, t: Task, vma: Vma, pgoff: number): Gen<Page | null>;
  /** Whether nopage returns the page locked (2.6.24's VM_FAULT_LOCKED), for the fault handler to unlock once mapped. */
  nopageLocks: boolean;
}

export const PATHS_2_6_20: KernelPaths = {
  readpage: blockReadFullPage,
  writepage: blockWriteFullPage,
  nopage: filemapNopage,
  nopageLocks: false,
};

export const PATHS_2_6_24: KernelPaths = {
  readpage: blockReadFullPage,
  writepage: blockWriteFullPage,
  nopage: filemapFault,
  nopageLocks: true,
};
