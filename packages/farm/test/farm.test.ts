import { decodeReproducer, encodeReproducer, Model, MODEL_VERSION, reproducerOf, type RunConfig } from '@pcfarm/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditDiff,
  auditJobId,
  auditRecordOf,
  auditSelected,
  batchAt,
  batchCount,
  batchJobId,
  batchQueueName,
  BatchRunner,
  campaignSpec,
  Coordinator,
  GUIDE_DEFAULTS,
  CoordinatorBooks,
  FarmKeys,
  FarmWorker,
  InfraError,
  stalledCheckMsFor,
  ThreadPool,
  postResult,
  readJob,
  runsByCell,
  type AuditJobData,
  type Executor,
  type CampaignSnapshot,
} from '../dist/index.js';
import { embeddedReference, expectSameAsReference, killAll, pcfarm, waitFor, type Proc } from './farm-helpers.js';
import { startRedis, type TestRedis } from './redis-server.js';

// Failures and warnings (v2.6.20 x hole-fill-vs-read), at two blocks per page: the farm carries the axis in its jobs.
const SPEC = campaignSpec({ name: 'farm', strategies: ['v2.6.20', 'temp-page'], scenarios: ['self-mmap-write', 'hole-fill-vs-read'], blocksPerPage: [1, 4], seedsPerCell: 400, batchSeeds: 50 });
const PREFIX = 'farm';

let redis: TestRedis;
let client: Redis;
let coordinator: Coordinator;
let reference: CampaignSnapshot;
let workers: Proc[];
const logs: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  // The worker processes start (and warm up) while the reference runs.
  workers = ['wa', 'wb'].map((id) => pcfarm(redis.url, 'worker', '--prefix', PREFIX, '--concurrency', '1', '--id', id, '--heartbeat-ms', '500'));
  reference = await embeddedReference(SPEC);
  coordinator = await Coordinator.start(client, { prefix: PREFIX, auditOneIn: 3, tickMs: 100, log: (line) => logs.push(line) });
  await waitFor('two workers', async () => (await coordinator.store.workers()).length === 2);
}, 90_000);

afterAll(async () => {
  await coordinator?.close();
  await killAll();
  client?.disconnect();
  await redis?.close();
});

describe('the farm: a coordinator and two worker processes', () => {
  it('finds exactly the buckets and counts of the same campaign run embedded, and its audits agree', async () => {
    const c = await coordinator.store.createCampaign(SPEC);
    await waitFor('the campaign to finish', async () => (await coordinator.store.getCampaign(c.id)).state === 'done');
    await expectSameAsReference(coordinator.store, c.id, reference);
    const audit = await coordinator.store.auditSummary(c.id);
    const audited = Array.from({ length: batchCount(SPEC)! }, (_, i) => i).filter((i) => auditSelected(i, 3)).length;
    expect(audit).toEqual({ passed: audited, sameWorker: 0, failed: 0, pending: 0, bugs: [] });
    // Both workers took batches (as their heartbeats say), and nothing is left in the queues: a worker hands its result
    // in before it completes the job, so the last job may still be finishing when the campaign is done.
    await waitFor('both workers to report runs', async () => (await coordinator.store.workers()).every((w) => w.runs > 0));
    await waitFor('no job left in the queues', async () => Object.values(await coordinator.batches.getJobCounts()).every((n) => n === 0));
    await waitFor('the coordinator to say so', () => logs.some((l) => l.startsWith(`campaign ${c.id} done:`)));
  });

  it('fails a malformed job, and a job of another model version, with a clear reason and nothing else', async () => {
    const q = new Queue(batchQueueName(PREFIX), { connection: client });
    await q.add('batch', { strategy: 'v2.6.20', seedCount: 'lots' }, { jobId: 'junk-1' });
    const old = { ...batchAt({ id: 'elsewhere', spec: SPEC, modelVersion: 'core-0', state: 'running', createdAt: 0, runningMs: 0, deal: [] }, 0)! };
    await q.add('batch', old, { jobId: 'old-1', attempts: 3 });
    const junk = await waitFor('the malformed job to fail', async () => ((await q.getJobState('junk-1')) === 'failed' ? q.getJob('junk-1') : null));
    expect(junk!.failedReason).toMatch(/^EBADJOB: malformed batch job: /);
    const refused = await waitFor('the old job to be refused', async () => ((await q.getJobState('old-1')) === 'failed' ? q.getJob('old-1') : null));
    // Refused once for good: not retried as if the infrastructure had lost it.
    expect(refused!.attemptsMade).toBe(1);
    expect(refused!.failedReason).toBe(
      `EMODELVERSION: batch job for campaign "elsewhere" was made by model core-0; this worker runs model ${MODEL_VERSION} and would run it differently, so it refuses it`,
    );
    const said = workers.map((w) => w.output()).join('');
    expect(said).toContain('refused batch job old-1: EMODELVERSION: batch job for campaign "elsewhere" was made by model core-0');
    expect(said).toMatch(/refused batch job junk-1: EBADJOB: malformed batch job: /);
    await waitFor('the coordinator to report them', () => logs.some((l) => /^job old-1 on farm-batches failed: EMODELVERSION.*left in the failed set/.test(l)));
    // Nothing else: both workers are alive and the next campaign runs to the same end.
    for (const w of workers) expect(w.child.exitCode).toBeNull();
    const c = await coordinator.store.createCampaign(SPEC);
    await waitFor('the next campaign to finish', async () => (await coordinator.store.getCampaign(c.id)).state === 'done');
    await expectSameAsReference(coordinator.store, c.id, reference);
    expect((await q.getJobs(['failed'])).map((j) => j.id).sort()).toEqual(['junk-1', 'old-1']);
    await q.close();
  });

  it('another client\'s jobs under a campaign\'s batch ids (another batch\'s seeds, garbage, not JSON) are refused before they run, removed, kept as farm bugs, and the campaign ends exact', async () => {
    const store = coordinator.store;
    const small = campaignSpec({ name: 'intruders', strategies: ['v2.6.20'], scenarios: ['self-mmap-write', 'hole-fill-vs-read'], blocksPerPage: [1], seedsPerCell: 100, batchSeeds: 25 });
    const ref = await embeddedReference(small);
    // Stopped, so the farm's own jobs come only after the intruders took their ids.
    const c = await store.importSnapshot({ campaign: { id: 'intruded', spec: small, modelVersion: MODEL_VERSION, state: 'stopped', createdAt: 2, runningMs: 0, deal: [] }, done: [], runs: 0, steps: 0, failures: 0, warnings: 0, coverage: [], buckets: [], samples: [] });
    const q = new Queue(batchQueueName(PREFIX), { connection: client });
    // 1. A well-formed batch with batch 0's seeds under batch 4's id (the same cell); 2. garbage under batch 6's; 3. a payload that is not JSON under batch 7's.
    await q.add('batch', { ...batchAt(c, 0)!, index: 4 }, { jobId: batchJobId(c.id, 4) });
    await q.add('batch', { junk: true }, { jobId: batchJobId(c.id, 6) });
    await q.add('batch', { junk: true }, { jobId: batchJobId(c.id, 7), delay: 500 });
    await client.hset(`bull:${batchQueueName(PREFIX)}:${batchJobId(c.id, 7)}`, 'data', '{not json');
    // 4. A result posted to the inbox under batch 1's job id that is batch 2's run.
    const forged = new BatchRunner().run(batchAt(c, 2)!, () => 0);
    await postResult(client, store.keys, { kind: 'batch', jobId: batchJobId(c.id, 1), worker: 'forger', result: { ...forged, index: 1 } });
    const reasons = await waitFor('the workers to refuse all three', async () => {
      // readJob: BullMQ's own getJob throws on a payload that is not JSON, until a worker has refused it.
      const jobs = await Promise.all([4, 6, 7].map((i) => readJob(q, batchJobId(c.id, i))));
      return jobs.every((j) => j !== undefined && 'failedReason' in j && j.failedReason) ? jobs.map((j) => (j as { failedReason: string }).failedReason) : null;
    });
    expect(reasons[0]).toMatch(new RegExp(`^EBADJOB: job ${batchJobId(c.id, 4)} is not batch 4 of campaign ${c.id}: seedStart 0 instead of 50$`));
    expect(reasons[1]).toMatch(/^EBADJOB: malformed batch job: /);
    expect(reasons[2]).toMatch(/^EBADJOB: its payload is not JSON \(/);
    // Refused, never run: no worker counted a run of them.
    expect((await store.summary(c.id)).runs).toBe(0);
    await store.resume(c.id);
    await waitFor('the campaign to finish', async () => (await store.getCampaign(c.id)).state === 'done', 60_000);
    await expectSameAsReference(store, c.id, ref);
    const bugs = (await store.auditSummary(c.id)).bugs;
    expect(bugs.filter((b) => b.kind === 'identity').map((b) => b.batch).sort()).toEqual([1, 4, 6, 7]);
    expect(bugs.find((b) => b.batch === 1)!.message).toMatch(/posted a result that is not batch 1 .*: not counted/);
    expect(logs.some((l) => l.startsWith(`FARM BUG: batch 7 of campaign ${c.id}: its job id`))).toBe(true);
    await q.close();
  });

  it('a campaign of another model version: every worker refuses its batches and the coordinator says so, offering them again', async () => {
    const store = coordinator.store;
    const imported = await store.importSnapshot({
      campaign: { id: 'oldmodel', spec: SPEC, modelVersion: 'core-0', state: 'stopped', createdAt: 1, runningMs: 0, deal: [] },
      done: [],
      runs: 0,
      steps: 0,
      failures: 0,
      warnings: 0,
      coverage: [],
      buckets: [],
      samples: [],
    });
    await store.resume(imported.id);
    await waitFor('a refusal report', () => logs.find((l) => /^worker w[ab] refused batch \d+ of campaign oldmodel: EMODELVERSION: .*Offered again in \d+ ms; upgrade that worker$/.test(l)));
    expect((await store.summary('oldmodel')).runs).toBe(0);
    await store.setState('oldmodel', 'stopped');
  });

  it('a determinism audit that disagrees is recorded and reported as a farm bug', async () => {
    const store = coordinator.store;
    const c = await store.createCampaign(campaignSpec({ strategies: ['v2.6.20'], scenarios: ['self-mmap-write'], seedsPerCell: 100, batchSeeds: 50 }));
    // Plant a tampered first result of batch 0 (one step more; the coordinator audits other batches itself) and ask for its audit rerun.
    expect(auditSelected(0, 3)).toBe(false);
    const truth = new BatchRunner().run(batchAt(c, 0)!, () => 0);
    const tampered = { ...auditRecordOf(truth), steps: truth.steps + 1 };
    await coordinator.books.addPendingAudit(c.id, 0, { worker: 'planted', record: tampered });
    const q = new Queue(batchQueueName(PREFIX), { connection: client });
    const data: AuditJobData = { ...batchAt(c, 0)!, auditOf: 'planted' };
    await q.add('audit', data, { jobId: auditJobId(c.id, 0), removeOnComplete: true });
    await waitFor('the campaign to finish', async () => (await store.getCampaign(c.id)).state === 'done');
    const a = await store.auditSummary(c.id);
    expect(a.failed).toBe(1);
    expect(a.bugs[0]).toMatchObject({ kind: 'determinism', batch: 0, details: [`steps: ${truth.steps + 1} then ${truth.steps}`] });
    expect(a.bugs[0]!.message).toMatch(/came out differently on planted and on w[ab]: the farm is not deterministic/);
    expect(logs.some((l) => l.startsWith(`FARM BUG: batch 0 of campaign ${c.id}`))).toBe(true);
    await q.close();
  });
});

/** excl-flag's first failing pct run on `scenario`, as a reproducer: pollen for v2.6.20's cells. */
function exclFailure(scenario: string): string {
  const config: RunConfig = { strategy: 'excl-flag', scenario, scheduler: 'pct' };
  const m = new Model(config);
  for (let seed = 0; ; seed++) {
    const o = m.run({ seed });
    if (!o.ok) return encodeReproducer(reproducerOf(config, o.choices));
  }
}

describe('the farm runs the searches: guided and portfolio campaigns', () => {
  it.each(['guided', 'portfolio'] as const)('a %s campaign, pollinated: exactly the buckets, examples, counts, coverage and corpus of the same campaign run embedded, and its audits agree', async (scheduler) => {
    const pollen = [exclFailure('self-mmap-write'), exclFailure('cross-mmap-write')];
    const spec = campaignSpec({ name: scheduler, scheduler, strategies: ['v2.6.20'], scenarios: ['self-mmap-write', 'cross-mmap-write'], blocksPerPage: [1], seedsPerCell: 320, batchSeeds: 40, guide: { ...GUIDE_DEFAULTS, pollen } });
    const ref = await embeddedReference(spec);
    expect(ref.corpus?.length).toBe(2);
    // The cells' first runs replayed excl-flag's failures, with pct's choices: a guided campaign's own runs are random's.
    if (scheduler === 'guided') {
      const replayed = ref.buckets.flatMap((b) => b.examples).filter((e) => e.seed === spec.seedStart && decodeReproducer(e.reproducer!).config.scheduler === undefined);
      expect(replayed.map((e) => e.scenario).sort()).toEqual(['cross-mmap-write', 'self-mmap-write']);
    }
    const c = await coordinator.store.createCampaign(spec);
    await waitFor(`the ${scheduler} campaign to finish`, async () => (await coordinator.store.getCampaign(c.id)).state === 'done');
    await expectSameAsReference(coordinator.store, c.id, ref);
    const audit = await coordinator.store.auditSummary(c.id);
    expect({ failed: audit.failed, bugs: audit.bugs }).toEqual({ failed: 0, bugs: [] });
    expect(audit.passed).toBeGreaterThan(0);
  });
});

describe('campaign states, as the CLI sets them', () => {
  it('a stopped campaign starts no new batch; resumed, it ends with exact counts; deleted, its queued jobs go', async () => {
    const store = coordinator.store;
    const c = await store.createCampaign(SPEC);
    await waitFor('a few batches', async () => (await store.summary(c.id)).batchesDone >= 4, 60_000, 5);
    await store.setState(c.id, 'stopped');
    // The batches in flight finish and count (recorded: nothing left in the inbox); nothing waits in the queue any more.
    await waitFor('its waiting jobs to go', async () => (await coordinator.batches.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed'])).length === 0 && (await coordinator.books.inbox(1)).length === 0);
    const stoppedAt = (await store.summary(c.id)).batchesDone;
    await new Promise((r) => setTimeout(r, 600));
    expect((await store.summary(c.id)).batchesDone).toBe(stoppedAt);
    expect(stoppedAt).toBeLessThan(batchCount(SPEC)!);
    await store.resume(c.id);
    await waitFor('the resumed campaign to finish', async () => (await store.getCampaign(c.id)).state === 'done');
    await expectSameAsReference(store, c.id, reference);

    const d = await store.createCampaign(SPEC);
    await waitFor('a batch', async () => (await store.summary(d.id)).batchesDone >= 1, 60_000, 5);
    await store.deleteCampaign(d.id);
    await waitFor('its jobs to go', async () => (await coordinator.batches.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed'])).length === 0);
    expect(await client.keys(`${PREFIX}:c:${d.id}*`)).toEqual([]);
  });
});

describe('the farm steers a time-budgeted campaign', () => {
  it('the coordinator deals its plans, the workers run the batches the plans name (no farm bug, every audit agrees), and each batch counts once', async () => {
    const store = coordinator.store;
    const spec = campaignSpec({ name: 'steered', strategies: ['v2.6.20'], scenarios: ['self-mmap-write', 'hole-fill-vs-read-same-mm'], blocksPerPage: [1], seedsPerCell: null, timeBudgetMs: 1_000, batchSeeds: 20 });
    const c = await store.createCampaign(spec);
    await waitFor('the campaign to spend its budget and finish', async () => (await store.getCampaign(c.id)).state === 'done');
    const done = await store.doneBatches(c.id);
    const after = await store.getCampaign(c.id);
    // It went past its first rounds (two batches a cell), so its later batches are of plans the coordinator dealt.
    expect(after.deal.length).toBeGreaterThan(0);
    expect(done.at(-1)![1]).toBeGreaterThanOrEqual(2 * 2);
    const audit = await store.auditSummary(c.id);
    expect(audit.bugs).toEqual([]);
    expect(audit.failed).toBe(0);
    expect(audit.pending).toBe(0);
    const s = await store.summary(c.id);
    expect(s.runs).toBe(runsByCell(after, done).reduce((a, b) => a + b, 0));
  });
});

describe('a farm worker', () => {
  it('lets BullMQ retry a batch lost to the infrastructure, and fails at once one whose run throws', async () => {
    const prefix = 'infra';
    const pool = new ThreadPool({ threads: 1 });
    let lost = 0;
    const executor: Executor = {
      concurrency: 1,
      async runBatch(b) {
        if (b.index === 0 && lost++ === 0) throw new InfraError('a worker thread died');
        if (b.index === 1) throw new Error('the model threw: a bug, not a finding');
        return pool.runBatch(b);
      },
      minimize: (job) => pool.minimize(job),
      close: () => pool.close(),
    };
    const own = new Redis(redis.url, { maxRetriesPerRequest: null });
    const w = await FarmWorker.start(own, { prefix, concurrency: 1, executor, id: 'flaky' });
    const q = new Queue(batchQueueName(prefix), { connection: client });
    const books = new CoordinatorBooks(client, new FarmKeys(prefix));
    try {
      const c = await w.store.createCampaign(SPEC);
      const opts = { attempts: 4, backoff: { type: 'fixed', delay: 50 } };
      await q.add('batch', batchAt(c, 0)!, { ...opts, jobId: batchJobId(c.id, 0) });
      await q.add('batch', batchAt(c, 1)!, { ...opts, jobId: batchJobId(c.id, 1) });
      const done = await waitFor('the lost batch to run again', async () => ((await q.getJobState(batchJobId(c.id, 0))) === 'completed' ? q.getJob(batchJobId(c.id, 0)) : null));
      expect(done!.attemptsMade).toBe(2);
      // Its result went to the coordinator's inbox, once.
      const posted = (await books.inbox(10)).map((t) => JSON.parse(t) as { kind: string; jobId: string; worker: string; result: { index: number; runs: number } });
      expect(posted).toMatchObject([{ kind: 'batch', jobId: batchJobId(c.id, 0), worker: 'flaky', result: { index: 0, runs: 50 } }]);
      const failed = await waitFor('the throwing batch to fail', async () => ((await q.getJobState(batchJobId(c.id, 1))) === 'failed' ? q.getJob(batchJobId(c.id, 1)) : null));
      expect(failed!.attemptsMade).toBe(1);
      expect(failed!.failedReason).toBe('the model threw: a bug, not a finding');
    } finally {
      await w.close();
      await q.close();
      own.disconnect();
    }
  });

  it('never reruns an audit of its own batch while another live worker could: it hands it back, and runs it once it is alone', async () => {
    const prefix = 'ownaudit';
    const pool = new ThreadPool({ threads: 1 });
    const ran: number[] = [];
    const executor: Executor = { concurrency: 1, runBatch: (b) => (ran.push(b.index), pool.runBatch(b)), minimize: (j) => pool.minimize(j), close: () => pool.close() };
    const own = new Redis(redis.url, { maxRetriesPerRequest: null });
    const w = await FarmWorker.start(own, { prefix, concurrency: 1, executor, id: 'solo' });
    const q = new Queue(batchQueueName(prefix), { connection: client });
    try {
      await w.store.reportWorker({ id: 'other', host: 'h', pid: 1, concurrency: 1, runs: 0, runsPerSec: 0, seenAt: Date.now() });
      const c = await w.store.createCampaign(SPEC);
      const data: AuditJobData = { ...batchAt(c, 0)!, auditOf: 'solo' };
      await q.add('audit', data, { jobId: auditJobId(c.id, 0) });
      // Handed back again and again, never run, however long the other worker is busy.
      await waitFor('several hand-backs', async () => (((await q.getJob(auditJobId(c.id, 0)))?.data as AuditJobData).deferrals ?? 0) >= 4, 30_000);
      expect(ran).toEqual([]);
      await w.store.dropWorker('other');
      await waitFor('the audit to run, alone', async () => (await q.getJobState(auditJobId(c.id, 0))) === 'completed');
      expect(ran).toEqual([0]);
    } finally {
      await w.close();
      await q.close();
      own.disconnect();
    }
  });

  it('waits half its lock between stalled checks unless told otherwise, so a dead worker\'s batch runs again within about 1.5 locks', async () => {
    expect(stalledCheckMsFor(5000)).toBe(2500);
    const own = new Redis(redis.url, { maxRetriesPerRequest: null });
    const pool = new ThreadPool({ threads: 1 });
    const w = new FarmWorker(own, { prefix: 'timing', concurrency: 1, lockMs: 4000, executor: pool });
    try {
      expect([w.lockMs, w.stalledCheckMs]).toEqual([4000, 2000]);
    } finally {
      await w.close();
      await pool.close();
      own.disconnect();
    }
  });
});

describe('auditDiff', () => {
  it('is empty for equal results and names each difference of a tampered one', () => {
    const c = { id: 'x', spec: SPEC, modelVersion: 'core-2', state: 'running' as const, createdAt: 0, runningMs: 0, deal: [] };
    const r = new BatchRunner().run(batchAt(c, 0)!, () => 0);
    const again = new BatchRunner().run(batchAt(c, 0)!, () => 5);
    expect(auditDiff(auditRecordOf(r), auditRecordOf(again))).toEqual([]);
    const hit = r.failures[0]!;
    const tampered = {
      ...auditRecordOf(r),
      runs: r.runs - 1,
      coverage: [...r.coverage.slice(1), 12345],
      failures: [{ ...hit, count: hit.count + 1 }, ...r.failures.slice(1), { ...hit, title: 'made up' }],
    };
    const d = auditDiff(auditRecordOf(r), tampered);
    expect(d).toContain(`runs: ${r.runs} then ${r.runs - 1}`);
    expect(d).toContain(`coverage: ${r.coverage.length} hashes then ${r.coverage.length} (1 only in the first run, 1 only in the rerun)`);
    expect(d.some((x) => x.startsWith(`bucket ${hit.title}: ${hit.count} failures`))).toBe(true);
    expect(d).toContain(`bucket only in the rerun: made up (${hit.count} failures)`);
  });

  it('samples about one batch in auditOneIn, none at 0, all at 1', () => {
    const picked = Array.from({ length: 10_000 }, (_, i) => i).filter((i) => auditSelected(i, 50)).length;
    expect(picked).toBeGreaterThan(150);
    expect(picked).toBeLessThan(250);
    expect(auditSelected(7, 0)).toBe(false);
    expect(auditSelected(7, 1)).toBe(true);
  });
});
