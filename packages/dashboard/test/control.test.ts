import { campaignSpec, EmbeddedStore, FarmError, ThreadPool } from '@pcfarm/farm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, LocalControl, StoreControl } from '../dist/index.js';
import { tempDir, waitFor } from './helpers.js';

// One thread: the tests are about who runs what, not about speed, and CI has two cores.
describe('the local control', () => {
  let store: EmbeddedStore;
  let pool: ThreadPool;
  let control: LocalControl;

  beforeAll(() => {
    store = EmbeddedStore.open(tempDir());
    pool = new ThreadPool({ threads: 1 });
    control = new LocalControl(store, { executor: pool, engine: { minimize: false } });
  });

  afterAll(async () => {
    await control.close();
    await pool.close();
    await store.close();
  });

  const small = () => store.createCampaign(campaignSpec({ strategies: ['v2.6.20'], scenarios: ['self-mmap-write'], blocksPerPage: [1], seedsPerCell: 200, batchSeeds: 100 }));
  // Long enough to be running when the test acts: only its time budget ends it.
  const long = () => store.createCampaign(campaignSpec({ strategies: ['gup-pin'], scenarios: ['generated'], seedsPerCell: null, timeBudgetMs: 120_000, batchSeeds: 50 }));

  it('runs a campaign to its end', async () => {
    const c = await small();
    const r = await control.run(c.id);
    expect(r?.endedBy).toBe('done');
    expect(r?.summary.runs).toBe(200);
    expect(control.activity(c.id)).toBe('idle');
    await expect(control.start(c.id)).rejects.toMatchObject({ code: 'ESTATE' });
  });

  it('runs one campaign at a time, queues the next, and stops either', async () => {
    const a = await long();
    const b = await long();
    const c = await small();
    await control.start(a.id);
    await control.start(b.id);
    await control.start(c.id);
    await control.start(b.id); // twice is once
    expect([control.activity(a.id), control.activity(b.id), control.activity(c.id)]).toEqual(['running', 'queued', 'queued']);
    await waitFor(async () => ((await store.summary(a.id)).runs > 0 ? true : undefined), 20_000, 'a batch of the first campaign');

    // Stopping a queued one takes it out of the queue.
    await control.stop(b.id);
    expect(control.activity(b.id)).toBe('idle');
    expect((await store.getCampaign(b.id)).state).toBe('stopped');

    // Stopping the running one waits for it to stop; the next in line starts.
    await control.stop(a.id);
    const stopped = await store.summary(a.id);
    expect(stopped.campaign.state).toBe('stopped');
    expect(control.activity(a.id)).toBe('idle');
    expect(control.activity(c.id)).toBe('running');
    await control.idle();
    expect((await store.summary(c.id)).campaign.state).toBe('done');

    // Resuming goes on from where it stopped: its runs only grow.
    await control.start(a.id);
    await waitFor(async () => ((await store.summary(a.id)).runs > stopped.runs ? true : undefined), 20_000, 'the resumed campaign to run');
    await control.stop(a.id);
    expect((await store.getCampaign(a.id)).state).toBe('stopped');
  });

  it('stops a campaign left running by a process that is gone', async () => {
    const c = await small();
    expect(c.state).toBe('running');
    expect(control.activity(c.id)).toBe('idle');
    await control.stop(c.id);
    expect((await store.getCampaign(c.id)).state).toBe('stopped');
  });

  it('behind the app: a campaign created through the API runs here and its buckets appear', async () => {
    const app = await buildApp({ store, control });
    try {
      const r = await app.inject({ method: 'POST', url: '/api/campaigns', payload: { strategies: ['v2.6.20'], scenarios: ['self-mmap-write'], blocksPerPage: [4], seedsPerCell: 200, batchSeeds: 100 } });
      expect(r.statusCode).toBe(201);
      const id = r.json().campaign.id;
      expect(['running', 'queued']).toContain(r.json().activity);
      await control.idle();
      const v = (await app.inject({ url: `/api/campaigns/${id}` })).json();
      expect(v).toMatchObject({ runs: 200, activity: 'idle', campaign: { state: 'done', spec: { blocksPerPage: [4] } } });
      expect((await app.inject({ url: `/api/campaigns/${id}/buckets` })).json().total).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  });
});

describe('the store control (the farm)', () => {
  it('only sets the state: a coordinator elsewhere reacts', async () => {
    const store = EmbeddedStore.open(tempDir());
    const control = new StoreControl(store);
    const c = await store.createCampaign(campaignSpec({ strategies: ['v2.6.20'], scenarios: ['generated'], seedsPerCell: 10 }));
    await control.stop(c.id);
    expect((await store.getCampaign(c.id)).state).toBe('stopped');
    expect(control.activity()).toBeNull();
    await control.start(c.id);
    expect((await store.getCampaign(c.id)).state).toBe('running');
    expect((await store.summary(c.id)).runs).toBe(0);
    await store.setState(c.id, 'done');
    await expect(control.start(c.id)).rejects.toBeInstanceOf(FarmError);
    await store.close();
  });
});
