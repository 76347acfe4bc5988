/** munmap (mm/mmap.c): under mmap_sem for writing, zap the PTEs and drop the VMAs of a range. */
import type { Gen } from '../gen.js';
import type { Kernel } from '../kernel.js';
import { downWrite, upWrite } from '../locking.js';
import { VMA_ANON, type Mm } from '../mm.js';
import type { Task } from '../task.js';
import { zapPte } from './memory.js';

export function* doMunmap(k: Kernel, t: Task, addr: number, len: number): Gen<number> {
  const mm = t.mm!;
  t.enter('do_munmap');
  yield* downWrite(k, t, mm.mmapSem);
  const start = addr >>> k.pageShift;
  const end = (addr + len + k.pageCells - 1) >>> k.pageShift;
  for (let v = start; v < end && v < mm.pte.length; v++) unmapOne(k, t, mm, v);
  // VMAs: drop the covered ones, trim the ones the range cuts at an end.
  k.acc.writeVmas(mm.id);
  for (let i = mm.nrVmas - 1; i >= 0; i--) {
    const vma = mm.vmas[i]!;
    if (vma.end <= start || vma.start >= end) continue;
    if (vma.start >= start && vma.end <= end) mm.removeVma(i);
    else if (vma.start < start && vma.end <= end) vma.end = start;
    else if (vma.start >= start) {
      vma.pgoff += end - vma.start;
      vma.start = end;
    } else {
      vma.end = start; // a hole punched in the middle drops the tail too: the model keeps one VMA
    }
  }
  if (k.tracing) k.event(t, `munmap(${addr}, ${len})`);
  upWrite(k, t, mm.mmapSem);
  t.leave();
  return 0;
}

function unmapOne(k: Kernel, t: Task, mm: Mm, v: number): void {
  t.touchPte(mm, v);
  const vma = mm.findVma(v);
  if (vma === null) return;
  const frame = mm.pte[v]!;
  if (vma.kind === VMA_ANON) {
    if (frame >= 0) k.mem.freeFrame(frame);
    mm.pte[v] = -1;
    if (mm.swapSlot[v]! >= 0) k.mem.freeSlot(mm.swapSlot[v]!);
    mm.swapSlot[v] = -1;
  } else {
    zapPte(k, t, mm, v);
  }
}

/** exit_mmap: tear down every mapping of the process. */
export function exitMmap(k: Kernel, t: Task, mm: Mm): void {
  for (let v = 0; v < mm.pte.length; v++) unmapOne(k, t, mm, v);
  mm.nrVmas = 0;
}
