import { ACC_BALLOC, type Access } from './access.js';
import { stale, uninit } from './cell.js';
import { SCAN_WASM } from './scan-wasm.js';

/** The scans of scan.wat, on one Memory's cells. */
interface Scans {
  linear(off: number, n: number, base: number): number;
  same(off: number, n: number, value: number): number;
  notKind(off: number, n: number, kind: number): number;
  fill(off: number, n: number, value: number): void;
  ramp(off: number, n: number, base: number): void;
}

/** Compiled once per process: WebAssembly is as deterministic as the rest of the core, and this module reads nothing. */
let scanModule: WebAssembly.Module | null = null;

/** Bytes of a WebAssembly page. */
const WASM_PAGE_BYTES = 65536;

/**
 * Physical memory, the disk and swap as regions of one Uint32Array of cells,
 * so that every copy in the model (page to page, disk to page, page to swap)
 * is a `copyWithin` on one array, with no view or buffer allocated.
 *
 *   [ frames: framesMax pages | disk: blocksMax blocks | swap: slotsMax pages | a page of zeroes ]
 *
 * The array is the memory of a WebAssembly instance of scan.wat, so the
 * oracles' scans over it run four cells at a time (firstNotLinear, ...).
 */
export class Memory {
  /** Where a user step's uses of disk blocks and the block allocator are told (access.ts); null: nobody asks. */
  acc: Access | null = null;
  readonly cells: Uint32Array;
  readonly pageCells: number;
  readonly blockCells: number;
  readonly framesMax: number;
  readonly blocksMax: number;
  readonly slotsMax: number;
  readonly diskBase: number;
  readonly swapBase: number;
  /** A page of ZERO cells nothing writes: what a hole reads as. */
  readonly zeroOff: number;
  private readonly freeFrames: Int32Array;
  private nrFreeFrames = 0;
  private readonly freeBlocks: Int32Array;
  private nrFreeBlocks = 0;
  private readonly slotUsed: Uint8Array;
  /** Blocks a run may still allocate before the filesystem is full (ENOSPC); -1: no limit. */
  blocksFree = -1;
  /** Disk blocks written from a page not found free of UNINIT (Page.uninitChecked): 1 each. */
  readonly blockMaybeUninit: Uint8Array;
  /** Disk blocks whose reads fail (a bad sector): 1 each. */
  readonly badBlock: Uint8Array;
  private readonly scans: Scans;

  constructor(framesMax: number, pageCells: number, blocksMax: number, blockCells: number, slotsMax: number) {
    this.framesMax = framesMax;
    this.pageCells = pageCells;
    this.blocksMax = blocksMax;
    this.blockCells = blockCells;
    this.slotsMax = slotsMax;
    this.diskBase = framesMax * pageCells;
    this.swapBase = this.diskBase + blocksMax * blockCells;
    this.zeroOff = this.swapBase + slotsMax * pageCells;
    const length = this.zeroOff + pageCells;
    const memory = new WebAssembly.Memory({ initial: Math.ceil((length * 4) / WASM_PAGE_BYTES) });
    scanModule ??= new WebAssembly.Module(SCAN_WASM);
    this.scans = new WebAssembly.Instance(scanModule, { env: { cells: memory } }).exports as unknown as Scans;
    this.cells = new Uint32Array(memory.buffer, 0, length);
    this.freeFrames = new Int32Array(framesMax);
    this.freeBlocks = new Int32Array(blocksMax);
    this.slotUsed = new Uint8Array(slotsMax);
    this.badBlock = new Uint8Array(blocksMax);
    this.blockMaybeUninit = new Uint8Array(blocksMax);
    this.reset();
  }

  /** Forget every allocation; contents are rewritten when allocated again. */
  reset(): void {
    // Lowest number first, so every run hands them out in the same order.
    for (let i = 0; i < this.framesMax; i++) this.freeFrames[i] = this.framesMax - 1 - i;
    this.nrFreeFrames = this.framesMax;
    for (let i = 0; i < this.blocksMax; i++) this.freeBlocks[i] = this.blocksMax - 1 - i;
    this.nrFreeBlocks = this.blocksMax;
    this.slotUsed.fill(0);
    this.blocksFree = -1;
    this.badBlock.fill(0);
    this.blockMaybeUninit.fill(0);
  }

  /** The first i in [0, n) with cells[off + i] !== base + i (mod 2^32), or n: where a run copied in one piece ends. */
  firstNotLinear(off: number, n: number, base: number): number {
    return this.scans.linear(off, n, base | 0);
  }

  /** The first i in [0, n) with cells[off + i] !== value, or n. */
  firstNotEqual(off: number, n: number, value: number): number {
    return this.scans.same(off, n, value | 0);
  }

  /** The first i in [0, n) whose cell is of provenance `kind` (cell.ts: the top two bits), or n. */
  firstOfKind(off: number, n: number, kind: number): number {
    return this.scans.notKind(off, n, kind);
  }

  /** cells[off, off + n) = value. */
  fillCells(off: number, n: number, value: number): void {
    this.scans.fill(off, n, value | 0);
  }

  /** cells[off + i] = base + i for i in [0, n): consecutive DATA tags of one buffer. */
  fillRamp(off: number, n: number, base: number): void {
    this.scans.ramp(off, n, base | 0);
  }

  frameOff(frame: number): number {
    return frame * this.pageCells;
  }

  blockOff(block: number): number {
    this.acc?.disk(block);
    return this.diskBase + block * this.blockCells;
  }

  slotOff(slot: number): number {
    return this.swapBase + slot * this.pageCells;
  }

  /**
   * A new frame holds UNINIT(frame) in every cell: page memory nobody wrote.
   * `overwritten`: the caller writes every cell of it before anything can
   * read one (a copy or a fill of the whole page), so the fill is skipped.
   */
  allocFrame(overwritten = false): number {
    if (this.nrFreeFrames === 0) throw new Error('out of page frames: raise LIMITS.framesMax');
    const frame = this.freeFrames[--this.nrFreeFrames]!;
    if (!overwritten) this.fillCells(frame * this.pageCells, this.pageCells, uninit(frame));
    return frame;
  }

  freeFrame(frame: number): void {
    this.freeFrames[this.nrFreeFrames++] = frame;
  }

  get framesInUse(): number {
    return this.framesMax - this.nrFreeFrames;
  }

  /**
   * A block just allocated to a file holds STALE(block): another file's
   * deleted data; -1 when the filesystem is full (ENOSPC). `overwritten`: as
   * allocFrame's.
   */
  allocBlock(overwritten = false): number {
    this.acc?.writeGlobal(ACC_BALLOC);
    if (this.blocksFree === 0) return -1;
    if (this.blocksFree > 0) this.blocksFree--;
    if (this.nrFreeBlocks === 0) throw new Error('out of disk blocks: raise LIMITS.diskPagesMax');
    const block = this.freeBlocks[--this.nrFreeBlocks]!;
    if (!overwritten) this.fillCells(this.blockOff(block), this.blockCells, stale(block));
    return block;
  }

  freeBlock(block: number): void {
    this.acc?.writeGlobal(ACC_BALLOC);
    this.acc?.disk(block);
    if (this.blocksFree >= 0) this.blocksFree++;
    this.badBlock[block] = 0;
    this.blockMaybeUninit[block] = 0;
    this.freeBlocks[this.nrFreeBlocks++] = block;
  }

  /** A free swap slot, or -1 when swap is full. */
  allocSlot(): number {
    for (let i = 0; i < this.slotsMax; i++) {
      if (this.slotUsed[i] === 0) {
        this.slotUsed[i] = 1;
        return i;
      }
    }
    return -1;
  }

  freeSlot(slot: number): void {
    this.slotUsed[slot] = 0;
  }
}
