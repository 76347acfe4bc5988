/**
 * Residual risk (issue 14): a batch counts the runs that reach each coverage
 * hash, a campaign keeps the hashes one run alone reached (Good-Turing's
 * singletons) in both the journal and its snapshots, and the risk per cell
 * is singletons over runs.
 */
import { describe, expect, it } from 'vitest';
import { chaoNewPerRun } from '@pcfarm/core';
import { BatchRunner, batchAt, CampaignResults, campaignRisk, campaignSpec, cellIndex, checkSnapshot, EmbeddedStore, newCampaign, type BatchResult, type Campaign } from '../dist/index.js';
import { tempDir } from './helpers.js';

const SPEC = campaignSpec({ strategies: ['two-copy', 'v2.6.20'], scenarios: ['generated', 'overwrite-vs-read'], blocksPerPage: [1], seedsPerCell: 400, batchSeeds: 50 });

function resultsOf(c: Campaign): BatchResult[] {
  const runner = new BatchRunner();
  const out: BatchResult[] = [];
  for (let i = 0; batchAt(c, i) !== null; i++) out.push(runner.run(batchAt(c, i)!, () => 0));
  return out;
}

const campaign = newCampaign('risk0001', SPEC, 0);
const results = resultsOf(campaign);

/** The campaign's results folded in order, in reverse order, and in order from their journal form (each taken before its result is folded). */
function foldedThreeWays(): { forward: CampaignResults; backward: CampaignResults; replayed: CampaignResults } {
  const forward = new CampaignResults(campaign);
  const replayed = new CampaignResults(campaign);
  for (const r of results) {
    replayed.apply(forward.journalForm(r), 0, 0);
    forward.apply(r, 0, 0);
  }
  const backward = new CampaignResults(campaign);
  for (const r of [...results].reverse()) backward.apply(r, 0, 0);
  return { forward, backward, replayed };
}

describe('singletons', () => {
  it('a batch names, of the coverage it reached, what exactly one of its runs reached: all of it for a batch of one run', () => {
    const runner = new BatchRunner();
    const one = runner.run({ ...batchAt(campaign, 0)!, seedCount: 1 }, () => 0);
    expect(one.coverageSingles).toEqual(one.coverage);
    for (const r of results) {
      expect(r.coverageSingles!.every((h) => r.coverage.includes(h))).toBe(true);
      expect(r.coverageSingles!.length).toBeLessThan(r.coverage.length);
    }
  });

  it("are the same whatever order the batches come in, and whether folded whole or in the journal's form", () => {
    const { forward, backward, replayed } = foldedThreeWays();
    const once = forward.snapshot().coverageOnce!;
    expect(once.length).toBeGreaterThan(0);
    expect(backward.snapshot().coverageOnce).toEqual(once);
    expect(replayed.snapshot().coverageOnce).toEqual(once);
    expect(replayed.snapshot().coverage).toEqual(forward.snapshot().coverage);
    // A singleton reached again is one no longer: fewer of them than hashes.
    expect(once.length).toBeLessThan(forward.coverage.size);
  });

  it("survive the embedded store's reopen and its export, and an import checks them", async () => {
    const dir = tempDir();
    const store = EmbeddedStore.open(dir);
    const c = await store.createCampaign(SPEC);
    for (const r of results) await store.recordBatch({ ...r, campaignId: c.id }, 0);
    const before = (await store.summary(c.id)).coverageOnce;
    await store.close();
    const again = EmbeddedStore.open(dir);
    expect((await again.summary(c.id)).coverageOnce).toEqual(before);
    const snap = await again.snapshot(c.id);
    await again.close();
    expect(checkSnapshot(JSON.parse(JSON.stringify(snap)), 'export').coverageOnce).toEqual(snap.coverageOnce);
    expect(() => checkSnapshot({ ...JSON.parse(JSON.stringify(snap)), coverageOnce: [[1, 0]] }, 'export')).toThrow(/coverageOnce\[0\] must be a \[hash, cell\] pair of a hash in coverage/);
  });
});

describe('doubletons', () => {
  it('a batch of two runs names as doubles what both reached, and as singles what one did', () => {
    const runner = new BatchRunner();
    const b = batchAt(campaign, 0)!;
    const [a, c, both] = [runner.run({ ...b, seedCount: 1 }, () => 0), runner.run({ ...b, seedStart: b.seedStart + 1, seedCount: 1 }, () => 0), runner.run({ ...b, seedCount: 2 }, () => 0)];
    const inC = new Set(c.coverage);
    const shared = a.coverage.filter((h) => inC.has(h));
    expect(shared.length).toBeGreaterThan(0);
    expect(both.coverageDoubles).toEqual(shared);
    expect(both.coverageSingles).toEqual(both.coverage.filter((h) => !shared.includes(h)));
  });

  it('a campaign of batches of 200 runs counts, per cell, exactly the hashes two runs reached, as one of batches of a single run does', () => {
    const wide = newCampaign('risk0002', { ...SPEC, batchSeeds: 200 }, 0);
    const batches = resultsOf(wide);
    const runner = new BatchRunner();
    const byRun = new CampaignResults(wide);
    let index = 0;
    for (const r of batches) for (let i = 0; i < r.runs; i++) byRun.apply({ ...runner.run({ ...batchAt(wide, r.index)!, seedStart: r.seedStart + i, seedCount: 1 }, () => 0), index: index++ }, 0, 0);
    const whole = new CampaignResults(wide);
    for (const r of batches) whole.apply(r, 0, 0);
    expect(byRun.snapshot().coverage).toEqual(whole.snapshot().coverage);
    const twice = whole.snapshot().coverageTwice!;
    expect(twice).toEqual(byRun.snapshot().coverageTwice);
    expect(whole.snapshot().coverageOnce).toEqual(byRun.snapshot().coverageOnce);
    // Some of them two runs of one batch reached: the batch's doubles, not only two batches' singles.
    expect(twice.some(([h]) => batches.some((r) => r.coverageDoubles!.includes(h)))).toBe(true);
  });

  it("are the same whatever order the batches come in, whether folded whole or in the journal's form, and through the store's reopen and export", async () => {
    const { forward, backward, replayed } = foldedThreeWays();
    const twice = forward.snapshot().coverageTwice!;
    expect(backward.snapshot().coverageTwice).toEqual(twice);
    expect(replayed.snapshot().coverageTwice).toEqual(twice);
    const dir = tempDir();
    const store = EmbeddedStore.open(dir);
    const c = await store.createCampaign(SPEC);
    for (const r of results) await store.recordBatch({ ...r, campaignId: c.id }, 0);
    await store.close();
    const again = EmbeddedStore.open(dir);
    const snap = await again.snapshot(c.id);
    expect((await again.summary(c.id)).coverageTwice).toEqual(forward.summary().coverageTwice);
    await again.close();
    expect(snap.coverageTwice).toEqual(twice);
    expect(checkSnapshot(JSON.parse(JSON.stringify(snap)), 'export').coverageTwice).toEqual(twice);
    // A doubleton is in the coverage and is no singleton.
    expect(() => checkSnapshot({ ...JSON.parse(JSON.stringify(snap)), coverageTwice: [snap.coverageOnce![0]] }, 'export')).toThrow(/coverageTwice\[0\] must be a \[hash, cell\] pair of a hash in coverage and not in coverageOnce/);
  });

  it('are not counted (null) once a batch of a pcfarm that did not count them is folded in, nor after an import of its snapshot', () => {
    const r = new CampaignResults(campaign);
    r.apply(results[0]!, 0, 0);
    expect(r.summary().coverageTwice).not.toBeNull();
    const { coverageDoubles: _gone, ...older } = results[1]!;
    r.apply(older, 0, 0);
    expect(r.summary().coverageTwice).toBeNull();
    const snap = r.snapshot();
    expect(snap.coverageTwice).toBeUndefined();
    expect(CampaignResults.fromSnapshot(checkSnapshot(JSON.parse(JSON.stringify(snap)), 'export')).summary().coverageTwice).toBeNull();
    expect(campaignRisk(campaign, r.summary(), r.done.ranges(), [])!.aheadThings).toBeNull();
  });
});

describe('campaignRisk', () => {
  it("is singletons over runs per cell and in all, riskiest cell first, with PCT's runs for 95% confidence of a bug of the campaign's depth", () => {
    const r = new CampaignResults(campaign);
    for (const x of results) r.apply(x, 0, 0);
    const risk = campaignRisk(campaign, r.summary(), r.done.ranges(), [...r.buckets.values()])!;
    expect(risk.runs).toBe(4 * 400);
    expect(risk.cells.map((c) => c.runs)).toEqual([400, 400, 400, 400]);
    expect(risk.singletons).toBe(risk.cells.reduce((a, c) => a + c.singletons, 0));
    expect(risk.risk).toBeCloseTo(risk.singletons / risk.runs, 12);
    for (const c of risk.cells) {
      expect(c.risk).toBeCloseTo(c.singletons / 400, 12);
      expect(c.pctRuns95).toBeGreaterThan(1);
    }
    expect(risk.cells.map((c) => c.risk!)).toEqual(risk.cells.map((c) => c.risk!).sort((a, b) => b - a));
  });

  it("extrapolates each cell's discoveries over as many runs again by Chao, from its singletons and doubletons (a failure bucket of two runs among them)", () => {
    const r = new CampaignResults(campaign);
    for (const x of results) r.apply(x, 0, 0);
    const buckets = [...r.buckets.values()];
    const risk = campaignRisk(campaign, r.summary(), r.done.ranges(), buckets)!;
    const twice = r.summary().coverageTwice!;
    let things = 0;
    for (const c of risk.cells) {
      const cell = cellIndex(campaign.spec, c.strategy, c.scenario, c.blocksPerPage);
      const pairs = buckets.filter((b) => b.severity === 'failure' && b.count === 2 && cellIndex(campaign.spec, b.strategy, b.examples[0]!.scenario, b.examples[0]!.blocksPerPage) === cell).length;
      expect(c.doubletons).toBe(twice[cell]! + pairs);
      expect(c.ahead).toBe(chaoNewPerRun(c.singletons, c.doubletons!, 400, 400));
      // Over the next as many runs, fewer new things a run than the next run's chance says.
      expect(c.ahead!).toBeLessThanOrEqual(c.risk!);
      things += c.ahead! * 400;
    }
    expect(risk.aheadThings).toBeCloseTo(things, 9);
    expect(risk.doubletons).toBe(risk.cells.reduce((a, c) => a + c.doubletons!, 0));
  });

  it('falls as a cell saturates: after every batch, less than after the first', () => {
    const first = new CampaignResults(campaign);
    first.apply(results[0]!, 0, 0);
    const all = new CampaignResults(campaign);
    for (const x of results) all.apply(x, 0, 0);
    const cell0 = (r: CampaignResults) => campaignRisk(campaign, r.summary(), r.done.ranges(), [...r.buckets.values()])!.cells.find((c) => c.strategy === 'two-copy' && c.scenario === 'generated')!;
    expect(cell0(all).risk!).toBeLessThan(cell0(first).risk!);
  });

  it('is unknown (null) from a store that does not count singletons', () => {
    expect(campaignRisk(campaign, { coverageOnce: null, coverageTwice: null }, [], [])).toBeNull();
  });
});
