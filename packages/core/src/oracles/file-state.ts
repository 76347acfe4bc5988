/**
 * final-state, for the whole file at once: i_size and every cell inside it
 * must be what one linearization of the file's completed operations (writes,
 * stores, truncates) leaves, in an order consistent with real time (an
 * operation that returned before another began comes first).
 *
 * The per-cell rule (history.ts) asks each cell alone, so a file can pass it
 * cell by cell and still be no file any order gives: a write that returned
 * 8192 with i_size raised past a concurrent truncate and the truncate's
 * zeroes left in the middle. This check asks the question once for all.
 *
 * The operations linearized are the file's creation, its writes and its
 * truncates: each takes i_mutex, so each is atomic against the others. A
 * store through a mapping, or an O_DIRECT write without i_mutex, is atomic
 * against them only cell by cell (nothing serializes it): its cells may show
 * wherever they are and decide nothing here; the per-cell rule judges them.
 *
 * It is asked whenever a write or truncate returns and nothing else of the
 * file is running (a half-done operation has no place in any order), of what
 * a reader would see now (uptodate cached cells, else the disk, else a hole's
 * zeroes), and after the final sync of the disk. Only files whose writes and
 * truncates overlapped in time are asked: where real time orders them there
 * is one linearization, and the per-cell rule already is this check.
 *
 * The search: cut the file into segments inside which every operation
 * either covers every cell or none; place operations from the last one
 * backwards, each the latest of those left that nothing left must follow;
 * the first one placed over a segment is the one whose cells it must hold;
 * the first truncate placed (or the file's creation) fixes i_size with the
 * writes placed before it. Whether the rest can be placed depends only on
 * which are placed, so a failed set is never tried twice: at most 2^n sets for
 * n operations, and OPS_MAX bounds n.
 */
import { EV_DATA, EV_MAPPED, EV_ZERO, OP_INITIAL, OP_TRUNCATE, OP_WRITE, serialized, TIME_INF, type History } from '../history.js';
import { describeCell, ZERO } from '../cell.js';
import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import { BH_Uptodate, PG_uptodate } from '../page.js';
import type { Task } from '../task.js';

/** Operations of one file the whole-file check linearizes; past this only the per-cell rule judges it. */
export const OPS_MAX = 16;
/** Segments the check cuts a file into; past this only the per-cell rule judges it. */
const SEGMENTS_MAX = 512;
/** (segment, event) pairs: every event covering every segment. */
const PAIRS_MAX = 4096;

/** Scratch, reused by every check (the core runs one check at a time). */
const bounds = new Int32Array(SEGMENTS_MAX + 1);
const segLoc = new Int32Array(SEGMENTS_MAX);
const segMask = new Uint32Array(SEGMENTS_MAX);
const pairSeg = new Int32Array(PAIRS_MAX);
const pairEv = new Int32Array(PAIRS_MAX);
const pairMatch = new Int8Array(PAIRS_MAX);
const opIds = new Int32Array(OPS_MAX);
const opFirst = new Int32Array(OPS_MAX + 1);
/** Each segment's free events: freeEv[segFree[s], segFree[s + 1]). */
const segFree = new Int32Array(SEGMENTS_MAX + 1);
const freeEv = new Int32Array(PAIRS_MAX);
const byOp = new Int32Array(PAIRS_MAX);
const succ = new Uint32Array(OPS_MAX);
const failedAt = new Uint32Array(1 << OPS_MAX);
let generation = 0;

/** After a write or truncate returns: judge the file if nothing else of it is running. */
export function checkFileNow(k: Kernel, t: Task, inode: Inode, call: string): void {
  const h = inode.history;
  k.acc.readHistory(inode.id);
  if (!overlapped(h) || h.busy()) return;
  // The judge reads the whole file (its pages, its blocks, i_size, its events and those of the files it was written from).
  k.acc.readAll();
  judge(k, t, inode, true, `after ${call} returned`);
}

/** After the final sync and drop_caches: judge what the disk holds. */
export function checkFileOnDisk(k: Kernel, inode: Inode): void {
  if (!overlapped(inode.history)) return;
  judge(k, null, inode, false, 'after sync and drop_caches');
}

/** Whether two of the file's writes and truncates ran at once. */
function overlapped(h: History): boolean {
  for (let a = 0; a < h.nOps; a++) {
    if (h.opKind[a] === OP_INITIAL || !serialized(h.opKind[a]!)) continue;
    for (let b = a + 1; b < h.nOps; b++) {
      if (h.opKind[b] === OP_INITIAL || !serialized(h.opKind[b]!)) continue;
      if (!(h.opEnd[a]! < h.opStart[b]! || h.opEnd[b]! < h.opStart[a]!)) return true;
    }
  }
  return false;
}

/** Where the cell a reader of file offset `o` would get lives in k.mem.cells. */
function locate(k: Kernel, inode: Inode, o: number, cached: boolean): number {
  if (cached) {
    const page = inode.pages[o >>> k.pageShift];
    if (page) {
      const poff = o & (k.pageCells - 1);
      if (page.flags & PG_uptodate || page.bh[(poff / k.blockCells) | 0]! & BH_Uptodate) return k.mem.frameOff(page.frame) + poff;
    }
  }
  const block = inode.blocks[(o / k.blockCells) | 0]!;
  return block >= 0 ? k.mem.blockOff(block) + (o % k.blockCells) : k.mem.zeroOff + (o % k.blockCells);
}

function judge(k: Kernel, t: Task | null, inode: Inode, cached: boolean, when: string): void {
  const h = inode.history;
  // The operations to linearize, by their slot in the search: writes, truncates and the creation.
  const slotOf = new Int8Array(h.nOps).fill(-1);
  let nOps = 0;
  for (let op = 0; op < h.nOps; op++) {
    if (!serialized(h.opKind[op]!)) continue;
    if (nOps === OPS_MAX) return;
    opIds[nOps] = op;
    slotOf[op] = nOps++;
  }
  const size = inode.iSize;
  // Segments: every event edge and every block edge inside [0, i_size).
  let nb = 0;
  bounds[nb++] = 0;
  for (let o = k.blockCells; o < size; o += k.blockCells) bounds[nb++] = o;
  for (let e = 0; e < h.n; e++) {
    if (h.len[e] === 0) continue;
    const p = h.pos[e]!;
    const q = p + h.len[e]!;
    if (p > 0 && p < size) {
      if (nb === SEGMENTS_MAX) return;
      bounds[nb++] = p;
    }
    if (q > 0 && q < size) {
      if (nb === SEGMENTS_MAX) return;
      bounds[nb++] = q;
    }
  }
  bounds.subarray(0, nb).sort();
  let nSeg = 0;
  for (let i = 0; i < nb; i++) if (i === 0 || bounds[i] !== bounds[i - 1]) bounds[nSeg++] = bounds[i]!;
  bounds[nSeg] = size;
  if (size === 0) nSeg = 0;
  // Which deciding events cover which segment, and which free ones (a weak
  // or unserialized event: a store, an O_DIRECT write, a write that returned
  // an error), whose cells may show anywhere they cover, at any time.
  let nPairs = 0;
  let nFree = 0;
  for (let s = 0; s < nSeg; s++) {
    const a = bounds[s]!;
    segLoc[s] = locate(k, inode, a, cached);
    segMask[s] = 0;
    segFree[s] = nFree;
    for (let e = 0; e < h.n; e++) {
      const p = h.pos[e]!;
      if (a < p || a >= p + h.len[e]!) continue;
      if (!decides(h, e)) {
        if (nFree === PAIRS_MAX) return;
        freeEv[nFree++] = e;
        continue;
      }
      if (nPairs === PAIRS_MAX) return;
      pairSeg[nPairs] = s;
      pairEv[nPairs] = e;
      pairMatch[nPairs++] = 0;
      segMask[s]! |= 1 << slotOf[h.op[e]!]!;
    }
  }
  segFree[nSeg] = nFree;
  // The pairs of each operation, and what must follow it.
  opFirst.fill(0);
  for (let p = 0; p < nPairs; p++) opFirst[slotOf[h.op[pairEv[p]!]!]! + 1]!++;
  for (let x = 0; x < nOps; x++) opFirst[x + 1]! += opFirst[x]!;
  const fill = opFirst.slice(0, nOps);
  for (let p = 0; p < nPairs; p++) byOp[fill[slotOf[h.op[pairEv[p]!]!]!]!++] = p;
  for (let x = 0; x < nOps; x++) {
    succ[x] = 0;
    for (let y = 0; y < nOps; y++) if (y !== x && h.opEnd[opIds[x]!]! < h.opStart[opIds[y]!]!) succ[x]! |= 1 << y;
  }
  const all = (1 << nOps) - 1;
  const matches = (p: number): boolean => {
    if (pairMatch[p] === 0) pairMatch[p] = segmentHolds(k, h, inode.id, pairEv[p]!, pairSeg[p]!) ? 1 : 2;
    return pairMatch[p] === 1;
  };
  const sizeAfter = (placed: number, base: number): number => {
    let acc = base;
    for (let x = 0; x < nOps; x++) {
      const op = opIds[x]!;
      if (placed & (1 << x) && h.opKind[op] === OP_WRITE && h.opSize[op]! > acc) acc = h.opSize[op]!;
    }
    return acc;
  };
  const truncated = (placed: number): boolean => {
    for (let x = 0; x < nOps; x++) if (placed & (1 << x) && h.opKind[opIds[x]!] === OP_TRUNCATE) return true;
    return false;
  };
  const solve = (placed: number, contents: boolean): boolean => {
    if (placed === all) return true;
    if (failedAt[placed] === generation) return false;
    for (let x = 0; x < nOps; x++) {
      const bit = 1 << x;
      if (placed & bit || (succ[x]! & ~placed) !== 0) continue;
      let ok = true;
      if (contents) {
        for (let i = opFirst[x]!; i < opFirst[x + 1]! && ok; i++) {
          const p = byOp[i]!;
          // A segment an operation placed later in time already decided is not this one's.
          if ((segMask[pairSeg[p]!]! & placed) === 0) ok = matches(p);
        }
      }
      const op = opIds[x]!;
      const kind = h.opKind[op];
      if (ok && (kind === OP_TRUNCATE || kind === OP_INITIAL) && !truncated(placed)) ok = sizeAfter(placed, h.opSize[op]!) === size;
      if (ok && solve(placed | bit, contents)) return true;
    }
    failedAt[placed] = generation;
    return false;
  };
  generation = (generation + 1) >>> 0 || 1;
  if (solve(0, true)) return;
  generation = (generation + 1) >>> 0 || 1;
  const sizeAlone = solve(0, false);
  const details: string[] = [];
  for (let x = 0; x < nOps; x++) details.push(`op ${x}: ${describeOp(h, opIds[x]!)}`);
  // What each judged segment holds: which operations' cells are there.
  for (let s = 0; s < nSeg && details.length < nOps + 24; s++) {
    const holds: number[] = [];
    for (let p = 0; p < nPairs; p++) if (pairSeg[p] === s && matches(p)) holds.push(slotOf[h.op[pairEv[p]!]!]!);
    const first = describeCell(k.mem.cells[segLoc[s]!]!);
    details.push(`[${bounds[s]}, ${bounds[s + 1]}) holds ${holds.length === 0 ? `no operation's cells (the first is ${first})` : `the cells of op ${holds.join(', op ')}`}`);
  }
  const what = sizeAlone ? 'its contents match' : `its i_size ${size} matches`;
  k.fail('final-state', t, `${when}, ${inode.name} (i_size ${size}) is no file any order of its operations leaves: ${what} no linearization of its completed writes and truncates in real-time order`, details, [sizeAlone ? 'contents match no linearization' : 'i_size matches no linearization']);
}

/** Whether event `e` decides what a segment must hold: not weak, and of a write, truncate or the file's creation. */
function decides(h: History, e: number): boolean {
  return h.weak[e] === 0 && serialized(h.opKind[h.op[e]!]!);
}

/** The value event `e` gave file offset `o`; -1 when it is a mapped copy (judged by the source's history). */
function valueAt(h: History, e: number, o: number): number {
  switch (h.kind[e]) {
    case EV_ZERO:
      return 0;
    case EV_DATA:
      return (h.base[e]! + (o - h.pos[e]!)) >>> 0;
    default:
      return -1;
  }
}

/**
 * Whether segment `seg` holds what deciding event `e` put there, but for
 * cells that hold a free event's value (a store or a direct write may have
 * landed on any cell after it).
 */
function segmentHolds(k: Kernel, h: History, ino: number, e: number, seg: number): boolean {
  if (h.kind[e] === EV_MAPPED) return segmentHoldsCells(k, h, ino, e, seg);
  // A linear event's cells are one run of ZERO or of consecutive DATA: a scan
  // finds the next cell that is not e's; from there, cell by cell, a free
  // event must explain each until one is e's again, and the scan goes on.
  const cells = k.mem.cells;
  const a = bounds[seg]!;
  const n = bounds[seg + 1]! - a;
  const loc = segLoc[seg]!;
  let holds = true;
  for (let i = 0; i < n && holds; ) {
    i += h.kind[e] === EV_ZERO ? k.mem.firstNotEqual(loc + i, n - i, ZERO) : k.mem.firstNotLinear(loc + i, n - i, valueAt(h, e, a + i));
    for (; i < n && cells[loc + i] !== valueAt(h, e, a + i); i++) {
      if (!heldByFree(k, h, seg, a + i, cells[loc + i]!)) {
        holds = false;
        break;
      }
    }
  }
  if (k.checkFast && holds !== segmentHoldsCells(k, h, ino, e, seg)) throw new Error(`segmentHolds: the scan says ${holds} for event ${e} over segment ${seg}, the cell loop does not`);
  return holds;
}

/** segmentHolds cell by cell: how a mapped copy is judged, and the slow path checking the scans. */
function segmentHoldsCells(k: Kernel, h: History, ino: number, e: number, seg: number): boolean {
  const cells = k.mem.cells;
  const a = bounds[seg]!;
  const n = bounds[seg + 1]! - a;
  const loc = segLoc[seg]!;
  const mapped = h.kind[e] === EV_MAPPED;
  const src = h.srcInode[e]!;
  const shift = h.srcPos[e]! - h.pos[e]!;
  const self = src === ino && shift === 0 ? e : -1;
  const end = h.end[e] === TIME_INF ? k.step : h.end[e]!;
  for (let i = 0; i < n; i++) {
    const v = cells[loc + i]!;
    const o = a + i;
    if (mapped) {
      // Whatever the source held while the write ran, cell by cell.
      if (k.legality.legalCell(src, o + shift, v, h.start[e]!, end, 1, shift, self)) continue;
    } else if (v === valueAt(h, e, o)) {
      continue;
    }
    if (!heldByFree(k, h, seg, o, v)) return false;
  }
  return true;
}

/** Whether value `v` at offset `o` is a free event's (of those covering segment `seg`). */
function heldByFree(k: Kernel, h: History, seg: number, o: number, v: number): boolean {
  for (let i = segFree[seg]!; i < segFree[seg + 1]!; i++) {
    const f = freeEv[i]!;
    const w = valueAt(h, f, o);
    if (w === v) return true;
    if (w < 0 && k.legality.legalCell(h.srcInode[f]!, o + h.srcPos[f]! - h.pos[f]!, v, h.start[f]!, h.end[f] === TIME_INF ? k.step : h.end[f]!, 1, 0, -1)) return true;
  }
  return false;
}

const OP_NAMES = ['created', 'write', 'truncate'];

/** `write [4096, 12288) over steps 3..40, i_size >= 12288`: one line of the report. */
function describeOp(h: History, op: number): string {
  let lo = Infinity;
  let hi = -Infinity;
  for (let e = 0; e < h.n; e++) {
    if (h.op[e] !== op || h.kind[e] === EV_ZERO) continue;
    lo = Math.min(lo, h.pos[e]!);
    hi = Math.max(hi, h.pos[e]! + h.len[e]!);
  }
  const kind = h.opKind[op]!;
  const range = kind === OP_TRUNCATE || lo === Infinity ? '' : ` [${lo}, ${hi})`;
  const when = kind === OP_INITIAL ? '' : ` over steps ${h.opStart[op]}..${h.opEnd[op]}`;
  const effect = kind === OP_TRUNCATE ? ` to ${h.opSize[op]}` : h.opSize[op]! < 0 ? '' : `, i_size ${kind === OP_INITIAL ? '' : '>= '}${h.opSize[op]}`;
  return `${OP_NAMES[kind]}${range}${when}${effect}`;
}
