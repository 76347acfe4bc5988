import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeReproducer } from '@pcfarm/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignSpec, Coordinator, FarmWorker, loadStrategyFile, strategyFileRef, strategyTemplate, type CampaignSnapshot } from '../dist/index.js';
import { embeddedReference, expectSameAsReference, waitFor } from './farm-helpers.js';
import { startRedis, type TestRedis } from './redis-server.js';

const readBuiltIn = (file: string): string => readFileSync(new URL(`../../core/src/strategies/${file}`, import.meta.url), 'utf8');
const PREFIX = 'files';

let redis: TestRedis;
let client: Redis;
let coordinator: Coordinator;
const workers: FarmWorker[] = [];
const logs: string[] = [];
let shelf: string;
let here: string;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const dir = mkdtempSync(join(tmpdir(), 'pcfarm-strategy-farm-'));
  // The coordinator's machine loaded the file here; worker "with" has a copy in its --strategies directory.
  here = join(dir, 'checkout', 'my-excl.ts');
  shelf = join(dir, 'shelf');
  mkdirSync(join(dir, 'checkout'));
  mkdirSync(shelf);
  const text = strategyTemplate('my-excl', 'excl-flag', readBuiltIn).replace('fault: true', 'fault: false');
  writeFileSync(here, text);
  writeFileSync(join(shelf, 'copy-of-my-excl.ts'), text);
  coordinator = await Coordinator.start(client, { prefix: PREFIX, auditOneIn: 1_000_000, tickMs: 100, log: (l) => logs.push(l) });
}, 60_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close(true)));
  await coordinator?.close();
  client?.disconnect();
  await redis?.close();
});

describe('strategy files on the farm: no code travels through Redis', () => {
  it('a worker without the file hands its batches back; one with it in --strategies runs them all, finding what an embedded run finds', async () => {
    const file = loadStrategyFile(here);
    const spec = campaignSpec({ name: 'files', strategies: ['my-excl', 'v2.6.20'], strategyFiles: [strategyFileRef(file)], scenarios: ['hole-fill-vs-read'], blocksPerPage: [1], seedsPerCell: 300, batchSeeds: 50 });
    const reference: CampaignSnapshot = await embeddedReference(spec);
    expect(reference.buckets.some((b) => b.strategy === 'my-excl' && b.kind === 'stale-data')).toBe(true);
    // The farm's campaign names a path no worker has: only the hash can match.
    const farSpec = { ...spec, strategyFiles: [{ ...strategyFileRef(file), path: '/on/the/coordinators/laptop/my-excl.ts' }] };
    const without: string[] = [];
    workers.push(await FarmWorker.start(client, { prefix: PREFIX, id: 'without', concurrency: 1, heartbeatMs: 200, log: (l) => without.push(l) }));
    const c = await coordinator.store.createCampaign(farSpec);
    await waitFor('the worker without the file to hand a batch back', () => without.some((l) => l.startsWith('handing back jobs of strategy file my-excl')));
    expect(without.find((l) => l.startsWith('handing back'))).toMatch(/no strategy file my-excl with source [0-9a-f]{16} here: not at \/on\/the\/coordinators\/laptop\/my-excl\.ts \(missing, or changed since\), and this worker has no --strategies directory/);
    workers.push(await FarmWorker.start(client, { prefix: PREFIX, id: 'with', concurrency: 1, heartbeatMs: 200, strategyDirs: [shelf] }));
    await waitFor('the campaign to finish', async () => (await coordinator.store.getCampaign(c.id)).state === 'done', 90_000);
    await expectSameAsReference(coordinator.store, c.id, reference);
    // Its reproducers are pinned to the file's source.
    const bucket = (await coordinator.store.snapshot(c.id)).buckets.find((b) => b.strategy === 'my-excl' && b.severity === 'failure')!;
    expect(decodeReproducer(bucket.minimized!.reproducer, ['my-excl']).strategyHash).toBe(file.sourceHash);
  }, 120_000);
});
