import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  batchAt,
  batchCount,
  BatchRunner,
  campaignSpec,
  cellIndex,
  checkSnapshot,
  dealtEnd,
  CoordinatorBooks,
  connectRedis,
  RedisServer,
  EmbeddedStore,
  FarmError,
  RedisStore,
  roundOf,
  SAMPLE_LIMITS,
  type BatchResult,
  type Bucket,
  type Campaign,
  type CampaignSnapshot,
  type CampaignSummary,
  type Minimized,
} from '../dist/index.js';
import { startRedis, type TestRedis } from './redis-server.js';

let redis: TestRedis;
let client: Redis;
const dirs: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  client.disconnect();
  await redis.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pcfarm-store-'));
  dirs.push(d);
  return d;
}

/** A clock that moves `stepMs` per read, so two stores given the same calls see the same times. */
function clock(stepMs: number): () => number {
  let t = 1_700_000_000_000;
  return () => (t += stepMs);
}

/** Failures in every cell but temp-page x self-mmap-write, and warnings (v2.6.20 x hole-fill-vs-read); whole-page buffers. */
const SPEC = campaignSpec({ name: 'store', strategies: ['v2.6.20', 'temp-page'], scenarios: ['self-mmap-write', 'hole-fill-vs-read'], blocksPerPage: [1], seedsPerCell: 200, batchSeeds: 50, examplesPerBucket: 3 });
/** The same over every blocks per page. */
const AXIS = campaignSpec({ ...SPEC, blocksPerPage: [1, 2, 4] });

/** Every batch result of a campaign of SPEC, run in this process. */
function results(c: Campaign): BatchResult[] {
  const runner = new BatchRunner();
  const out: BatchResult[] = [];
  for (let i = 0; i < batchCount(c.spec)!; i++) out.push(runner.run(batchAt(c, i)!, () => 0));
  return out;
}

const forCampaign = (rs: readonly BatchResult[], id: string): BatchResult[] => rs.map((r) => ({ ...r, campaignId: id }));
const timeless = (b: Bucket) => ({ ...b, firstSeenAt: 0, lastSeenAt: 0 });
const sameSummary = (s: CampaignSummary) => ({ ...s, campaign: { ...s.campaign, id: '', createdAt: 0, runningMs: 0 } });
const byId = (a: Bucket, b: Bucket) => (a.id < b.id ? -1 : 1);

describe('RedisStore keeps what EmbeddedStore keeps', () => {
  it('the same batch results, in another order and some twice, give the same summary, buckets (failures and warnings), coverage and done set', async () => {
    const emb = EmbeddedStore.open(tempDir());
    const red = new RedisStore(client, { prefix: 'eq' });
    const ce = await emb.createCampaign(AXIS);
    const cr = await red.createCampaign(AXIS);
    const rs = results(ce);
    expect(rs.some((r) => r.failures.length > 0)).toBe(true);
    expect(rs.some((r) => r.warnings.length > 0)).toBe(true);
    for (const r of rs) expect((await emb.recordBatch(r, 10)).recorded).toBe(true);
    // Reverse order, every third one again: counts must not change.
    const again = [...forCampaign(rs, cr.id)].reverse();
    let recorded = 0;
    const newBuckets: string[] = [];
    for (const [i, r] of again.entries()) {
      const o = await red.recordBatch(r, 10);
      if (o.recorded) recorded++;
      newBuckets.push(...o.newBuckets.map((b) => b.id));
      if (i % 3 === 0) expect(await red.recordBatch(r, 10)).toEqual({ recorded: false, newBuckets: [], lowered: [] });
    }
    expect(recorded).toBe(rs.length);
    expect(sameSummary(await red.summary(cr.id))).toEqual(sameSummary(await emb.summary(ce.id)));
    const summary = await red.summary(cr.id);
    expect(summary.warningBuckets).toBeGreaterThan(0);
    expect(summary.warnings).toBeGreaterThan(0);
    expect(summary.buckets + summary.warningBuckets).toBe((await red.buckets(cr.id)).length);
    // Only failure buckets wait for a reproducer: the warnings are not counted as unminimized.
    expect((await new CoordinatorBooks(client, red.keys).progress(cr.id)).bucketsUnminimized).toBe(summary.buckets);
    const eb = (await emb.buckets(ce.id)).map(timeless).sort(byId);
    expect((await red.buckets(cr.id)).map(timeless).sort(byId)).toEqual(eb);
    expect(newBuckets.sort()).toEqual(eb.map((b) => b.id).sort());
    const [se, sr] = [await emb.snapshot(ce.id), await red.snapshot(cr.id)];
    expect(sr.coverage).toEqual(se.coverage);
    // The singletons too (the summary's per cell, above), hash for hash, whatever order the batches came in.
    expect(sr.coverageOnce).toEqual(se.coverageOnce);
    expect(se.coverageOnce!.length).toBeGreaterThan(0);
    // And the doubletons, with the singletons every batch reached again: hash for hash.
    expect(sr.coverageTwice).toEqual(se.coverageTwice);
    expect(se.coverageTwice!.length).toBeGreaterThan(0);
    expect(sr.done).toEqual(se.done);
    expect(await red.doneBatches(cr.id)).toEqual(await emb.doneBatches(ce.id));
    const one = eb[0]!;
    expect(timeless((await red.bucket(cr.id, one.id))!)).toEqual(one);
    expect(await red.bucket(cr.id, 'nosuchbucket')).toBeNull();
    await emb.close();
  });

  it('samples: with the same clock and order, the same history, the last hour in full and older samples one a minute', async () => {
    // Records alternately 0.3 s after the last (replacing it) and 4 s after (appending): about 1.8 hours of history.
    const ticks = (): (() => number) => {
      let t = 1_700_000_000_000;
      let i = 0;
      return () => (t += i++ % 2 === 0 ? 4000 : 300);
    };
    const emb = EmbeddedStore.open(tempDir(), { now: ticks() });
    const red = new RedisStore(client, { prefix: 'samples', now: ticks() });
    const spec = campaignSpec({ strategies: ['v2.6.20'], scenarios: ['generated'], seedsPerCell: null, timeBudgetMs: 1000, batchSeeds: 1 });
    const ce = await emb.createCampaign(spec);
    const cr = await red.createCampaign(spec);
    for (let i = 0; i < 3000; i++) {
      const r: BatchResult = { batch: '', campaignId: ce.id, index: i, strategy: 'v2.6.20', scenario: 'generated', blocksPerPage: 1, seedStart: i, runs: 1, steps: 3, failures: [], warnings: [], warningRuns: 0, coverage: [i % 500], elapsedMs: 1 };
      await emb.recordBatch(r, i);
      await red.recordBatch({ ...r, campaignId: cr.id }, i);
    }
    const se = await emb.samples(ce.id);
    expect(await red.samples(cr.id)).toEqual(se);
    const newest = se[se.length - 1]!.at;
    const [tier] = SAMPLE_LIMITS.tiers;
    const old = se.filter((s) => newest - s.at >= tier.olderThanMs + tier.intervalMs);
    expect(old.length).toBeGreaterThan(30);
    for (let i = 1; i < old.length; i++) expect(Math.floor(old[i]!.at / tier.intervalMs)).toBeGreaterThan(Math.floor(old[i - 1]!.at / tier.intervalMs));
    // The last hour keeps every sample the interval lets in: one per 4.3 s.
    expect(se.filter((s) => newest - s.at < tier.olderThanMs).length).toBe(Math.ceil(tier.olderThanMs / 4300));
    await emb.close();
  }, 60_000);

  it('records pages of results, some given twice in a page and again in a later one, to the singletons and doubletons of one at a time', async () => {
    const emb = EmbeddedStore.open(tempDir());
    const red = new RedisStore(client, { prefix: 'pages' });
    const ce = await emb.createCampaign(AXIS);
    const cr = await red.createCampaign(AXIS);
    const rs = results(ce);
    for (const r of rs) await emb.recordBatch(r, 10);
    const mine = forCampaign(rs, cr.id);
    // Pages of 24 from the back (two batches of every cell), each with its first result twice, and each page's last again at the head of the next.
    let last: BatchResult | null = null;
    for (let end = mine.length; end > 0; end -= 24) {
      const page = mine.slice(Math.max(0, end - 24), end);
      await red.recordBatches([...(last === null ? [] : [last]), page[0]!, ...page], 10);
      last = page[page.length - 1]!;
    }
    const [se, sr] = [await emb.snapshot(ce.id), await red.snapshot(cr.id)];
    expect(sr.coverageOnce).toEqual(se.coverageOnce);
    expect(sr.coverageTwice).toEqual(se.coverageTwice);
    expect(se.coverageTwice!.length).toBeGreaterThan(0);
    expect(sameSummary(await red.summary(cr.id))).toEqual(sameSummary(await emb.summary(ce.id)));
    await emb.close();
  });

  it('records a batch once when two processes record it at the same time, and every batch when they record different ones', async () => {
    const other = new Redis(redis.url, { maxRetriesPerRequest: null });
    const a = new RedisStore(client, { prefix: 'race' });
    const b = new RedisStore(other, { prefix: 'race' });
    const c = await a.createCampaign(SPEC);
    const rs = forCampaign(results(c), c.id);
    const outcomes = await Promise.all(rs.flatMap((r) => [a.recordBatch(r, 5), b.recordBatch(r, 5)]));
    expect(outcomes.filter((o) => o.recorded).length).toBe(rs.length);
    const emb = EmbeddedStore.open(tempDir());
    const ce = await emb.createCampaign(SPEC);
    for (const r of rs) await emb.recordBatch({ ...r, campaignId: ce.id }, 5);
    expect(sameSummary(await a.summary(c.id))).toEqual(sameSummary(await emb.summary(ce.id)));
    expect((await b.buckets(c.id)).map(timeless).sort(byId)).toEqual((await emb.buckets(ce.id)).map(timeless).sort(byId));
    // Each new bucket was reported by exactly one of the recorders.
    const reported = outcomes.flatMap((o) => o.newBuckets.map((x) => x.id)).sort();
    expect(reported).toEqual((await emb.buckets(ce.id)).map((x) => x.id).sort());
    other.disconnect();
    await emb.close();
  });
});

describe('a steered campaign in both stores', () => {
  // Two cells; bounded only by its time budget, so steered: two batches each round the cells, then its plans.
  const STEERED = campaignSpec({ name: 'steered', strategies: ['v2.6.20'], scenarios: ['self-mmap-write', 'hole-fill-vs-read'], blocksPerPage: [1], seedsPerCell: null, timeBudgetMs: 60_000, batchSeeds: 20 });

  it('keeps the first plan given for each place, reads it back everywhere, counts singletons to each batch\'s own cell, and exports and imports it', async () => {
    const emb = EmbeddedStore.open(tempDir(), { now: clock(1) });
    const red = new RedisStore(client, { prefix: 'steer', now: clock(1) });
    const runner = new BatchRunner();
    const snaps = [];
    const reached = [new Set<number>(), new Set<number>()];
    for (const store of [emb, red]) {
      let c = await store.createCampaign(STEERED);
      expect(c.deal).toEqual([]);
      expect(dealtEnd(c)).toBe(4);
      c = await store.addPlan(c.id, 0, [1, 7]);
      // A second dealer's plan for the same place loses: the first stands, and it reads the stored deal.
      expect((await store.addPlan(c.id, 0, [7, 1])).deal).toEqual([[1, 7]]);
      c = await store.addPlan(c.id, 1, [6, 2]);
      expect(c.deal).toEqual([[1, 7], [6, 2]]);
      expect((await store.listCampaigns()).find((x) => x.id === c.id)!.deal).toEqual(c.deal);
      expect((await store.summary(c.id)).campaign.deal).toEqual(c.deal);
      // Batches 5 and 6 are both of cell 1 (hole-fill-vs-read): index 5 % 2 would have said cell 0.
      const rs = [0, 1, 2, 3, 4, 5, 6].map((i) => ({ ...runner.run(batchAt(c, i)!, () => 0), campaignId: c.id }));
      expect(rs.map((r) => r.scenario)).toEqual(['self-mmap-write', 'hole-fill-vs-read', 'self-mmap-write', 'hole-fill-vs-read', 'self-mmap-write', 'hole-fill-vs-read', 'hole-fill-vs-read']);
      for (const r of rs) await store.recordBatch(r, 5);
      for (const r of rs) for (const h of r.coverage) reached[r.scenario === 'self-mmap-write' ? 0 : 1]!.add(h);
      snaps.push(await store.snapshot(c.id));
    }
    const [e, r] = snaps as [CampaignSnapshot, CampaignSnapshot];
    expect(r.campaign.deal).toEqual(e.campaign.deal);
    expect(r.coverageOnce).toEqual(e.coverageOnce);
    // Each singleton is of the cell whose batches reached it.
    expect(e.coverageOnce!.length).toBeGreaterThan(0);
    for (const [h, cell] of e.coverageOnce!) expect(reached[cell]!.has(h)).toBe(true);
    expect((await red.summary(r.campaign.id)).coverageOnce).toEqual((await emb.summary(e.campaign.id)).coverageOnce);
    expect(r.coverageTwice).toEqual(e.coverageTwice);
    for (const [h, cell] of e.coverageTwice!) expect(reached[cell]!.has(h)).toBe(true);
    // Across stores, the deal goes with the campaign: a resumed import hands out the same batches.
    const back = new RedisStore(client, { prefix: 'steer-imp' });
    await back.importSnapshot(checkSnapshot(JSON.parse(JSON.stringify(e)), 'test'));
    expect((await back.getCampaign(e.campaign.id)).deal).toEqual([[1, 7], [6, 2]]);
    expect((await back.snapshot(e.campaign.id)).coverageTwice).toEqual(e.coverageTwice);
    expect((await back.summary(e.campaign.id)).coverageTwice).toEqual((await emb.summary(e.campaign.id)).coverageTwice);
    const other = EmbeddedStore.open(tempDir());
    await other.importSnapshot(checkSnapshot(JSON.parse(JSON.stringify(r)), 'test'));
    expect((await other.getCampaign(r.campaign.id)).deal).toEqual([[1, 7], [6, 2]]);
    expect(() => checkSnapshot({ ...e, campaign: { ...e.campaign, deal: [[1]] } }, 'test')).toThrow(/campaign.deal\[0\]/);
    await expect(red.addPlan((await red.createCampaign(SPEC)).id, 0, [1, 1, 1, 1])).rejects.toMatchObject({ code: 'ESTATE' });
    await Promise.all([emb.close(), other.close()]);
  });
});

describe('a guided campaign in both stores', () => {
  it('keeps each cell\'s corpus, gives the same guides, exports and imports it, deletes it with the campaign, and refuses a corrupt one naming the cell', async () => {
    const spec = campaignSpec({ ...SPEC, scheduler: 'guided', guide: undefined, seedsPerCell: 150, batchSeeds: 25 });
    const r = new RedisStore(client, { prefix: 'guided' });
    const e = EmbeddedStore.open(tempDir());
    const c = await r.createCampaign(spec);
    await e.importSnapshot(await r.snapshot(c.id));
    const runner = new BatchRunner();
    for (let i = 0; ; i++) {
      const b = batchAt(c, i);
      if (b === null) break;
      const cell = cellIndex(spec, b.strategy, b.scenario, b.blocksPerPage);
      const [gr, ge] = [await r.guide(c.id, cell, roundOf(spec, b)), await e.guide(c.id, cell, roundOf(spec, b))];
      expect(gr).toEqual(ge);
      const result = runner.run(b, () => 0, { spec, guide: gr });
      await r.recordBatch(result, 1);
      await e.recordBatch(result, 1);
    }
    expect(await r.corpus(c.id)).toEqual(await e.corpus(c.id));
    expect((await r.corpus(c.id)).length).toBe(4);
    const snap = await r.snapshot(c.id);
    expect(snap.corpus).toEqual(await e.corpus(c.id));
    // Exported (as JSON, checked on the way in) and imported elsewhere, it goes on from the same corpus.
    expect(checkSnapshot(JSON.parse(JSON.stringify(snap)), 'export')).toEqual(JSON.parse(JSON.stringify(snap)));
    const tampered = JSON.parse(JSON.stringify(snap));
    tampered.corpus[0][1][0].round = 'x';
    expect(() => checkSnapshot(tampered, 'export')).toThrow(/export: corpus\[0\]\[1\]\[0\] must be a contribution \(a corpus contribution lacks its round or its states\)/);
    const other = new RedisStore(client, { prefix: 'guided2' });
    await other.importSnapshot(snap);
    expect(await other.guide(c.id, 1, 20)).toEqual(await r.guide(c.id, 1, 20));
    expect(await other.corpus(c.id)).toEqual(snap.corpus);
    // Imported in one step: a second import of the id is refused whole, its corpus untouched.
    const altered = { ...snap, corpus: snap.corpus!.map(([cell, list]): [number, typeof list] => [cell, list.map((x) => ({ ...x, states: [] }))]) };
    await expect(other.importSnapshot(altered)).rejects.toMatchObject({ code: 'ESTATE' });
    expect(await other.corpus(c.id)).toEqual(snap.corpus);
    // A value no batch wrote is refused, naming the cell and what is wrong.
    await client.hset(r.keys.corpus(c.id, 2), '99', '{"round": 99, "states": [{"state": -1}]}');
    await expect(r.guide(c.id, 2, 200)).rejects.toThrow(/the corpus of cell 2 of campaign \w+ in Redis \(prefix guided\): a corpus state lacks its state hash/);
    await client.hset(r.keys.corpus(c.id, 2), '99', 'not json');
    await expect(r.guide(c.id, 2, 200)).rejects.toMatchObject({ code: 'EBADRESULTS' });
    await r.deleteCampaign(c.id);
    expect(await client.exists(...[0, 1, 2, 3].map((cell) => r.keys.corpus(c.id, cell)))).toBe(0);
  });
});

describe('RedisStore records a page of results at once, and folds its done batches', () => {
  it('a page of results (some recorded before, one given twice, out of order) records each batch once, as recording them one by one does', async () => {
    const one = new RedisStore(client, { prefix: 'page1', now: clock(1) });
    const paged = new RedisStore(client, { prefix: 'page2', now: clock(1) });
    const c1 = await one.createCampaign(AXIS);
    const c2 = await paged.createCampaign(AXIS);
    const rs = results(c1);
    for (const r of rs) await one.recordBatch(r, 10);
    const mine = forCampaign(rs, c2.id);
    // Two batches first, on their own; then the rest in pages of seven, backwards, one batch given twice within a page and both early ones again.
    const first = await paged.recordBatches([mine[3]!, mine[0]!], 10);
    const rest = [...mine].reverse();
    let recorded = 0;
    const newBuckets = first.flatMap((o) => o.newBuckets.map((b) => b.id));
    for (let i = 0; i < rest.length; i += 7) {
      const page = rest.slice(i, i + 7);
      if (i === 0) page.push(page[1]!, mine[3]!, mine[0]!);
      const outcomes = await paged.recordBatches(page, 10);
      expect(outcomes).toHaveLength(page.length);
      recorded += outcomes.filter((o) => o.recorded).length;
      newBuckets.push(...outcomes.flatMap((o) => o.newBuckets.map((b) => b.id)));
      if (i === 0) expect(outcomes.slice(-3).map((o) => o.recorded)).toEqual([false, false, false]);
    }
    expect(recorded).toBe(rs.length - 2);
    expect(sameSummary(await paged.summary(c2.id))).toEqual(sameSummary(await one.summary(c1.id)));
    const want = (await one.buckets(c1.id)).map(timeless).sort(byId);
    expect((await paged.buckets(c2.id)).map(timeless).sort(byId)).toEqual(want);
    // Each bucket said new once, by the page that made it.
    expect(newBuckets.sort()).toEqual(want.map((b) => b.id).sort());
    expect((await paged.snapshot(c2.id)).coverage).toEqual((await one.snapshot(c1.id)).coverage);
    expect(await paged.doneBatches(c2.id)).toEqual([[0, rs.length - 1]]);
    // Every batch given left the handed-out set, recorded now or before.
    expect(await new CoordinatorBooks(client, paged.keys).queuedBatches(c2.id)).toEqual([]);
    await expect(paged.recordBatches([mine[0]!, { ...mine[1]!, campaignId: c1.id }], 10)).rejects.toThrow(/one campaign at a time/);
  });

  it('keeps the done set as small as the batches out of order: after 3,000 batches, Redis holds the few past a gap, and every reader answers as for a set', async () => {
    const s = new RedisStore(client, { prefix: 'fold' });
    const books = new CoordinatorBooks(client, s.keys);
    const spec = campaignSpec({ strategies: ['v2.6.20'], scenarios: ['generated'], seedsPerCell: 3000, batchSeeds: 1 });
    const c = await s.createCampaign(spec);
    const empty = (index: number): BatchResult => ({ batch: '', campaignId: c.id, index, strategy: 'v2.6.20', scenario: 'generated', blocksPerPage: 1, seedStart: index, runs: 1, steps: 2, failures: [], warnings: [], warningRuns: 0, coverage: [], elapsedMs: 0 });
    // Nearly in order, as a farm ends its batches: pages of 50, each backwards; batch 2,000 held back (a slow worker), and 2,500 to 2,509 not run.
    const order = Array.from({ length: 3000 }, (_, i) => i).filter((i) => i !== 2000 && (i < 2500 || i > 2509));
    for (let i = 0; i < order.length; i += 50) await s.recordBatches(order.slice(i, i + 50).reverse().map(empty), 1);
    const done = await client.scard(s.keys.done(c.id));
    // Everything below the held-back batch is folded away; what is left is the batches past it.
    expect(done).toBe(3000 - 2001 - 10);
    expect(await client.hget(s.keys.campaign(c.id), 'doneBelow')).toBe('2000');
    expect(await s.doneBatches(c.id)).toEqual([[0, 1999], [2001, 2499], [2510, 2999]]);
    expect((await s.summary(c.id)).batchesDone).toBe(2989);
    expect((await s.snapshot(c.id)).done).toEqual([[0, 1999], [2001, 2499], [2510, 2999]]);
    // The held-back batch comes: the fold moves up to the next gap.
    await s.recordBatch(empty(2000), 1);
    expect(await client.hget(s.keys.campaign(c.id), 'doneBelow')).toBe('2500');
    expect(await client.scard(s.keys.done(c.id))).toBe(490);
    expect((await s.recordBatch(empty(5), 1)).recorded).toBe(false);
    expect((await s.summary(c.id)).runs).toBe(2990);
    // Handing out skips the folded batches at once and the done ones past them.
    expect(await books.claimBatches(c.id, 20, 3000)).toEqual({ indexes: [2500, 2501, 2502, 2503, 2504, 2505, 2506, 2507, 2508, 2509], cursor: 3000 });
  });

  it('reads a done set an earlier pcfarm wrote (every index, no doneBelow) as it was, and folds it as batches are recorded', async () => {
    const s = new RedisStore(client, { prefix: 'oldfold' });
    const spec = campaignSpec({ strategies: ['v2.6.20'], scenarios: ['generated'], seedsPerCell: 30_000, batchSeeds: 1 });
    const c = await s.createCampaign(spec);
    const old = Array.from({ length: 25_000 }, (_, i) => i);
    for (let i = 0; i < old.length; i += 5000) await client.sadd(s.keys.done(c.id), ...old.slice(i, i + 5000));
    expect((await s.summary(c.id)).batchesDone).toBe(25_000);
    expect(await s.doneBatches(c.id)).toEqual([[0, 24_999]]);
    const empty = (index: number): BatchResult => ({ batch: '', campaignId: c.id, index, strategy: 'v2.6.20', scenario: 'generated', blocksPerPage: 1, seedStart: index, runs: 1, steps: 2, failures: [], warnings: [], warningRuns: 0, coverage: [], elapsedMs: 0 });
    expect((await s.recordBatch(empty(24_999), 1)).recorded).toBe(false);
    // Each recording folds a bounded step of the old set, never all of it in one script.
    expect((await s.recordBatch(empty(25_000), 1)).recorded).toBe(true);
    const below = Number(await client.hget(s.keys.campaign(c.id), 'doneBelow'));
    expect(below).toBeGreaterThan(0);
    expect(below).toBeLessThan(25_000);
    for (let i = 25_001; i < 25_005; i++) await s.recordBatch(empty(i), 1);
    expect(await client.hget(s.keys.campaign(c.id), 'doneBelow')).toBe('25005');
    expect(await client.scard(s.keys.done(c.id))).toBe(0);
    expect(await s.doneBatches(c.id)).toEqual([[0, 25_004]]);
    expect((await s.summary(c.id)).batchesDone).toBe(25_005);
  });
});

describe('RedisStore campaigns', () => {
  const store = () => new RedisStore(client, { prefix: 'crud' });

  it('creates, lists newest first, changes state, and deletes every key of a campaign', async () => {
    const s = new RedisStore(client, { prefix: 'crud', now: clock(1000) });
    const books = new CoordinatorBooks(client, s.keys);
    const c1 = await s.createCampaign(SPEC);
    const c2 = await s.createCampaign({ ...SPEC, name: 'second' });
    expect((await s.listCampaigns()).map((c) => c.id)).toEqual([c2.id, c1.id]);
    expect(await s.getCampaign(c1.id)).toEqual(c1);
    expect((await s.setState(c1.id, 'stopped', 1234)).runningMs).toBe(1234);
    expect((await s.getCampaign(c1.id)).state).toBe('stopped');
    expect(await books.addRunningMs(c1.id, 100)).toBeNull();
    await s.resume(c1.id);
    expect(await books.addRunningMs(c1.id, 100)).toBe(1334);
    await s.recordBatch(results(c1)[0]!, 10);
    await s.deleteCampaign(c1.id);
    expect(await client.keys(`crud:c:${c1.id}*`)).toEqual([]);
    await expect(s.getCampaign(c1.id)).rejects.toMatchObject({ code: 'ENOCAMPAIGN' });
    await expect(s.summary(c1.id)).rejects.toMatchObject({ code: 'ENOCAMPAIGN' });
    await expect(s.recordBatch(results(c1)[1]!, 10)).rejects.toMatchObject({ code: 'ENOCAMPAIGN' });
    await expect(s.deleteCampaign(c1.id)).rejects.toThrow(/no campaign/);
    expect(await books.finish(c2.id)).toBe(true);
    await expect(s.resume(c2.id)).rejects.toMatchObject({ code: 'ESTATE' });
  });

  it('keeps a reproducer only of a bucket\'s lowest example, in both stores alike, and drops it when a later batch lowers that example', async () => {
    for (const s of [store(), EmbeddedStore.open(tempDir())]) {
      const c = await s.createCampaign(SPEC);
      const rs = results(c);
      const title = rs.find((x) => x.failures.length > 0)!.failures[0]!.title;
      const hitting = rs.filter((x) => x.failures.some((h) => h.title === title));
      expect(hitting.length).toBeGreaterThan(1);
      const of = (e: { seed: number; scenario: string; blocksPerPage: number }): Minimized => ({ reproducer: `pcfarm1:x${e.seed}`, ...e, choices: 3, switches: 1, steps: 9, runs: 10, stoppedBy: 'fixpoint', at: 1 });
      // The last batch first: its example is the bucket's lowest until the first batch comes.
      const first = await s.recordBatch(hitting.at(-1)!, 1);
      const b = first.newBuckets.find((x) => x.title === title)!;
      const late = b.examples[0]!;
      expect(await s.recordMinimized(c.id, b.id, of({ ...late, seed: late.seed + 1 }))).toBe(false);
      expect(await s.recordMinimized(c.id, b.id, of(late))).toBe(true);
      expect(await s.recordMinimized(c.id, b.id, of(late))).toBe(false);
      expect((await s.summary(c.id)).minimized).toBe(1);
      const lowering = await s.recordBatch(hitting[0]!, 1);
      expect(lowering.lowered.map((x) => x.id)).toContain(b.id);
      const now = (await s.bucket(c.id, b.id))!;
      expect(now.minimized).toBeNull();
      expect((await s.summary(c.id)).minimized).toBe(0);
      expect(await s.recordMinimized(c.id, b.id, of(late))).toBe(false);
      expect(await s.recordMinimized(c.id, b.id, of(now.examples[0]!))).toBe(true);
      expect((await s.bucket(c.id, b.id))!.minimized!.seed).toBe(now.examples[0]!.seed);
      await expect(s.recordMinimized(c.id, 'nosuchbucket', of(late))).rejects.toMatchObject({ code: 'ENOCAMPAIGN' });
      await s.close();
    }
  });

  it('hands out batch indexes in order, skipping recorded ones, only while the campaign runs', async () => {
    const s = store();
    const books = new CoordinatorBooks(client, s.keys);
    const c = await s.createCampaign(SPEC);
    const rs = results(c);
    await s.recordBatch(rs[1]!, 1);
    await s.recordBatch(rs[2]!, 1);
    expect(await books.claimBatches(c.id, 3, 16)).toEqual({ indexes: [0, 3, 4], cursor: 5 });
    expect(await books.queuedBatches(c.id)).toEqual([0, 3, 4]);
    await s.recordBatch(rs[3]!, 1);
    expect(await books.queuedBatches(c.id)).toEqual([0, 4]);
    expect((await books.progress(c.id)).queued).toBe(2);
    await s.setState(c.id, 'stopped');
    expect(await books.claimBatches(c.id, 3, 16)).toBeNull();
    await s.setState(c.id, 'running');
    expect((await books.claimBatches(c.id, 100, 16))!.indexes).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(await books.claimBatches(c.id, 5, 16)).toEqual({ indexes: [], cursor: 16 });
  });

  it('reports workers until they leave, and gives the coordinator lease to one holder at a time', async () => {
    const s = store();
    const books = new CoordinatorBooks(client, s.keys);
    const w = { id: 'w1', host: 'h', pid: 1, concurrency: 2, runs: 5, runsPerSec: 1, seenAt: 1 };
    await s.reportWorker(w);
    expect(await s.workers()).toEqual([w]);
    await s.dropWorker('w1');
    expect(await s.workers()).toEqual([]);
    expect(await books.holdLease('a', 5000)).toBe(true);
    expect(await books.holdLease('b', 5000)).toBe(false);
    expect(await books.holdLease('a', 5000)).toBe(true);
    await books.releaseLease('b');
    expect(await books.holdLease('b', 5000)).toBe(false);
    await books.releaseLease('a');
    expect(await books.holdLease('b', 5000)).toBe(true);
  });

  it('settles an audit once, keeping a disagreement as a farm bug', async () => {
    const s = store();
    const books = new CoordinatorBooks(client, s.keys);
    const c = await s.createCampaign(SPEC);
    const record = { runs: 1, steps: 2, failures: [], warnings: [], warningRuns: 0, coverage: [1] };
    await books.addPendingAudit(c.id, 4, { worker: 'w1', record });
    await books.addPendingAudit(c.id, 5, { worker: 'w1', record });
    expect([...(await books.pendingAudits(c.id)).keys()].sort()).toEqual([4, 5]);
    expect(await books.settleAudit(c.id, 4, null)).toBe(true);
    expect(await books.settleAudit(c.id, 4, null)).toBe(false);
    const bug = { at: 1, kind: 'determinism' as const, batch: 5, bucketId: null, message: 'differs', details: ['steps: 2 then 3'] };
    expect(await books.settleAudit(c.id, 5, bug)).toBe(true);
    expect(await s.auditSummary(c.id)).toEqual({ passed: 1, sameWorker: 0, failed: 1, pending: 0, bugs: [bug] });
  });
});

describe('connecting', () => {
  it('says a refused or missing password is authentication (EREDISAUTH, at once), not an unreachable Redis', async () => {
    const dir = tempDir();
    const guarded = await RedisServer.start({ dir, password: 'right horse' });
    try {
      const base = `127.0.0.1:${guarded.port}`;
      await expect(connectRedis(`redis://:wrong@${base}`, { connectMs: 20_000 })).rejects.toMatchObject({ code: 'EREDISAUTH', message: expect.stringMatching(/^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused the password in the URL \(WRONGPASS.*authentication failed/) });
      await expect(connectRedis(`redis://${base}`, { connectMs: 20_000 })).rejects.toMatchObject({ code: 'EREDISAUTH', message: expect.stringMatching(/refused to answer without a password \(NOAUTH/) });
      const ok = await connectRedis(guarded.url);
      expect(await ok.ping()).toBe('PONG');
      ok.disconnect();
    } finally {
      await guarded.stop();
    }
  });
});

describe('export and import', () => {
  it('a snapshot goes from Redis to an embedded store and back unchanged (a running one comes in stopped)', async () => {
    const red = new RedisStore(client, { prefix: 'exp' });
    const c = await red.createCampaign(SPEC);
    const rs = results(c);
    for (const r of rs.slice(0, 10)) await red.recordBatch(r, 7);
    const b = (await red.buckets(c.id)).find((x) => x.severity === 'failure')!;
    const e = b.examples[0]!;
    expect(await red.recordMinimized(c.id, b.id, { reproducer: 'pcfarm1:abc', seed: e.seed, scenario: e.scenario, blocksPerPage: e.blocksPerPage, choices: 1, switches: 0, steps: 4, runs: 2, stoppedBy: 'fixpoint', at: 3 })).toBe(true);
    const snap = checkSnapshot(JSON.parse(JSON.stringify(await red.snapshot(c.id))), 'test');
    expect(snap.buckets.some((x) => x.severity === 'warning')).toBe(true);
    expect(snap.warnings).toBeGreaterThan(0);
    const emb = EmbeddedStore.open(tempDir());
    await emb.importSnapshot(snap);
    expect(await emb.snapshot(c.id)).toEqual(snap);
    const back = new RedisStore(client, { prefix: 'imp' });
    const imported = await back.importSnapshot(await emb.snapshot(c.id));
    expect(imported.state).toBe('stopped');
    expect({ ...(await back.snapshot(c.id)), campaign: null }).toEqual({ ...snap, campaign: null });
    expect((await back.summary(c.id)).minimized).toBe(1);
    // Counts and all: warnings and warning buckets come across too.
    expect({ ...(await back.summary(c.id)), campaign: null }).toEqual({ ...(await red.summary(c.id)), campaign: null });
    await expect(back.importSnapshot(snap)).rejects.toMatchObject({ code: 'ESTATE' });
    // Resumed on the farm, it hands out only what it lacks.
    await back.resume(c.id);
    expect((await new CoordinatorBooks(client, back.keys).claimBatches(c.id, 100, batchCount(SPEC)))!.indexes).toEqual([10, 11, 12, 13, 14, 15]);
    await emb.close();
  });

  it('an export of an earlier pcfarm (no severity, no blocks per page, no warnings) reads as failures at whole-page buffers', () => {
    const { blocksPerPage: _dropped, ...oldSpec } = SPEC;
    const bucket = { id: 'b1', title: 'deadlock in v2.6.20: self', kind: 'deadlock', strategy: 'v2.6.20', sites: ['self'], scenarios: ['self-mmap-write'], count: 2, examples: [{ seed: 1, scenario: 'self-mmap-write', batch: 0 }], firstSeenAt: 1, lastSeenAt: 2, minimized: null };
    const old = { campaign: { id: 'ab12', spec: oldSpec, modelVersion: 'core-2', state: 'done', createdAt: 1, runningMs: 2 }, done: [0], runs: 50, steps: 1, failures: 2, coverage: [5], buckets: [bucket], samples: [] };
    const s = checkSnapshot(old, 'old.jsonl line 2');
    expect(s.campaign.spec.blocksPerPage).toEqual([1]);
    expect(s.warnings).toBe(0);
    expect(s.buckets[0]).toMatchObject({ severity: 'failure', blocksPerPage: [1], witness: null, examples: [{ seed: 1, scenario: 'self-mmap-write', blocksPerPage: 1, batch: 0 }] });
    const bad = (patch: object) => () => checkSnapshot({ ...old, buckets: [{ ...bucket, ...patch }] }, 'x');
    expect(bad({ severity: 'info' })).toThrow('x: buckets[0].severity must be failure or warning, not "info"');
    expect(bad({ severity: 'warning', minimized: { reproducer: 'pcfarm1:x', seed: 1 } })).toThrow(/buckets\[0\]\.minimized must be null for a warning/);
    expect(bad({ blocksPerPage: [3] })).toThrow('x: buckets[0].blocksPerPage[0] must be one of 1, 2, 4, not 3');
  });

  it('checkSnapshot names the field that is wrong', () => {
    const good = { campaign: { id: 'ab12', spec: SPEC, modelVersion: 'core-2', state: 'done', createdAt: 1, runningMs: 2 }, done: [0], runs: 1, steps: 1, failures: 0, coverage: [5], buckets: [], samples: [] };
    expect(checkSnapshot(good, 'f').campaign.id).toBe('ab12');
    const bad = (patch: object) => () => checkSnapshot({ ...good, ...patch }, 'x.jsonl line 2');
    expect(bad({ runs: -1 })).toThrow('x.jsonl line 2: runs must be a whole number, not -1');
    expect(bad({ coverage: ['a'] })).toThrow('coverage[0] must be a 32-bit hash');
    expect(bad({ campaign: { ...good.campaign, spec: { ...SPEC, strategies: ['nope'] } } })).toThrow(/campaign.spec: unknown strategy "nope"/);
    expect(bad({ buckets: [{ id: 'x' }] })).toThrow(/buckets\[0\].kind must be one of/);
    expect(bad({ done: [1, 1] })).toThrow(/done must be a list with each batch index once/);
    try {
      bad({ campaign: null })();
    } catch (e) {
      expect(e).toBeInstanceOf(FarmError);
      expect((e as FarmError).code).toBe('EBADRESULTS');
    }
  });
});
