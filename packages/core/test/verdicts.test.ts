import { describe, expect, it } from 'vitest';
import { firstFailure } from './helpers.js';

describe('the verdicts of the thread', () => {
  it('v2.6.20 self-deadlocks on self-mmap-write within 1,000 seeds: the fault in copy_from_user wants the page lock the write path holds', () => {
    const o = firstFailure({ strategy: 'v2.6.20', scenario: 'self-mmap-write' }, 1000, undefined, 'deadlock');
    expect(o).not.toBeNull();
    const f = o!.failure!;
    expect(f.message).toMatch(/self deadlock/);
    expect(f.details).toHaveLength(1);
    const [line] = f.details;
    expect(line).toMatch(/^writer waits in lock_page <- filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user <- filemap_copy_from_user <- generic_file_buffered_write/);
    expect(line).toMatch(/held by itself \(taken in __grab_cache_page <- generic_file_buffered_write\)/);
  });

  it('v2.6.20 ABBA-deadlocks on cross-mmap-write within 1,000 seeds: each writer faults on the page the other holds in its write path', () => {
    const o = firstFailure({ strategy: 'v2.6.20', scenario: 'cross-mmap-write' }, 1000, undefined, 'deadlock');
    expect(o).not.toBeNull();
    const f = o!.failure!;
    expect(f.message).toMatch(/ABBA deadlock/);
    expect(f.details).toHaveLength(2);
    for (const line of f.details) {
      expect(line).toMatch(/waits in lock_page <- filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user/);
      expect(line).toMatch(/held by writer[AB] \(taken in __grab_cache_page <- generic_file_buffered_write\)/);
    }
    expect(f.details[0]).not.toEqual(f.details[1]);
  });

  it('v2.6.20 shows readers the zeroes between its two copies on overwrite-vs-read', () => {
    expect(firstFailure({ strategy: 'v2.6.20', scenario: 'overwrite-vs-read' }, 2000, undefined, 'transient-zero')).not.toBeNull();
  });
});
