/**
 * A user task's program: a list of operations, each a system call or a touch
 * of a mapping, run in order with a preemption point before each.
 */
import { data } from './cell.js';
import type { Gen } from './gen.js';
import { EV_DATA, EV_ZERO, OFFSET_INF } from './history.js';
import type { Inode } from './inode.js';
import type { Kernel } from './kernel.js';
import { VMA_ANON, VMA_FILE } from './mm.js';
import type { Task, TaskBody } from './task.js';
import { sysRead, sysWrite } from './fs/read_write.js';
import { doFsync } from './fs/sync.js';
import { setPageDirty } from './mm/filemap.js';
import { userFrame } from './mm/memory.js';
import { doMunmap } from './mm/mmap.js';
import { doTruncate } from './mm/truncate.js';
import { checkUserRead } from './oracles/user-data.js';
import { EFAULT } from './oracles/bad-return.js';

export type Op =
  /** writev(file, pos, iov): iov is [addr, len, addr, len, …] in user memory. */
  | { op: 'write'; file: Inode; pos: number; iov: number[] }
  | { op: 'read'; file: Inode; pos: number; len: number; dst: number }
  /** Touch [addr, addr + len) of a mapping for reading: what it sees is judged. */
  | { op: 'load'; addr: number; len: number }
  /** Store a fresh user buffer's DATA into [addr, addr + len) of a shared file mapping. */
  | { op: 'store'; addr: number; len: number }
  | { op: 'truncate'; file: Inode; size: number; iMutex: boolean }
  | { op: 'fsync'; file: Inode }
  | { op: 'munmap'; addr: number; len: number };

/** How an operation is printed in traces and reports. */
export function describeOp(op: Op): string {
  switch (op.op) {
    case 'write': {
      const segs: string[] = [];
      for (let i = 0; i < op.iov.length; i += 2) segs.push(`${op.iov[i]}+${op.iov[i + 1]}`);
      return `write(${op.file.name}, ${op.pos}, [${segs.join(', ')}])`;
    }
    case 'read':
      return `read(${op.file.name}, ${op.pos}, ${op.len}, ${op.dst})`;
    case 'load':
      return `load(${op.addr}, ${op.len})`;
    case 'store':
      return `store(${op.addr}, ${op.len})`;
    case 'truncate':
      return `truncate(${op.file.name}, ${op.size}${op.iMutex ? '' : ', without i_mutex'})`;
    case 'fsync':
      return `fsync(${op.file.name})`;
    case 'munmap':
      return `munmap(${op.addr}, ${op.len})`;
  }
}

export function* runProgram(k: Kernel, t: Task, ops: readonly Op[]): TaskBody {
  for (const op of ops) {
    yield;
    if (k.tracing) k.event(t, describeOp(op));
    const ret = yield* runOp(k, t, op);
    t.returns.push(ret);
    if (k.tracing) k.event(t, `${describeOp(op)} = ${ret}`);
  }
}

function* runOp(k: Kernel, t: Task, op: Op): Gen<number> {
  switch (op.op) {
    case 'write':
      return yield* sysWrite(k, t, op.file, op.pos, op.iov);
    case 'read':
      return yield* sysRead(k, t, op.file, op.pos, op.len, op.dst);
    case 'load':
      return yield* userLoad(k, t, op.addr, op.len);
    case 'store':
      return yield* userStore(k, t, op.addr, op.len);
    case 'truncate':
      return yield* truncateOp(k, t, op.file, op.size, op.iMutex);
    case 'fsync':
      return yield* doFsync(k, t, op.file);
    case 'munmap':
      return yield* doMunmap(k, t, op.addr, op.len);
  }
}

function* truncateOp(k: Kernel, t: Task, inode: Inode, size: number, iMutex: boolean): Gen<number> {
  const h = inode.history;
  const e = h.add(EV_ZERO, size, OFFSET_INF, k.step, 0, -1, 0);
  const ret = yield* doTruncate(k, t, inode, size, iMutex);
  h.finish(e, k.step, h.len[e]!);
  return ret;
}

/** A user load: fault each page in, and judge what a file mapping shows, page by page. */
function* userLoad(k: Kernel, t: Task, addr: number, len: number): Gen<number> {
  t.enter('user load');
  const mm = t.mm!;
  let done = 0;
  while (done < len) {
    const a = addr + done;
    const frame = yield* userFrame(k, t, a);
    if (frame < 0) break;
    const vpage = a >>> k.pageShift;
    const poff = a & (k.pageCells - 1);
    const n = Math.min(len - done, k.pageCells - poff);
    const vma = mm.findVma(vpage)!;
    if (vma.kind === VMA_FILE) {
      // Past i_size the last page's tail is not the file's: only what lies inside is judged.
      const fileOff = (vma.pgoff + vpage - vma.start) * k.pageCells + poff;
      const inside = Math.min(n, vma.inode!.iSize - fileOff);
      if (inside > 0) checkUserRead(k, t, vma.inode!, k.mem.cells, k.mem.frameOff(frame) + poff, fileOff, inside, k.step, 'load');
    }
    done += n;
    yield;
  }
  t.leave();
  return done === len ? len : EFAULT;
}

/**
 * A user store into a shared file mapping: cells of a fresh user buffer,
 * written page by page (a store is the one place the model writes cells one
 * by one: they come from registers, not from another page).
 */
function* userStore(k: Kernel, t: Task, addr: number, len: number): Gen<number> {
  t.enter('user store');
  const mm = t.mm!;
  const buf = k.newBuf();
  const events: { inode: Inode; e: number; from: number }[] = [];
  for (let done = 0; done < len; ) {
    const vpage = (addr + done) >>> k.pageShift;
    const vma = vpage < mm.pte.length ? mm.findVma(vpage) : null;
    if (vma === null || vma.kind === VMA_ANON) break;
    const n = Math.min(len - done, vma.end * k.pageCells - (addr + done));
    const inode = vma.inode!;
    const fileOff = vma.pgoff * k.pageCells + (addr + done - vma.start * k.pageCells);
    // Past i_size a store lands in the page but not in the file: weak.
    const inside = Math.max(0, Math.min(n, inode.iSize - fileOff));
    if (inside > 0) events.push({ inode, e: inode.history.add(EV_DATA, fileOff, inside, k.step, data(buf, done), -1, 0), from: done });
    if (inside < n) events.push({ inode, e: inode.history.add(EV_DATA, fileOff + inside, n - inside, k.step, data(buf, done + inside), -1, 0, true), from: done + inside });
    done += n;
  }
  let done = 0;
  while (done < len) {
    const a = addr + done;
    const frame = yield* userFrame(k, t, a);
    if (frame < 0) break;
    const poff = a & (k.pageCells - 1);
    const n = Math.min(len - done, k.pageCells - poff);
    const cells = k.mem.cells;
    const off = k.mem.frameOff(frame) + poff;
    const first = data(buf, done);
    for (let i = 0; i < n; i++) cells[off + i] = first + i;
    const page = k.frameToPage[frame];
    if (page) setPageDirty(k, page);
    done += n;
    yield;
  }
  for (const { inode, e, from } of events) inode.history.finish(e, k.step, Math.max(0, Math.min(inode.history.len[e]!, done - from)));
  t.leave();
  return done === len ? len : EFAULT;
}
