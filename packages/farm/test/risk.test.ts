/**
 * Residual risk (issue 14): a batch counts the runs that reach each coverage
 * hash, a campaign keeps the hashes one run alone reached (Good-Turing's
 * singletons) in both the journal and its snapshots, and the risk per cell
 * is singletons over runs.
 */
import { describe, expect, it } from 'vitest';
import { BatchRunner, batchAt, CampaignResults, campaignRisk, campaignSpec, checkSnapshot, EmbeddedStore, newCampaign, type BatchResult, type Campaign } from '../dist/index.js';
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
    const forward = new CampaignResults(campaign);
    for (const r of results) forward.apply(r, 0, 0);
    const backward = new CampaignResults(campaign);
    for (const r of [...results].reverse()) backward.apply(r, 0, 0);
    const journal = new CampaignResults(campaign);
    const replayed = new CampaignResults(campaign);
    for (const r of results) {
      replayed.apply(journal.journalForm(r), 0, 0);
      journal.apply(r, 0, 0);
    }
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

  it('falls as a cell saturates: after every batch, less than after the first', () => {
    const first = new CampaignResults(campaign);
    first.apply(results[0]!, 0, 0);
    const all = new CampaignResults(campaign);
    for (const x of results) all.apply(x, 0, 0);
    const cell0 = (r: CampaignResults) => campaignRisk(campaign, r.summary(), r.done.ranges(), [...r.buckets.values()])!.cells.find((c) => c.strategy === 'two-copy' && c.scenario === 'generated')!;
    expect(cell0(all).risk!).toBeLessThan(cell0(first).risk!);
  });

  it('is unknown (null) from a store that does not count singletons', () => {
    expect(campaignRisk(campaign, { coverageOnce: null }, [], [])).toBeNull();
  });
});
