/**
 * Many workers, one coordinator: results arrive faster than one at a time,
 * and the coordinator records them a page of its inbox at a time (one read
 * and one write per campaign and page). The counts, buckets, coverage,
 * reproducers and done batches must be exactly the embedded pool's.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchRunner, campaignSpec, Coordinator, FarmWorker, runMinimize, type Batch, type BatchResult, type CampaignSnapshot, type Executor, type Minimized, type MinimizeJob } from '../dist/index.js';
import { embeddedReference, expectSameAsReference, waitFor } from './farm-helpers.js';
import { startRedis, type TestRedis } from './redis-server.js';

const SPEC = campaignSpec({ name: 'fleet', strategies: ['v2.6.20', 'temp-page'], scenarios: ['self-mmap-write', 'hole-fill-vs-read'], blocksPerPage: [1, 4], seedsPerCell: 400, batchSeeds: 25 });
const PREFIX = 'fleet';
const WORKERS = 12;

/** The model run in this process, at once: many workers' results land in the inbox together. */
class InProcess implements Executor {
  readonly concurrency = 1;
  private readonly runner = new BatchRunner();
  batches = 0;
  runBatch(b: Batch): Promise<BatchResult> {
    this.batches++;
    return Promise.resolve(this.runner.run(b, () => 0));
  }
  minimize(job: MinimizeJob): Promise<Minimized> {
    return Promise.resolve(runMinimize(this.runner, job, () => 0));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

let redis: TestRedis;
let reference: CampaignSnapshot;
const clients: Redis[] = [];
let coordinator: Coordinator;
let workers: FarmWorker[] = [];
const executors: InProcess[] = [];
const logs: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  reference = await embeddedReference(SPEC);
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  clients.push(client);
  coordinator = await Coordinator.start(client, { prefix: PREFIX, auditOneIn: 4, tickMs: 100, log: (line) => logs.push(line) });
  for (let i = 0; i < WORKERS; i++) {
    const r = new Redis(redis.url, { maxRetriesPerRequest: null });
    clients.push(r);
    const executor = new InProcess();
    executors.push(executor);
    workers.push(await FarmWorker.start(r, { prefix: PREFIX, concurrency: 1, executor, id: `w${i}`, heartbeatMs: 500 }));
  }
}, 90_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close(true)));
  workers = [];
  await coordinator?.close();
  for (const c of clients) c.disconnect();
  await redis?.close();
});

describe('a coordinator and twelve workers', () => {
  it('records results a page at a time and ends with exactly the campaign of the embedded pool, its audits agreeing', async () => {
    // How many results each recording took: the claim is that some took several.
    const pages: number[] = [];
    const record = coordinator.store.recordBatches.bind(coordinator.store);
    coordinator.store.recordBatches = (rs, ms) => {
      pages.push(rs.length);
      return record(rs, ms);
    };
    const c = await coordinator.store.createCampaign(SPEC);
    await waitFor('the campaign to finish', async () => (await coordinator.store.getCampaign(c.id)).state === 'done', 120_000);
    await expectSameAsReference(coordinator.store, c.id, reference);
    const audit = await coordinator.store.auditSummary(c.id);
    expect({ failed: audit.failed, pending: audit.pending, bugs: audit.bugs }).toEqual({ failed: 0, pending: 0, bugs: [] });
    expect(audit.passed).toBeGreaterThan(0);
    expect(Math.max(...pages)).toBeGreaterThan(1);
    expect(pages.length).toBeLessThan(reference.done[0]![1] + 1);
    // The work was spread: most workers ran batches.
    expect(executors.filter((e) => e.batches > 0).length).toBeGreaterThan(WORKERS / 2);
    expect(logs.filter((l) => /FARM BUG|failed/.test(l))).toEqual([]);
    // Nothing of the campaign is left behind: no job (once the last finishes completing: a worker hands its result in
    // first), no inbox entry, and the done batches folded to one number.
    await waitFor('no job left in the queues', async () => Object.values(await coordinator.batches.getJobCounts()).every((n) => n === 0));
    expect(await clients[0]!.llen(coordinator.store.keys.inbox)).toBe(0);
    expect(await clients[0]!.scard(coordinator.store.keys.done(c.id))).toBe(0);
    expect(await coordinator.store.doneBatches(c.id)).toEqual([[0, reference.done[0]![1]]]);
  }, 150_000);
});
