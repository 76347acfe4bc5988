/**
 * struct iov_iter: the user segments of a read or write (address, length
 * pairs) and how far the copy has got. `skip` arguments address the cell that
 * many cells past the current position without moving it.
 */
import type { Task } from '../task.js';

export class IovIter {
  private readonly segs: Int32Array;
  /** The writer: each advance is forward progress for the livelock oracle. */
  owner: Task | null = null;
  nrSegs = 0;
  seg = 0;
  segOff = 0;
  /** Cells left to copy. */
  count = 0;

  constructor(segsMax = 8) {
    this.segs = new Int32Array(segsMax * 2);
  }

  /** Start over on segments given as [addr, len, addr, len, …]. */
  init(segs: readonly number[]): void {
    if (segs.length > this.segs.length) throw new Error('too many iovec segments');
    this.nrSegs = segs.length / 2;
    this.count = 0;
    for (let i = 0; i < segs.length; i++) this.segs[i] = segs[i]!;
    for (let i = 0; i < this.nrSegs; i++) this.count += segs[i * 2 + 1]!;
    this.seg = 0;
    this.segOff = 0;
    this.skipEmpty();
  }

  segAddr(i: number): number {
    return this.segs[i * 2]!;
  }

  segLen(i: number): number {
    return this.segs[i * 2 + 1]!;
  }

  /** The user address of the cell `skip` cells past the position, or -1 past the end. */
  addrAt(skip: number): number {
    let seg = this.seg;
    let off = this.segOff + skip;
    while (seg < this.nrSegs && off >= this.segLen(seg)) {
      off -= this.segLen(seg);
      seg++;
    }
    return seg < this.nrSegs ? this.segAddr(seg) + off : -1;
  }

  /** How many cells from `skip` on are contiguous in user memory (the rest of that segment). */
  contigAt(skip: number): number {
    let seg = this.seg;
    let off = this.segOff + skip;
    while (seg < this.nrSegs && off >= this.segLen(seg)) {
      off -= this.segLen(seg);
      seg++;
    }
    return seg < this.nrSegs ? this.segLen(seg) - off : 0;
  }

  /** iov_iter_advance */
  advance(n: number): void {
    if (n > 0) this.owner?.progress();
    this.count -= n;
    this.segOff += n;
    this.skipEmpty();
  }

  /** iov_iter_single_seg_count: what is left of the current segment. */
  singleSegCount(): number {
    return this.seg < this.nrSegs ? this.segLen(this.seg) - this.segOff : 0;
  }

  private skipEmpty(): void {
    while (this.seg < this.nrSegs && this.segOff >= this.segLen(this.seg)) {
      this.segOff -= this.segLen(this.seg);
      this.seg++;
    }
  }
}
