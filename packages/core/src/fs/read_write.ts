/**
 * The read and write system calls: the syscall layer records each one in the
 * file's history (for the data oracles) and judges its return value; the
 * write path itself is the strategy's.
 */
import { data } from '../cell.js';
import type { Gen } from '../gen.js';
import { EV_DATA, EV_MAPPED, OP_WRITE } from '../history.js';
import { checkFileNow } from '../oracles/file-state.js';
import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import { mutexLock, mutexUnlock } from '../locking.js';
import { VMA_ANON, type Mm } from '../mm.js';
import type { Task } from '../task.js';
import { doGenericFileRead } from '../mm/filemap.js';
import { IovIter } from '../mm/iov.js';
import { checkReadReturn, checkWriteReturn } from '../oracles/bad-return.js';

/**
 * Record in the file's history what writing user range [addr, addr + len) to
 * file offset `fpos` would put there: one event per source VMA.
 */
export function recordUserSource(k: Kernel, mm: Mm, inode: Inode, fpos: number, addr: number, len: number): void {
  const h = inode.history;
  while (len > 0) {
    const vpage = addr >>> k.pageShift;
    const vma = vpage < mm.pte.length ? mm.findVma(vpage) : null;
    if (vma === null) return; // nothing can come from an unmapped address
    const n = Math.min(len, vma.end * k.pageCells - addr);
    const rel = addr - vma.start * k.pageCells;
    if (vma.kind === VMA_ANON) h.add(EV_DATA, fpos, n, k.step, data(vma.buf, rel), -1, 0);
    else h.add(EV_MAPPED, fpos, n, k.step, 0, vma.inode!.id, vma.pgoff * k.pageCells + rel);
    fpos += n;
    addr += n;
    len -= n;
  }
}

/** write(2)/writev(2) on a regular file: generic_file_aio_write, i_mutex held around the strategy's write path. */
export function* sysWrite(k: Kernel, t: Task, inode: Inode, pos: number, segs: readonly number[]): Gen<number> {
  t.enter('sys_write');
  const since = k.step;
  const h = inode.history;
  const op = h.beginOp(OP_WRITE, k.step);
  const evFirst = h.n;
  let len = 0;
  for (let i = 0; i < segs.length; i += 2) {
    recordUserSource(k, t.mm!, inode, pos + len, segs[i]!, segs[i + 1]!);
    len += segs[i + 1]!;
  }
  const evEnd = h.n;
  let sourced = 0;
  for (let e = evFirst; e < evEnd && h.pos[e] === pos + sourced; e++) sourced += h.len[e]!;
  const iSizeBefore = inode.iSize;
  t.met = 0;
  yield* mutexLock(k, t, inode.iMutex);
  const it = new IovIter(segs.length / 2);
  it.init(segs);
  it.owner = t;
  const ret = yield* k.strategy.performWrite(k, t, inode, pos, it);
  mutexUnlock(k, t, inode.iMutex);
  const end = pos + Math.max(ret, 0);
  for (let e = evFirst; e < evEnd; e++) h.finish(e, k.step, Math.max(0, Math.min(h.len[e]!, end - h.pos[e]!)));
  h.endOp(op, k.step, ret > 0 ? end : -1);
  checkWriteReturn(k, t, inode, pos, len, ret, iSizeBefore, since, evFirst, evEnd, sourced);
  checkFileNow(k, t, inode, `write(${inode.name}, ${pos}, ${len}) = ${ret}`);
  t.leave();
  return ret;
}

/** read(2): do_generic_file_read into the user buffer at `dst`. */
export function* sysRead(k: Kernel, t: Task, inode: Inode, pos: number, len: number, dst: number): Gen<number> {
  t.enter('sys_read');
  t.met = 0;
  // The read's start (this step) is compared with the times of the file's events: it is ordered against every step that records one.
  k.acc.readHistory(inode.id);
  const ret = yield* doGenericFileRead(k, t, inode, pos, len, dst, k.step);
  checkReadReturn(k, t, inode, pos, len, ret);
  t.leave();
  return ret;
}
