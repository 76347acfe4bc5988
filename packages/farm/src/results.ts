/**
 * A campaign's results and how a batch result folds into them: totals,
 * coverage, buckets with their examples, and samples over time. Both stores
 * keep exactly this; the embedded one in memory, the Redis one in keys.
 * Folding is idempotent per batch index and independent of arrival order
 * (counts add, examples keep the lowest seeds), so 1 thread and 8 threads,
 * or a farm and a laptop, end with equal results.
 */
import { createHash } from 'node:crypto';
import type { FailureKind } from '@pcfarm/core';
import type { BatchResult } from './batch.js';
import { batchCount, seedCount, type Campaign } from './campaign.js';
import type { Minimized } from './minimize-job.js';

/** A failing seed of a bucket. */
export interface Example {
  seed: number;
  scenario: string;
  /** The batch that found it. */
  batch: number;
}

/** Failures with one signature. */
export interface Bucket {
  /** A short stable id derived from the title, for URLs and commands. */
  id: string;
  title: string;
  kind: FailureKind;
  strategy: string;
  sites: string[];
  /** The scenarios it was seen in, sorted. */
  scenarios: string[];
  count: number;
  /** The lowest failing seeds by (batch, seed), at most the campaign's examplesPerBucket. */
  examples: Example[];
  /** Epoch milliseconds of the first and last batch that hit it. */
  firstSeenAt: number;
  lastSeenAt: number;
  minimized: Minimized | null;
}

/** One point of a campaign's history. */
export interface Sample {
  /** Epoch milliseconds. */
  at: number;
  runningMs: number;
  runs: number;
  failures: number;
  coverage: number;
  buckets: number;
}

/** A campaign and its totals. */
export interface CampaignSummary {
  campaign: Campaign;
  runs: number;
  steps: number;
  failures: number;
  batchesDone: number;
  /** Null when only a time budget ends the campaign. */
  batchesTotal: number | null;
  seedsTotal: number | null;
  coverage: number;
  buckets: number;
  minimized: number;
}

/** Everything a store holds of one campaign: what export writes and import reads. */
export interface CampaignSnapshot {
  campaign: Campaign;
  /** Indexes of the batches recorded. */
  done: number[];
  runs: number;
  steps: number;
  failures: number;
  coverage: number[];
  buckets: Bucket[];
  samples: Sample[];
}

/** What recording a batch did. */
export interface RecordOutcome {
  /** False when the batch had been recorded before: nothing changed. */
  recorded: boolean;
  /** Buckets this batch created. */
  newBuckets: Bucket[];
}

/** Sampling: at most one sample per interval, and at most samplesMax kept (older ones thinned). */
export const SAMPLE_LIMITS = { intervalMs: 1000, samplesMax: 2000 } as const;

/** The id of the bucket with this title. */
export function bucketId(title: string): string {
  return createHash('sha256').update(title).digest('hex').slice(0, 12);
}

/** Keep the lowest examples by (batch, seed). */
export function mergeExamples(into: Example[], more: readonly Example[], max: number): void {
  into.push(...more);
  into.sort((a, b) => a.batch - b.batch || a.seed - b.seed);
  if (into.length > max) into.length = max;
}

/** Append a sample unless the last one is too recent; thin the oldest half when full. */
export function addSample(samples: Sample[], s: Sample, force = false): void {
  const last = samples[samples.length - 1];
  if (!force && last !== undefined && s.at - last.at < SAMPLE_LIMITS.intervalMs) {
    samples[samples.length - 1] = { ...s, at: last.at };
    return;
  }
  samples.push(s);
  if (samples.length > SAMPLE_LIMITS.samplesMax) {
    const half = samples.length >> 1;
    const thinned = samples.slice(0, half).filter((_, i) => i % 2 === 0);
    samples.splice(0, half, ...thinned);
  }
}

/** One campaign's results, in memory. */
export class CampaignResults {
  campaign: Campaign;
  readonly done = new Set<number>();
  runs = 0;
  steps = 0;
  failures = 0;
  readonly coverage = new Set<number>();
  readonly buckets = new Map<string, Bucket>();
  readonly samples: Sample[] = [];

  constructor(campaign: Campaign) {
    this.campaign = campaign;
  }

  /** Fold a batch result in, once per batch index. */
  apply(r: BatchResult, at: number, runningMs: number): RecordOutcome {
    if (this.done.has(r.index)) return { recorded: false, newBuckets: [] };
    this.done.add(r.index);
    this.runs += r.runs;
    this.steps += r.steps;
    for (const h of r.coverage) this.coverage.add(h);
    const newBuckets: Bucket[] = [];
    for (const hit of r.failures) {
      this.failures += hit.count;
      const id = bucketId(hit.title);
      let b = this.buckets.get(id);
      if (b === undefined) {
        b = { id, title: hit.title, kind: hit.kind, strategy: hit.strategy, sites: [...hit.sites], scenarios: [], count: 0, examples: [], firstSeenAt: at, lastSeenAt: at, minimized: null };
        this.buckets.set(id, b);
        newBuckets.push(b);
      }
      b.count += hit.count;
      b.lastSeenAt = Math.max(b.lastSeenAt, at);
      if (!b.scenarios.includes(hit.scenario)) b.scenarios = [...b.scenarios, hit.scenario].sort();
      mergeExamples(b.examples, hit.examples.map((seed) => ({ seed, scenario: hit.scenario, batch: r.index })), this.campaign.spec.examplesPerBucket);
    }
    this.campaign.runningMs = Math.max(this.campaign.runningMs, runningMs);
    addSample(this.samples, this.sample(at));
    return { recorded: true, newBuckets };
  }

  sample(at: number): Sample {
    return { at, runningMs: this.campaign.runningMs, runs: this.runs, failures: this.failures, coverage: this.coverage.size, buckets: this.buckets.size };
  }

  summary(): CampaignSummary {
    let minimized = 0;
    for (const b of this.buckets.values()) if (b.minimized !== null) minimized++;
    return {
      campaign: this.campaign,
      runs: this.runs,
      steps: this.steps,
      failures: this.failures,
      batchesDone: this.done.size,
      batchesTotal: batchCount(this.campaign.spec),
      seedsTotal: seedCount(this.campaign.spec),
      coverage: this.coverage.size,
      buckets: this.buckets.size,
      minimized,
    };
  }

  snapshot(): CampaignSnapshot {
    return {
      campaign: this.campaign,
      done: [...this.done].sort((a, b) => a - b),
      runs: this.runs,
      steps: this.steps,
      failures: this.failures,
      coverage: [...this.coverage].sort((a, b) => a - b),
      buckets: [...this.buckets.values()],
      samples: this.samples.slice(),
    };
  }

  static fromSnapshot(s: CampaignSnapshot): CampaignResults {
    const r = new CampaignResults({ ...s.campaign, spec: { ...s.campaign.spec } });
    for (const i of s.done) r.done.add(i);
    r.runs = s.runs;
    r.steps = s.steps;
    r.failures = s.failures;
    for (const h of s.coverage) r.coverage.add(h);
    for (const b of s.buckets) r.buckets.set(b.id, structuredClone(b));
    r.samples.push(...s.samples);
    return r;
  }
}
