import { describe, expect, it } from 'vitest';
import { ChoiceStream } from '../src/choice.js';
import { ConfigError, Model } from '../src/index.js';

describe('the choice stream', () => {
  it('a seed expands to the same choices on every run', () => {
    const a = new ChoiceStream();
    const b = new ChoiceStream();
    a.seed(42);
    b.seed(42);
    const xs = Array.from({ length: 1000 }, (_, i) => a.choose(2 + (i % 7)));
    const ys = Array.from({ length: 1000 }, (_, i) => b.choose(2 + (i % 7)));
    expect(xs).toEqual(ys);
    expect(a.choices()).toEqual(xs);
  });

  it('different seeds, high bits included, give different streams', () => {
    const draw = (seed: number): number[] => {
      const s = new ChoiceStream();
      s.seed(seed);
      return Array.from({ length: 32 }, () => s.choose(1000));
    };
    expect(draw(1)).not.toEqual(draw(2));
    expect(draw(5)).not.toEqual(draw(5 + 2 ** 32));
  });

  it('every choice falls in range and all values of a small range come up', () => {
    const s = new ChoiceStream();
    s.seed(3);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const v = s.choose(5);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(5);
      seen.add(v);
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('a choice among one is no choice: nothing is consumed or recorded', () => {
    const s = new ChoiceStream();
    s.replay([3]);
    expect(s.choose(1)).toBe(0);
    expect(s.choose(10)).toBe(3);
    expect(s.choices()).toEqual([3]);
  });

  it('a replayed value too big for its decision takes the largest that fits, and the list answers 0 once it runs out', () => {
    const s = new ChoiceStream();
    s.replay([9, 1]);
    expect(s.choose(4)).toBe(3);
    expect(s.choose(4)).toBe(1);
    expect(s.choose(4)).toBe(0);
    expect(s.choices()).toEqual([3, 1, 0]);
  });
});

describe('bad input gets a clear error naming what was wrong', () => {
  it('an unknown strategy lists the valid ones', () => {
    expect(() => new Model({ strategy: 'v2.6.2', scenario: 'generated' })).toThrow(/unknown strategy "v2.6.2"; valid strategies: v2.6.20, gup-pin, temp-page, zero-retry, zero-retry-not-uptodate, excl-flag, two-copy, write-begin-end/);
  });
  it('an unknown scenario lists the valid ones', () => {
    expect(() => new Model({ strategy: 'v2.6.20', scenario: 'nope' })).toThrow(/unknown scenario "nope"; valid scenarios: self-mmap-write, /);
  });
  it('a malformed limit is an EBADCONFIG error naming it', () => {
    try {
      new Model({ strategy: 'v2.6.20', scenario: 'generated', blocksPerPage: 3 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).code).toBe('EBADCONFIG');
      expect((e as Error).message).toMatch(/blocksPerPage must be 1, 2 or 4/);
    }
  });
  it('a negative or fractional seed is refused', () => {
    const m = new Model({ strategy: 'v2.6.20', scenario: 'generated' });
    expect(() => m.run({ seed: -1 })).toThrow(/a seed must be a whole number/);
    expect(() => m.run({ seed: 1.5 })).toThrow(/a seed must be a whole number/);
  });
});
