/**
 * Running one batch: every seed of its range through one reused Model, the
 * findings grouped by signature with a few example seeds (failures and
 * warnings apart), and the coverage the runs reached. Pure CPU work: the
 * pool's threads and the BullMQ workers both call it.
 */
import { findingSignature, Model, type Failure, type FailureKind, type Severity } from '@pcfarm/core';
import { batchConfig, CAMPAIGN_LIMITS, type Batch } from './campaign.js';
import { PayloadReader } from './payload.js';
import { strategyResolver, type StrategyResolver } from './strategy-files.js';

/** One bucket's share of a batch. */
export interface BucketHit {
  /** The signature title: the bucket's key. */
  title: string;
  kind: FailureKind;
  /** A failure fails its run; a warning (a class-only lock-order cycle) does not. */
  severity: Severity;
  strategy: string;
  scenario: string;
  sites: string[];
  /** Runs with this finding. */
  count: number;
  /** The first seeds of the range with it, at most the batch's examplesPerBucket. */
  examples: number[];
  /** For a warning: the scenario where its lock instances meet (the scenario's witness), or null. */
  witness: string | null;
}

/** What a batch came to. */
export interface BatchResult {
  campaignId: string;
  index: number;
  strategy: string;
  scenario: string;
  blocksPerPage: number;
  seedStart: number;
  runs: number;
  /** Preemption points passed in all. */
  steps: number;
  /** Each failing run's failure, by signature: a run fails once, so their counts add up to the failing runs. */
  failures: BucketHit[];
  /** Every run's warnings (failing or not), by signature. */
  warnings: BucketHit[];
  /** Runs with at least one warning (a run may have several, so this is not the sum of the warning counts). */
  warningRuns: number;
  /** The distinct interleaving-coverage hashes the batch reached, ascending (see Model.coverage), already mixed with its cell. */
  coverage: number[];
  /** Wall time the batch took, in milliseconds (the only figure that is not deterministic). */
  elapsedMs: number;
}

/**
 * Runs batches on Models kept per cell, so a worker builds each cell's model
 * once and reuses it for every batch of that cell.
 */
export class BatchRunner {
  private readonly models = new Map<string, Model>();
  private readonly coverage = new Set<number>();

  /** `resolve` finds the strategy file a job names (default: at its recorded path, by hash). */
  constructor(private readonly resolve: StrategyResolver = strategyResolver([])) {}

  /** The model of a cell, built on first use. */
  model(b: Pick<Batch, 'strategy' | 'strategyFile' | 'scenario' | 'blocksPerPage' | 'scheduler' | 'pctDepth'>): Model {
    const key = `${b.strategy}\0${b.strategyFile?.sourceHash ?? ''}\0${b.scenario}\0${b.blocksPerPage}\0${b.scheduler}\0${b.pctDepth}`;
    let m = this.models.get(key);
    if (m === undefined) {
      m = new Model(batchConfig(b), b.strategyFile === null ? {} : { strategies: [this.resolve(b.strategyFile)] });
      this.models.set(key, m);
    }
    return m;
  }

  /** Run a checked batch; `now` is a millisecond clock for elapsedMs. */
  run(b: Batch, now: () => number): BatchResult {
    const t0 = now();
    const model = this.model(b);
    // Failure and warning titles never meet (a warning's sites end in `class only`), so one map keys both.
    const hits = new Map<string, BucketHit>();
    const add = (f: Failure, seed: number): void => {
      const sig = findingSignature(b.strategy, f);
      let hit = hits.get(sig.title);
      if (hit === undefined) {
        hit = { title: sig.title, kind: sig.kind, severity: sig.severity, strategy: b.strategy, scenario: b.scenario, sites: [...sig.sites], count: 0, examples: [], witness: f.witness };
        hits.set(sig.title, hit);
      }
      hit.count++;
      if (hit.examples.length < b.examplesPerBucket) hit.examples.push(seed);
    };
    this.coverage.clear();
    model.coverage = this.coverage;
    let steps = 0;
    let warningRuns = 0;
    try {
      for (let seed = b.seedStart; seed < b.seedStart + b.seedCount; seed++) {
        const o = model.run({ seed });
        steps += o.steps;
        if (o.failure !== null) add(o.failure, seed);
        if (o.warnings.length > 0) warningRuns++;
        for (const w of o.warnings) add(w, seed);
      }
    } finally {
      model.coverage = null;
    }
    const cell = cellHash(b.strategy, b.scenario, b.blocksPerPage);
    const coverage = [...this.coverage].map((h) => (Math.imul(h ^ cell, 0x9e3779b1) >>> 0)).sort((x, y) => x - y);
    const sorted = [...hits.values()].sort((x, y) => (x.title < y.title ? -1 : x.title > y.title ? 1 : 0));
    return {
      campaignId: b.campaignId,
      index: b.index,
      strategy: b.strategy,
      scenario: b.scenario,
      blocksPerPage: b.blocksPerPage,
      seedStart: b.seedStart,
      runs: b.seedCount,
      steps,
      failures: sorted.filter((h) => h.severity === 'failure'),
      warnings: sorted.filter((h) => h.severity === 'warning'),
      warningRuns,
      coverage,
      elapsedMs: now() - t0,
    };
  }
}

function cellHash(strategy: string, scenario: string, blocksPerPage: number): number {
  const text = `${strategy}\0${scenario}\0${blocksPerPage}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h;
}

/**
 * A batch from a job payload that came over a queue or a thread boundary,
 * checked field by field: a malformed one is an EBADJOB naming the field,
 * one made by another model version an EMODELVERSION.
 */
export function checkBatch(payload: unknown): Batch {
  const r = new PayloadReader(payload, 'batch job');
  const modelVersion = r.modelVersion();
  return {
    campaignId: r.str('campaignId'),
    index: r.whole('index', 0, Number.MAX_SAFE_INTEGER),
    ...r.strategy(),
    scenario: r.scenario(),
    blocksPerPage: r.blocksPerPage(),
    scheduler: r.scheduler(),
    pctDepth: r.whole('pctDepth', 1, CAMPAIGN_LIMITS.pctDepthMax),
    seedStart: r.whole('seedStart', 0, Number.MAX_SAFE_INTEGER),
    seedCount: r.whole('seedCount', 1, CAMPAIGN_LIMITS.batchSeedsMax),
    examplesPerBucket: r.whole('examplesPerBucket', 1, CAMPAIGN_LIMITS.examplesPerBucketMax),
    modelVersion,
  };
}
