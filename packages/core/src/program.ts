/**
 * A user task's program: a list of operations, each a system call or a touch
 * of a mapping, run in order with a preemption point before each.
 */
import { data } from './cell.js';
import type { Gen } from './gen.js';
import { EV_DATA, EV_ZERO, OFFSET_INF, OP_STORE, OP_TRUNCATE } from './history.js';
import { checkFileNow } from './oracles/file-state.js';
import { COMM_DATA } from './communication.js';
import { pageId } from './locks.js';
import type { Inode } from './inode.js';
import type { Kernel } from './kernel.js';
import { VMA_FILE, type Mm } from './mm.js';
import type { Task, TaskBody } from './task.js';
import { sysRead, sysWrite } from './fs/read_write.js';
import { doFsync } from './fs/sync.js';
import { sysDirectWrite } from './fs/direct-io.js';
import { setPageDirty } from './mm/filemap.js';
import { presentFrame, userFrame, userFrameWrite } from './mm/memory.js';
import { doMunmap } from './mm/mmap.js';
import { doTruncate } from './mm/truncate.js';
import { checkUserRead } from './oracles/user-data.js';
import { EFAULT } from './errno.js';

export type Op =
  /** writev(file, pos, iov): iov is [addr, len, addr, len, …] in user memory. */
  | { op: 'write'; file: Inode; pos: number; iov: number[] }
  | { op: 'read'; file: Inode; pos: number; len: number; dst: number }
  /** Touch [addr, addr + len) of a mapping for reading: what it sees is judged. */
  | { op: 'load'; addr: number; len: number }
  /** Store a fresh user buffer's DATA into [addr, addr + len) of a shared file mapping. */
  | { op: 'store'; addr: number; len: number }
  | { op: 'truncate'; file: Inode; size: number; iMutex: boolean }
  /** An O_DIRECT write of [addr, addr + len), not under i_mutex (fs/direct-io.ts). */
  | { op: 'direct-write'; file: Inode; pos: number; addr: number; len: number }
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
    case 'direct-write':
      return `write(${op.file.name}, ${op.pos}, [${op.addr}+${op.len}], O_DIRECT)`;
    case 'fsync':
      return `fsync(${op.file.name})`;
    case 'munmap':
      return `munmap(${op.addr}, ${op.len})`;
  }
}

export function* runProgram(k: Kernel, t: Task, ops: readonly Op[]): TaskBody {
  const own = mmBit(t.mm!);
  t.footprint = own;
  t.opsLeft = ops.length;
  for (const op of ops) {
    yield;
    t.opStartedAt = t.steps;
    t.footprint = opFootprint(k, t, op);
    if (k.tracing) k.event(t, describeOp(op));
    const ret = yield* runOp(k, t, op);
    k.acc.dropHeld(t.id);
    t.footprint = own;
    t.opsLeft--;
    t.progress();
    t.returns.push(ret);
    if (k.tracing) k.event(t, `${describeOp(op)} = ${ret}`);
  }
}

/** A process's footprint bit: its page table, anonymous memory and mmap_sem. */
function mmBit(mm: Mm): number {
  return 1 << (8 + mm.id);
}

/**
 * What an operation may touch that another task may too: the files it names
 * or reaches through a mapping, every process that maps those files (a
 * truncate, an invalidation, a fault's rmap reach their page tables), and
 * its own process. Conservative: two operations that share no bit touch
 * nothing in common.
 */
function opFootprint(k: Kernel, t: Task, op: Op): number {
  const mm = t.mm!;
  let files = 0;
  const reach = (addr: number, len: number): void => {
    for (let a = addr & ~(k.pageCells - 1); a < addr + len; a += k.pageCells) {
      const vma = mm.findVma(a >>> k.pageShift);
      if (vma?.inode) files |= 1 << vma.inode.id;
    }
  };
  switch (op.op) {
    case 'write':
      files |= 1 << op.file.id;
      for (let i = 0; i < op.iov.length; i += 2) reach(op.iov[i]!, op.iov[i + 1]!);
      break;
    case 'direct-write':
      files |= 1 << op.file.id;
      reach(op.addr, op.len);
      break;
    case 'read':
      files |= 1 << op.file.id;
      reach(op.dst, op.len);
      break;
    case 'load':
    case 'store':
    case 'munmap':
      reach(op.addr, op.len);
      break;
    case 'truncate':
    case 'fsync':
      files |= 1 << op.file.id;
      break;
  }
  let fp = files | mmBit(mm);
  for (let m = 0; m < k.nrMms; m++) {
    const other = k.mms[m]!;
    for (let i = 0; i < other.nrVmas; i++) if (other.vmas[i]!.inode !== null && files & (1 << other.vmas[i]!.inode!.id)) fp |= mmBit(other);
  }
  return fp >>> 0;
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
    case 'direct-write':
      return yield* sysDirectWrite(k, t, op.file, op.pos, op.addr, op.len);
    case 'fsync':
      return yield* doFsync(k, t, op.file);
    case 'munmap':
      return yield* doMunmap(k, t, op.addr, op.len);
  }
}

function* truncateOp(k: Kernel, t: Task, inode: Inode, size: number, iMutex: boolean): Gen<number> {
  const h = inode.history;
  const op = h.beginOp(OP_TRUNCATE, k.step, size);
  const e = h.add(EV_ZERO, size, OFFSET_INF, k.step, 0, -1, 0);
  const ret = yield* doTruncate(k, t, inode, size, iMutex);
  h.finish(e, k.step, h.len[e]!);
  h.endOp(op, k.step, size);
  checkFileNow(k, t, inode, `truncate(${inode.name}, ${size})`);
  return ret;
}

/** A user load: fault each page in, and judge what a file mapping shows, page by page. */
function* userLoad(k: Kernel, t: Task, addr: number, len: number): Gen<number> {
  t.enter('user load');
  const mm = t.mm!;
  let done = 0;
  while (done < len) {
    const a = addr + done;
    let frame = presentFrame(k, t, a);
    if (frame < 0) frame = yield* userFrame(k, t, a);
    if (frame < 0) break;
    const vpage = a >>> k.pageShift;
    const poff = a & (k.pageCells - 1);
    const n = Math.min(len - done, k.pageCells - poff);
    const vma = mm.findVma(vpage)!;
    // A private mapping's own copy (after do_wp_page) is not the file's: only a page-cache page is judged.
    if (vma.kind === VMA_FILE && !(vma.private && k.frameToPage[frame] === null)) {
      // Past i_size the last page's tail is not the file's: only what lies inside is judged.
      const fileOff = (vma.pgoff + vpage - vma.start) * k.pageCells + poff;
      const inside = Math.min(n, vma.inode!.iSize - fileOff);
      if (inside > 0) checkUserRead(k, t, vma.inode!, k.mem.frameOff(frame) + poff, fileOff, inside, k.step, 'load');
      if (k.comm.pairs !== null && k.frameToPage[frame]) k.comm.read(COMM_DATA, pageId(k.frameToPage[frame]!.ino, k.frameToPage[frame]!.index), t);
    }
    done += n;
    t.progress();
    yield;
  }
  t.leave();
  return done === len ? len : EFAULT;
}

/**
 * A user store into a shared file mapping: cells of a fresh user buffer,
 * written page by page (a store is the one place the model writes cells one
 * by one: they come from registers, not from another page). A store is no
 * system call: nothing serializes it against a write or a truncate, so each
 * page's part is its own operation in the file's history, recorded in the
 * step it lands. Past i_size a store lands in the page but not in the file:
 * weak. Anonymous memory and a private mapping's copy change no file.
 */
function* userStore(k: Kernel, t: Task, addr: number, len: number): Gen<number> {
  t.enter('user store');
  const mm = t.mm!;
  const buf = k.newBuf();
  let done = 0;
  while (done < len) {
    const a = addr + done;
    const frame = yield* userFrameWrite(k, t, a);
    if (frame < 0) break;
    const poff = a & (k.pageCells - 1);
    const n = Math.min(len - done, k.pageCells - poff);
    const vma = mm.findVma(a >>> k.pageShift)!;
    if (vma.kind === VMA_FILE && !vma.private) {
      const inode = vma.inode!;
      const h = inode.history;
      const fileOff = vma.pgoff * k.pageCells + (a - vma.start * k.pageCells);
      const inside = Math.max(0, Math.min(n, inode.iSize - fileOff));
      const op = h.beginOp(OP_STORE, k.step);
      if (inside > 0) h.finish(h.add(EV_DATA, fileOff, inside, k.step, data(buf, done), -1, 0), k.step, inside);
      if (inside < n) h.finish(h.add(EV_DATA, fileOff + inside, n - inside, k.step, data(buf, done + inside), -1, 0, true), k.step, n - inside);
      h.endOp(op, k.step, -1);
    }
    const cells = k.mem.cells;
    const off = k.mem.frameOff(frame) + poff;
    const first = data(buf, done);
    for (let i = 0; i < n; i++) cells[off + i] = first + i;
    const page = k.frameToPage[frame];
    if (page) setPageDirty(k, page);
    k.wroteData(frame, t);
    done += n;
    t.progress();
    yield;
  }
  t.leave();
  return done === len ? len : EFAULT;
}
