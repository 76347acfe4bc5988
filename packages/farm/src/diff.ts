/**
 * The findings of two campaigns compared, as a kernel developer compares two
 * versions of a patch: which buckets are new in B, gone from B, and changed
 * in rate; and, like syzbot's fix tracking, every failure bucket of A
 * re-tested against B's strategy, marked fixed or still failing.
 *
 * Buckets are matched by (kind, sites) within a pair of strategies: the same
 * id in both campaigns, or, when each campaign has exactly one strategy the
 * other lacks, those two (an edited copy under a new name).
 */
import { decodeReproducer, Model, type FailureKind, type Reproducer, type RunConfig, type Severity, type Strategy } from '@pcfarm/core';
import { batchAt, batchConfig } from './campaign.js';
import { doneIndexes, type Bucket, type CampaignSnapshot } from './results.js';
import type { StrategyFileRef } from './strategy-ref.js';

/** Bounds of a diff. */
export const DIFF_LIMITS = {
  /** A rate is called changed only past this many standard errors (a two-proportion z-test)... */
  rateZMin: 3,
  /** ...and by at least this factor, either way. */
  rateRatioMin: 2,
  /** Example seeds of a bucket of A re-run against B, besides its minimized reproducer. */
  retestSeedsMax: 5,
} as const;

/** One side of a matched bucket. */
export interface DiffSide {
  bucketId: string;
  title: string;
  strategy: string;
  count: number;
  /** Runs of the bucket's strategy in the campaign, in the cells both campaigns ran. */
  runs: number;
  /** count / runs. */
  rate: number;
}

export type DiffChange = 'new' | 'gone' | 'more' | 'fewer' | 'same';

export interface BucketDiff {
  kind: FailureKind;
  severity: Severity;
  sites: string[];
  change: DiffChange;
  a: DiffSide | null;
  b: DiffSide | null;
}

/** A failure bucket of A re-run against B's strategy. */
export interface Retest {
  bucketId: string;
  title: string;
  /** B's strategy it was run against. */
  against: string;
  /** fixed: no re-run failed so; still-failing: one did (`by` says which). */
  verdict: 'fixed' | 'still-failing';
  /** What reproduced it: "reproducer", or "seed N in SCENARIO at B blocks per page". */
  by: string | null;
  /** Re-runs made: the reproducer (when minimized) and the example seeds. */
  runs: number;
  /** How the re-runs that did not reproduce it ended, by kind ("clean" for a pass). */
  outcomes: Record<string, number>;
}

export interface CampaignDiff {
  a: { id: string; name: string; strategies: string[] };
  b: { id: string; name: string; strategies: string[] };
  /** Strategy of A -> its counterpart in B. */
  pairs: [string, string][];
  /** What differs between the two specs beside the strategies, which a reader should weigh (scenarios, scheduler, ...). */
  notes: string[];
  buckets: BucketDiff[];
  retests: Retest[];
}

/** Pair the strategies of A and B: equal ids, and the one each lacks of the other when both lack exactly one. */
export function pairStrategies(a: readonly string[], b: readonly string[]): [string, string][] {
  const pairs: [string, string][] = a.filter((s) => b.includes(s)).map((s) => [s, s]);
  const onlyA = a.filter((s) => !b.includes(s));
  const onlyB = b.filter((s) => !a.includes(s));
  if (onlyA.length === 1 && onlyB.length === 1) pairs.push([onlyA[0]!, onlyB[0]!]);
  return pairs;
}

/** Runs of each strategy in the recorded batches whose scenario and blocks per page are in `cells`. */
function runsByStrategy(s: CampaignSnapshot, inCell: (scenario: string, bpp: number) => boolean): Map<string, number> {
  const runs = new Map<string, number>();
  for (const index of doneIndexes(s.done)) {
    const b = batchAt(s.campaign, index);
    if (b === null || !inCell(b.scenario, b.blocksPerPage)) continue;
    runs.set(b.strategy, (runs.get(b.strategy) ?? 0) + b.seedCount);
  }
  return runs;
}

function rateChange(a: DiffSide, b: DiffSide): DiffChange {
  if (a.runs === 0 || b.runs === 0) return 'same';
  const pooled = (a.count + b.count) / (a.runs + b.runs);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.runs + 1 / b.runs));
  const z = se === 0 ? 0 : (b.rate - a.rate) / se;
  const ratio = a.rate === 0 ? Infinity : b.rate / a.rate;
  if (z >= DIFF_LIMITS.rateZMin && ratio >= DIFF_LIMITS.rateRatioMin) return 'more';
  if (z <= -DIFF_LIMITS.rateZMin && ratio <= 1 / DIFF_LIMITS.rateRatioMin) return 'fewer';
  return 'same';
}

/**
 * Compare two campaigns' buckets, counting each bucket only in the cells
 * (scenario x blocks per page) both ran, so a campaign that ran more
 * scenarios does not show their findings as new.
 */
export function diffCampaigns(a: CampaignSnapshot, b: CampaignSnapshot): Omit<CampaignDiff, 'retests'> {
  const sa = a.campaign.spec;
  const sb = b.campaign.spec;
  const pairs = pairStrategies(sa.strategies, sb.strategies);
  const scenarios = sa.scenarios.filter((x) => sb.scenarios.includes(x));
  const bpps = sa.blocksPerPage.filter((x) => sb.blocksPerPage.includes(x));
  const inCell = (scenario: string, bpp: number): boolean => scenarios.includes(scenario) && bpps.includes(bpp);
  const notes: string[] = [];
  const only = (what: string, xa: readonly (string | number)[], xb: readonly (string | number)[]): void => {
    const ax = xa.filter((x) => !xb.includes(x));
    const bx = xb.filter((x) => !xa.includes(x));
    if (ax.length + bx.length > 0) notes.push(`${what} ${[...ax.map((x) => `${x} only in A`), ...bx.map((x) => `${x} only in B`)].join(', ')}: compared on the ones both ran`);
  };
  only('scenarios', sa.scenarios, sb.scenarios);
  only('blocks per page', sa.blocksPerPage, sb.blocksPerPage);
  if (sa.scheduler !== sb.scheduler || sa.pctDepth !== sb.pctDepth) notes.push(`schedulers differ (A ${sa.scheduler}${sa.scheduler === 'pct' ? ` depth ${sa.pctDepth}` : ''}, B ${sb.scheduler}${sb.scheduler === 'pct' ? ` depth ${sb.pctDepth}` : ''}): a rate may differ for that alone`);
  for (const [x, y] of pairs) if (x !== y) notes.push(`strategy ${x} of A is compared with ${y} of B`);
  const unpaired = [...sa.strategies.filter((s) => !pairs.some(([x]) => x === s)).map((s) => `${s} (A)`), ...sb.strategies.filter((s) => !pairs.some(([, y]) => y === s)).map((s) => `${s} (B)`)];
  if (unpaired.length > 0) notes.push(`no counterpart for ${unpaired.join(', ')}: left out`);
  const runsA = runsByStrategy(a, inCell);
  const runsB = runsByStrategy(b, inCell);
  const allRunsA = runsByStrategy(a, () => true);
  const allRunsB = runsByStrategy(b, () => true);
  // A bucket keeps one count over every cell it was seen in: only one seen in shared cells alone has its count there.
  const confined = (bk: Bucket): boolean => bk.scenarios.every((sc) => scenarios.includes(sc)) && bk.blocksPerPage.every((x) => bpps.includes(x));
  let unconfined = 0;
  const side = (bk: Bucket, shared: Map<string, number>, all: Map<string, number>): DiffSide => {
    // Seen also in a cell only this campaign ran: its count is of those runs too, so its rate is over all of them.
    const n = (confined(bk) ? shared : all).get(bk.strategy) ?? 0;
    return { bucketId: bk.id, title: bk.title, strategy: bk.strategy, count: bk.count, runs: n, rate: n === 0 ? 0 : bk.count / n };
  };
  // A bucket's count covers every cell it was seen in; one seen in a cell only one campaign ran is left out.
  const comparable = (bk: Bucket): boolean => bk.scenarios.some((sc) => scenarios.includes(sc)) && bk.blocksPerPage.some((x) => bpps.includes(x));
  const key = (pairIndex: number, bk: Bucket): string => `${pairIndex}\0${bk.severity}\0${bk.kind}\0${bk.sites.join('\0')}`;
  const matched = new Map<string, BucketDiff>();
  // The matched buckets whose A side is counted in the shared cells alone.
  const confinedInA = new Set<string>();
  pairs.forEach(([x, y], i) => {
    for (const bk of a.buckets) {
      if (bk.strategy !== x || !comparable(bk)) continue;
      matched.set(key(i, bk), { kind: bk.kind, severity: bk.severity, sites: [...bk.sites], change: 'gone', a: side(bk, runsA, allRunsA), b: null });
      if (confined(bk)) confinedInA.add(key(i, bk));
    }
    for (const bk of b.buckets) {
      if (bk.strategy !== y || !comparable(bk)) continue;
      const d = matched.get(key(i, bk));
      if (d === undefined) matched.set(key(i, bk), { kind: bk.kind, severity: bk.severity, sites: [...bk.sites], change: 'new', a: null, b: side(bk, runsB, allRunsB) });
      else {
        d.b = side(bk, runsB, allRunsB);
        // Two rates over different cells say nothing of a change: claimed only where both counts are of the shared cells.
        if (confined(bk) && confinedInA.has(key(i, bk))) d.change = rateChange(d.a!, d.b);
        else {
          d.change = 'same';
          unconfined++;
        }
      }
    }
  });
  if (unconfined > 0) notes.push(`${unconfined} bucket(s) in both were seen also in cells only one campaign ran: a bucket keeps one count over its cells, so their rates are over all that campaign's runs, and no change of rate is claimed for them`);
  const order: Record<DiffChange, number> = { new: 0, gone: 1, more: 2, fewer: 3, same: 4 };
  const buckets = [...matched.values()].sort((p, q) => order[p.change] - order[q.change] || (p.severity === q.severity ? 0 : p.severity === 'failure' ? -1 : 1) || ((p.a ?? p.b)!.title < (q.a ?? q.b)!.title ? -1 : 1));
  const brief = (s: CampaignSnapshot) => ({ id: s.campaign.id, name: s.campaign.spec.name, strategies: [...s.campaign.spec.strategies] });
  return { a: brief(a), b: brief(b), pairs, notes, buckets };
}

/** Finds the Strategy object of a strategy file a campaign names (the CLI's loaded files, a worker's resolver). */
export type FileStrategies = (ref: StrategyFileRef) => Strategy;

/**
 * Re-run each failure bucket of A against B's counterpart strategy: its
 * minimized reproducer (the choice list, as a replay) and its example seeds
 * (under A's scheduler; a guided or portfolio campaign's examples by their reproducers). Still failing when any re-run fails with the
 * bucket's kind and sites; fixed when none does.
 */
export function retestBuckets(a: CampaignSnapshot, b: CampaignSnapshot, pairs: readonly [string, string][], files: FileStrategies): Retest[] {
  const retests: Retest[] = [];
  const models = new Map<string, Model>();
  const sb = b.campaign.spec;
  const modelOf = (config: RunConfig): Model => {
    const k = JSON.stringify(config);
    let m = models.get(k);
    if (m === undefined) {
      const ref = sb.strategyFiles.find((r) => r.id === config.strategy);
      m = new Model(config, ref === undefined ? {} : { strategies: [files(ref)] });
      models.set(k, m);
    }
    return m;
  };
  for (const bk of a.buckets) {
    if (bk.severity !== 'failure') continue;
    const pair = pairs.find(([x]) => x === bk.strategy);
    if (pair === undefined) continue;
    const against = pair[1];
    const same = (kind: FailureKind, sites: readonly string[]): boolean => kind === bk.kind && sites.length === bk.sites.length && sites.every((s, i) => s === bk.sites[i]);
    const outcomes: Record<string, number> = {};
    let by: string | null = null;
    let runs = 0;
    const judge = (o: { failure: { kind: FailureKind; sites: string[] } | null; warnings: { kind: FailureKind; sites: string[] }[] }, what: string): void => {
      runs++;
      if (o.failure !== null && same(o.failure.kind, o.failure.sites)) by ??= what;
      else {
        const k = o.failure === null ? 'clean' : o.failure.kind;
        outcomes[k] = (outcomes[k] ?? 0) + 1;
      }
    };
    const r = bk.minimized === null ? null : decodeAnyStrategy(bk.minimized.reproducer);
    if (r !== null) judge(modelOf({ ...r.config, strategy: against }).run({ choices: r.choices }), 'reproducer');
    for (const ex of bk.examples.slice(0, DIFF_LIMITS.retestSeedsMax)) {
      if (by !== null) break;
      if (!sb.scenarios.includes(ex.scenario) && !a.campaign.spec.scenarios.includes(ex.scenario)) continue;
      // A search's example is its reproducer's run (its seed alone is another run), under its own config: its choices, then its seed where B's run goes on longer.
      const searched = ex.reproducer === undefined ? null : decodeAnyStrategy(ex.reproducer);
      const config = searched !== null ? { ...searched.config, strategy: against } : batchConfig({ strategy: against, scenario: ex.scenario, blocksPerPage: ex.blocksPerPage, scheduler: a.campaign.spec.scheduler, pctDepth: a.campaign.spec.pctDepth });
      const o = modelOf(config).run(searched === null ? { seed: ex.seed } : { choices: searched.choices, thenSeed: ex.seed });
      judge(o, `${searched === null ? 'seed' : 'the searched run of seed'} ${ex.seed} in ${ex.scenario} at ${ex.blocksPerPage} blocks per page`);
    }
    retests.push({ bucketId: bk.id, title: bk.title, against, verdict: by === null ? 'fixed' : 'still-failing', by, runs, outcomes });
  }
  return retests;
}

/** A reproducer, whichever strategy it names (A's, not B's): null when it does not decode. */
function decodeAnyStrategy(text: string): Reproducer | null {
  try {
    return decodeReproducer(text, null);
  } catch {
    return null;
  }
}
