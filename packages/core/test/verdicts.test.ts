import { describe, expect, it } from 'vitest';
import { matrixCell, severityOf, type FailureKind } from '../src/index.js';
import { firstFailure } from './helpers.js';

/** MODEL.md §8: a cell's verdict is its most severe kind over all its seeds, warnings apart. */
describe('the verdicts of the thread, as the matrix gives them (worst kind over every seed)', () => {
  it('v2.6.20 deadlocks on every scenario whose source maps a page that is not uptodate: self-mmap-write, cross-mmap-write (ABBA), mmap-sem-inversion (three ways), mmap-rw-fault', () => {
    for (const scenario of ['self-mmap-write', 'cross-mmap-write', 'mmap-sem-inversion', 'mmap-rw-fault']) {
      expect(matrixCell('v2.6.20', scenario, 1000).verdict, scenario).toBe('deadlock');
    }
  });

  it('a lock-order report at seed 4 no longer hides the ABBA deadlock of cross-mmap-write: the cell counts both, apart', () => {
    for (const strategy of ['v2.6.20', 'excl-flag']) {
      const cell = matrixCell(strategy, 'cross-mmap-write', 1000);
      expect(cell.verdict).toBe('deadlock');
      expect(cell.first.deadlock).toBe(28);
      expect(cell.warnings['lock-order']).toBeGreaterThan(0);
      expect(cell.runs).toBe(1000);
    }
  });

  it('v2.6.20 shows no transient zeroes on overwrite-vs-read or multi-segment at 1, 2 or 4 blocks a page: its atomic copy leaves the tail alone', () => {
    for (const blocksPerPage of [1, 2, 4]) {
      for (const scenario of ['overwrite-vs-read', 'multi-segment']) {
        const cell = matrixCell('v2.6.20', scenario, 1000, blocksPerPage);
        expect(cell.kinds['transient-zero'] ?? 0, `${scenario} at ${blocksPerPage}`).toBe(0);
      }
    }
  });

  it('excl-flag deadlocks where the source maps the destination (self-mmap-write, cross-mmap-write, mmap-rw-fault)', () => {
    for (const scenario of ['self-mmap-write', 'cross-mmap-write', 'mmap-rw-fault']) expect(matrixCell('excl-flag', scenario, 1000).verdict, scenario).toBe('deadlock');
  });

  it("excl-flag's hole-fill-vs-read is clean with a class-only lock-order warning whose witness deadlocks within a few seeds", () => {
    const cell = matrixCell('excl-flag', 'hole-fill-vs-read', 500);
    expect(cell.verdict).toBe('clean');
    expect(cell.warnings['lock-order']).toBeGreaterThan(0);
    expect(cell.witness).toBe('hole-fill-vs-read-same-mm');
    expect(cell.message).toMatch(/(mmap_sem -> PG_writing -> mmap_sem|PG_writing -> mmap_sem -> PG_writing), but its lock instances never meet/);
    for (const strategy of ['excl-flag', 'v2.6.20']) {
      const witness = firstFailure({ strategy, scenario: cell.witness! }, 100, undefined, 'deadlock');
      expect(witness, strategy).not.toBeNull();
      expect(witness!.failure!.message).toMatch(/deadlock cycle of 3 tasks: writer waits for mmap_sem\(mm0\), unmapper waits for mmap_sem\(mm0\), loader waits for (page_lock|PG_writing)\(f0:1\)/);
    }
  });

  it('temp-page and zero-retry-not-uptodate expose stale blocks on hole-fill-vs-read; zero-retry shows transient zeroes on overwrite-vs-read and loses data on mmap-rw-fault', () => {
    expect(matrixCell('temp-page', 'hole-fill-vs-read', 500).verdict).toBe('stale-data');
    expect(matrixCell('zero-retry-not-uptodate', 'hole-fill-vs-read', 500).verdict).toBe('stale-data');
    expect(matrixCell('zero-retry', 'overwrite-vs-read', 500).verdict).toBe('transient-zero');
    expect(matrixCell('zero-retry', 'mmap-rw-fault', 1000).kinds['bad-data']).toBeGreaterThan(0);
  });

  it('write-begin-end as 2.6.24 shipped it reads back a STALE block instantiated past EOF by a failed short write; write-begin-end-trim does not', () => {
    const shipped = firstFailure({ strategy: 'write-begin-end', scenario: 'generated', scheduler: 'random', blocksPerPage: 4 }, 6000);
    expect(shipped).not.toBeNull();
    expect(['stale-data', 'final-state']).toContain(shipped!.failure!.kind);
    expect(shipped!.failure!.message + shipped!.failure!.details.join('\n')).toMatch(/STALE\(block \d+\)/);
    const r = shipped!.seed!;
    expect(firstFailure({ strategy: 'write-begin-end-trim', scenario: 'generated', scheduler: 'random', blocksPerPage: 4 }, r + 1)).toBeNull();
  });

  it('the kinds are ordered by severity as documented', () => {
    const order: FailureKind[] = ['deadlock', 'stale-data', 'uninit-data', 'bad-data', 'transient-zero', 'final-state', 'bad-return', 'kernel-bug', 'livelock', 'lock-order'];
    expect(order.map(severityOf)).toEqual(order.map((_, i) => i));
  });
});
