import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { campaignSpec, Coordinator, RedisStore, type CampaignSnapshot } from '../dist/index.js';
import { embeddedReference, expectSameAsReference, killAll, pcfarm, waitFor, type Proc } from './farm-helpers.js';
import { startRedis, type TestRedis } from './redis-server.js';

// Batches of a few hundred milliseconds, so a kill lands mid-batch.
const SPEC = campaignSpec({ name: 'recovery', strategies: ['v2.6.20', 'temp-page'], scenarios: ['self-mmap-write', 'hole-fill-vs-read'], blocksPerPage: [1], seedsPerCell: 1200, batchSeeds: 300 });
// A short lock (and so stalled checks every 750 ms): a dead worker's batch runs again within seconds, not the production 45 s.
const FAST_RECOVERY = ['--concurrency', '1', '--lock-ms', '1500', '--heartbeat-ms', '500'];

let redis: TestRedis;
let reference: CampaignSnapshot;

beforeAll(async () => {
  redis = await startRedis();
  reference = await embeddedReference(SPEC);
}, 90_000);

afterEach(killAll);

afterAll(async () => {
  await killAll();
  await redis?.close();
});

function workers(prefix: string, ...ids: string[]): Proc[] {
  return ids.map((id) => pcfarm(redis.url, 'worker', '--prefix', prefix, '--id', id, ...FAST_RECOVERY));
}

async function withClient<T>(run: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  try {
    return await run(client);
  } finally {
    client.disconnect();
  }
}

describe('the farm recovers', () => {
  it('from a worker killed with SIGKILL mid-batch: another worker re-runs its batch, and the counts stay exact', async () => {
    await withClient(async (client) => {
      const prefix = 'wkill';
      const logs: string[] = [];
      const coordinator = await Coordinator.start(client, { prefix, tickMs: 100, log: (l) => logs.push(l) });
      try {
        const [victim, survivor] = workers(prefix, 'victim', 'survivor');
        await waitFor('both workers', async () => (await coordinator.store.workers()).length === 2);
        const c = await coordinator.store.createCampaign(SPEC);
        // Kill it while it holds a batch (not before its first, not after its last).
        const held = await waitFor('the victim to hold a batch', async () => {
          const active = await coordinator.batches.getActive();
          const mine = active.find((j) => j.processedBy === 'victim');
          return mine !== undefined && (await coordinator.store.summary(c.id)).batchesDone >= 2 ? mine : null;
        }, 60_000, 5);
        victim!.child.kill('SIGKILL');
        await victim!.exited;
        await waitFor('the campaign to finish', async () => (await coordinator.store.getCampaign(c.id)).state === 'done', 90_000);
        await expectSameAsReference(coordinator.store, c.id, reference);
        // The survivor's stalled check is what brought the victim's batches back (the one it ran, and the one it held ready).
        expect(survivor!.output()).toMatch(/job \S+ had stalled \(its worker died or lost its lock\): it runs again/);
        expect(held.processedBy).toBe('victim');
      } finally {
        await coordinator.close();
      }
    });
  });

  it('from the coordinator killed with SIGKILL and restarted mid-campaign: nothing lost, nothing counted twice', async () => {
    await withClient(async (client) => {
      const prefix = 'ckill';
      const store = new RedisStore(client, { prefix });
      workers(prefix, 'wa', 'wb');
      const coordinatorArgs = ['coordinator', '--prefix', prefix, '--lease-ms', '1000', '--reconcile-ms', '500', '--tick-ms', '100'];
      const first = pcfarm(redis.url, ...coordinatorArgs);
      await waitFor('both workers', async () => (await store.workers()).length === 2);
      const c = await store.createCampaign(SPEC);
      await waitFor('a few batches', async () => (await store.summary(c.id)).batchesDone >= 3, 60_000, 5);
      first.child.kill('SIGKILL');
      await first.exited;
      // The workers go on with what was queued; the results wait in Redis for the next coordinator.
      await new Promise((r) => setTimeout(r, 700));
      const second = pcfarm(redis.url, ...coordinatorArgs);
      // The second coordinator is the one that finishes it.
      await waitFor('the campaign to finish', () => second.output().includes(`coordinator: campaign ${c.id} done:`), 90_000);
      await expectSameAsReference(store, c.id, reference);
    });
  });

  it('from Redis restarted mid-campaign (with its append-only file): everyone reconnects, and the counts stay exact', async () => {
    await withClient(async (client) => {
      const prefix = 'rrestart';
      const logs: string[] = [];
      const coordinator = await Coordinator.start(client, { prefix, tickMs: 100, reconcileMs: 500, log: (l) => logs.push(l) });
      try {
        workers(prefix, 'wa', 'wb');
        await waitFor('both workers', async () => (await coordinator.store.workers()).length === 2);
        const c = await coordinator.store.createCampaign(SPEC);
        await waitFor('a few batches', async () => (await coordinator.store.summary(c.id)).batchesDone >= 3, 60_000, 5);
        await redis.server.restart();
        await waitFor('the campaign to finish', async () => (await coordinator.store.getCampaign(c.id)).state === 'done', 90_000);
        await expectSameAsReference(coordinator.store, c.id, reference);
      } finally {
        await coordinator.close();
      }
    });
  });
});
