/**
 * How much a campaign has likely left to find (issue 14), per cell and in
 * all. A run is a sample and what it reaches (coverage hashes, failure
 * buckets) are species: Good-Turing, as Böhme's STADS applies it to
 * fuzzing, puts the chance that the next run reaches something no run has
 * at f1 / n, f1 the species exactly one of n runs reached. And PCT's
 * guarantee turned around (Burckhardt et al.): the runs after which a bug
 * of the campaign's depth, if the cell has one, is found with 95%
 * confidence, from the cell's tasks and steps. And Chao's extrapolation
 * (core's chaoNewPerRun), from the doubletons too: the new things each of
 * as many runs again should reach, which BENCHMARKS.md finds within 2x of
 * what they do reach on most cells, where f1 / n, the rate at the next run,
 * overstates it.
 *
 * Both say what the search can see, not what is there: a coverage signal
 * exhausted reads as no risk left (BENCHMARKS.md, "Search that learns").
 */
import { chaoNewPerRun, Model, pctRunsForConfidence, type RunConfig } from '@pcfarm/core';
import { cellAt, cellCount, cellIndex, runsByCell, type Campaign } from './campaign.js';
import type { Bucket, CampaignSummary, DoneRanges } from './results.js';

/** One cell's residual risk. */
export interface CellRisk {
  strategy: string;
  scenario: string;
  blocksPerPage: number;
  runs: number;
  /** Coverage hashes and failure buckets exactly one of its runs reached. */
  singletons: number;
  /** The chance its next run reaches something no run has (singletons / runs); null before any run. */
  risk: number | null;
  /** Coverage hashes and failure buckets exactly two of its runs reached; null where the store does not count them. */
  doubletons: number | null;
  /** Chao's extrapolation: the new things each of its next `runs` runs should reach, on average; null before any run or without doubletons. */
  ahead: number | null;
  /** Under pct: runs after which a bug of the campaign's depth, if the cell has one, is found with 95% confidence; null under another scheduler. */
  pctRuns95: number | null;
}

/** A campaign's residual risk: in all (singletons over runs), and per cell, riskiest first. */
export interface CampaignRisk {
  runs: number;
  singletons: number;
  risk: number | null;
  /** In all, as each cell's (null where the store does not count them). */
  doubletons: number | null;
  /** The new things the next `runs` runs should reach in all: the sum of each cell's extrapolation over as many runs as it has had; null without doubletons. */
  aheadThings: number | null;
  cells: CellRisk[];
}

/** Tasks and steps of a cell's run from seed 0, by cell: what PCT's bound needs, the same every time. */
const shapes = new Map<string, { tasks: number; steps: number }>();

function shapeOf(config: RunConfig): { tasks: number; steps: number } {
  const key = `${config.strategy}\0${config.scenario}\0${config.blocksPerPage}`;
  let s = shapes.get(key);
  if (s === undefined) {
    const o = new Model({ ...config, scheduler: 'pct', trace: true }).run({ seed: 0 });
    // The user tasks: reclaim and sync are the kernel's, and PCT's bound counts the tasks it orders.
    s = { tasks: new Set(o.trace!.map((e) => e.task).filter((t) => t !== 'kswapd' && t !== 'sync')).size, steps: o.steps };
    shapes.set(key, s);
  }
  return s;
}

/**
 * The residual risk of `campaign` from its summary's singletons (null when
 * its store does not count them), its batches `done` and its buckets (a
 * failure bucket of one run is a singleton of the cell of its example).
 * Cells of strategy files get no PCT bound (their code is not loaded here).
 */
export function campaignRisk(campaign: Campaign, summary: Pick<CampaignSummary, 'coverageOnce' | 'coverageTwice'>, done: DoneRanges, buckets: readonly Bucket[]): CampaignRisk | null {
  const found = cellFindings(campaign, summary, done, buckets);
  if (found === null) return null;
  const spec = campaign.spec;
  const { runs, singletons, doubletons } = found;
  const list: CellRisk[] = [];
  let aheadThings: number | null = doubletons === null ? null : 0;
  for (let cell = 0; cell < cellCount(spec); cell++) {
    const { strategy, scenario, blocksPerPage } = cellAt(spec, cell);
    const n = runs[cell]!;
    const fromFile = spec.strategyFiles.some((f) => f.id === strategy);
    const shape = spec.scheduler !== 'pct' || fromFile ? null : shapeOf({ strategy, scenario, blocksPerPage });
    const f2 = doubletons === null ? null : doubletons[cell]!;
    const ahead = f2 === null || n === 0 ? null : chaoNewPerRun(singletons[cell]!, f2, n, n);
    if (aheadThings !== null && ahead !== null) aheadThings += ahead * n;
    list.push({ strategy, scenario, blocksPerPage, runs: n, singletons: singletons[cell]!, risk: cellRiskOf(n, singletons[cell]!), doubletons: f2, ahead, pctRuns95: shape === null ? null : pctRunsForConfidence(shape.tasks, shape.steps, spec.pctDepth) });
  }
  list.sort((a, b) => (b.risk ?? -1) - (a.risk ?? -1) || b.singletons - a.singletons);
  const total = runs.reduce((a, b) => a + b, 0);
  const f1 = singletons.reduce((a, b) => a + b, 0);
  return { runs: total, singletons: f1, risk: cellRiskOf(total, f1), doubletons: doubletons === null ? null : doubletons.reduce((a, b) => a + b, 0), aheadThings, cells: list };
}

/** Good-Turing's chance that the next of `runs` runs reaches something new, from its `singletons`; null before any run. */
export function cellRiskOf(runs: number, singletons: number): number | null {
  return runs === 0 ? null : Math.min(1, singletons / runs);
}

/**
 * Each cell's runs (cellAt's order), singletons and doubletons: the
 * coverage hashes and failure buckets exactly one, and two, of its runs
 * reached (a failure bucket of one run is a singleton of the cell of its
 * example, of two a doubleton). Null when the store does not count
 * singletons; doubletons null when it does not count them.
 */
export function cellFindings(campaign: Campaign, summary: Pick<CampaignSummary, 'coverageOnce' | 'coverageTwice'>, done: DoneRanges, buckets: readonly Bucket[]): { runs: number[]; singletons: number[]; doubletons: number[] | null } | null {
  if (summary.coverageOnce === null) return null;
  const spec = campaign.spec;
  const singletons = Array.from({ length: cellCount(spec) }, (_, i) => summary.coverageOnce![i] ?? 0);
  const doubletons = summary.coverageTwice === null ? null : Array.from({ length: cellCount(spec) }, (_, i) => summary.coverageTwice![i] ?? 0);
  for (const b of buckets) {
    const e = b.examples[0];
    if (b.severity !== 'failure' || e === undefined) continue;
    const cell = cellIndex(spec, b.strategy, e.scenario, e.blocksPerPage);
    if (b.count === 1) singletons[cell]! += 1;
    else if (b.count === 2 && doubletons !== null) doubletons[cell]! += 1;
  }
  return { runs: runsByCell(campaign, done), singletons, doubletons };
}

/** A risk as the summary says it: `0.12%`, or `-` before any run. */
export function riskText(risk: number | null): string {
  return risk === null ? '-' : `${(risk * 100).toFixed(risk >= 0.001 ? 2 : 4)}%`;
}
