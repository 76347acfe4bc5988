import { batchAt, BatchRunner, campaignSpec, EmbeddedStore, type Campaign } from '@pcfarm/farm';
import { afterEach, describe, expect, it } from 'vitest';
import { liveHubOf, LiveHub, startDashboard, StoreControl, WORKER_LATE_MS, type BucketEvent, type BucketUpdateEvent, type LiveEvent, type StatsEvent } from '../dist/index.js';
import { tempDir, waitFor } from './helpers.js';

const runner = new BatchRunner();

async function record(store: EmbeddedStore, c: Campaign, index: number, runningMs: number): Promise<void> {
  await store.recordBatch(runner.run(batchAt(c, index)!, Date.now), runningMs);
}

describe('the live hub', () => {
  let hub: LiveHub | null = null;
  afterEach(() => hub?.close());

  it('sends stats with runs per second of running time, each new or changed bucket, and the workers when they change', async () => {
    let now = 1_000_000;
    const store = EmbeddedStore.open(tempDir(), { now: () => now });
    const c = await store.createCampaign(campaignSpec({ strategies: ['v2.6.20'], scenarios: ['self-mmap-write'], blocksPerPage: [1], seedsPerCell: 400, batchSeeds: 100 }));
    const other = await store.createCampaign(campaignSpec({ strategies: ['gup-pin'], scenarios: ['generated'], seedsPerCell: 10 }));
    await store.setState(other.id, 'stopped');
    // A poll far in the future: the test ticks by hand.
    hub = new LiveHub(store, { pollMs: 1e9, now: () => now });
    const one: LiveEvent[] = [];
    const all: LiveEvent[] = [];
    hub.subscribe(c.id, (e) => one.push(e));
    hub.subscribe('*', (e) => all.push(e));

    await hub.tick();
    expect(one.map((e) => e.type)).toEqual(['workers', 'stats']);
    // Nothing has run: no rate yet (0 would say it is stuck), and no sample for the charts.
    expect(one[1]).toMatchObject({ type: 'stats', campaign: c.id, runs: 0, runsPerSec: null, sample: null, buckets: 0, batchesTotal: 4 });
    // Every running campaign, and a stopped one once (its state is news to the hub).
    expect(all.filter((e) => e.type === 'stats').map((e) => (e as { campaign: string }).campaign).sort()).toEqual([c.id, other.id].sort());

    one.length = 0;
    all.length = 0;
    await record(store, c, 0, 100);
    await store.reportWorker({ id: 'w1', host: 'h', pid: 2, concurrency: 4, runs: 100, runsPerSec: 50, seenAt: now });
    await store.reportWorker({ id: 'w2', host: 'h', pid: 3, concurrency: 4, runs: 100, runsPerSec: 50, seenAt: now - WORKER_LATE_MS - 1 });
    now += 2000;
    await hub.tick();
    const stats = one.find((e) => e.type === 'stats') as StatsEvent;
    // The first batch's rate already: 100 runs in its 100 ms of running time, not 0.
    expect(stats).toMatchObject({ runs: 100, runsPerSec: 1000, batchesDone: 1, sample: { runs: 100, runningMs: 100, coverage: stats.coverage } });
    const fresh = one.filter((e) => e.type === 'bucket') as BucketEvent[];
    expect(fresh.length).toBeGreaterThan(0);
    const firstCounts = new Map(fresh.map((e) => [e.bucket.id, e.bucket.count]));
    // Failure and warning buckets alike come as bucket events.
    expect(fresh.length).toBe(stats.buckets + stats.warningBuckets);
    const workers = (one.find((e) => e.type === 'workers') as { workers: { id: string; health: string }[] }).workers;
    expect(workers.map((w) => [w.id, w.health])).toEqual([
      ['w1', 'ok'],
      ['w2', 'late'],
    ]);
    // The list page follows numbers, not buckets; and a stopped campaign is not sent again.
    expect(all.some((e) => e.type === 'bucket')).toBe(false);
    expect(all.filter((e) => e.type === 'stats').map((e) => (e as { campaign: string }).campaign)).toEqual([c.id]);

    // Nothing changed: nothing is sent.
    one.length = 0;
    now += 1000;
    await hub.tick();
    expect(one).toEqual([]);

    // Another batch: the buckets it hit again come as what changed (their counts), not whole; the rate is over running time.
    await record(store, c, 1, 300);
    now += 1000;
    await hub.tick();
    const again = one.filter((e) => e.type === 'bucket-update') as BucketUpdateEvent[];
    expect(again.length).toBeGreaterThan(0);
    for (const e of again) {
      expect(e.bucket.count).toBe((await store.bucket(c.id, e.bucket.id))!.count);
      expect(Object.keys(e.bucket)).not.toContain('examples');
    }
    expect(again.some((e) => e.bucket.count > firstCounts.get(e.bucket.id)!)).toBe(true);
    expect((one.find((e) => e.type === 'stats') as StatsEvent).runsPerSec).toBeCloseTo((200 * 1000) / 300, 6);
    await store.close();
  });

  it('tells a page its campaign was deleted, once, so it stops showing it as running; an id that never was hears nothing', async () => {
    const store = EmbeddedStore.open(tempDir());
    const c = await store.createCampaign(campaignSpec({ strategies: ['v2.6.20'], scenarios: ['self-mmap-write'], blocksPerPage: [1], seedsPerCell: 100 }));
    hub = new LiveHub(store, { pollMs: 1e9 });
    const page: LiveEvent[] = [];
    const nowhere: LiveEvent[] = [];
    hub.subscribe(c.id, (e) => page.push(e));
    hub.subscribe('0123abcd', (e) => nowhere.push(e));
    await hub.tick();
    expect(page.map((e) => e.type)).toEqual(['workers', 'stats']);
    await store.deleteCampaign(c.id);
    await hub.tick();
    await hub.tick();
    expect(page.slice(2)).toEqual([{ type: 'deleted', campaign: c.id }]);
    expect(nowhere.map((e) => e.type)).toEqual(['workers']);
    await store.close();
  });

  it('polls only while someone listens', async () => {
    const store = EmbeddedStore.open(tempDir());
    let polls = 0;
    // Count the hub's reads of the store: one per tick.
    const counted = new Proxy(store, {
      get(target, key) {
        if (key === 'workers') return () => (polls++, target.workers());
        const v = Reflect.get(target, key) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    hub = new LiveHub(counted, { pollMs: 10 });
    const off = hub.subscribe('*', () => {});
    await waitFor(() => (polls >= 2 ? true : undefined), 5000, 'two ticks');
    off();
    expect(hub.listening).toBe(0);
    const n = polls;
    await new Promise((r) => setTimeout(r, 80));
    expect(polls).toBe(n);
    await store.close();
  });
});

/** Read server-sent events from a stream until `until` says stop. */
async function readEvents(res: Response, until: (events: { event: string; data: unknown }[]) => boolean, ms = 15_000): Promise<{ event: string; data: unknown }[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: { event: string; data: unknown }[] = [];
  let text = '';
  const deadline = Date.now() + ms;
  while (!until(events)) {
    if (Date.now() > deadline) throw new Error(`no such events within ${ms} ms; got ${events.map((e) => e.event).join(', ')}`);
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = text.indexOf('\n\n')) >= 0) {
      const block = text.slice(0, cut);
      text = text.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return events;
}

describe('GET /api/events', () => {
  it('streams a new bucket live, and lets go of the listener when the client goes', async () => {
    const store = EmbeddedStore.open(tempDir());
    const c = await store.createCampaign(campaignSpec({ strategies: ['v2.6.20'], scenarios: ['self-mmap-write'], seedsPerCell: 200, batchSeeds: 100 }));
    const d = await startDashboard({ store, control: new StoreControl(store), pollMs: 50 });
    try {
      const abort = new AbortController();
      const res = await fetch(`${d.url}api/events?campaign=${c.id}`, { signal: abort.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      // Gzipped (fetch asks for it and reads it back): each event flushed, or this test would wait for ever.
      expect(res.headers.get('content-encoding')).toBe('gzip');
      const hub = liveHubOf(d.app)!;
      await waitFor(() => (hub.listening === 1 ? true : undefined), 5000, 'the listener');
      // The hub knows the campaign (no buckets) before the batch lands, so its buckets are news.
      setTimeout(() => void record(store, c, 0, 50), 200);
      const events = await readEvents(res, (es) => es.some((e) => e.event === 'bucket'));
      const bucket = events.find((e) => e.event === 'bucket')!.data as { campaign: string; bucket: { title: string; count: number; examples: unknown[] } };
      expect(bucket.campaign).toBe(c.id);
      expect(bucket.bucket.count).toBeGreaterThan(0);
      expect(bucket.bucket.examples.length).toBeGreaterThan(0);
      expect(events.some((e) => e.event === 'stats' && (e.data as { runs: number }).runs === 100)).toBe(true);
      expect(events.some((e) => e.event === 'workers')).toBe(true);
      abort.abort();
      await waitFor(() => (hub.listening === 0 ? true : undefined), 5000, 'the listener to go');
    } finally {
      await d.close();
      await store.close();
    }
  });

  it('does not keep close() waiting on an open stream', async () => {
    const store = EmbeddedStore.open(tempDir());
    const d = await startDashboard({ store, control: new StoreControl(store), pollMs: 50 });
    const res = await fetch(`${d.url}api/events`);
    expect(res.status).toBe(200);
    await waitFor(() => (liveHubOf(d.app)!.listening === 1 ? true : undefined), 5000, 'the listener');
    const t0 = Date.now();
    await d.close();
    expect(Date.now() - t0).toBeLessThan(3000);
    await store.close();
  });
});
