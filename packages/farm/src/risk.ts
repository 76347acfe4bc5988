/**
 * How much a campaign has likely left to find (issue 14), per cell and in
 * all. A run is a sample and what it reaches (coverage hashes, failure
 * buckets) are species: Good-Turing, as Böhme's STADS applies it to
 * fuzzing, puts the chance that the next run reaches something no run has
 * at f1 / n, f1 the species exactly one of n runs reached. And PCT's
 * guarantee turned around (Burckhardt et al.): the runs after which a bug
 * of the campaign's depth, if the cell has one, is found with 95%
 * confidence, from the cell's tasks and steps.
 *
 * Both say what the search can see, not what is there: a coverage signal
 * exhausted reads as no risk left (BENCHMARKS.md, "Search that learns").
 */
import { Model, pctRunsForConfidence, type RunConfig } from '@pcfarm/core';
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
  /** Under pct: runs after which a bug of the campaign's depth, if the cell has one, is found with 95% confidence; null under another scheduler. */
  pctRuns95: number | null;
}

/** A campaign's residual risk: in all (singletons over runs), and per cell, riskiest first. */
export interface CampaignRisk {
  runs: number;
  singletons: number;
  risk: number | null;
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
export function campaignRisk(campaign: Campaign, summary: Pick<CampaignSummary, 'coverageOnce'>, done: DoneRanges, buckets: readonly Bucket[]): CampaignRisk | null {
  const found = cellFindings(campaign, summary, done, buckets);
  if (found === null) return null;
  const spec = campaign.spec;
  const { runs, singletons } = found;
  const list: CellRisk[] = [];
  for (let cell = 0; cell < cellCount(spec); cell++) {
    const { strategy, scenario, blocksPerPage } = cellAt(spec, cell);
    const n = runs[cell]!;
    const fromFile = spec.strategyFiles.some((f) => f.id === strategy);
    const shape = spec.scheduler !== 'pct' || fromFile ? null : shapeOf({ strategy, scenario, blocksPerPage });
    list.push({ strategy, scenario, blocksPerPage, runs: n, singletons: singletons[cell]!, risk: cellRiskOf(n, singletons[cell]!), pctRuns95: shape === null ? null : pctRunsForConfidence(shape.tasks, shape.steps, spec.pctDepth) });
  }
  list.sort((a, b) => (b.risk ?? -1) - (a.risk ?? -1) || b.singletons - a.singletons);
  const total = runs.reduce((a, b) => a + b, 0);
  const f1 = singletons.reduce((a, b) => a + b, 0);
  return { runs: total, singletons: f1, risk: cellRiskOf(total, f1), cells: list };
}

/** Good-Turing's chance that the next of `runs` runs reaches something new, from its `singletons`; null before any run. */
export function cellRiskOf(runs: number, singletons: number): number | null {
  return runs === 0 ? null : Math.min(1, singletons / runs);
}

/**
 * Each cell's runs (cellAt's order) and singletons: the coverage hashes and
 * failure buckets exactly one of its runs reached (a failure bucket of one
 * run is a singleton of the cell of its example). Null when the store does
 * not count singletons.
 */
export function cellFindings(campaign: Campaign, summary: Pick<CampaignSummary, 'coverageOnce'>, done: DoneRanges, buckets: readonly Bucket[]): { runs: number[]; singletons: number[] } | null {
  if (summary.coverageOnce === null) return null;
  const spec = campaign.spec;
  const singletons = Array.from({ length: cellCount(spec) }, (_, i) => summary.coverageOnce![i] ?? 0);
  for (const b of buckets) {
    const e = b.examples[0];
    if (b.severity === 'failure' && b.count === 1 && e !== undefined) singletons[cellIndex(spec, b.strategy, e.scenario, e.blocksPerPage)]! += 1;
  }
  return { runs: runsByCell(campaign, done), singletons };
}

/** A risk as the summary says it: `0.12%`, or `-` before any run. */
export function riskText(risk: number | null): string {
  return risk === null ? '-' : `${(risk * 100).toFixed(risk >= 0.001 ? 2 : 4)}%`;
}
