/**
 * A bounded search on the BullMQ farm (issue 13): its subtrees run on the
 * farm's workers, each once, and the certificate is the one search's own,
 * the same as in one process and on the local pool's threads.
 */
import { verify, verifyDeepening, type VerifyBounds } from '@pcfarm/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FarmWorker, strategyResolver, ThreadPool, verifyDeepeningOnFarm, verifyJobId, verifyQueueName } from '../dist/index.js';
import { waitFor } from './farm-helpers.js';
import { startRedis, type TestRedis } from './redis-server.js';

const PREFIX = 'vfarm';
const bounds = (preemptionsMax: number, reclaimActionsMax: number): VerifyBounds => ({ preemptionsMax, reclaimActionsMax, paramsMax: 0 });
const cell = (strategy: string, scenario: string) => ({ strategy, strategyFile: null, scenario, blocksPerPage: 1 });

let redis: TestRedis;
let client: Redis;
const workers: { w: FarmWorker; conn: Redis; pool: ThreadPool }[] = [];

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  // Two workers of one thread each: the subtrees are spread between them.
  for (const id of ['va', 'vb']) {
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const pool = new ThreadPool({ threads: 1 });
    workers.push({ w: await FarmWorker.start(conn, { prefix: PREFIX, concurrency: 1, executor: pool, id }), conn, pool });
  }
}, 60_000);

afterAll(async () => {
  for (const { w, conn, pool } of workers) {
    await w.close();
    await pool.close();
    conn.disconnect();
  }
  client?.disconnect();
  await redis?.close();
});

describe('pcfarm verify on the farm', () => {
  it('certifies a clean cell with the one-process certificate, bound for bound, the subtrees run by the workers', async () => {
    const b = bounds(2, 1);
    const farmed = await verifyDeepeningOnFarm(client, PREFIX, strategyResolver([]), cell('two-copy', 'cross-mmap-write'), b, 2);
    const alone = verifyDeepening({ strategy: 'two-copy', scenario: 'cross-mmap-write' }, b, 2);
    expect(farmed).toMatchObject({ result: 'clean', bound: 2, schedules: alone.schedules });
    expect({ classes: farmed.last.classes, hash: farmed.last.hash }).toEqual({ classes: alone.last.classes, hash: alone.last.hash });
    expect(farmed.subtrees).toBeGreaterThan(3);
    // The workers ran the subtrees: both took part.
    const q = new Queue(verifyQueueName(PREFIX), { connection: client });
    try {
      const done = await q.getJobs(['completed']);
      expect(done.length).toBe(farmed.subtrees);
      expect(new Set(done.map((j) => j.processedBy))).toEqual(new Set(['va', 'vb']));
    } finally {
      await q.close();
    }
  });

  it('leaves no connection of its own open and raises no warning, however many subtrees wait at once', async () => {
    const clients = async () => String(await client.call('CLIENT', 'LIST')).trim().split('\n').length;
    const before = await clients();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const farmed = await verifyDeepeningOnFarm(client, PREFIX, strategyResolver([]), cell('two-copy', 'hole-fill-vs-read'), bounds(1, 1), 1);
      expect(farmed.subtrees).toBeGreaterThan(10);
      // Warnings are emitted on the next tick.
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
    // The blocking connection its QueueEvents used is closed: Redis sees as many clients as before.
    await waitFor('its connections to close', async () => (await clients()) === before, 5000);
  });

  it("answers a failing cell with the one search's first counterexample", async () => {
    const b = bounds(1, 1);
    const farmed = await verifyDeepeningOnFarm(client, PREFIX, strategyResolver([]), cell('v2.6.20', 'self-mmap-write'), b, 1);
    const alone = verify({ strategy: 'v2.6.20', scenario: 'self-mmap-write' }, { ...b, preemptionsMax: 0 });
    expect(farmed).toMatchObject({ result: 'fail', bound: 0 });
    expect(farmed.last.failure!.choices).toEqual(alone.failure!.choices);
    expect(farmed.last.failure!.failure!.kind).toBe('deadlock');
  });

  it('asked the same search again, answers from the subtrees already run: each subtree is a job whose id is the search and its place', async () => {
    const b = bounds(1, 1);
    const first = await verifyDeepeningOnFarm(client, PREFIX, strategyResolver([]), cell('two-copy', 'multi-segment'), b, 1);
    const q = new Queue(verifyQueueName(PREFIX), { connection: client });
    try {
      const before = await q.getCompletedCount();
      const again = await verifyDeepeningOnFarm(client, PREFIX, strategyResolver([]), cell('two-copy', 'multi-segment'), b, 1);
      expect(again.last.hash).toBe(first.last.hash);
      expect(await q.getCompletedCount()).toBe(before);
    } finally {
      await q.close();
    }
  });

  it("refuses another client's job under a subtree's id at once (EBADJOB), naming what is wrong", async () => {
    const q = new Queue(verifyQueueName(PREFIX), { connection: client });
    try {
      const id = verifyJobId('0000000000000000', 0);
      await q.add('subtree', { search: 'nonsense', index: 0, of: 1, job: {} }, { jobId: id });
      const failed = await waitFor('the foreign job to fail', async () => ((await q.getJobState(id)) === 'failed' ? q.getJob(id) : null), 20_000);
      expect(failed!.attemptsMade).toBe(1);
      expect(failed!.failedReason).toMatch(/^EBADJOB: /);
    } finally {
      await q.close();
    }
  });
});
