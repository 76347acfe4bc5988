import type { Access } from './access.js';
import { isData, ZERO } from './cell.js';
import type { Memory } from './memory.js';

/**
 * What every write, store and truncate of one file did and when, so the data
 * oracles can judge a value by MODEL.md §6's per-cell legality rule: a value
 * is legal for a read of offset o over [rs, re] if some linearization of the
 * writes and truncates, consistent with their real-time order, gives o that
 * value at some instant inside the interval.
 *
 * An event covers file offsets [pos, pos + len) during steps [start, end]
 * (end is TIME_INF while it runs). A completed event E2 that covers o and
 * began after E ended (E.end < E2.start) and ended before the read began
 * (E2.end < rs) hides E from that read: no linearization can show E's value.
 */
export const EV_DATA = 0;
export const EV_ZERO = 1;
export const EV_MAPPED = 2;

/** What an operation of the file's history was: its events and its effect on i_size. */
export const OP_INITIAL = 0;
export const OP_WRITE = 1;
export const OP_TRUNCATE = 2;
export const OP_STORE = 3;
/** An O_DIRECT write not under i_mutex (fs/direct-io.ts). */
export const OP_DIRECT = 4;

/**
 * Whether an operation is serialized against writes and truncates (they all
 * take i_mutex): a store or an O_DIRECT write without i_mutex is atomic
 * against them only cell by cell.
 */
export function serialized(kind: number): boolean {
  return kind !== OP_STORE && kind !== OP_DIRECT;
}

export const TIME_INF = 0x7fffffff;
export const TIME_INITIAL = -1;
export const OFFSET_INF = 0x3fffffff;

/**
 * Mapped sources copy what another file held, which may itself be a mapped
 * copy: judge that deep, then accept any DATA (never a ZERO: zeroes come from
 * real holes, truncates and EOF, all EV_ZERO events found on the way).
 */
const MAPPED_DEPTH_MAX = 4;

export class History {
  readonly kind: Uint8Array;
  readonly pos: Int32Array;
  readonly len: Int32Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** EV_DATA: the tag at `pos`; the value at o is base + (o - pos). */
  readonly base: Uint32Array;
  /** EV_MAPPED: the source file and the source offset at `pos`. */
  readonly srcInode: Int32Array;
  readonly srcPos: Int32Array;
  /**
   * A weak event may be seen but hides nothing: a store past i_size into the
   * last page, which writeback zeroes (the file never really held it).
   */
  readonly weak: Uint8Array;
  n = 0;
  /** The operation (system call, store, or the file's creation) each event belongs to. */
  readonly op: Int32Array;
  /**
   * Operations: their kind, real-time interval and effect on i_size (a
   * truncate's new size, a write's end once it returns, -1 for none). The
   * whole-file check linearizes operations, not events: a write's events
   * land together or not at all in any order the check may pick.
   */
  readonly opKind: Uint8Array;
  readonly opStart: Int32Array;
  readonly opEnd: Int32Array;
  readonly opSize: Int32Array;
  nOps = 0;
  private curOp = -1;

  /** The file it is the history of, and where its steps' reads and writes of it are told (access.ts); null: nobody asks. */
  constructor(
    readonly eventsMax: number,
    readonly ino = -1,
    readonly acc: Access | null = null,
  ) {
    this.kind = new Uint8Array(eventsMax);
    this.pos = new Int32Array(eventsMax);
    this.len = new Int32Array(eventsMax);
    this.start = new Int32Array(eventsMax);
    this.end = new Int32Array(eventsMax);
    this.base = new Uint32Array(eventsMax);
    this.srcInode = new Int32Array(eventsMax);
    this.srcPos = new Int32Array(eventsMax);
    this.weak = new Uint8Array(eventsMax);
    this.op = new Int32Array(eventsMax);
    this.opKind = new Uint8Array(eventsMax);
    this.opStart = new Int32Array(eventsMax);
    this.opEnd = new Int32Array(eventsMax);
    this.opSize = new Int32Array(eventsMax);
  }

  reset(): void {
    this.n = 0;
    this.nOps = 0;
    this.curOp = -1;
  }

  /** An operation starts at `start`: the events added until the next one are its. */
  beginOp(kind: number, start: number, size = -1): number {
    this.acc?.writeHistory(this.ino);
    if (this.nOps === this.eventsMax) throw new Error('file history full: raise LIMITS.historyEventsMax');
    const op = this.nOps++;
    this.opKind[op] = kind;
    this.opStart[op] = start;
    this.opEnd[op] = start === TIME_INITIAL ? TIME_INITIAL : TIME_INF;
    this.opSize[op] = size;
    this.curOp = op;
    return op;
  }

  /** The operation returned at `end`, leaving i_size at least `size` (-1: no effect). */
  endOp(op: number, end: number, size: number): void {
    this.acc?.writeHistory(this.ino);
    this.opEnd[op] = end;
    this.opSize[op] = size;
  }

  /** Whether some operation is still running. */
  busy(): boolean {
    this.acc?.readHistory(this.ino);
    for (let op = 0; op < this.nOps; op++) if (this.opEnd[op] === TIME_INF) return true;
    return false;
  }

  add(kind: number, pos: number, len: number, start: number, base: number, srcInode: number, srcPos: number, weak = false): number {
    if (this.n === this.eventsMax) throw new Error('file history full: raise LIMITS.historyEventsMax');
    this.acc?.writeHistory(this.ino);
    const e = this.n++;
    this.kind[e] = kind;
    this.pos[e] = pos;
    this.len[e] = len;
    this.start[e] = start;
    this.end[e] = start === TIME_INITIAL ? TIME_INITIAL : TIME_INF;
    this.base[e] = base;
    this.srcInode[e] = srcInode;
    this.srcPos[e] = srcPos;
    this.weak[e] = weak ? 1 : 0;
    this.op[e] = this.curOp;
    return e;
  }

  /** The event completed at `end`, having covered only its first `len` cells. */
  finish(e: number, end: number, len: number): void {
    this.acc?.writeHistory(this.ino);
    this.end[e] = end;
    this.len[e] = len;
  }
}

/**
 * Judges values against the histories of every file. One instance per model,
 * reused; `firstIllegal` walks a range with a fast path for runs of cells
 * that keep matching the same event.
 */
export class Legality {
  /**
   * After a legal verdict, the linear (EV_DATA/EV_ZERO) event that matched,
   * perhaps down a chain of mapped copies: its file, its index, the offset
   * delta from the judged file to it, and the offset in its file up to which
   * the events covering it stay the same. -1 when no linear event matched.
   */
  private matchIno = -1;
  private matchEv = -1;
  private matchDelta = 0;
  private matchSegEnd = 0;
  /** After a verdict: the next offset of the judged file at which the events covering it may change. */
  private segEnd = 0;

  constructor(
    private readonly histories: readonly History[],
    private readonly mem: Memory,
  ) {}

  /**
   * The index of the first cell of memory cells[off, off + n), holding file
   * offsets [o0, o0 + n) of file `ino`, that no linearization over [rs, re]
   * allows; -1 when all are legal.
   */
  firstIllegal(ino: number, off: number, o0: number, n: number, rs: number, re: number): number {
    // A verdict reads the file's events.
    this.histories[ino]!.acc?.readHistory(ino);
    const cells = this.mem.cells;
    let i = 0;
    while (i < n) {
      const o = o0 + i;
      if (!this.legalCell(ino, o, cells[off + i]!, rs, re, 0, 0)) return i;
      i++;
      if (this.matchEv < 0) continue;
      // While neither the judged file's nor the matched file's covering events
      // change, the event that matched the last cell decides the next ones:
      // one scan (four cells at a time) over the run of cells it explains.
      const h = this.histories[this.matchIno]!;
      const ev = this.matchEv;
      const delta = this.matchDelta;
      const runEnd = Math.min(n, this.segEnd - o0, this.matchSegEnd - delta - o0);
      if (i >= runEnd) continue;
      if (h.kind[ev] === EV_ZERO) i += this.mem.firstNotEqual(off + i, runEnd - i, ZERO);
      else i += this.mem.firstNotLinear(off + i, runEnd - i, (h.base[ev]! + (o0 + i + delta - h.pos[ev]!)) >>> 0);
    }
    return -1;
  }

  /** Whether file `ino` could show `v` at offset `o` at some instant of [rs, re]. */
  legalCell(ino: number, o: number, v: number, rs: number, re: number, depth = 0, delta = 0, exclude = -1): boolean {
    const h = this.histories[ino]!;
    // Down a mapped chain a verdict reads the source file's events too (firstIllegal tells its own file's, once a range).
    if (depth > 0) h.acc?.readHistory(ino);
    const n = h.n;
    let segEnd = OFFSET_INF;
    for (let e = 0; e < n; e++) {
      const p = h.pos[e]!;
      const q = p + h.len[e]!;
      if (p > o && p < segEnd) segEnd = p;
      if (q > o && q < segEnd) segEnd = q;
    }
    if (depth === 0) {
      this.segEnd = segEnd;
      this.matchEv = -1;
    }
    let mapped = false;
    for (let e = 0; e < n; e++) {
      if (e === exclude || !covers(h, e, o) || h.start[e]! > re || hidden(h, e, o, rs)) continue;
      const kind = h.kind[e];
      const linear = kind === EV_ZERO ? v === ZERO : kind === EV_DATA ? v === (h.base[e]! + (o - h.pos[e]!)) >>> 0 : false;
      if (linear) {
        this.matchIno = ino;
        this.matchEv = e;
        this.matchDelta = delta;
        this.matchSegEnd = segEnd;
        return true;
      }
      if (kind === EV_MAPPED) mapped = true;
    }
    if (!mapped) return false;
    // A write from a shared mapping copied whatever its source held while it ran.
    if (depth >= MAPPED_DEPTH_MAX) return isData(v);
    for (let e = 0; e < n; e++) {
      if (e === exclude || h.kind[e] !== EV_MAPPED || !covers(h, e, o) || h.start[e]! > re || hidden(h, e, o, rs)) continue;
      const shift = h.srcPos[e]! - h.pos[e]!;
      const srcEnd = Math.min(h.end[e]!, re);
      // Copying a cell onto itself adds no value: its source is what else the cell held.
      const self = h.srcInode[e] === ino && shift === 0 ? e : -1;
      if (this.legalCell(h.srcInode[e]!, o + shift, v, h.start[e]!, srcEnd, depth + 1, delta + shift, self)) {
        // The chain holds only while this file's covering events do too.
        // (this file's offset x is the matched file's x - delta + matchDelta)
        if (this.matchEv >= 0) this.matchSegEnd = Math.min(this.matchSegEnd, segEnd - delta + this.matchDelta);
        return true;
      }
    }
    return false;
  }
}

function covers(h: History, e: number, o: number): boolean {
  const p = h.pos[e]!;
  return o >= p && o < p + h.len[e]!;
}

/** Some completed event covering o began after e ended and ended before rs. */
function hidden(h: History, e: number, o: number, rs: number): boolean {
  const end = h.end[e]!;
  if (end >= rs) return false;
  for (let e2 = 0; e2 < h.n; e2++) {
    if (e2 !== e && h.weak[e2] === 0 && h.end[e2]! < rs && end < h.start[e2]! && covers(h, e2, o)) return true;
  }
  return false;
}
