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
import { batchCount, cellCount, cellIndex, seedCount, upgradeCampaign, type Campaign } from './campaign.js';
import { contributes, guideOf, guideSpecOf, type Contribution, type Guide } from './guide.js';
import type { Minimized } from './minimize-job.js';

/** A seed of a bucket: a run with its finding. */
export interface Example {
  seed: number;
  scenario: string;
  blocksPerPage: number;
  /** The batch that found it. */
  batch: number;
  /** A guided campaign's: the run as a reproducer (`pcfarm1:`), what replays it (BucketHit.reproducers). */
  reproducer?: string;
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
  /**
   * For each cell (batchAt's order), the coverage hashes exactly one of its
   * runs reached: Good-Turing's singletons (risk.ts). Null from a store that
   * does not count them.
   */
  coverageOnce: number[] | null;
  /**
   * For each cell, the coverage hashes exactly two of its runs reached (the
   * doubletons Chao's extrapolation needs, risk.ts). Null from a store that
   * does not count them, or for a campaign some of whose batches were
   * recorded by a pcfarm that did not.
   */
  coverageTwice: number[] | null;
}

/** Everything a store holds of one campaign: what export writes and import reads. */
export interface CampaignSnapshot {
  campaign: Campaign;
  /** The batches recorded, as ranges of their indexes (an earlier pcfarm wrote a list of indexes: see upgradeSnapshot). */
  done: DoneRanges;
  runs: number;
  steps: number;
  failures: number;
  warnings: number;
  coverage: number[];
  /** Of `coverage`, the hashes exactly one run reached, each with its cell (batchAt's order); absent in a snapshot of an earlier pcfarm. */
  coverageOnce?: [hash: number, cell: number][];
  /** Of `coverage`, the hashes exactly two runs reached, each with its cell; absent when the campaign's doubletons are not counted (CampaignSummary.coverageTwice). */
  coverageTwice?: [hash: number, cell: number][];
  /** Failure and warning buckets alike (each says which). */
  buckets: Bucket[];
  samples: Sample[];
  /** A guided campaign's corpus: each cell's contributions (guide.ts), by cell; absent for any other. */
  corpus?: [cell: number, contributions: Contribution[]][];
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

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * How a campaign's history of samples is kept: at full resolution for the
 * last hour, coarser with age, so a campaign of weeks draws in one request
 * of a few thousand samples (see samplesBound). Ages are counted back from
 * the newest sample, so a campaign stopped for a week still shows its last
 * hour in full.
 */
export const SAMPLE_LIMITS = {
  /** Full resolution: at most one sample per this many milliseconds (a later one within it replaces the last). */
  intervalMs: SECOND_MS,
  /**
   * A sample older than olderThanMs is kept only as the last of its
   * intervalMs slot (slots counted from the epoch). Each interval divides
   * the next, so thinning again never moves a sample kept before; the
   * samples are cumulative, so the last of a slot stands for the others.
   */
  tiers: [
    { olderThanMs: HOUR_MS, intervalMs: MINUTE_MS },
    { olderThanMs: DAY_MS, intervalMs: 15 * MINUTE_MS },
    { olderThanMs: 7 * DAY_MS, intervalMs: 6 * HOUR_MS },
  ],
} as const;

/**
 * The most samples a history spanning spanMs holds: each tier's share of
 * the span over its interval, plus a sample at each tier's edge, plus what
 * accumulates between two thinnings (one first-tier interval at full
 * resolution): 5,042 for a day, 5,619 for a week, 7,052 for a year.
 */
export function samplesBound(spanMs: number): number {
  const t = SAMPLE_LIMITS.tiers;
  let bound = Math.ceil(Math.min(spanMs, t[0].olderThanMs) / SAMPLE_LIMITS.intervalMs) + 1;
  for (let i = 0; i < t.length; i++) {
    const from = t[i]!.olderThanMs;
    const to = i + 1 < t.length ? t[i + 1]!.olderThanMs : Infinity;
    if (spanMs > from) bound += Math.ceil((Math.min(spanMs, to) - from) / t[i]!.intervalMs) + 1;
  }
  return bound + t[0].intervalMs / SAMPLE_LIMITS.intervalMs;
}

/** What adding one sample does to the newest end of a history. */
export interface SampleStep {
  /** push: the sample is appended; set: it replaces the last (within intervalMs of it), keeping the last's time. */
  op: 'push' | 'set';
  /** The sample written. */
  sample: Sample;
  /** Whether older samples are thinned now (thinSamples over the whole history): once per first-tier interval. */
  thin: boolean;
}

/** The step of adding `s` after `last` (null: an empty history); force appends even within intervalMs. */
export function sampleStep(last: Sample | null, s: Sample, force = false): SampleStep {
  if (last === null) return { op: 'push', sample: s, thin: false };
  if (!force && s.at - last.at < SAMPLE_LIMITS.intervalMs) return { op: 'set', sample: { ...s, at: last.at }, thin: false };
  const slot = SAMPLE_LIMITS.tiers[0].intervalMs;
  return { op: 'push', sample: s, thin: Math.floor(s.at / slot) !== Math.floor(last.at / slot) };
}

/**
 * Thinning a history (its newest sample last): its samples [0, keepFrom)
 * are to be replaced by `thinned`; keepFrom 0 when nothing changes. Only
 * samples older than the first tier change, so the edit is of a prefix: an
 * embedded history splices its array, the Redis one trims its list's head.
 */
export function thinSamples(samples: readonly Sample[]): { keepFrom: number; thinned: Sample[] } {
  const tiers = SAMPLE_LIMITS.tiers;
  const newest = samples[samples.length - 1];
  if (newest === undefined) return { keepFrom: 0, thinned: [] };
  // The prefix old enough for a tier: samples are in time order, so a binary search finds its end.
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (newest.at - samples[mid]!.at >= tiers[0].olderThanMs) lo = mid + 1;
    else hi = mid;
  }
  const keepFrom = lo;
  const thinned: Sample[] = [];
  let next = samples[keepFrom]!;
  for (let i = keepFrom - 1; i >= 0; i--) {
    const s = samples[i]!;
    const age = newest.at - s.at;
    let interval: number = tiers[0].intervalMs;
    for (const t of tiers) if (age >= t.olderThanMs) interval = t.intervalMs;
    // A later sample of the same slot stands for this one.
    if (Math.floor(s.at / interval) === Math.floor(next.at / interval)) continue;
    thinned.push(s);
    next = s;
  }
  if (thinned.length === keepFrom) return { keepFrom: 0, thinned: [] };
  return { keepFrom, thinned: thinned.reverse() };
}

/** Add a sample to a history in memory: the step, then the thinning it calls for (what the Redis store does to its list). */
export function addSample(samples: Sample[], s: Sample, force = false): void {
  const step = sampleStep(samples[samples.length - 1] ?? null, s, force);
  if (step.op === 'set') samples[samples.length - 1] = step.sample;
  else samples.push(step.sample);
  if (!step.thin) return;
  const { keepFrom, thinned } = thinSamples(samples);
  if (keepFrom > 0) samples.splice(0, keepFrom, ...thinned);
}

/**
 * Batch indexes done, as ascending disjoint ranges [first, last]
 * (inclusive). A campaign's batches end nearly in order, so a day of them
 * (millions) is a handful of ranges.
 */
export type DoneRanges = [first: number, last: number][];

/** A set of batch indexes kept as ranges. */
export class DoneSet {
  private readonly firsts: number[] = [];
  private readonly lasts: number[] = [];
  /** Indexes in the set. */
  size = 0;

  /** The set of these ranges (any order; overlaps allowed). */
  static of(ranges: readonly (readonly [number, number])[]): DoneSet {
    const d = new DoneSet();
    for (const [first, last] of [...ranges].sort((x, y) => x[0] - y[0])) {
      const k = d.lasts.length - 1;
      const from = k >= 0 ? Math.max(first, d.lasts[k]! + 1) : first;
      if (from > last) continue;
      if (k >= 0 && d.lasts[k] === from - 1) d.lasts[k] = last;
      else {
        d.firsts.push(from);
        d.lasts.push(last);
      }
      d.size += last - from + 1;
    }
    return d;
  }

  /** The range holding i or the last before it: its position, or -1. */
  private rangeAt(i: number): number {
    let lo = 0;
    let hi = this.firsts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.firsts[mid]! <= i) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  has(i: number): boolean {
    const k = this.rangeAt(i);
    return k >= 0 && i <= this.lasts[k]!;
  }

  /** Add an index; false when it was there. */
  add(i: number): boolean {
    const k = this.rangeAt(i);
    if (k >= 0 && i <= this.lasts[k]!) return false;
    const left = k >= 0 && this.lasts[k] === i - 1;
    const right = k + 1 < this.firsts.length && this.firsts[k + 1] === i + 1;
    if (left && right) {
      this.lasts[k] = this.lasts[k + 1]!;
      this.firsts.splice(k + 1, 1);
      this.lasts.splice(k + 1, 1);
    } else if (left) this.lasts[k] = i;
    else if (right) this.firsts[k + 1] = i;
    else {
      this.firsts.splice(k + 1, 0, i);
      this.lasts.splice(k + 1, 0, i);
    }
    this.size++;
    return true;
  }

  /** The least index at or after `from` not in the set: where a resumed campaign looks next. */
  nextMissing(from: number): number {
    const k = this.rangeAt(from);
    return k >= 0 && from <= this.lasts[k]! ? this.lasts[k]! + 1 : from;
  }

  /** The ranges, ascending. */
  ranges(): DoneRanges {
    return this.firsts.map((f, k) => [f, this.lasts[k]!]);
  }
}

/**
 * A campaign's coverage: the hashes a snapshot held as one sorted typed
 * array, and those added since in a Set. A campaign of a million hashes
 * opens by decoding one array, not by a million insertions, and holds 4
 * bytes a hash rather than a Set entry's tens.
 */
export class CoverageSet {
  private base = new Uint32Array(0);
  private readonly added = new Set<number>();

  /** The set of these hashes: ascending and distinct (what sorted() gives), or, with `unsorted`, any. */
  static of(hashes: ArrayLike<number>, unsorted = false): CoverageSet {
    const c = new CoverageSet();
    if (!unsorted) c.base = Uint32Array.from(hashes);
    else for (let i = 0; i < hashes.length; i++) c.add(hashes[i]!);
    return c;
  }

  get size(): number {
    return this.base.length + this.added.size;
  }

  has(h: number): boolean {
    if (this.added.has(h)) return true;
    let lo = 0;
    let hi = this.base.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const v = this.base[mid]!;
      if (v === h) return true;
      if (v < h) lo = mid + 1;
      else hi = mid;
    }
    return false;
  }

  add(h: number): void {
    if (!this.has(h)) this.added.add(h);
  }

  /** Every hash, ascending; the ones added since are merged into the sorted array now. */
  sorted(): Uint32Array {
    if (this.added.size === 0) return this.base;
    const more = Uint32Array.from(this.added).sort();
    const merged = new Uint32Array(this.base.length + more.length);
    let [i, j, k] = [0, 0, 0];
    while (i < this.base.length && j < more.length) merged[k++] = this.base[i]! < more[j]! ? this.base[i++]! : more[j++]!;
    while (i < this.base.length) merged[k++] = this.base[i++]!;
    while (j < more.length) merged[k++] = more[j++]!;
    this.base = merged;
    this.added.clear();
    return merged;
  }
}

/**
 * Ascending distinct hashes as a journal keeps them: the gaps between them
 * as LEB128 varints, in base64. A campaign's hashes are spread over 32
 * bits, so a gap takes 2 to 4 bytes where a JSON number takes 10 or 11.
 */
export function encodeCoverage(sorted: Uint32Array): string {
  const out = Buffer.alloc(sorted.length * 5);
  let at = 0;
  let prev = 0;
  for (let i = 0; i < sorted.length; i++) {
    let gap = sorted[i]! - prev;
    prev = sorted[i]!;
    while (gap >= 0x80) {
      out[at++] = (gap & 0x7f) | 0x80;
      gap = Math.floor(gap / 0x80);
    }
    out[at++] = gap;
  }
  return out.subarray(0, at).toString('base64');
}

/** The hashes encodeCoverage encoded; a RangeError when the text is not such an encoding. */
export function decodeCoverage(text: string): Uint32Array {
  const bytes = Buffer.from(text, 'base64');
  const out = new Uint32Array(bytes.length);
  let n = 0;
  let prev = 0;
  for (let at = 0; at < bytes.length; ) {
    let gap = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[at++];
      if (b === undefined || scale > 0x80 ** 4) throw new RangeError('coverage: a gap cut short');
      gap += (b & 0x7f) * scale;
      scale *= 0x80;
      if (b < 0x80) break;
    }
    if ((n > 0 && gap === 0) || prev + gap > 0xffffffff) throw new RangeError('coverage: hashes not ascending 32-bit values');
    prev += gap;
    out[n++] = prev;
  }
  return out.slice(0, n);
}

/** The ranges of a list of indexes (any order, repeats ignored). */
export function doneRangesOf(indexes: Iterable<number>): DoneRanges {
  const d = new DoneSet();
  for (const i of indexes) d.add(i);
  return d.ranges();
}

/** How many indexes ranges hold. */
export function doneCount(ranges: DoneRanges): number {
  let n = 0;
  for (const [first, last] of ranges) n += last - first + 1;
  return n;
}

/** Every index of ranges, ascending. */
export function* doneIndexes(ranges: DoneRanges): Generator<number> {
  for (const [first, last] of ranges) for (let i = first; i <= last; i++) yield i;
}

/** The id of the bucket with this title. */
/**
 * What a bucket found, without what depends on when it was found (its times)
 * or on its minimization: what two runs of one campaign (a laptop's and a
 * farm's, one thread and three) must agree on, bucket for bucket.
 */
export function bucketFindings(b: Bucket) {
  return {
    title: b.title,
    kind: b.kind,
    severity: b.severity,
    strategy: b.strategy,
    sites: b.sites,
    scenarios: b.scenarios,
    blocksPerPage: b.blocksPerPage,
    count: b.count,
    examples: b.examples,
    witness: b.witness,
  };
}

export function bucketId(title: string): string {
  return createHash('sha256').update(title).digest('hex').slice(0, 12);
}

/** The witness a warning bucket keeps: any shows the deadlock; the least by name, so the fold does not depend on order. */
export function leastWitness(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}

/**
 * How many runs of batch `r` reached a hash of its coverage: 1 for its
 * singles, 2 for its doubles, 3 for more, or for any a pcfarm that did not
 * count them reached (as many as it may have been). Both stores fold a
 * campaign's singletons and doubletons by it.
 */
export function runsInBatch(r: BatchResult): (h: number) => 1 | 2 | 3 {
  const singles = new Set(r.coverageSingles ?? []);
  const doubles = new Set(r.coverageDoubles ?? []);
  return (h) => (singles.has(h) ? 1 : doubles.has(h) ? 2 : 3);
}

/** Whether folding batch `r` in leaves its campaign's doubletons uncounted: it reached something, and a pcfarm that did not count doubles ran it. */
export function leavesDoubletonsUncounted(r: BatchResult): boolean {
  return r.coverageDoubles === undefined && (r.coverage.length > 0 || (r.coverageAgain?.length ?? 0) > 0);
}

/** How many hashes of `cellOf` (hash -> cell) each of `cells` cells has. */
function countByCell(cellOf: ReadonlyMap<number, number>, cells: number): number[] {
  const counts = new Array<number>(cells).fill(0);
  for (const cell of cellOf.values()) counts[cell] = (counts[cell] ?? 0) + 1;
  return counts;
}

/** Keep the lowest examples by (batch, seed). */
export function mergeExamples(into: Example[], more: readonly Example[], max: number): void {
  into.push(...more);
  into.sort((a, b) => a.batch - b.batch || a.seed - b.seed);
  if (into.length > max) into.length = max;
}

/** One campaign's results, in memory. */
export class CampaignResults {
  campaign: Campaign;
  /** The batches recorded. */
  done = new DoneSet();
  runs = 0;
  steps = 0;
  failures = 0;
  warnings = 0;
  coverage = new CoverageSet();
  /** The coverage hashes exactly one run reached, each with its cell: Good-Turing's singletons. */
  readonly once = new Map<number, number>();
  /** The coverage hashes exactly two runs reached, each with its cell: the doubletons of Chao's extrapolation. */
  readonly twice = new Map<number, number>();
  /** Whether `twice` is whole: false once a batch of a pcfarm that did not count doubletons is folded in. */
  twiceCounted = true;
  /** Failure and warning buckets by id. */
  readonly buckets = new Map<string, Bucket>();
  /** How many of them are warnings. */
  warningBuckets = 0;
  readonly samples: Sample[] = [];
  /** A guided campaign's corpus: what each cell's batches added to it (guide.ts), by cell, in the order recorded. */
  readonly corpus = new Map<number, Contribution[]>();

  constructor(campaign: Campaign) {
    this.campaign = campaign;
  }

  /** The hashes of a coverage list not in the campaign's coverage yet. */
  newCoverage(hashes: readonly number[]): number[] {
    return hashes.filter((h) => !this.coverage.has(h));
  }

  /**
   * What a journal keeps of a batch's coverage, which apply() folds to the
   * same state as the whole result: the hashes new to the campaign, the
   * hashes one or two runs had reached before that this batch reached
   * again, and of both those one run of the batch reached and those two
   * did. Each hash is written at most three times over a campaign, so the
   * journal grows with what was found.
   */
  journalForm(r: BatchResult): BatchResult {
    const fresh = this.newCoverage(r.coverage);
    const again = r.coverage.filter((h) => this.once.has(h) || this.twice.has(h));
    const kept = (list: readonly number[]): number[] => {
      const of = new Set(list);
      return [...fresh, ...again].filter((h) => of.has(h)).sort((x, y) => x - y);
    };
    const { coverageSingles: _singles, coverageDoubles: _doubles, ...rest } = r;
    return {
      ...rest,
      coverage: fresh,
      ...(r.coverageSingles === undefined ? {} : { coverageSingles: kept(r.coverageSingles) }),
      ...(r.coverageDoubles === undefined ? {} : { coverageDoubles: kept(r.coverageDoubles) }),
      ...(again.length === 0 ? {} : { coverageAgain: again }),
    };
  }

  /** Fold a batch result in, once per batch index. */
  apply(r: BatchResult, at: number, runningMs: number): RecordOutcome {
    if (this.done.has(r.index)) return { recorded: false, newBuckets: [], lowered: [] };
    this.done.add(r.index);
    this.runs += r.runs;
    this.steps += r.steps;
    this.foldCoverage(r);
    this.warnings += r.warningRuns;
    if (contributes(r.corpus)) {
      const cell = cellIndex(this.campaign.spec, r.strategy, r.scenario, r.blocksPerPage);
      let list = this.corpus.get(cell);
      if (list === undefined) this.corpus.set(cell, (list = []));
      list.push(r.corpus);
    }
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
      const examples = hit.examples.map((seed, k): Example => {
        const reproducer = hit.reproducers?.[k];
        return reproducer === undefined ? { seed, scenario: hit.scenario, blocksPerPage: r.blocksPerPage, batch: r.index } : { seed, scenario: hit.scenario, blocksPerPage: r.blocksPerPage, batch: r.index, reproducer };
      });
      mergeExamples(b.examples, examples, this.campaign.spec.examplesPerBucket);
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

  /**
   * The campaign's coverage, and which of it one run alone reached, and two:
   * each hash's runs so far (1, 2, or more) plus the batch's (its singles
   * 1, its doubles 2, the rest 3 or more). A result of an earlier pcfarm,
   * which did not count runs, makes no singletons; one that counted
   * singletons but not doubletons leaves the doubletons uncounted.
   */
  private foldCoverage(r: BatchResult): void {
    if (leavesDoubletonsUncounted(r)) this.twiceCounted = false;
    const runsOf = runsInBatch(r);
    // The batch's own cell: a steered campaign's index does not say it alone.
    const cell = cellIndex(this.campaign.spec, r.strategy, r.scenario, r.blocksPerPage);
    const count = (h: number, before: number): void => {
      this.once.delete(h);
      this.twice.delete(h);
      const n = before + runsOf(h);
      if (n === 1) this.once.set(h, cell);
      else if (n === 2) this.twice.set(h, cell);
    };
    for (const h of r.coverage) {
      if (!this.coverage.has(h)) {
        this.coverage.add(h);
        count(h, 0);
      } else count(h, this.runsBefore(h));
    }
    for (const h of r.coverageAgain ?? []) count(h, this.runsBefore(h));
  }

  /** The runs that had reached a hash of the coverage: 1, 2, or 3 for more. */
  private runsBefore(h: number): number {
    return this.once.has(h) ? 1 : this.twice.has(h) ? 2 : 3;
  }

  /** Singletons by cell (batchAt's order). */
  coverageOnceByCell(): number[] {
    return countByCell(this.once, cellCount(this.campaign.spec));
  }

  /** Doubletons by cell, or null when they are not counted. */
  coverageTwiceByCell(): number[] | null {
    return this.twiceCounted ? countByCell(this.twice, cellCount(this.campaign.spec)) : null;
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
      coverageOnce: this.coverageOnceByCell(),
      coverageTwice: this.coverageTwiceByCell(),
    };
  }

  /** Everything of the campaign; without its coverage (an empty list) when the caller keeps coverage.sorted() its own way. */
  snapshot(withCoverage = true): CampaignSnapshot {
    return {
      campaign: this.campaign,
      done: this.done.ranges(),
      runs: this.runs,
      steps: this.steps,
      failures: this.failures,
      warnings: this.warnings,
      coverage: withCoverage ? Array.from(this.coverage.sorted()) : [],
      coverageOnce: [...this.once].sort((a, b) => a[0] - b[0]),
      ...(this.twiceCounted ? { coverageTwice: [...this.twice].sort((a, b) => a[0] - b[0]) } : {}),
      buckets: [...this.buckets.values()],
      samples: this.samples.slice(),
      ...(this.corpus.size === 0 ? {} : { corpus: this.corpusByCell() }),
    };
  }

  /** The corpus by cell, then round: the order a Redis store gives it, whatever order the batches were recorded in. */
  corpusByCell(): [number, Contribution[]][] {
    return [...this.corpus].sort((a, b) => a[0] - b[0]).map(([cell, list]): [number, Contribution[]] => [cell, [...list].sort((x, y) => x.round - y.round)]);
  }

  /** The guide a batch of `cell` at round `round` starts from (guide.ts): its epoch's. */
  guide(cell: number, round: number): Guide {
    return guideOf(guideSpecOf(this.campaign), this.corpus.get(cell) ?? [], round);
  }

  /** Results from a snapshot, which an earlier pcfarm may have written (see upgradeSnapshot); `coverage`, when given, instead of the snapshot's (ascending). */
  static fromSnapshot(snapshot: CampaignSnapshot, coverage?: Uint32Array): CampaignResults {
    const s = upgradeSnapshot(snapshot);
    const r = new CampaignResults({ ...s.campaign, spec: { ...s.campaign.spec } });
    r.done = DoneSet.of(s.done);
    r.runs = s.runs;
    r.steps = s.steps;
    r.failures = s.failures;
    r.warnings = s.warnings;
    r.coverage = coverage !== undefined ? CoverageSet.of(coverage) : CoverageSet.of(s.coverage, true);
    for (const [h, cell] of s.coverageOnce ?? []) r.once.set(h, cell);
    r.twiceCounted = s.coverageTwice !== undefined;
    for (const [h, cell] of s.coverageTwice ?? []) r.twice.set(h, cell);
    for (const b of s.buckets) {
      r.buckets.set(b.id, structuredClone(b));
      if (b.severity === 'warning') r.warningBuckets++;
    }
    r.samples.push(...s.samples);
    for (const [cell, list] of s.corpus ?? []) r.corpus.set(cell, list.slice());
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

/** A snapshot with every part upgraded; before version 2 of the results format, its done set was a list of indexes. */
export function upgradeSnapshot(s: CampaignSnapshot): CampaignSnapshot {
  const done = (s.done as unknown[]).some((x) => typeof x === 'number') ? doneRangesOf(s.done as unknown as number[]) : s.done;
  return { ...s, campaign: upgradeCampaign(s.campaign), done, warnings: s.warnings ?? 0, buckets: s.buckets.map(upgradeBucket) };
}
