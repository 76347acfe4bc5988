/**
 * A cell models one byte of a page or block. Its value is a provenance tag,
 * so an oracle can say exactly where whatever a reader saw came from.
 *
 *   00xxxxxx…  ZERO          (the tag is exactly 0)
 *   01 block   STALE(block)  another file's deleted data, still on the disk
 *   10 frame   UNINIT(frame) page memory nobody wrote
 *   11 buf idx DATA(buf, i)  cell i of user buffer `buf` (10 + 20 bits)
 */
export const ZERO = 0;

const KIND_SHIFT = 30;
const KIND_STALE = 1;
/** UNINIT's kind: a cell's top two bits (Memory.firstOfKind). */
export const KIND_UNINIT = 2;
const KIND_DATA = 3;
const PAYLOAD_MASK = 0x3fffffff;
const DATA_INDEX_BITS = 20;
const DATA_INDEX_MASK = (1 << DATA_INDEX_BITS) - 1;

/** How many user buffers a run may tag, and how long each may be (cells). */
export const DATA_BUFS_MAX = 1 << (KIND_SHIFT - DATA_INDEX_BITS);
export const DATA_BUF_CELLS_MAX = 1 << DATA_INDEX_BITS;

export type CellKind = 'zero' | 'stale' | 'uninit' | 'data';

export function stale(block: number): number {
  return ((KIND_STALE << KIND_SHIFT) | block) >>> 0;
}

export function uninit(frame: number): number {
  return ((KIND_UNINIT << KIND_SHIFT) | frame) >>> 0;
}

/** The tag of cell 0 of buffer `buf`; cell i is `data(buf) + i`. */
export function data(buf: number, index = 0): number {
  return ((KIND_DATA << KIND_SHIFT) | (buf << DATA_INDEX_BITS) | index) >>> 0;
}

export function isStale(tag: number): boolean {
  return tag >>> KIND_SHIFT === KIND_STALE;
}

export function isUninit(tag: number): boolean {
  return tag >>> KIND_SHIFT === KIND_UNINIT;
}

export function isData(tag: number): boolean {
  return tag >>> KIND_SHIFT === KIND_DATA;
}

export function cellKind(tag: number): CellKind {
  if (tag === ZERO) return 'zero';
  switch (tag >>> KIND_SHIFT) {
    case KIND_STALE:
      return 'stale';
    case KIND_UNINIT:
      return 'uninit';
    case KIND_DATA:
      return 'data';
    default:
      return 'zero';
  }
}

/** A cell's provenance as a reader would want it said: `DATA(buf 3, cell 17)`. */
export function describeCell(tag: number): string {
  switch (cellKind(tag)) {
    case 'zero':
      return 'ZERO';
    case 'stale':
      return `STALE(block ${tag & PAYLOAD_MASK})`;
    case 'uninit':
      return `UNINIT(frame ${tag & PAYLOAD_MASK})`;
    case 'data':
      return `DATA(buf ${(tag & PAYLOAD_MASK) >>> DATA_INDEX_BITS}, cell ${tag & DATA_INDEX_MASK})`;
  }
}
