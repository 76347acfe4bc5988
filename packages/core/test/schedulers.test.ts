import { describe, expect, it } from 'vitest';
import { Model, SCHEDULERS, signatureOf, type Outcome } from '../src/index.js';
import { firstFailure } from './helpers.js';

const fingerprint = (o: Outcome) => ({ ok: o.ok, title: signatureOf(o)?.title ?? null, steps: o.steps, scheduleHash: o.scheduleHash });

describe('the sampling schedulers', () => {
  for (const scheduler of ['pos', 'surw'] as const) {
    it(`${scheduler}: a seed runs the same on a fresh model, and a failing run replays from its choice list alone`, () => {
      for (const scenario of ['cross-mmap-write', 'hole-fill-vs-read', 'generated']) {
        const a = new Model({ strategy: 'v2.6.20', scenario, scheduler });
        const b = new Model({ strategy: 'v2.6.20', scenario, scheduler });
        for (let seed = 0; seed < 100; seed++) {
          const o = a.run({ seed });
          expect(fingerprint(b.run({ seed }))).toEqual(fingerprint(o));
          if (!o.ok) expect(fingerprint(a.run({ choices: o.choices }))).toEqual(fingerprint(o));
        }
      }
    });
  }

  it('pos and surw are schedulers a user can pick, and each finds the ABBA deadlock of v2.6.20 on cross-mmap-write', () => {
    expect(SCHEDULERS).toEqual(expect.arrayContaining(['pct', 'random', 'pos', 'surw']));
    for (const scheduler of ['pos', 'surw'] as const) {
      const o = firstFailure({ strategy: 'v2.6.20', scenario: 'cross-mmap-write', scheduler }, 3000, undefined, 'deadlock');
      expect(o!.failure!.message, scheduler).toMatch(/ABBA deadlock/);
    }
  });

  it('pos samples as widely as random where every step races: hundreds of distinct schedules in 300 seeds of cross-mmap-write', () => {
    // On cross-mmap-write every step races (two files, each mapped by the other's process), so pos samples as widely as random.
    const distinct = (scheduler: 'pos' | 'random') => {
      const m = new Model({ strategy: 'two-copy', scenario: 'cross-mmap-write', scheduler });
      return new Set(Array.from({ length: 300 }, (_, seed) => m.run({ seed }).scheduleHash)).size;
    };
    expect(distinct('pos')).toBeGreaterThan(100);
    expect(distinct('random')).toBeGreaterThan(100);
  });
});

describe('communication coverage', () => {
  it('is the same set for the same seeds on any model instance, changes no outcome, and counts pairs of sites across tasks', () => {
    const collect = (seeds: number[]) => {
      const m = new Model({ strategy: 'write-begin-end', scenario: 'hole-fill-vs-read' });
      const pairs = new Set<number>();
      m.communications = pairs;
      const outcomes = seeds.map((seed) => fingerprint(m.run({ seed })));
      return { pairs: [...pairs].sort((x, y) => x - y), outcomes };
    };
    const seeds = Array.from({ length: 200 }, (_, i) => i);
    const a = collect(seeds);
    const b = collect(seeds.slice().reverse());
    expect(b.pairs).toEqual(a.pairs);
    expect(a.pairs.length).toBeGreaterThan(5);
    const plain = new Model({ strategy: 'write-begin-end', scenario: 'hole-fill-vs-read' });
    expect(a.outcomes).toEqual(seeds.map((seed) => fingerprint(plain.run({ seed }))));
    // One task alone communicates with nobody.
    const alone = new Model({ strategy: 'write-begin-end', scenario: 'self-mmap-write', reclaimActionsMax: 0 });
    alone.communications = new Set();
    for (let seed = 0; seed < 50; seed++) alone.run({ seed });
    expect(alone.communications.size).toBe(0);
  });
});
