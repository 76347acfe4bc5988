/**
 * Bugs planted on purpose, one per oracle: broken write paths and kernel
 * paths built from the real kernel functions, each wrong in one named way.
 */
import { ZERO } from '../src/cell.js';
import { blockWriteBegin, blockWriteEnd, genericWriteEnd } from '../src/fs/buffer.js';
import type { Gen } from '../src/gen.js';
import type { Inode } from '../src/inode.js';
import type { Kernel } from '../src/kernel.js';
import { downRead, upRead } from '../src/locking.js';
import { addToPageCache, findGetPage, pageCacheRelease, unlockPage } from '../src/mm/filemap.js';
import type { IovIter } from '../src/mm/iov.js';
import { copyFromUserAtomic, faultInPagesReadable } from '../src/mm/memory.js';
import type { Vma } from '../src/mm.js';
import { PG_dirty, type Page } from '../src/page.js';
import { PATHS_2_6_24 } from '../src/paths.js';
import { EFAULT } from '../src/errno.js';
import { lockKey, pageId } from '../src/locks.js';
import { createFile, mapAnon, mapFile, userAddr, userTask } from '../src/scenarios/setup.js';
import type { Scenario } from '../src/scenarios/scenario.js';
import type { Strategy } from '../src/strategies/strategy.js';
import type { Task } from '../src/task.js';
import { writeBeginEnd } from '../src/strategies/write-begin-end.js';

/** What a planted write path may change about one page of generic_perform_write. */
interface Plant {
  /** Between write_begin and the copy, with the page locked. */
  beforeCopy?(k: Kernel, t: Task, page: Page, offset: number, bytes: number): Gen;
  /** Replaces write_end: returns what was copied. */
  writeEnd?(k: Kernel, t: Task, page: Page, pos: number, bytes: number, copied: number): number;
  /** Skip the prefault (so nothing ever brings the source back). */
  noPrefault?: boolean;
  /** What the write returns, given what it really wrote. */
  returns?(written: number, requested: number): number;
}

function plantedWrite(id: string, plant: Plant): Strategy {
  function* performWrite(k: Kernel, t: Task, inode: Inode, pos: number, it: IovIter): Gen<number> {
    t.enter('planted_perform_write');
    const requested = it.count;
    let written = 0;
    while (it.count > 0) {
      const offset = pos & (k.pageCells - 1);
      const bytes = Math.min(k.pageCells - offset, it.count, it.singleSegCount());
      if (!plant.noPrefault && !(yield* faultInPagesReadable(k, t, it.addrAt(0), bytes))) break;
      yield;
      const page = yield* blockWriteBegin(k, t, inode, pos, bytes);
      if (typeof page === 'number') break;
      if (plant.beforeCopy) yield* plant.beforeCopy(k, t, page, offset, bytes);
      let copied = copyFromUserAtomic(k, t, k.mem.frameOff(page.frame) + offset, it, 0, bytes);
      copied = plant.writeEnd ? plant.writeEnd(k, t, page, pos, bytes, copied) : genericWriteEnd(k, t, page, pos, bytes, copied);
      yield;
      it.advance(copied);
      pos += copied;
      written += copied;
    }
    t.leave();
    const ret = written > 0 ? written : EFAULT;
    return plant.returns ? plant.returns(ret, requested) : ret;
  }
  return { id, description: `planted bug: ${id}`, paths: PATHS_2_6_24, performWrite };
}

/** deadlock: write_end forgets unlock_page, so the next lock_page of that page waits forever. */
export const forgetsUnlock = plantedWrite('forgets-unlock', {
  writeEnd(k, t, page, pos, bytes, copied) {
    const inode = page.mapping!;
    copied = blockWriteEnd(k, page, pos, bytes, copied);
    if (pos + copied > inode.iSize) inode.iSize = pos + copied;
    pageCacheRelease(k, t, page);
    return copied;
  },
});

/** lock-order: takes mmap_sem while holding the page lock (the fault path takes them the other way). */
export const mmapSemUnderPageLock = plantedWrite('mmap-sem-under-page-lock', {
  *beforeCopy(k, t) {
    yield* downRead(k, t, t.mm!.mmapSem);
    upRead(k, t, t.mm!.mmapSem);
  },
});

/** stale-data: unlocks the page between write_begin and the copy, with its new blocks allocated and not uptodate. */
export const unlocksWithBlocksAllocated = plantedWrite('unlocks-with-blocks-allocated', {
  *beforeCopy(k, t, page) {
    unlockPage(k, t, page);
    yield;
    yield;
    while (!trylock(k, t, page)) yield;
  },
});

function trylock(k: Kernel, t: Task, page: Page): boolean {
  if (page.flags & 1) return false;
  page.flags |= 1;
  page.lockOwner = t;
  t.hold(0, page, lockKey(0, pageId(page.ino, page.index)), 1);
  void k;
  return true;
}

/** transient-zero: zeroes the committed range before copying, so readers of the uptodate page see zeroes. */
export const zeroesCommittedRange = plantedWrite('zeroes-committed-range', {
  *beforeCopy(k, _t, page, offset, bytes) {
    const off = k.mem.frameOff(page.frame) + offset;
    k.mem.cells.fill(ZERO, off, off + bytes);
    yield;
    yield;
  },
});

/** livelock: retries a failed copy without ever prefaulting the source again. */
export const retriesWithoutPrefault = plantedWrite('retries-without-prefault', { noPrefault: true });

/** bad-return: claims the whole request was written, whatever the copy managed. */
export const claimsEverything = plantedWrite('claims-everything', { returns: (_written, requested) => requested });

/** kernel-bug: unlocks the page twice. */
export const unlocksTwice = plantedWrite('unlocks-twice', {
  writeEnd(k, t, page, pos, bytes, copied) {
    const n = genericWriteEnd(k, t, page, pos, bytes, copied);
    unlockPage(k, t, page);
    return n;
  },
});

/** bad-data: commits the data one cell further into the page than it was written. */
export const misplacesData = plantedWrite('misplaces-data', {
  writeEnd(k, t, page, pos, bytes, copied) {
    const off = k.mem.frameOff(page.frame) + (pos & (k.pageCells - 1));
    if (copied > 1) k.mem.cells.copyWithin(off + 1, off, off + copied - 1);
    k.wroteFrame(page.frame);
    return genericWriteEnd(k, t, page, pos, bytes, copied);
  },
});

/** final-state (a lost write): writepage marks the page clean without writing it. */
export function dropsDirtyPage(k: Kernel, t: Task, page: Page): void {
  page.flags &= ~PG_dirty;
  page.bh.fill(page.bh[0]! & ~8, 0, k.blocksPerPage);
  unlockPage(k, t, page);
}

/** uninit-data: a fault handler that maps a new page without reading it. */
export function* nopageWithoutReadpage(k: Kernel, t: Task, vma: Vma, pgoff: number): Gen<Page | null> {
  const inode = vma.inode!;
  if (pgoff * k.pageCells >= inode.iSize) return null;
  let page = findGetPage(inode, pgoff);
  if (page === null) {
    page = k.allocPage();
    addToPageCache(k, t, page, inode, pgoff);
    unlockPage(k, t, page);
  }
  yield;
  return page;
}

/** A write whose source's second page is not mapped: a correct write returns one page, short. */
export const halfMappedSource: Scenario = {
  id: 'half-mapped-source',
  description: 'a write from a buffer whose second page is unmapped (EFAULT semantics)',
  stepsEstimate: 12,
  setup(k) {
    const file = createFile(k, ['data', 'data']);
    const mm = k.createMm();
    mapAnon(k, mm, 0, 1);
    const reader = k.createMm();
    mapAnon(k, reader, 0, 1);
    mapFile(reader, 2, file, 0, 2);
    userTask(k, 'writer', mm, [{ op: 'write', file, pos: 0, iov: [userAddr(k, 0), 2 * k.pageCells] }]);
    userTask(k, 'reader', reader, [{ op: 'read', file, pos: 0, len: 2 * k.pageCells, dst: userAddr(k, 0) }]);
  },
};

/**
 * The extend-vs-truncate of model core-2: a truncate that changes i_size
 * without i_mutex, which no 2.6.20 path does. Kept as a planted bug: it tears
 * an extending write, and only the whole-file check can say so.
 */
export const extendVsUnlockedTruncate: Scenario = {
  id: 'extend-vs-unlocked-truncate',
  description: 'writes that extend the file against a truncate without i_mutex',
  stepsEstimate: 24,
  setup(k) {
    const file = createFile(k, ['data']);
    const pc = k.pageCells;
    const mmW = k.createMm();
    mapAnon(k, mmW, 0, 2);
    const mmT = k.createMm();
    const mmR = k.createMm();
    mapAnon(k, mmR, 0, 1);
    userTask(k, 'writer', mmW, [{ op: 'write', file, pos: pc, iov: [userAddr(k, 0), 2 * pc] }]);
    userTask(k, 'truncate', mmT, [{ op: 'truncate', file, size: pc / 2, iMutex: true }]);
    userTask(k, 'vmtruncate', mmT, [{ op: 'truncate', file, size: pc + pc / 2, iMutex: false }]);
    userTask(k, 'reader', mmR, [{ op: 'read', file, pos: 0, len: pc, dst: userAddr(k, 0) }]);
  },
};

/** A load of a file's second page racing a truncate to one page: the fault may read the page and find it is past EOF. */
export const faultRacesTruncate: Scenario = {
  id: 'fault-races-truncate',
  description: 'a load of page 1 racing a truncate that removes it',
  stepsEstimate: 12,
  setup(k) {
    const file = createFile(k, ['data', 'data']);
    const pc = k.pageCells;
    const mm = k.createMm();
    mapFile(mm, 0, file, 0, 2);
    const mmT = k.createMm();
    userTask(k, 'loader', mm, [{ op: 'load', addr: userAddr(k, 1), len: pc }]);
    userTask(k, 'truncate', mmT, [{ op: 'truncate', file, size: pc, iMutex: true }]);
  },
};

export { writeBeginEnd };
