import { describe, expect, it } from 'vitest';
import { Model, type ModelOptions, type RunConfig } from '../src/index.js';
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

  it('lock-order: taking mmap_sem under a page lock is a warning where the two mmap_sems are different instances, and a failure where they are one with a writer queued', () => {
    const options = { strategies: [planted.mmapSemUnderPageLock] };
    // The writer's mmap_sem and the loader's are two processes' own: a class-only cycle.
    const model = new Model({ strategy: 'mmap-sem-under-page-lock', scenario: 'hole-fill-vs-read' }, options);
    let warned = 0;
    for (let seed = 0; seed < 500; seed++) {
      const o = model.run({ seed });
      expect(o.failure?.kind).not.toBe('lock-order');
      for (const w of o.warnings) {
        warned++;
        expect(w.severity).toBe('warning');
        expect(w.message).toMatch(/circular locking dependency: (page_lock -> mmap_sem -> page_lock|mmap_sem -> page_lock -> mmap_sem), but its lock instances never meet/);
        expect(w.details.join('\n')).toMatch(/writer: holds page_lock\(f0:1\) \(taken in __grab_cache_page\) and waits for mmap_sem\(mm0\) for reading/);
        expect(w.details.join('\n')).toMatch(/loader: holds mmap_sem\(mm1\) for reading .* and waits for page_lock\(f0:1\)/);
        expect(w.witness).toBe('hole-fill-vs-read-same-mm');
      }
    }
    expect(warned).toBeGreaterThan(0);
    // In the witness the loader is a thread of the writer, beside a thread in munmap: one mmap_sem, a writer able to queue on it.
    expectCaught({ strategy: 'mmap-sem-under-page-lock', scenario: 'hole-fill-vs-read-same-mm' }, options, 'lock-order', ['lock-order', 'deadlock'], 500);
    const o = firstFailure({ strategy: 'mmap-sem-under-page-lock', scenario: 'hole-fill-vs-read-same-mm' }, 500, options, 'lock-order');
    expect(o!.failure!.severity).toBe('failure');
    expect(o!.failure!.message).toMatch(/possible deadlock: (page_lock\(f0:1\) -> mmap_sem\(mm0\)|mmap_sem\(mm0\) -> page_lock\(f0:1\)) -> .*these lock instances can meet/);
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
    expectCaught({ strategy: 'retries-without-prefault', scenario: 'overwrite-vs-read', stallStepsMax: 400 }, { strategies: [planted.retriesWithoutPrefault] }, 'livelock');
    expectCaught({ strategy: 'retries-without-prefault', scenario: 'retry-livelock', stallStepsMax: 400 }, { strategies: [planted.retriesWithoutPrefault] }, 'livelock', ['livelock'], 300);
  });

  it('livelock is a no-progress detector: reclaim with a budget of 100,000 actions is never blamed, and a retry loop that can progress is never judged to spin', () => {
    for (const strategy of ['write-begin-end-trim', 'two-copy', 'gup-pin']) {
      expect(kindsIn({ strategy, scenario: 'overwrite-vs-read', reclaimActionsMax: 100_000 }, 300), strategy).toEqual({});
      expect(kindsIn({ strategy, scenario: 'retry-livelock' }, 300), strategy).toEqual({});
    }
  });

  it('final-state, whole file: a write torn by a truncate without i_mutex is no file any order gives, though each cell alone is legal', () => {
    const options = { scenarios: [planted.extendVsUnlockedTruncate] };
    const o = firstFailure({ strategy: 'v2.6.20', scenario: 'extend-vs-unlocked-truncate', scheduler: 'random' }, 2000, options, 'final-state');
    expect(o).not.toBeNull();
    expect(o!.failure!.message).toMatch(/is no file any order of its operations leaves/);
    expect(o!.failure!.sites[0]).toMatch(/^(contents|i_size) match(es)? no linearization$/);
    expect(o!.failure!.details.join('\n')).toMatch(/op \d+: truncate over steps \d+\.\.\d+ to 6144/);
  });

  it('final-state: a fault that races truncate leaves an uptodate zero page past EOF, as 2.6.24 filemap_fault did, and that is harmless', () => {
    const options = { scenarios: [planted.faultRacesTruncate] };
    const model = new Model({ strategy: 'write-begin-end', scenario: 'fault-races-truncate', scheduler: 'random', trace: true }, options);
    let raced = 0;
    for (let seed = 0; seed < 400; seed++) {
      const o = model.run({ seed });
      expect(o.failure, `seed ${seed}`).toBeNull();
      // filemap_fault read the page, then found i_size had shrunk: SIGBUS, the page left in the cache.
      const events = o.trace!.map((e) => e.what);
      const read = events.findIndex((w) => /^readpage\(f0:1\) done/.test(w));
      if (read >= 0 && events.slice(read).some((w) => /past end of f0, SIGBUS/.test(w))) raced++;
    }
    expect(raced).toBeGreaterThan(0);
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
