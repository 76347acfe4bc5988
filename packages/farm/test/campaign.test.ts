import { SCENARIOS, STRATEGIES } from '@pcfarm/core';
import { describe, expect, it } from 'vitest';
import { batchAt, batchCount, campaignSpec, FarmError, newCampaign } from '../dist/index.js';

describe('campaign specs', () => {
  it('default to every strategy x every scenario over a seed range', () => {
    const s = campaignSpec({});
    expect(s.strategies).toEqual(STRATEGIES);
    expect(s.scenarios).toEqual(SCENARIOS);
    expect(s.seedsPerCell).toBeGreaterThan(0);
    expect(s.timeBudgetMs).toBeNull();
  });

  it('run only a time budget when one is given without a seed range', () => {
    const s = campaignSpec({ timeBudgetMs: 5000 });
    expect(s.seedsPerCell).toBeNull();
    expect(batchCount(s)).toBeNull();
  });

  it.each([
    [{ strategies: ['v2.6.2'] }, /unknown strategy "v2.6.2"; known: v2.6.20/],
    [{ scenarios: [] }, /scenarios must be a non-empty list/],
    [{ scenarios: ['generated', 'generated'] }, /scenarios lists one twice/],
    [{ scheduler: 'replay' as never }, /a campaign runs pct or random/],
    [{ batchSeeds: 0 }, /batchSeeds must be a whole number from 1/],
    [{ seedsPerCell: 1.5 }, /seedsPerCell must be a whole number/],
    [{ seedsPerCell: null }, /needs seedsPerCell, timeBudgetMs or both/],
  ])('reject %j naming what is wrong', (input, message) => {
    expect(() => campaignSpec(input)).toThrow(message);
    try {
      campaignSpec(input);
    } catch (e) {
      expect((e as FarmError).code).toBe('EBADCAMPAIGN');
    }
  });
});

describe('batches', () => {
  it('cover every seed of every cell exactly once, every cell before any cell twice', () => {
    const spec = campaignSpec({ strategies: ['v2.6.20', 'gup-pin'], scenarios: ['generated', 'multi-segment', 'mmap-rw-fault'], seedStart: 7, seedsPerCell: 130, batchSeeds: 50 });
    const c = newCampaign('c1', spec, 0);
    const total = batchCount(spec)!;
    expect(total).toBe(2 * 3 * 3);
    const seen = new Map<string, number[]>();
    for (let i = 0; i < total; i++) {
      const b = batchAt(c, i)!;
      expect(b.index).toBe(i);
      if (i < 6) expect(b.seedStart).toBe(7);
      const key = `${b.strategy}/${b.scenario}`;
      const seeds = seen.get(key) ?? [];
      for (let s = b.seedStart; s < b.seedStart + b.seedCount; s++) seeds.push(s);
      seen.set(key, seeds);
    }
    expect(batchAt(c, total)).toBeNull();
    expect(seen.size).toBe(6);
    for (const seeds of seen.values()) expect(seeds).toEqual(Array.from({ length: 130 }, (_, i) => 7 + i));
  });

  it('go on without end on a time budget', () => {
    const c = newCampaign('c2', campaignSpec({ timeBudgetMs: 1000, strategies: ['gup-pin'], scenarios: ['generated'], batchSeeds: 10 }), 0);
    expect(batchAt(c, 1_000_000)!.seedStart).toBe(10_000_000);
  });
});
