import { describe, expect, it } from 'vitest';
import { Model, SCENARIOS, STRATEGIES, type Outcome } from '../src/index.js';

const SEEDS = 100;

function fingerprint(o: Outcome): unknown {
  return { ok: o.ok, failure: o.failure, steps: o.steps, choices: o.choices, scheduleHash: o.scheduleHash, traceHash: o.traceHash, costs: o.costs };
}

describe('determinism: a seed or a choice list replays bit for bit', () => {
  for (const strategy of STRATEGIES) {
    for (const scenario of SCENARIOS) {
      it(`${strategy} x ${scenario}: ${SEEDS} seeds run twice, on a reused and a fresh model, give the same outcome, choices and trace hash`, () => {
        const reused = new Model({ strategy, scenario, trace: true });
        const first = Array.from({ length: SEEDS }, (_, seed) => fingerprint(reused.run({ seed })));
        const again = Array.from({ length: SEEDS }, (_, seed) => fingerprint(reused.run({ seed })));
        const fresh = new Model({ strategy, scenario, trace: true });
        const third = Array.from({ length: SEEDS }, (_, seed) => fingerprint(fresh.run({ seed: SEEDS - 1 - seed }))).reverse();
        expect(again).toEqual(first);
        expect(third).toEqual(first);
      });
    }
  }

  it('tracing changes nothing but the trace: the same seeds give the same outcomes with and without it', () => {
    const plain = new Model({ strategy: 'v2.6.20', scenario: 'generated' });
    const traced = new Model({ strategy: 'v2.6.20', scenario: 'generated', trace: true });
    for (let seed = 0; seed < 200; seed++) {
      const a = plain.run({ seed });
      const b = traced.run({ seed });
      expect({ ...a, trace: null, traceHash: null }).toEqual({ ...b, trace: null, traceHash: null });
    }
  });

  it('coverage is the same set for the same seeds on any model instance, and collecting it changes no outcome', () => {
    const collect = (m: Model, seeds: number[]) => {
      const set = new Set<number>();
      m.coverage = set;
      const outcomes = seeds.map((seed) => fingerprint(m.run({ seed })));
      m.coverage = null;
      return { set: [...set].sort((a, b) => a - b), outcomes };
    };
    const seeds = Array.from({ length: 100 }, (_, i) => i);
    const a = collect(new Model({ strategy: 'zero-retry', scenario: 'generated' }), seeds);
    const b = collect(new Model({ strategy: 'zero-retry', scenario: 'generated' }), seeds.slice().reverse());
    const plain = new Model({ strategy: 'zero-retry', scenario: 'generated' });
    expect(b.set).toEqual(a.set);
    expect(a.set.length).toBeGreaterThan(10);
    expect(a.outcomes).toEqual(seeds.map((seed) => fingerprint(plain.run({ seed }))));
    // More seeds reach more interleavings, never fewer.
    const more = collect(new Model({ strategy: 'zero-retry', scenario: 'generated' }), Array.from({ length: 400 }, (_, i) => i));
    expect(more.set.length).toBeGreaterThan(a.set.length);
    expect(a.set.every((h) => more.set.includes(h))).toBe(true);
  });

  for (const [strategy, scenario] of [
    ['v2.6.20', 'self-mmap-write'],
    ['v2.6.20', 'cross-mmap-write'],
    ['zero-retry', 'overwrite-vs-read'],
    ['v2.6.20', 'generated'],
  ] as const) {
    it(`replaying the recorded choices of failing ${strategy} x ${scenario} seeds gives the same failure at the same step`, () => {
      const model = new Model({ strategy, scenario, trace: true });
      let checked = 0;
      for (let seed = 0; seed < 2000 && checked < 5; seed++) {
        const o = model.run({ seed });
        if (o.ok) continue;
        const r = model.run({ choices: o.choices });
        expect(r.failure).toEqual(o.failure);
        expect(r.steps).toBe(o.steps);
        expect(r.traceHash).toBe(o.traceHash);
        expect(r.choices).toEqual(o.choices);
        checked++;
      }
      expect(checked).toBe(5);
    });
  }

  it('failing runs hash their schedules too: different failing seeds have different schedule hashes', () => {
    const model = new Model({ strategy: 'v2.6.20', scenario: 'self-mmap-write' });
    const hashes = new Set<string>();
    let failing = 0;
    for (let seed = 0; seed < 200; seed++) {
      const o = model.run({ seed });
      if (o.ok) continue;
      failing++;
      hashes.add(`${o.scheduleHash}/${o.choices.join()}`);
    }
    expect(failing).toBeGreaterThan(10);
    expect(new Set([...hashes].map((h) => h.split('/')[0])).size).toBeGreaterThan(failing / 2);
  });

  it('a choice list that ends early replays, answering 0 from there on', () => {
    const model = new Model({ strategy: 'v2.6.20', scenario: 'generated', trace: true });
    const long = model.run({ seed: 7 });
    expect(long.choices.length).toBeGreaterThan(10);
    const prefix = long.choices.slice(0, Math.floor(long.choices.length / 2));
    const short = model.run({ choices: prefix });
    const padded = model.run({ choices: [...prefix, ...new Array<number>(5000).fill(0)] });
    expect(short.choices.slice(0, prefix.length)).toEqual(prefix);
    expect(short.choices.slice(prefix.length).every((c) => c === 0)).toBe(true);
    expect(fingerprint(padded)).toEqual(fingerprint(short));
    const empty = model.run({ choices: [] });
    expect(empty.choices.every((c) => c === 0)).toBe(true);
    expect(fingerprint(model.run({ choices: [] }))).toEqual(fingerprint(empty));
  });

  it('the replay scheduler runs a choice list as a schedule: all zeroes runs each task to completion in order', () => {
    const o = new Model({ strategy: 'write-begin-end', scenario: 'overwrite-vs-read', scheduler: 'replay', trace: true }).run({ choices: [] });
    expect(o.ok).toBe(true);
    const order = o.trace!.map((e) => e.task).filter((task, i, all) => task !== 'sync' && task !== all[i - 1]);
    expect(order).toEqual(['writer', 'reader', 'loader']);
  });

  it('the replay scheduler refuses a seed, with a clear error', () => {
    expect(() => new Model({ strategy: 'v2.6.20', scenario: 'self-mmap-write', scheduler: 'replay' }).run({ seed: 1 })).toThrow(/replay scheduler runs a choice list, not a seed/);
  });
});
