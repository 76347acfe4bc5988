import { describe, expect, it } from 'vitest';
import type { ModelOptions, RunConfig } from '../src/index.js';
import { PATHS_2_6_24 } from '../src/paths.js';
import { firstFailure, kindsIn } from './helpers.js';
import * as planted from './planted.js';

/** Every failure a planted bug causes in `runs` seeds is of the kinds allowed, and the expected one among them. */
function expectCaught(config: RunConfig, options: ModelOptions, kind: string, allowed: string[] = [kind], runs = 2000): void {
  const kinds = kindsIn(config, runs, options);
  expect(kinds[kind] ?? 0, JSON.stringify(kinds)).toBeGreaterThan(0);
  for (const k of Object.keys(kinds)) expect(allowed, JSON.stringify(kinds)).toContain(k);
}

describe('every oracle catches a bug planted on purpose, and names it', () => {
  it('deadlock: a write path that forgets unlock_page leaves the next locker of that page waiting forever', () => {
    const options = { strategies: [planted.forgetsUnlock] };
    expectCaught({ strategy: 'forgets-unlock', scenario: 'overwrite-vs-read' }, options, 'deadlock', ['deadlock', 'final-state']);
    const o = firstFailure({ strategy: 'forgets-unlock', scenario: 'overwrite-vs-read' }, 2000, options, 'deadlock');
    expect(o!.failure!.details.join('\n')).toMatch(/waits in lock_page <- .* for page_lock\(f0:0\), held by (itself|writer)/);
  });

  it('final-state: a write path that forgets unlock_page leaves a page locked when nobody else wants it', () => {
    const o = firstFailure({ strategy: 'forgets-unlock', scenario: 'self-mmap-write' }, 200, { strategies: [planted.forgetsUnlock] });
    expect(o!.failure!.kind).toBe('final-state');
    expect(o!.failure!.message).toMatch(/page f0:\d left locked by writer/);
  });

  it('lock-order: taking mmap_sem under a page lock closes the cycle page_lock -> mmap_sem -> page_lock', () => {
    const options = { strategies: [planted.mmapSemUnderPageLock] };
    expectCaught({ strategy: 'mmap-sem-under-page-lock', scenario: 'hole-fill-vs-read' }, options, 'lock-order');
    const o = firstFailure({ strategy: 'mmap-sem-under-page-lock', scenario: 'hole-fill-vs-read' }, 2000, options);
    expect(o!.failure!.message).toMatch(/circular locking dependency: (page_lock -> mmap_sem -> page_lock|mmap_sem -> page_lock -> mmap_sem)/);
  });

  it('stale-data: unlocking a page with its new blocks allocated lets a reader readpage the STALE blocks', () => {
    expectCaught({ strategy: 'unlocks-with-blocks-allocated', scenario: 'hole-fill-vs-read' }, { strategies: [planted.unlocksWithBlocksAllocated] }, 'stale-data', ['stale-data', 'livelock']);
  });

  it('uninit-data: a fault handler that maps a page without reading it hands UNINIT to a load', () => {
    const options = { paths: { ...PATHS_2_6_24, nopage: planted.nopageWithoutReadpage, nopageLocks: false } };
    expectCaught({ strategy: 'write-begin-end', scenario: 'hole-fill-vs-read' }, options, 'uninit-data', ['uninit-data', 'kernel-bug', 'final-state']);
  });

  it('transient-zero: zeroing the range before copying into an uptodate page shows readers zeroes the file never held', () => {
    expectCaught({ strategy: 'zeroes-committed-range', scenario: 'overwrite-vs-read' }, { strategies: [planted.zeroesCommittedRange] }, 'transient-zero');
  });

  it('bad-data: committing the data one cell off shows readers data no write put there', () => {
    expectCaught({ strategy: 'misplaces-data', scenario: 'overwrite-vs-read' }, { strategies: [planted.misplacesData] }, 'bad-data', ['bad-data', 'bad-return', 'final-state']);
  });

  it('final-state: a writepage that drops a dirty page loses the write, found after sync and drop_caches', () => {
    // A dropped page over a newly allocated block also exposes its STALE contents to the next reader.
    const options = { paths: { ...PATHS_2_6_24, writepage: planted.dropsDirtyPage } };
    expectCaught({ strategy: 'write-begin-end', scenario: 'hole-fill-vs-read' }, options, 'final-state', ['final-state', 'stale-data']);
  });

  it('livelock: a retry loop that never prefaults spins once reclaim has taken its source away', () => {
    expectCaught({ strategy: 'retries-without-prefault', scenario: 'overwrite-vs-read', taskStepsMax: 400 }, { strategies: [planted.retriesWithoutPrefault] }, 'livelock');
  });

  it('bad-return: a write that claims all it was asked to write, when its source was half unmapped', () => {
    const options = { strategies: [planted.claimsEverything], scenarios: [planted.halfMappedSource] };
    expectCaught({ strategy: 'claims-everything', scenario: 'half-mapped-source' }, options, 'bad-return', ['bad-return', 'bad-data']);
    const clean = { scenarios: [planted.halfMappedSource] };
    expect(kindsIn({ strategy: 'write-begin-end', scenario: 'half-mapped-source' }, 2000, clean)).toEqual({});
  });

  it('kernel-bug: unlocking a page twice is a BUG at the second unlock_page', () => {
    const o = firstFailure({ strategy: 'unlocks-twice', scenario: 'overwrite-vs-read' }, 10, { strategies: [planted.unlocksTwice] });
    expect(o!.failure!.kind).toBe('kernel-bug');
    expect(o!.failure!.message).toMatch(/BUG: unlock_page of unlocked page f0:0/);
  });
});
