/**
 * Campaigns that run for weeks (issue 20): the embedded store's journal
 * grows with what a campaign found, not with what it ran, and compacting it
 * keeps the kill -9 guarantee (a batch counts once or not at all).
 */
import { appendFileSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchRunner, batchAt, campaignSpec, COMPACT_FILE, EmbeddedStore, RESULTS_FILE, RESULTS_FORMAT, type BatchResult, type Campaign, type CampaignSnapshot, type JournalEntry } from '../dist/index.js';
import { tempDir } from './helpers.js';

/** One batch ends every 10 ms: about what 2 cores record (50 to 150 batches a second). */
const BATCH_MS = 10;

function clock(stepMs: number): () => number {
  let t = 1_700_000_000_000;
  return () => (t += stepMs);
}

/** A time-budgeted campaign of two strategies x two scenarios, batches of 50 seeds, round the cells (these tests record batches by index). */
async function campaignIn(store: EmbeddedStore): Promise<Campaign> {
  return store.createCampaign(campaignSpec({ strategies: ['v2.6.20', 'excl-flag'], scenarios: ['self-mmap-write', 'generated'], blocksPerPage: [1], seedsPerCell: null, timeBudgetMs: 3_600_000, batchSeeds: 50, steer: null }));
}

/** The batch results of batches [from, to) of a campaign, computed once per test file. */
const runner = new BatchRunner();
const computed = new Map<number, BatchResult>();
function resultOf(c: Campaign, i: number): BatchResult {
  let r = computed.get(i);
  if (r === undefined) {
    r = runner.run(batchAt(c, i)!, () => 0);
    computed.set(i, r);
  }
  return { ...r, campaignId: c.id };
}

async function record(store: EmbeddedStore, c: Campaign, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await store.recordBatch(resultOf(c, i), i * BATCH_MS);
}

/** Every campaign of a store, as export writes it. */
async function everything(store: EmbeddedStore): Promise<CampaignSnapshot[]> {
  const out: CampaignSnapshot[] = [];
  for (const c of await store.listCampaigns()) out.push(await store.snapshot(c.id));
  return out;
}

function journal(dir: string): JournalEntry[] {
  return readFileSync(join(dir, RESULTS_FILE), 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as JournalEntry);
}

/** A journal that has batches, a minimized bucket, a state change, and a deleted campaign: every record type but snapshot. */
async function busyJournal(dir: string, options: { compactTailBytesMin?: number } = {}): Promise<{ store: EmbeddedStore; c: Campaign }> {
  const store = EmbeddedStore.open(dir, { now: clock(BATCH_MS), ...options });
  const gone = await campaignIn(store);
  await record(store, gone, 0, 3);
  await store.deleteCampaign(gone.id);
  const c = await campaignIn(store);
  await record(store, c, 0, 40);
  const b = (await store.buckets(c.id)).find((x) => x.severity === 'failure')!;
  const ex = b.examples[0]!;
  await store.recordMinimized(c.id, b.id, { reproducer: 'pcfarm1:test', seed: ex.seed, scenario: ex.scenario, blocksPerPage: ex.blocksPerPage, choices: 3, switches: 1, steps: 20, runs: 10, stoppedBy: 'fixpoint', at: 5 });
  await store.setState(c.id, 'stopped', 400);
  return { store, c };
}

describe('the journal of a long campaign', () => {
  it('keeps of each batch only the coverage hashes new to its campaign', async () => {
    const dir = tempDir();
    const { store, c } = await busyJournal(dir);
    const kept = journal(dir).flatMap((e) => (e.type === 'batch' && e.result.campaignId === c.id ? e.result.coverage : []));
    expect(kept.length).toBe((await store.summary(c.id)).coverage);
    expect(new Set(kept).size).toBe(kept.length);
    await store.close();
  });

  it('compacted, grows under 0.5 bytes a run once its coverage levels off (batches 40 to 160 of 50 seeds)', async () => {
    const dir = tempDir();
    const store = EmbeddedStore.open(dir, { now: clock(BATCH_MS) });
    const c = await campaignIn(store);
    await record(store, c, 0, 40);
    store.compact();
    const [bytesBefore, runsBefore] = [store.bytes, (await store.summary(c.id)).runs];
    await record(store, c, 40, 160);
    store.compact();
    const [bytesAfter, runsAfter] = [store.bytes, (await store.summary(c.id)).runs];
    // What is left of a run is its share of new coverage, of the samples, and of its bucket counts.
    const perRun = (bytesAfter - bytesBefore) / (runsAfter - runsBefore);
    // Before issue 20 the journal grew by about 3.7 bytes a run whatever it found (the coverage list of every batch).
    expect(perRun).toBeGreaterThan(0);
    expect(perRun).toBeLessThan(0.5);
    await store.close();
  });

  it('compacted, opens to exactly the campaigns, buckets, coverage, samples and done set the journal replayed to', async () => {
    const dir = tempDir();
    // Not closed (closing compacts): the journal as a kill leaves it.
    await busyJournal(dir);
    const copy = tempDir();
    copyFileSync(join(dir, RESULTS_FILE), join(copy, RESULTS_FILE));
    // Read-only never compacts: this is the journal replayed record by record.
    const replayed = await everything(EmbeddedStore.open(dir, { readOnly: true }));
    // Any tail is worth compacting here: this open compacts.
    const compacted = EmbeddedStore.open(copy, { compactTailBytesMin: 0 });
    expect(compacted.compactions).toBe(1);
    expect(journal(copy).map((e) => e.type)).toEqual(['snapshot']);
    expect(await everything(compacted)).toEqual(replayed);
    await compacted.close();
    expect(await everything(EmbeddedStore.open(copy, { readOnly: true }))).toEqual(replayed);
  });

  it('resumed from a compacted journal, records the next batches exactly as the uncompacted one does', async () => {
    const [a, b] = [tempDir(), tempDir()];
    const { c } = await busyJournal(a);
    copyFileSync(join(a, RESULTS_FILE), join(b, RESULTS_FILE));
    const sa = EmbeddedStore.open(a, { now: clock(BATCH_MS) });
    const sb = EmbeddedStore.open(b, { now: clock(BATCH_MS), compactTailBytesMin: 0 });
    expect([sa.compactions, sb.compactions]).toEqual([0, 1]);
    for (const s of [sa, sb]) {
      await record(s, c, 40, 60);
      // A batch recorded before the compaction is not counted again after it.
      expect((await s.recordBatch(resultOf(c, 7), 0)).recorded).toBe(false);
    }
    expect(await everything(sb)).toEqual(await everything(sa));
    expect(await sb.doneBatches(c.id)).toEqual([[0, 59]]);
  });

  it('compacts itself when the records appended outgrow the compacted journal, and stays within (1 + 1) x compacted + the tail limit', async () => {
    const dir = tempDir();
    const tailMin = 20_000;
    const store = EmbeddedStore.open(dir, { now: clock(BATCH_MS), compactTailBytesMin: tailMin });
    const c = await campaignIn(store);
    let compacted = 0;
    for (let i = 0; i < 160; i++) {
      const before = store.compactions;
      await store.recordBatch(resultOf(c, i), i);
      if (store.compactions > before) compacted = store.bytes;
      const record = JSON.stringify({ type: 'batch', at: 0, runningMs: 0, result: resultOf(c, i) }).length;
      expect(store.bytes).toBeLessThanOrEqual(compacted + Math.max(tailMin, compacted) + record);
    }
    expect(store.compactions).toBeGreaterThan(2);
    const live = await everything(store);
    await store.close();
    expect(await everything(EmbeddedStore.open(dir, { readOnly: true }))).toEqual(live);
  });

  it('a kill during a compaction, before its rename, loses nothing: the half-written file beside the journal is removed', async () => {
    const dir = tempDir();
    const { store } = await busyJournal(dir);
    const before = await everything(store);
    const journalBefore = readFileSync(join(dir, RESULTS_FILE), 'utf8');
    writeFileSync(join(dir, COMPACT_FILE), `${JSON.stringify(RESULTS_FORMAT)}\n{"type":"snapshot","snap`);
    const reopened = EmbeddedStore.open(dir, { compactTailBytesMin: 0 });
    expect(reopened.compactions).toBe(1);
    expect(reopened.repairs).toEqual([expect.stringMatching(/removed results\.jsonl\.compact\.tmp, a compaction a kill cut short/)]);
    expect(existsSync(join(dir, COMPACT_FILE))).toBe(false);
    expect(await everything(reopened)).toEqual(before);
    await reopened.close();
    // The journal it compacted is the one that was whole.
    expect(await everything(EmbeddedStore.open(dir, { readOnly: true }))).toEqual(before);
    expect(journalBefore.length).toBeGreaterThan(readFileSync(join(dir, RESULTS_FILE), 'utf8').length);
  });

  it('a kill after a compaction, mid-append, loses only the batch being appended, which then runs again and counts once', async () => {
    const dir = tempDir();
    const { store, c } = await busyJournal(dir);
    store.compact();
    const before = await everything(store);
    await store.close();
    const torn = JSON.stringify({ type: 'batch', at: 1, runningMs: 1, result: resultOf(c, 40) } satisfies JournalEntry);
    appendFileSync(join(dir, RESULTS_FILE), torn.slice(0, torn.length >> 1));
    const reopened = EmbeddedStore.open(dir);
    expect(reopened.repairs).toEqual([expect.stringMatching(/set aside an unfinished last line/)]);
    expect(await everything(reopened)).toEqual(before);
    expect((await reopened.recordBatch(resultOf(c, 40), 500)).recorded).toBe(true);
    expect((await reopened.summary(c.id)).batchesDone).toBe(41);
    await reopened.close();
  });

  it('a reader that opened the journal follows the writer across its compactions', async () => {
    const dir = tempDir();
    const writer = EmbeddedStore.open(dir, { now: clock(BATCH_MS) });
    const c = await campaignIn(writer);
    await record(writer, c, 0, 5);
    const reader = EmbeddedStore.open(dir, { readOnly: true });
    expect((await reader.summary(c.id)).batchesDone).toBe(5);
    writer.compact();
    await record(writer, c, 5, 8);
    expect(await reader.snapshot(c.id)).toEqual(await writer.snapshot(c.id));
    // Twice: a second compaction's file may reuse the first one's inode; its header still differs.
    writer.compact();
    writer.compact();
    await record(writer, c, 8, 9);
    expect(await reader.snapshot(c.id)).toEqual(await writer.snapshot(c.id));
    await writer.close();
  });

  it('closed, compacts what it appended since the last compaction, and a second close rewrites nothing', async () => {
    const dir = tempDir();
    const { store } = await busyJournal(dir);
    const before = await everything(store);
    await store.close();
    expect(journal(dir).map((e) => e.type)).toEqual(['snapshot']);
    const text = readFileSync(join(dir, RESULTS_FILE), 'utf8');
    const again = EmbeddedStore.open(dir);
    expect(await everything(again)).toEqual(before);
    await again.close();
    expect(readFileSync(join(dir, RESULTS_FILE), 'utf8')).toBe(text);
  });

  it('reads a version 1 journal (done as a list of indexes, whole coverage lists) and its writer rewrites it as version 2', async () => {
    const dir = tempDir();
    const { store, c } = await busyJournal(dir);
    const want = await store.snapshot(c.id);
    await store.close();
    // The same campaign as a version 1 journal: an imported snapshot with its done set as indexes, then a batch.
    const v1done = want.done.flatMap(([first, last]) => Array.from({ length: last - first + 1 }, (_, k) => first + k));
    const old: CampaignSnapshot = { ...want, done: v1done as never };
    const next = resultOf(c, 40);
    writeFileSync(join(dir, RESULTS_FILE), `${JSON.stringify({ format: 'pcfarm-results', version: 1 })}\n${JSON.stringify({ type: 'snapshot', snapshot: old })}\n${JSON.stringify({ type: 'batch', at: 9, runningMs: 9, result: next })}\n`);
    const reader = await EmbeddedStore.open(dir, { readOnly: true }).snapshot(c.id);
    expect(reader.done).toEqual([[0, 40]]);
    const upgraded = EmbeddedStore.open(dir);
    expect(JSON.parse(readFileSync(join(dir, RESULTS_FILE), 'utf8').split('\n')[0]!)).toMatchObject(RESULTS_FORMAT);
    expect(await upgraded.snapshot(c.id)).toEqual(reader);
    await upgraded.close();
  });
});
