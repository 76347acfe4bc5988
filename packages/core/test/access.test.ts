import { describe, expect, it } from 'vitest';
import { Model, verify, type VerifyBounds } from '../src/index.js';
import { Access } from '../src/access.js';
import { taskTraces } from './helpers.js';

const bounds = (preemptionsMax: number, reclaimActionsMax: number): VerifyBounds => ({ preemptionsMax, reclaimActionsMax, paramsMax: 0 });

/**
 * Run the plain enumeration of a cell (its first `schedulesMax` schedules)
 * and count the schedules whose class it shares with an earlier schedule in
 * which some task did or saw something else: its trace events in order
 * (frames, pages and swap slots renamed), reclaim's as a multiset, and the
 * verdict. A sound independence leaves none.
 */
function sharedWithAnotherView(strategy: string, scenario: string, b: VerifyBounds, schedulesMax: number): { schedules: number; classes: number; conflicts: number } {
  const traces = taskTraces(strategy, scenario, b.reclaimActionsMax);
  const viewOf = new Map<number, string>();
  let conflicts = 0;
  const r = verify({ strategy, scenario }, b, {
    exhaustive: true,
    reduction: false,
    schedulesMax,
    onRun: (o, form) => {
      const view = traces(o) + (o.ok ? '\nok' : `\n${o.failure!.kind}`);
      const had = viewOf.get(form);
      if (had === undefined) viewOf.set(form, view);
      else if (had !== view) conflicts++;
    },
  });
  return { schedules: r.schedules, classes: r.classes, conflicts };
}

/** Run `body` with one method of Access replaced (a planted loosening of the relation), then put it back. */
function planted<K extends keyof Access>(name: K, replacement: Access[K], body: () => void): void {
  const proto = Access.prototype as unknown as Record<string, unknown>;
  const original = proto[name as string];
  proto[name as string] = replacement;
  try {
    body();
  } finally {
    proto[name as string] = original;
  }
}

describe('what a user step reads and writes (the bounded search\'s independence)', () => {
  it('every schedule of one class shows each task the same trace and verdict where every user task works on one file: user steps are compared by what each read and wrote, reclaim\'s actions by the pages they touch', () => {
    // extend-vs-truncate: five user tasks on one file (the relation of files and processes left nothing between them to reorder); write-errors: ENOSPC counts blocks, a bad block fails a read.
    const cases: [string, string, VerifyBounds, number][] = [
      ['two-copy', 'extend-vs-truncate', bounds(1, 0), 600],
      ['temp-page', 'extend-vs-truncate', bounds(0, 1), 600],
      ['write-begin-end', 'write-errors', bounds(1, 1), 600],
    ];
    for (const [strategy, scenario, b, max] of cases) {
      const r = sharedWithAnotherView(strategy, scenario, b, max);
      expect(r.conflicts, `${strategy} x ${scenario}`).toBe(0);
      // The relation merges some schedules there: it is finer than "one file, all dependent".
      expect(r.classes, `${strategy} x ${scenario}`).toBeLessThan(r.schedules);
    }
  });

  it('the check has teeth against the finer relation: with file pages left unrecorded, or user steps shown to reclaim as touching no page, schedules share a class with one some task saw differently', () => {
    const noop = (): void => {};
    planted('filePage', noop, () =>
      planted('hold', noop, () =>
        planted('release', noop, () => {
          expect(sharedWithAnotherView('two-copy', 'extend-vs-truncate', bounds(1, 0), 1000).conflicts).toBeGreaterThan(0);
        }),
      ),
    );
    planted('reclaimFacing', () => 0, () => {
      expect(sharedWithAnotherView('temp-page', 'hole-fill-vs-read', bounds(0, 1), 1000).conflicts).toBeGreaterThan(0);
    });
  });

  it('fuzzing records nothing: a run of any other scheduler leaves the access record empty', () => {
    const m = new Model({ strategy: 'two-copy', scenario: 'extend-vs-truncate', scheduler: 'pct' });
    m.run({ seed: 7 });
    const acc = (m as unknown as { kernel: { acc: Access } }).kernel.acc;
    expect(acc.on).toBe(false);
    expect([...acc.r, ...acc.w].every((x) => x === 0)).toBe(true);
  });
});
