import type { Inode } from './inode.js';
import { CLASS_MMAP_SEM, lockKey, RwSem } from './locks.js';

export const VMA_ANON = 0;
export const VMA_FILE = 1;

/** A mapping of virtual pages [start, end): anonymous, or a shared file mapping from pgoff. */
export class Vma {
  start = 0;
  end = 0;
  kind = VMA_ANON;
  inode: Inode | null = null;
  pgoff = 0;
  /** A MAP_PRIVATE file mapping: reads share the page-cache page, a write copies it (do_wp_page). */
  private = false;
  /** Anonymous: the user buffer whose DATA tags it holds (cell i of page p is DATA(buf, p * pageCells + i)). */
  buf = 0;
}

/** A process's address space (struct mm_struct): VMAs, page table, mmap_sem. */
export class Mm {
  readonly id: number;
  readonly name: string;
  inUse = false;
  /** The kernel's own address space (a kernel thread's buffers under set_fs(KERNEL_DS)): never reclaimed, never faults. */
  kernel = false;
  readonly vmas: Vma[] = [];
  nrVmas = 0;
  /** The page table: virtual page -> frame, or -1 when the PTE is not present. */
  readonly pte: Int32Array;
  /** For an anonymous virtual page whose PTE is not present: its swap slot, or -1. */
  readonly swapSlot: Int32Array;
  readonly mmapSem: RwSem;

  constructor(id: number, vpagesMax: number, vmasMax: number) {
    this.id = id;
    this.name = `mm${id}`;
    this.pte = new Int32Array(vpagesMax).fill(-1);
    this.swapSlot = new Int32Array(vpagesMax).fill(-1);
    for (let i = 0; i < vmasMax; i++) this.vmas.push(new Vma());
    this.mmapSem = new RwSem(`mmap_sem(${this.name})`, lockKey(CLASS_MMAP_SEM, id));
  }

  reset(): void {
    this.inUse = false;
    this.kernel = false;
    this.nrVmas = 0;
    this.pte.fill(-1);
    this.swapSlot.fill(-1);
    this.mmapSem.reset();
  }

  /** find_vma: the VMA containing virtual page `vpage`, or null. */
  findVma(vpage: number): Vma | null {
    for (let i = 0; i < this.nrVmas; i++) {
      const vma = this.vmas[i]!;
      if (vpage >= vma.start && vpage < vma.end) return vma;
    }
    return null;
  }

  addVma(start: number, end: number, kind: number, inode: Inode | null, pgoff: number, buf = 0, isPrivate = false): Vma {
    if (this.nrVmas === this.vmas.length) throw new Error(`${this.name}: too many VMAs`);
    if (end > this.pte.length) throw new Error(`${this.name}: mapping past LIMITS.vpagesMax`);
    const vma = this.vmas[this.nrVmas++]!;
    vma.start = start;
    vma.end = end;
    vma.kind = kind;
    vma.inode = inode;
    vma.pgoff = pgoff;
    vma.buf = buf;
    vma.private = isPrivate;
    return vma;
  }

  /** Remove the VMA at index i (the caller has zapped its PTEs). */
  removeVma(i: number): void {
    const gone = this.vmas[i]!;
    for (let j = i; j < this.nrVmas - 1; j++) this.vmas[j] = this.vmas[j + 1]!;
    this.vmas[--this.nrVmas] = gone;
  }
}
