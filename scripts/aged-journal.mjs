#!/usr/bin/env node
/**
 * A results journal as a campaign of DAYS days would leave it, made in
 * seconds, then timed as a resume, the dashboard and an export read it
 * (issue 20: at most 1 s whatever the campaign's age). What a journal holds
 * depends on what the campaign found, not on how long it ran: its coverage
 * hashes (--coverage N), its done set (--batches N, ending nearly in order:
 * a few ranges), its buckets, a history of samples one a second for the
 * whole age (thinned as results.ts thins it), and a tail of batch records
 * as long as JOURNAL_LIMITS lets it grow before the next compaction.
 *
 *   node scripts/aged-journal.mjs --days 7 --coverage 1000000 --batches 35000000
 *
 * Run `npx --yes pnpm@10 run build` first: it reads packages/farm/dist.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { addSample, campaignSpec, EmbeddedStore, JOURNAL_LIMITS, newCampaign, RESULTS_FILE } from '../packages/farm/dist/index.js';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(args[i + 1]);
};
const days = option('days', 7);
const coverageCount = option('coverage', 1_000_000);
const batches = option('batches', 5_000_000 * days);
const DAY_MS = 24 * 3600 * 1000;
const t0 = 1_700_000_000_000;

const dir = mkdtempSync(join(tmpdir(), 'pcfarm-aged-'));
// The writer's clock goes on from the campaign's age: its tail's samples follow the imported ones.
let clock = t0 + days * DAY_MS;
const writer = EmbeddedStore.open(dir, { now: () => (clock += 10) });
const spec = campaignSpec({ name: `aged ${days} days`, timeBudgetMs: days * DAY_MS, seedsPerCell: null });
const campaign = { ...newCampaign('aged0001', spec, t0), state: 'running', runningMs: days * DAY_MS };

// Coverage: distinct 32-bit hashes (a multiplicative hash of 0..N-1 is a permutation).
const coverage = Array.from({ length: coverageCount }, (_, i) => Math.imul(i + 1, 0x9e3779b1) >>> 0);
// Samples: one a second for the whole age, as a campaign's recordBatch would add them.
const samples = [];
const seconds = (days * DAY_MS) / 1000;
for (let s = 1; s <= seconds; s++) addSample(samples, { at: t0 + s * 1000, runningMs: s * 1000, runs: s * 14_500, failures: s * 300, coverage: Math.round((coverageCount * s) / seconds), buckets: 60 });
// Buckets: 60 failure buckets with 5 examples each, as the soak finds.
const buckets = Array.from({ length: 60 }, (_, i) => ({
  id: `b${String(i).padStart(11, '0')}`,
  title: `deadlock in v2.6.20: self; lock_page page_lock in filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user, site ${i}`,
  kind: 'deadlock',
  severity: 'failure',
  strategy: 'v2.6.20',
  sites: ['self', `site ${i}`],
  scenarios: ['self-mmap-write'],
  blocksPerPage: [1],
  count: 1_000_000 + i,
  examples: [0, 1, 2, 3, 4].map((k) => ({ seed: k, scenario: 'self-mmap-write', blocksPerPage: 1, batch: k })),
  firstSeenAt: t0,
  lastSeenAt: t0 + days * DAY_MS,
  minimized: null,
  witness: null,
}));
// Done: every batch but a few still in flight near the end.
const done = [[0, batches - 10], [batches - 8, batches - 5]];
await writer.importSnapshot({ campaign, done, runs: batches * 250, steps: batches * 5000, failures: batches * 5, warnings: 0, coverage, buckets, samples });
writer.compact();
const compactedBytes = writer.bytes;
// The tail: batch records until the next compaction is due (each with a hash or two of new coverage).
let index = batches;
const tailMax = Math.max(JOURNAL_LIMITS.tailBytesMin, JOURNAL_LIMITS.tailPerCompacted * compactedBytes) - 2000;
while (writer.bytes - compactedBytes < tailMax) {
  const fresh = [((index * 2654435761) ^ 0x5bd1e995) >>> 0];
  await writer.recordBatch({ batch: String(index), campaignId: campaign.id, index, strategy: 'v2.6.20', scenario: 'self-mmap-write', blocksPerPage: 1, seedStart: index * 250, runs: 250, steps: 5000, failures: [{ title: buckets[index % 60].title, kind: 'deadlock', severity: 'failure', strategy: 'v2.6.20', scenario: 'self-mmap-write', sites: buckets[index % 60].sites, count: 5, examples: [1, 2, 3, 4, 5], witness: null }], warnings: [], warningRuns: 0, coverage: fresh, elapsedMs: 30 }, days * DAY_MS + (index - batches) * 10);
  index++;
}
// Not closed (closing compacts): the journal as a kill leaves it, tail and all.
const journalBytes = statSync(join(dir, RESULTS_FILE)).size;

// Wall time, and this process's CPU time beside it: on a busy machine the wall time is mostly waiting for a core.
const time = async (f) => {
  const t = performance.now();
  const cpu = process.cpuUsage();
  await f();
  const used = process.cpuUsage(cpu);
  return `${Math.round(performance.now() - t)} ms (cpu ${Math.round((used.user + used.system) / 1000)} ms)`;
};
// The dashboard following the results: a read-only open and what its pages read.
const openMs = await time(async () => {
  const s = EmbeddedStore.open(dir, { readOnly: true });
  await s.summary(campaign.id);
  await s.buckets(campaign.id);
  await s.samples(campaign.id);
  await s.doneBatches(campaign.id);
});
// `campaign export`: the snapshot as JSON.
const exportMs = await time(async () => JSON.stringify(await EmbeddedStore.open(dir, { readOnly: true }).snapshot(campaign.id)));
// A resume: the writer's open (which compacts the tail), and the engine's reads.
const resumeMs = await time(async () => {
  const s = EmbeddedStore.open(dir);
  await s.doneBatches(campaign.id);
  await s.buckets(campaign.id);
  await s.summary(campaign.id);
  await s.close();
});
const kept = await EmbeddedStore.open(dir, { readOnly: true }).samples(campaign.id);
const samplesKept = `${kept.length} samples (${Math.round(JSON.stringify(kept).length / 1000)} KB as JSON)`;
const mb = (b) => (b / 1e6).toFixed(2);
console.log(`aged ${days} days: ${coverageCount} coverage hashes, ${batches} batches done, ${samplesKept}; compacted ${mb(compactedBytes)} MB, with its tail ${mb(journalBytes)} MB; open (dashboard) ${openMs}, export ${exportMs}, resume (the writer's open and the engine's reads) ${resumeMs}; rss ${Math.round(process.memoryUsage().rss / 1e6)} MB; in ${dir}`);
