import { describe, expect, it } from 'vitest';
import { decodeReproducer, encodeReproducer, minimize, Model, reproducerOf, SCENARIOS, signatureOf, STRATEGIES, trimZeros, type Outcome } from '../src/index.js';

const SEEDS = 200;
/** Far above what any cell needs (under 1,000 runs): every minimization here must reach its fixpoint. */
const RUNS_MAX = 4000;

/** The first failing seed of each signature in seeds [0, SEEDS). */
function bucketsOf(model: Model): Map<string, Outcome> {
  const buckets = new Map<string, Outcome>();
  for (let seed = 0; seed < SEEDS; seed++) {
    const o = model.run({ seed });
    if (!o.ok && !buckets.has(signatureOf(o)!.title)) buckets.set(signatureOf(o)!.title, o);
  }
  return buckets;
}

describe('the minimizer, on every failing cell of the verdict matrix', () => {
  // Found while collecting, so that each failing cell is one test and clean cells are none.
  const cells: { strategy: string; scenario: string; model: Model; buckets: Map<string, Outcome> }[] = [];
  for (const strategy of STRATEGIES) {
    for (const scenario of SCENARIOS) {
      const model = new Model({ strategy, scenario });
      const buckets = bucketsOf(model);
      if (buckets.size > 0) cells.push({ strategy, scenario, model, buckets });
    }
  }

  it(`finds failing cells to minimize in seeds 0..${SEEDS - 1}, v2.6.20 among them on the five scenarios it always fails`, () => {
    const v2620 = cells.filter((c) => c.strategy === 'v2.6.20').map((c) => c.scenario);
    expect(v2620).toEqual(expect.arrayContaining(['self-mmap-write', 'cross-mmap-write', 'mmap-sem-inversion', 'partly-invalid-iovec', 'generated']));
  });

  for (const { strategy, scenario, model, buckets } of cells) {
    it(`${strategy} x ${scenario}: each of its ${buckets.size} bucket(s) minimizes to a fixpoint that replays from its string to the same signature, is no longer, and does not change when minimized again`, () => {
      for (const [title, original] of buckets) {
        const r = minimize(model, { seed: original.seed! }, { runsMax: RUNS_MAX });
        expect(r.signature.title).toBe(title);
        expect(r.stoppedBy).toBe('fixpoint');
        expect(r.choices.length).toBeLessThanOrEqual(original.choices.length);
        expect(r.after.choices).toBeLessThanOrEqual(r.before.choices);
        // The string a user copies, replayed on a fresh model.
        const back = decodeReproducer(encodeReproducer(reproducerOf({ strategy, scenario }, r.choices)));
        const replayed = new Model(back.config).run({ choices: back.choices });
        expect(signatureOf(replayed)!.title).toBe(title);
        expect(trimZeros(replayed.choices)).toEqual(r.choices);
        const again = minimize(model, { choices: r.choices }, { runsMax: RUNS_MAX });
        expect(again.choices).toEqual(r.choices);
        expect(again.stoppedBy).toBe('fixpoint');
      }
    });
  }
});

describe('the minimizer', () => {
  it('shrinks the v2.6.20 self deadlock to fewer choices and fewer context switches than each of 5 seeds that found it', () => {
    const model = new Model({ strategy: 'v2.6.20', scenario: 'self-mmap-write' });
    let checked = 0;
    for (let seed = 0; checked < 5; seed++) {
      const o = model.run({ seed });
      if (o.ok) continue;
      const r = minimize(model, { seed });
      expect(r.after.choices).toBeLessThan(r.before.choices);
      expect(r.after.switches).toBeLessThan(r.before.switches);
      expect(r.before).toEqual({ choices: trimZeros(o.choices).length, nonZero: o.choices.filter((c) => c !== 0).length, switches: o.switches, steps: o.steps });
      checked++;
    }
  });

  it('shrinks a generated scenario through the same stream: its parameters shrink with the schedule', () => {
    const model = new Model({ strategy: 'v2.6.20', scenario: 'generated' });
    let seed = 0;
    while (model.run({ seed }).ok) seed++;
    const r = minimize(model, { seed });
    expect(r.stoppedBy).toBe('fixpoint');
    expect(r.after.choices * 2).toBeLessThanOrEqual(r.before.choices);
    expect(r.after.steps).toBeLessThanOrEqual(r.before.steps);
  });

  it('stops at its run budget, keeps the signature, and says the budget stopped it', () => {
    const model = new Model({ strategy: 'v2.6.20', scenario: 'generated' });
    let seed = 0;
    while (model.run({ seed }).ok) seed++;
    const full = minimize(model, { seed });
    const r = minimize(model, { seed }, { runsMax: 5 });
    expect(r.runs).toBe(5);
    expect(r.stoppedBy).toBe('runs');
    expect(r.signature).toEqual(full.signature);
    expect(signatureOf(model.run({ choices: r.choices }))!.title).toBe(full.signature.title);
    expect(r.after.choices).toBeLessThanOrEqual(r.before.choices);
  });

  it("stops when the caller's shouldStop says so, asked before every run but the first", () => {
    const model = new Model({ strategy: 'v2.6.20', scenario: 'self-mmap-write' });
    let asked = 0;
    const r = minimize(model, { seed: 1 }, { shouldStop: () => ++asked > 3 });
    expect(r.stoppedBy).toBe('caller');
    expect(asked).toBe(4);
    expect(r.runs).toBe(4);
  });

  it('refuses a run that passes, and a budget that is not a positive whole number', () => {
    const clean = new Model({ strategy: 'write-begin-end', scenario: 'self-mmap-write' });
    expect(() => minimize(clean, { seed: 1 })).toThrow(expect.objectContaining({ code: 'EPASSES', message: 'nothing to minimize: seed 1 of write-begin-end x self-mmap-write passes' }));
    const failing = new Model({ strategy: 'v2.6.20', scenario: 'self-mmap-write' });
    expect(() => minimize(failing, { seed: 1 }, { runsMax: 0 })).toThrow(expect.objectContaining({ code: 'EBADCONFIG' }));
  });

  it('minimizes under the replay scheduler too, where the choices are the context switches', () => {
    const pct = new Model({ strategy: 'v2.6.20', scenario: 'self-mmap-write' });
    const found = minimize(pct, { seed: 1 });
    // A replay-scheduler list that reaches the deadlock: search a few small schedules.
    const replay = new Model({ strategy: 'v2.6.20', scenario: 'self-mmap-write', scheduler: 'replay' });
    let failing: number[] | null = null;
    for (let i = 0; i < 4096 && failing === null; i++) {
      const choices = Array.from({ length: 12 }, (_, b) => (i >> b) & 1);
      const o = replay.run({ choices });
      if (!o.ok && signatureOf(o)!.title === found.signature.title) failing = choices;
    }
    expect(failing).not.toBeNull();
    const r = minimize(replay, { choices: failing! });
    expect(r.signature.title).toBe(found.signature.title);
    expect(r.stoppedBy).toBe('fixpoint');
    expect(r.after.switches).toBeLessThanOrEqual(r.before.switches);
  });
});
