/**
 * The kernel a write-path strategy is written against: everything a
 * strategy file may import, under one versioned name. The built-in
 * strategies import from here and nowhere else (lint holds them to it), so
 * each is an example of the API; a strategy file of your own (pcfarm
 * strategy new NAME) imports `pcfarm:strategy-api` and is loaded with this
 * module in its place. docs/STRATEGY-API.md says what each part may do.
 *
 * Names are the kernel's in camelCase: `grabCachePage` is 2.6.20's
 * __grab_cache_page, `blockPrepareWrite` __block_prepare_write,
 * `genericCommitWrite` generic_commit_write, `blockWriteBegin` /
 * `genericWriteEnd` 2.6.24's write_begin / write_end.
 *
 * Bump STRATEGY_API_VERSION whenever something here is removed or changes
 * what it does: a strategy file names the version it was written for.
 */
export const STRATEGY_API_VERSION = 1;

export type { Gen } from './gen.js';
export type { Inode } from './inode.js';
export type { Kernel } from './kernel.js';
export type { IovIter } from './mm/iov.js';
export type { Page } from './page.js';
export type { KernelPaths } from './paths.js';
export type { PageWritingWaiters, Strategy } from './strategies/strategy.js';
export type { Task } from './task.js';

export { EFAULT, EIO, ENOSPC } from './errno.js';
export { BH_Dirty, BH_Mapped, BH_New, BH_Uptodate, PG_dirty, PG_uptodate } from './page.js';
export { PATHS_2_6_20, PATHS_2_6_24 } from './paths.js';

// The page cache (mm/filemap.c).
export { assertPageLocked, endPageWriting, grabCachePage, lockPage, pageCacheRelease, setPageWriting, unlockPage, waitOnPageWriting } from './mm/filemap.js';
// Buffers and the address-space operations (fs/buffer.c).
export { blockCommitWrite, blockPrepareWrite, blockWriteBegin, genericCommitWrite, genericWriteEnd, pageZeroNewBuffers } from './fs/buffer.js';
// The user copies and faults (mm/memory.c), and mmap_sem.
export { copyFromUser, copyFromUserAtomic, faultInPagesReadable, handleMmFaultLocked } from './mm/memory.js';
export { downRead, upRead } from './locking.js';
// get_user_pages and the copy through kmaps of what it pinned (mm/memory.c).
export { copyFromPinned, getUserPages, PinnedPages, putUserPages } from './mm/gup.js';
// Temporary kernel pages, page_address, memcpy/memset on mapped pages (highmem.h).
export { freePage, getFreePage, memcpyToPage, memsetZero, pageAddress } from './mm/highmem.js';
// vmtruncate, to trim what a failed write instantiated past i_size.
export { doTruncate } from './mm/truncate.js';
