import { describe, expect, it } from 'vitest';
import { costProfiles } from '../src/index.js';
import { firstFailure, kindsIn } from './helpers.js';

describe('what each design of the thread missed (MODEL.md §8)', () => {
  it('temp-page exposes stale blocks on hole-fill-vs-read: a reader readpages the blocks allocated before the page was unlocked', () => {
    const o = firstFailure({ strategy: 'temp-page', scenario: 'hole-fill-vs-read' }, 1000, undefined, 'stale-data');
    expect(o!.failure!.message).toMatch(/^(read|load) of f0 at offset \d+ returned STALE\(block \d+\)/);
  });

  it('zero-retry shows transient zeroes on overwrite-vs-read: the zeroed tail is uptodate before the retry fills it', () => {
    const o = firstFailure({ strategy: 'zero-retry', scenario: 'overwrite-vs-read' }, 1000);
    expect(o!.failure!.kind).toBe('transient-zero');
  });

  it('zero-retry-not-uptodate exposes stale blocks on hole-fill-vs-read through readpage', () => {
    expect(firstFailure({ strategy: 'zero-retry-not-uptodate', scenario: 'hole-fill-vs-read' }, 1000, undefined, 'stale-data')).not.toBeNull();
  });

  it('excl-flag deadlocks on self-mmap-write: the writer waits in the fault path on the flag the writer itself set', () => {
    const o = firstFailure({ strategy: 'excl-flag', scenario: 'self-mmap-write' }, 1000, undefined, 'deadlock');
    const f = o!.failure!;
    expect(f.message).toMatch(/self deadlock/);
    expect(f.details[0]).toMatch(/^writer waits in wait_on_bit <- filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user <- generic_file_buffered_write .* for PG_writing\(f0:\d\), held by itself \(taken in generic_file_buffered_write <- sys_write\)$/);
  });

  it('v2.6.20 and excl-flag deadlock three ways on mmap-sem-inversion: fault waiting on the page, munmap queued, writer behind it', () => {
    for (const strategy of ['v2.6.20', 'excl-flag']) {
      const o = firstFailure({ strategy, scenario: 'mmap-sem-inversion' }, 2000, undefined, 'deadlock');
      expect(o!.failure!.message).toMatch(/deadlock cycle of 3 tasks: writer waits for mmap_sem\(mm0\), unmapper waits for mmap_sem\(mm0\), faulter waits for (page_lock|PG_writing)\(f0:0\)/);
    }
  });

  it('v2.6.20 commits a zero-padded tail after a real EFAULT (partly-invalid-iovec): the file loses its data past the count returned', () => {
    const o = firstFailure({ strategy: 'v2.6.20', scenario: 'partly-invalid-iovec' }, 10);
    expect(o!.failure!.kind).toBe('bad-data');
    expect(o!.failure!.message).toMatch(/returned short, yet offset \d+, past the returned count, now holds ZERO, .*: the file's data there is lost/);
  });

  it('temp-page and excl-flag, as Altaparmakov wrote them, commit the whole range after a real EFAULT as 2.6.20 does: data lost past the count, no UNINIT committed', () => {
    for (const blocksPerPage of [1, 4]) {
      for (const strategy of ['temp-page', 'excl-flag']) {
        const kinds = kindsIn({ strategy, scenario: 'partly-invalid-iovec', blocksPerPage }, 200);
        expect(Object.keys(kinds), `${strategy} at ${blocksPerPage} blocks a page`).toEqual(['bad-data']);
      }
    }
  });

  it('zero-retry loses the write when the source maps the destination: the retry copies the zeroes it committed onto themselves (bad-data, not bad-return)', () => {
    const o = firstFailure({ strategy: 'zero-retry', scenario: 'self-mmap-write' }, 10);
    expect(o!.seed).toBe(1);
    expect(o!.failure!.kind).toBe('bad-data');
    expect(o!.failure!.message).toMatch(/returned \d+, but offset \d+ holds ZERO, not what it wrote: the write is lost/);
  });

  it('gup-pin oopses on a kernel thread writing a kernel buffer: it takes current->mm->mmap_sem, and a kernel thread has no mm', () => {
    const o = firstFailure({ strategy: 'gup-pin', scenario: 'generated' }, 200, undefined, 'kernel-bug');
    expect(o!.failure!.message).toMatch(/^BUG: kwriter\d is a kernel thread \(current->mm is NULL\)/);
  });
});

describe('what the correct designs cost in the fault-free case', () => {
  const appending = (strategy: string) => costProfiles(strategy).find((c) => c.case === 'append')!;
  const overwriting = (strategy: string) => costProfiles(strategy).find((c) => c.case === 'overwrite')!;

  it('gup-pin pays an mmap_sem acquisition and a page-table walk per new page; write-begin-end pays neither', () => {
    const gup = appending('gup-pin');
    const wbe = appending('write-begin-end');
    expect(gup.mmapSemAcquisitions).toBe(1);
    expect(gup.pageTableWalks).toBe(1);
    expect(gup.kmaps).toBe(2);
    expect(wbe.mmapSemAcquisitions).toBe(0);
    expect(wbe.pageTableWalks).toBe(0);
    expect(gup.mmapSemAcquisitions).toBeGreaterThan(wbe.mmapSemAcquisitions);
    expect(gup.pageTableWalks).toBeGreaterThan(wbe.pageTableWalks);
  });

  it('two-copy copies a new page twice and locks it twice; every design overwrites a cached page with one copy and one lock', () => {
    expect(appending('two-copy')).toMatchObject({ cellsCopied: 8192, pageLockRoundTrips: 2, kmaps: 2 });
    for (const strategy of ['v2.6.20', 'gup-pin', 'two-copy', 'write-begin-end']) {
      expect(overwriting(strategy)).toMatchObject({ cellsCopied: 4096, pageLockRoundTrips: 1, mmapSemAcquisitions: 0, pageTableWalks: 0 });
    }
  });
});
