/**
 * A campaign's results and how a batch result folds into them: totals,
 * coverage, buckets with their examples, and samples over time. Both stores
 * keep exactly this; the embedded one in memory, the Redis one in keys.
 * Folding is idempotent per batch index and independent of arrival order
 * (counts add, examples keep the lowest seeds, a warning keeps the least
 * witness), so 1 thread and 8 threads, or a farm and a laptop, end with
 * equal results.
 *
 * Failures and warnings are kept apart: a failing run's failure feeds a
 * failure bucket, and every warning of every run (failing or not) a warning
 * bucket. The campaign's `failures` counts failing runs, `warnings` runs
 * that warned; a summary's `buckets` counts failure buckets only, so "found
 * buckets" still means "found failures".
 */
import { createHash } from 'node:crypto';
import { DEFAULTS, type FailureKind, type Severity } from '@pcfarm/core';
import type { BatchResult, BucketHit } from './batch.js';
import { batchCount, seedCount, upgradeCampaign, type Campaign } from './campaign.js';
import type { Minimized } from './minimize-job.js';

/** A seed of a bucket: a run with its finding. */
export interface Example {
  seed: number;
  scenario: string;
  blocksPerPage: number;
  /** The batch that found it. */
  batch: number;
}

/** Findings with one signature. */
export interface Bucket {
  /** A short stable id derived from the title, for URLs and commands. */
  id: string;
  title: string;
  kind: FailureKind;
  /** failure: its runs failed; warning: a finding that did not fail its runs (a class-only lock-order cycle). */
  severity: Severity;
  strategy: string;
  sites: string[];
  /** The scenarios it was seen in, sorted. */
  scenarios: string[];
  /** The blocks per page it was seen at, ascending. */
  blocksPerPage: number[];
  /** Runs with this finding. */
  count: number;
  /** The lowest seeds by (batch, seed), at most the campaign's examplesPerBucket. */
  examples: Example[];
  /** Epoch milliseconds of the first and last batch that hit it. */
  firstSeenAt: number;
  lastSeenAt: number;
  /** A failure bucket's minimized reproducer; a warning is never minimized (it has no failure to keep). */
  minimized: Minimized | null;
  /**
   * A warning's witness: a scenario where its lock instances do meet, whose
   * first failure shows them meet. Null for a failure, or when no scenario
   * it was seen in names one.
   */
  witness: string | null;
}

/** One point of a campaign's history. */
export interface Sample {
  /** Epoch milliseconds. */
  at: number;
  runningMs: number;
  runs: number;
  failures: number;
  coverage: number;
  /** Failure buckets. */
  buckets: number;
}

/** A campaign and its totals. */
export interface CampaignSummary {
  campaign: Campaign;
  runs: number;
  steps: number;
  /** Runs that failed. */
  failures: number;
  /** Runs that warned (failing or not). */
  warnings: number;
  batchesDone: number;
  /** Null when only a time budget ends the campaign. */
  batchesTotal: number | null;
  seedsTotal: number | null;
  coverage: number;
  /** Failure buckets. */
  buckets: number;
  warningBuckets: number;
  /** Failure buckets minimized (warnings never are). */
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
  warnings: number;
  coverage: number[];
  /** Failure and warning buckets alike (each says which). */
  buckets: Bucket[];
  samples: Sample[];
}

/** What recording a batch did. */
export interface RecordOutcome {
  /** False when the batch had been recorded before: nothing changed. */
  recorded: boolean;
  /** Buckets this batch created, failures and warnings. */
  newBuckets: Bucket[];
  /**
   * Buckets that existed and whose lowest example this batch lowered: a
   * failure bucket among them is minimized again, from its new lowest
   * example (a reproducer is of the lowest example, whatever order the
   * batches came in).
   */
  lowered: Bucket[];
}

/** Whether a minimized reproducer is of a bucket's lowest example: the one a campaign keeps, wherever it ran. */
export function ofLowestExample(b: Pick<Bucket, 'examples'>, m: Pick<Minimized, 'seed' | 'scenario' | 'blocksPerPage'>): boolean {
  const e = b.examples[0];
  return e !== undefined && e.seed === m.seed && e.scenario === m.scenario && e.blocksPerPage === m.blocksPerPage;
}

/** Sampling: at most one sample per interval, and at most samplesMax kept (older ones thinned). */
export const SAMPLE_LIMITS = { intervalMs: 1000, samplesMax: 2000 } as const;

/** The id of the bucket with this title. */
export function bucketId(title: string): string {
  return createHash('sha256').update(title).digest('hex').slice(0, 12);
}

/** The witness a warning bucket keeps: any shows the deadlock; the least by name, so the fold does not depend on order. */
export function leastWitness(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
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
  warnings = 0;
  readonly coverage = new Set<number>();
  /** Failure and warning buckets by id. */
  readonly buckets = new Map<string, Bucket>();
  /** How many of them are warnings. */
  warningBuckets = 0;
  readonly samples: Sample[] = [];

  constructor(campaign: Campaign) {
    this.campaign = campaign;
  }

  /** Fold a batch result in, once per batch index. */
  apply(r: BatchResult, at: number, runningMs: number): RecordOutcome {
    if (this.done.has(r.index)) return { recorded: false, newBuckets: [], lowered: [] };
    this.done.add(r.index);
    this.runs += r.runs;
    this.steps += r.steps;
    for (const h of r.coverage) this.coverage.add(h);
    this.warnings += r.warningRuns;
    const newBuckets: Bucket[] = [];
    const lowered = new Set<Bucket>();
    const fold = (hit: BucketHit): void => {
      if (hit.severity === 'failure') this.failures += hit.count;
      const id = bucketId(hit.title);
      let b = this.buckets.get(id);
      if (b === undefined) {
        b = {
          id,
          title: hit.title,
          kind: hit.kind,
          severity: hit.severity,
          strategy: hit.strategy,
          sites: [...hit.sites],
          scenarios: [],
          blocksPerPage: [],
          count: 0,
          examples: [],
          firstSeenAt: at,
          lastSeenAt: at,
          minimized: null,
          witness: null,
        };
        this.buckets.set(id, b);
        if (b.severity === 'warning') this.warningBuckets++;
        newBuckets.push(b);
      }
      b.count += hit.count;
      b.lastSeenAt = Math.max(b.lastSeenAt, at);
      if (!b.scenarios.includes(hit.scenario)) b.scenarios = [...b.scenarios, hit.scenario].sort();
      if (!b.blocksPerPage.includes(r.blocksPerPage)) b.blocksPerPage = [...b.blocksPerPage, r.blocksPerPage].sort((x, y) => x - y);
      b.witness = leastWitness(b.witness, hit.witness);
      const lowest = b.examples[0];
      mergeExamples(b.examples, hit.examples.map((seed) => ({ seed, scenario: hit.scenario, blocksPerPage: r.blocksPerPage, batch: r.index })), this.campaign.spec.examplesPerBucket);
      if (lowest !== undefined && b.examples[0] !== lowest) {
        lowered.add(b);
        // Its reproducer was of an example that is no longer the lowest: it goes, and the new lowest is minimized.
        b.minimized = null;
      }
    };
    for (const hit of r.failures) fold(hit);
    for (const hit of r.warnings) fold(hit);
    this.campaign.runningMs = Math.max(this.campaign.runningMs, runningMs);
    addSample(this.samples, this.sample(at));
    return { recorded: true, newBuckets, lowered: [...lowered] };
  }

  sample(at: number): Sample {
    return { at, runningMs: this.campaign.runningMs, runs: this.runs, failures: this.failures, coverage: this.coverage.size, buckets: this.buckets.size - this.warningBuckets };
  }

  summary(): CampaignSummary {
    let minimized = 0;
    for (const b of this.buckets.values()) if (b.minimized !== null) minimized++;
    return {
      campaign: this.campaign,
      runs: this.runs,
      steps: this.steps,
      failures: this.failures,
      warnings: this.warnings,
      batchesDone: this.done.size,
      batchesTotal: batchCount(this.campaign.spec),
      seedsTotal: seedCount(this.campaign.spec),
      coverage: this.coverage.size,
      buckets: this.buckets.size - this.warningBuckets,
      warningBuckets: this.warningBuckets,
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
      warnings: this.warnings,
      coverage: [...this.coverage].sort((a, b) => a - b),
      buckets: [...this.buckets.values()],
      samples: this.samples.slice(),
    };
  }

  /** Results from a snapshot, which an earlier pcfarm may have written (see upgradeSnapshot). */
  static fromSnapshot(snapshot: CampaignSnapshot): CampaignResults {
    const s = upgradeSnapshot(snapshot);
    const r = new CampaignResults({ ...s.campaign, spec: { ...s.campaign.spec } });
    for (const i of s.done) r.done.add(i);
    r.runs = s.runs;
    r.steps = s.steps;
    r.failures = s.failures;
    r.warnings = s.warnings;
    for (const h of s.coverage) r.coverage.add(h);
    for (const b of s.buckets) {
      r.buckets.set(b.id, structuredClone(b));
      if (b.severity === 'warning') r.warningBuckets++;
    }
    r.samples.push(...s.samples);
    return r;
  }
}

// Records an earlier pcfarm wrote, read as what they meant then: before
// warnings, every finding failed its run; before blocks per page was an axis,
// every run had whole-page buffers (the model's default).

const WHOLE_PAGE = DEFAULTS.blocksPerPage;

/** A minimized reproducer, with the blocks per page it ran at. */
export function upgradeMinimized(m: Minimized): Minimized {
  return m.blocksPerPage === undefined ? { ...m, blocksPerPage: WHOLE_PAGE } : m;
}

/** A bucket with its severity, witness and blocks per page. */
export function upgradeBucket(b: Bucket): Bucket {
  if (b.severity !== undefined && b.blocksPerPage !== undefined) return b;
  return {
    ...b,
    severity: b.severity ?? 'failure',
    blocksPerPage: b.blocksPerPage ?? [WHOLE_PAGE],
    examples: b.examples.map((e) => (e.blocksPerPage === undefined ? { ...e, blocksPerPage: WHOLE_PAGE } : e)),
    minimized: b.minimized === null ? null : upgradeMinimized(b.minimized),
    witness: b.witness ?? null,
  };
}

/** A batch result with its blocks per page and its warnings (none, then). */
export function upgradeBatchResult(r: BatchResult): BatchResult {
  if (r.warnings !== undefined) return r;
  return {
    ...r,
    blocksPerPage: r.blocksPerPage ?? WHOLE_PAGE,
    failures: r.failures.map((h) => ({ ...h, severity: h.severity ?? 'failure', witness: h.witness ?? null })),
    warnings: [],
    warningRuns: 0,
  };
}

/** A snapshot with every part upgraded. */
export function upgradeSnapshot(s: CampaignSnapshot): CampaignSnapshot {
  return { ...s, campaign: upgradeCampaign(s.campaign), warnings: s.warnings ?? 0, buckets: s.buckets.map(upgradeBucket) };
}
