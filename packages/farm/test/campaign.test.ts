import { BLOCKS_PER_PAGE, SCENARIOS, SCHEDULERS, STRATEGIES } from '@pcfarm/core';
import { describe, expect, it } from 'vitest';
import { batchAt, batchConfig, batchCount, CAMPAIGN_SCHEDULERS, campaignSpec, checkBatch, checkMinimizeJob, FarmError, minimizeJobOf, newCampaign, seedCount, upgradeCampaign, type Bucket, type Campaign } from '../dist/index.js';

describe('campaign specs', () => {
  it('default to every strategy x every scenario x every blocks per page (1, 2, 4) over a seed range', () => {
    const s = campaignSpec({});
    expect(s.strategies).toEqual(STRATEGIES);
    expect(s.scenarios).toEqual(SCENARIOS);
    expect(s.blocksPerPage).toEqual([1, 2, 4]);
    expect(s.blocksPerPage).toEqual(BLOCKS_PER_PAGE);
    expect(s.seedsPerCell).toBeGreaterThan(0);
    expect(s.timeBudgetMs).toBeNull();
  });

  it('are named by their cells when no name is given, as fuzz names its campaigns, not all "campaign"', () => {
    expect(campaignSpec({}).name).toBe('every strategy x every scenario x bpp 1,2,4');
    expect(campaignSpec({ strategies: ['v2.6.20', 'two-copy'], scenarios: ['self-mmap-write'], blocksPerPage: [1, 4] }).name).toBe('v2.6.20,two-copy x self-mmap-write x bpp 1,4');
    expect(campaignSpec({ scenarios: [...SCENARIOS].reverse() }).name).toBe('every strategy x every scenario x bpp 1,2,4');
    expect(campaignSpec({ name: 'mine' }).name).toBe('mine');
  });

  it('run every scheduler the core has but replay, and the searches (guided, portfolio), in the spec and in the batch jobs a worker checks', () => {
    expect(CAMPAIGN_SCHEDULERS).toEqual([...SCHEDULERS.filter((s) => s !== 'replay'), 'guided', 'portfolio']);
    for (const scheduler of CAMPAIGN_SCHEDULERS) {
      const c = newCampaign('c1', campaignSpec({ scheduler, seedsPerCell: 10 }), 0);
      expect(checkBatch(batchAt(c, 0)).scheduler).toBe(scheduler);
    }
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
    // Every scheduler but replay (which needs a recorded choice list, not seeds), as the core lists them.
    [{ scheduler: 'replay' as never }, /a campaign runs pct, random\b|a campaign runs pct or random$/],
    [{ batchSeeds: 0 }, /batchSeeds must be a whole number from 1/],
    [{ seedsPerCell: 1.5 }, /seedsPerCell must be a whole number/],
    [{ seedsPerCell: null }, /needs seedsPerCell, timeBudgetMs or both/],
    [{ blocksPerPage: [3] }, /blocksPerPage must list only 1, 2, 4 \(disk blocks per page\), not 3/],
    [{ blocksPerPage: [] }, /blocksPerPage must be a non-empty list of 1, 2, 4/],
    [{ blocksPerPage: [2, 2] }, /blocksPerPage lists one twice/],
    [{ blocksPerPage: '4' as never }, /blocksPerPage must be a non-empty list of 1, 2, 4, not "4"/],
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
  it('cover every seed of every strategy x scenario x blocks-per-page cell exactly once, every cell before any cell twice', () => {
    const spec = campaignSpec({ strategies: ['v2.6.20', 'gup-pin'], scenarios: ['generated', 'multi-segment', 'mmap-rw-fault'], seedStart: 7, seedsPerCell: 130, batchSeeds: 50 });
    const c = newCampaign('c1', spec, 0);
    const total = batchCount(spec)!;
    // Blocks per page is an axis: three times the cells of strategies x scenarios.
    expect(total).toBe(2 * 3 * 3 * 3);
    expect(seedCount(spec)).toBe(2 * 3 * 3 * 130);
    const seen = new Map<string, number[]>();
    for (let i = 0; i < total; i++) {
      const b = batchAt(c, i)!;
      expect(b.index).toBe(i);
      if (i < 18) expect(b.seedStart).toBe(7);
      // The batch runs the model at its blocks per page.
      expect(batchConfig(b).blocksPerPage).toBe(b.blocksPerPage);
      const key = `${b.strategy}/${b.scenario}/${b.blocksPerPage}`;
      const seeds = seen.get(key) ?? [];
      for (let s = b.seedStart; s < b.seedStart + b.seedCount; s++) seeds.push(s);
      seen.set(key, seeds);
    }
    expect(batchAt(c, total)).toBeNull();
    expect(seen.size).toBe(18);
    expect(new Set([...seen.keys()].map((k) => k.split('/')[2]))).toEqual(new Set(['1', '2', '4']));
    for (const seeds of seen.values()) expect(seeds).toEqual(Array.from({ length: 130 }, (_, i) => 7 + i));
  });

  it('of a campaign stored before blocks per page was an axis run whole-page buffers, as it did', () => {
    const spec = campaignSpec({ strategies: ['v2.6.20'], scenarios: ['generated'], seedsPerCell: 100, batchSeeds: 50 });
    const { blocksPerPage: _dropped, ...old } = spec;
    const c = upgradeCampaign({ ...newCampaign('old', spec, 0), spec: old } as Campaign);
    expect(c.spec.blocksPerPage).toEqual([1]);
    expect(batchCount(c.spec)).toBe(2);
    expect([batchAt(c, 0)!.blocksPerPage, batchAt(c, 1)!.blocksPerPage]).toEqual([1, 1]);
  });

  it('go on without end on a time budget not steered', () => {
    const c = newCampaign('c2', campaignSpec({ timeBudgetMs: 1000, strategies: ['gup-pin'], scenarios: ['generated'], batchSeeds: 10, steer: null }), 0);
    // One strategy x one scenario x three blocks per page: batch 3n starts round n.
    expect(batchAt(c, 3_000_000)!.seedStart).toBe(10_000_000);
  });
});

describe('job payloads', () => {
  const c = newCampaign('c3', campaignSpec({ strategies: ['v2.6.20'], scenarios: ['self-mmap-write'], blocksPerPage: [4], seedsPerCell: 100 }), 0);
  const bucket = (severity: Bucket['severity']): Bucket => ({
    id: 'b',
    title: 't',
    kind: 'deadlock',
    severity,
    strategy: 'v2.6.20',
    sites: [],
    scenarios: ['self-mmap-write'],
    blocksPerPage: [4],
    count: 1,
    examples: [{ seed: 3, scenario: 'self-mmap-write', blocksPerPage: 4, batch: 0 }],
    firstSeenAt: 0,
    lastSeenAt: 0,
    minimized: null,
    witness: null,
  });

  it('hold to the campaign\'s seed range: a job whose seeds run past the largest seed a run takes is an EBADJOB naming them, as a spec is an EBADCAMPAIGN', () => {
    const b = batchAt(c, 0)!;
    const last = Number.MAX_SAFE_INTEGER;
    expect(checkBatch({ ...b, seedStart: last - 99, seedCount: 100 }).seedStart).toBe(last - 99);
    expect(() => checkBatch({ ...b, seedStart: last - 98, seedCount: 100 })).toThrow(expect.objectContaining({ code: 'EBADJOB', message: `malformed batch job: seeds ${last - 98}..${BigInt(last) + 1n} run past the largest seed, ${last}` }));
    expect(() => campaignSpec({ seedStart: last - 98, seedsPerCell: 100 })).toThrow(expect.objectContaining({ code: 'EBADCAMPAIGN' }));
    expect(() => checkMinimizeJob({ ...minimizeJobOf(c, bucket('failure'), 10), seed: last + 1 })).toThrow(expect.objectContaining({ code: 'EBADJOB' }));
  });

  it('carry blocks per page, and a payload without a valid one is an EBADJOB naming it', () => {
    expect(checkBatch(batchAt(c, 0)).blocksPerPage).toBe(4);
    const job = minimizeJobOf(c, bucket('failure'), 100);
    expect(checkMinimizeJob(job).blocksPerPage).toBe(4);
    for (const [check, payload] of [
      [checkBatch, { ...batchAt(c, 0)!, blocksPerPage: 3 }],
      [checkMinimizeJob, { ...job, blocksPerPage: undefined }],
    ] as const) {
      expect(() => check(payload)).toThrow(/^malformed (batch|minimization) job: blocksPerPage must be one of 1, 2, 4, not (3|undefined)$/);
    }
  });

  it('minimize failure buckets only: a warning has no failure to keep', () => {
    expect(() => minimizeJobOf(c, bucket('warning'), 100)).toThrow(/bucket b of campaign c3 is a warning: its runs did not fail, so there is nothing to minimize/);
  });
});
