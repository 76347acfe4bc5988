import { describe, expect, it } from 'vitest';
import { matrixCell, mergeSearch, Model, signatureOf, splitSearch, verify, verifyDeepening, verifyModel, type MatrixVerify, type VerifyBounds } from '../src/index.js';
import type { Scenario } from '../src/scenarios/scenario.js';
import { createFile, userTask } from '../src/scenarios/setup.js';
import { taskTraces } from './helpers.js';

/** Two tasks of three steps each (a first step to their first operation, then one per fsync of an empty file), and nothing to reclaim. */
const twoByThree: Scenario = {
  id: 'two-by-three',
  description: 'two tasks of three steps, nothing shared but a file',
  stepsEstimate: 6,
  setup(k) {
    const file = createFile(k, []);
    for (const name of ['a', 'b']) {
      userTask(k, name, k.createMm(), [
        { op: 'fsync', file },
        { op: 'fsync', file },
      ]);
    }
  },
};

const bounds = (preemptionsMax: number, reclaimActionsMax = 0): VerifyBounds => ({ preemptionsMax, reclaimActionsMax, paramsMax: 0 });

describe('bounded exhaustive verification', () => {
  it('enumerates exactly the interleavings of two 3-step tasks with at most K preemptions: 2, 6, 14, 18, 20 (all C(6,3)) for K = 0..4', () => {
    // A merge of two 3-step tasks in r blocks makes r - 2 preemptions (the last switch comes when a task ends): 2, 4, 8, 4, 2 merges for r = 2..6.
    const counts = [0, 1, 2, 3, 4].map((k) => verify({ strategy: 'two-copy', scenario: 'two-by-three' }, bounds(k), { exhaustive: true, model: { scenarios: [twoByThree] } }).schedules);
    expect(counts).toEqual([2, 6, 14, 18, 20]);
  });

  it('finds the v2.6.20 self deadlock at 0 preemptions with one reclaim action: reclaim takes the source between the prefault and the copy', () => {
    const r = verify({ strategy: 'v2.6.20', scenario: 'self-mmap-write' }, bounds(0, 1));
    expect(r.result).toBe('fail');
    expect(signatureOf(r.failure!)!.title).toMatch(/^deadlock in v2\.6\.20: self; lock_page page_lock in filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user/);
    // Its choice list replays on a fresh model to the same failure.
    const again = new Model({ strategy: 'v2.6.20', scenario: 'self-mmap-write', scheduler: 'systematic', reclaimActionsMax: 1 }).run({ choices: r.failure!.choices });
    expect(signatureOf(again)!.title).toBe(signatureOf(r.failure!)!.title);
  });

  it('certifies what the thread says is correct, and says how: two-copy on self-mmap-write and cross-mmap-write to 2 preemptions and 2 reclaim actions', () => {
    for (const scenario of ['self-mmap-write', 'cross-mmap-write']) {
      const r = verify({ strategy: 'two-copy', scenario }, bounds(2, 2));
      expect(r.result, scenario).toBe('clean');
      expect(r.schedules).toBeGreaterThan(10);
      expect(r.classes).toBeGreaterThan(0);
      expect(r.classes).toBeLessThanOrEqual(r.schedules);
      expect(r.hash).toMatch(/^[0-9a-f]{8}$/);
    }
  });

  it('the sleep-set reduction explores every class the plain enumeration does (the same hash) and finds every failure it finds, in fewer schedules', () => {
    const cases: [string, string, VerifyBounds][] = [
      ['two-copy', 'cross-mmap-write', bounds(1, 2)],
      ['temp-page', 'hole-fill-vs-read', bounds(0, 2)],
      ['v2.6.20', 'cross-mmap-write', bounds(1, 2)],
      ['zero-retry', 'overwrite-vs-read', bounds(0, 2)],
      ['excl-flag', 'self-mmap-write', bounds(1, 2)],
    ];
    let saved = 0;
    for (const [strategy, scenario, b] of cases) {
      const found = (reduction: boolean) => {
        const titles = new Set<string>();
        const r = verify({ strategy, scenario }, b, { exhaustive: true, reduction, onRun: (o) => void (o.ok || titles.add(signatureOf(o)!.title)) });
        return { r, titles: [...titles].sort() };
      };
      const plain = found(false);
      const reduced = found(true);
      expect(reduced.r.hash, `${strategy} x ${scenario}`).toBe(plain.r.hash);
      expect(reduced.r.classes).toBe(plain.r.classes);
      expect(reduced.titles).toEqual(plain.titles);
      expect(reduced.r.schedules).toBeLessThanOrEqual(plain.r.schedules);
      saved += plain.r.schedules - reduced.r.schedules;
    }
    expect(saved).toBeGreaterThan(0);
  });

  it('reclaim meets a process only at the PTE slots it uses: every schedule of one class has one verdict, and the reduction on top finds every failure the plain enumeration finds', () => {
    // A writer whose buffer straddles two pages, a thread faulting on the file beside it, a thread in munmap: swap-outs of the buffer, unmaps of the file page, and the steps that use or skip each.
    // Were a swap-out independent of every step, 140 of these schedules would share a class with one of another verdict (the check has teeth).
    const config = { strategy: 'excl-flag', scenario: 'overwrite-vs-read-same-mm' };
    const b = bounds(1, 1);
    const verdictOf = new Map<number, string>();
    const conflicts: string[] = [];
    const titles = (reduction: boolean): string[] => {
      const found = new Set<string>();
      verify(config, b, {
        exhaustive: true,
        reduction,
        onRun: (o, form) => {
          const verdict = o.ok ? 'ok' : signatureOf(o)!.title;
          if (!o.ok) found.add(verdict);
          const had = verdictOf.get(form);
          if (had === undefined) verdictOf.set(form, verdict);
          else if (had !== verdict) conflicts.push(`${had} / ${verdict}`);
        },
      });
      return [...found].sort();
    };
    const plain = titles(false);
    expect(conflicts).toEqual([]);
    expect(plain.length).toBeGreaterThan(0);
    expect(titles(true)).toEqual(plain);
  });

  it('every schedule of one class shows each task doing and seeing the same things (its trace, with frames and swap slots renamed): the independence is checked against everything a task observes, not only the verdict', () => {
    // Steps that commute each run from a state that agrees on all they read, so a task's own events (what it locked, found, read in, returned) cannot differ within a class.
    // Reclaim's actions are one multiset (they commute with each other when they share nothing), and which frame or swap slot an allocation got only renames memory.
    // With reclaim's actions compared with user steps by files alone, 130 schedules of the first case and 96 of the second would share a class with a run some task saw differently; with user steps all independent, 1,306 of the first.
    const cases: [string, string, VerifyBounds][] = [
      ['temp-page', 'hole-fill-vs-read', bounds(1, 1)],
      ['excl-flag', 'overwrite-vs-read-same-mm', bounds(0, 1)],
      ['two-copy', 'cross-mmap-write', bounds(1, 1)],
    ];
    for (const [strategy, scenario, b] of cases) {
      const traces = taskTraces(strategy, scenario, b.reclaimActionsMax);
      const viewOf = new Map<number, string>();
      const conflicts: string[] = [];
      verify({ strategy, scenario }, b, {
        exhaustive: true,
        reduction: false,
        onRun: (o, form) => {
          const view = traces(o);
          const had = viewOf.get(form);
          if (had === undefined) viewOf.set(form, view);
          else if (had !== view) conflicts.push(o.choices.join(','));
        },
      });
      expect(conflicts, `${strategy} x ${scenario}`).toEqual([]);
    }
  });

  it('any split of the search by prefix gives the same certificate: the subtrees of the first choice add up to the whole', () => {
    const config = { strategy: 'two-copy', scenario: 'cross-mmap-write' };
    const whole = verify(config, bounds(1, 1), { reduction: false });
    // The first choice of this scenario is which writer starts: two subtrees.
    const parts = [[0], [1]].map((prefix) => verify(config, bounds(1, 1), { reduction: false, prefix }));
    expect(parts[0]!.schedules + parts[1]!.schedules).toBe(whole.schedules);
  });

  it('splitSearch cuts the search into subtrees that, carrying the sleep sets the whole search has at each cut, add up to it schedule for schedule: the same count, classes, hash and counterexample', () => {
    const cases: [string, string, VerifyBounds][] = [
      ['two-copy', 'cross-mmap-write', bounds(1, 2)],
      ['temp-page', 'hole-fill-vs-read', bounds(1, 2)],
    ];
    for (const [strategy, scenario, b] of cases) {
      const config = { strategy, scenario };
      const whole = verify(config, b);
      expect(whole.result).toBe(strategy === 'two-copy' ? 'clean' : 'fail');
      const parts = splitSearch(config, b);
      expect(parts.length, `${strategy} x ${scenario}`).toBeGreaterThan(8);
      // Run last to first, as threads may finish them: the merge goes by the cut's order, not the order they ran in.
      const results = parts.map((_, i) => i).reverse().map((i) => verify(config, b, { prefix: parts[i]!.prefix, sleeping: parts[i]!.sleeping })).reverse();
      const merged = mergeSearch(b, results);
      expect(merged.result).toBe(whole.result);
      expect(merged.schedules).toBe(whole.schedules);
      expect(merged.classes).toBe(whole.classes);
      expect(merged.hash).toBe(whole.hash);
      expect(merged.failure?.choices).toEqual(whole.failure?.choices);
    }
  });

  it('a model kept across subtrees gives each the schedules, classes and hash of a new one, and a model of another search is refused', () => {
    const config = { strategy: 'two-copy', scenario: 'cross-mmap-write' };
    const b = bounds(1, 2);
    const parts = splitSearch(config, b);
    const kept = verifyModel(config, b);
    for (const p of parts) {
      const fresh = verify(config, b, { prefix: p.prefix, sleeping: p.sleeping });
      const reused = verify(config, b, { prefix: p.prefix, sleeping: p.sleeping, instance: kept });
      expect({ schedules: reused.schedules, hash: reused.hash, result: reused.result }).toEqual({ schedules: fresh.schedules, hash: fresh.hash, result: fresh.result });
    }
    expect(() => verify(config, b, { instance: verifyModel(config, bounds(1, 1)) })).toThrow(/the model given runs two-copy x cross-mmap-write \(systematic, 1 reclaim actions\), not this search's/);
  });

  it('iterative deepening answers with the smallest failing bound, or the highest certified one', () => {
    expect(verifyDeepening({ strategy: 'v2.6.20', scenario: 'self-mmap-write' }, bounds(0, 1), 3)).toMatchObject({ result: 'fail', bound: 0 });
    const clean = verifyDeepening({ strategy: 'write-begin-end-trim', scenario: 'self-mmap-write' }, bounds(0, 1), 2);
    expect(clean).toMatchObject({ result: 'clean', bound: 2 });
    const stopped = verifyDeepening({ strategy: 'two-copy', scenario: 'overwrite-vs-read' }, bounds(0, 2), 3, { schedulesMax: 50 });
    expect(stopped.result).toBe('stopped');
  });

  it('a matrix cell asked for its bound carries the smallest failing one with what failed, or the highest certified within its budget with that certificate', () => {
    // A fake clock: every reading is 250 ms later.
    let ms = 0;
    const v = (b: VerifyBounds, asksMax = Infinity): MatrixVerify => ({
      bounds: b,
      budget: () => {
        let asks = 0;
        return () => ++asks > asksMax;
      },
      now: () => (ms += 250),
    });
    const failing = matrixCell('v2.6.20', 'self-mmap-write', 10, 1, {}, v(bounds(2, 1)));
    expect(failing.bound).toEqual({ kind: 'fails', preemptions: 0, reclaimActions: 1, params: null, asked: 2, failure: 'deadlock', schedules: failing.bound!.schedules, classes: null, hash: null, seconds: 0.25 });
    // generated draws its programs: its bound says which it covers (here the smallest alone).
    expect(matrixCell('write-begin-end-trim', 'generated', 1, 1, {}, v(bounds(0, 0))).bound).toMatchObject({ kind: 'certified', params: 0 });
    const clean = matrixCell('write-begin-end-trim', 'self-mmap-write', 10, 1, {}, v(bounds(2, 1)));
    expect(clean.bound).toMatchObject({ kind: 'certified', preemptions: 2, asked: 2, failure: null, hash: verify({ strategy: 'write-begin-end-trim', scenario: 'self-mmap-write' }, bounds(2, 1)).hash });
    const byDelays = matrixCell('write-begin-end-trim', 'self-mmap-write', 10, 1, {}, v({ ...bounds(1, 1), delaysMax: 1 }));
    expect(byDelays.bound).toMatchObject({ kind: 'certified', delays: 1 });
    expect(byDelays.bound).not.toHaveProperty('preemptions');
    // Without reclaim, cross-mmap-write has 2 schedules at 0 preemptions and 12 at 1: a budget of 5 certifies 0 and stops inside 1; of none, nothing.
    expect(matrixCell('two-copy', 'cross-mmap-write', 10, 1, {}, v(bounds(3, 0), 5)).bound).toMatchObject({ kind: 'certified', preemptions: 0, asked: 3, schedules: 5 });
    expect(matrixCell('two-copy', 'self-mmap-write', 10, 1, {}, v(bounds(3, 2), 0)).bound).toMatchObject({ kind: 'none', preemptions: null, schedules: 0, hash: null });
    expect(matrixCell('two-copy', 'self-mmap-write', 10).bound).toBeUndefined();
  });

  it('delay bounding counts every deviation from the deterministic schedule, so it explores no more than the preemption bound of the same size', () => {
    const config = { strategy: 'two-copy', scenario: 'mmap-sem-inversion' };
    const byDelays = verify(config, { ...bounds(1, 1), delaysMax: 1 }, { exhaustive: true });
    const byPreemptions = verify(config, bounds(1, 1), { exhaustive: true });
    expect(byDelays.result).toBe('clean');
    expect(byDelays.schedules).toBeLessThan(byPreemptions.schedules);
  });
});
