/**
 * What a campaign found, as `pcfarm fuzz` ends and `pcfarm campaign show`
 * prints it: totals, the failure buckets with how to replay each, the
 * warning buckets apart with their witnesses, and the verdict line.
 */
import { DEFAULTS, severityOf, signatureTitle, VERIFY_DEFAULTS } from '@pcfarm/core';
import { batchConfig, cellAt, runsByCell, campaignRisk, canaryChecks, cellEvidence, evidenceText, searchCells, type CellSearch, canaryText, riskText, type Bucket, type CampaignRisk, type CampaignSummary, type CanaryCheck, type Store } from '@pcfarm/farm/local';
import { exampleReplayCommand, PCFARM, replayReproducerCommand, shellWord, verifyCampaignCommand, witnessCommand } from '@pcfarm/farm/replay-commands';
import { cellName, columns, duration, n, plural } from './format.js';
import type { Io } from './io.js';
import { VERIFY_TIME_S_DEFAULT } from './limits.js';
import { printedPath } from './strategy-files.js';

/** Characters of a bucket's sites the summary table shows. */
const SITES_COLUMN_MAX = 72;

/** A bucket's sites as the table shows them: its title without kind and strategy, cut to the column. */
function sitesColumn(b: Bucket): string {
  const sites = signatureTitle(b.kind, b.strategy, b.sites).replace(`${b.kind} in ${b.strategy}: `, '');
  return sites.length > SITES_COLUMN_MAX ? `${sites.slice(0, SITES_COLUMN_MAX - 1)}…` : sites;
}

/** What a campaign came to, as its last line says it: failures decide the exit status, warnings never do. */
export function verdictLine(s: CampaignSummary): string {
  const warnings = `${s.warningBuckets} warning bucket(s)`;
  if (s.buckets > 0) return `${s.buckets} failure bucket(s)${s.warningBuckets > 0 ? `; ${warnings}` : ''}`;
  return s.warningBuckets > 0 ? `no failures; ${warnings}` : 'no failures: every run passed every oracle';
}

/** Cells the summary names as the riskiest. */
const RISKIEST_SHOWN = 3;

/**
 * What is likely left to find: Good-Turing's chance that the next run
 * reaches something new, in all and for the riskiest cells; Chao's
 * extrapolation of what as many runs again should reach (where the store
 * counts doubletons); and under pct
 * the runs a cell needs for 95% confidence of a bug of the campaign's depth.
 */
export function riskLines(r: CampaignRisk, pctDepth: number): string[] {
  const riskiest = r.cells.filter((x) => x.singletons > 0).slice(0, RISKIEST_SHOWN);
  const lines = [
    `residual risk ${riskText(r.risk)} a run (Good-Turing: ${plural(r.singletons, 'thing')} reached by one run of ${n(r.runs)})${riskiest.length === 0 ? '' : `; riskiest: ${riskiest.map((x) => `${cellName(x)} ${riskText(x.risk)}`).join(', ')}`}`,
  ];
  if (r.aheadThings !== null && r.runs > 0) lines.push(`the next ${n(r.runs)} runs should reach about ${r.aheadThings.toFixed(1)} new things (Chao's extrapolation from ${plural(r.doubletons!, 'thing')} reached by two runs)`);
  const bounded = r.cells.filter((x) => x.pctRuns95 !== null);
  if (bounded.length > 0) {
    const most = bounded.reduce((a, b) => (b.pctRuns95! > a.pctRuns95! ? b : a));
    const short = bounded.filter((x) => x.runs < x.pctRuns95!).length;
    lines.push(`pct at depth ${pctDepth}: a bug of that depth, if a cell has one, is found with 95% confidence within ${n(most.pctRuns95!)} runs (${cellName(most)}, which needs the most); ${short === 0 ? 'every cell ran that many' : `${short} of ${plural(bounded.length, 'cell')} ran fewer`}`);
  }
  return lines;
}

/** Cells the steering table shows at each end (most runs, fewest) when a campaign has more than twice as many. */
const STEERED_SHOWN = 5;

/**
 * What each cell of a steered campaign got (issue 20): its runs, its share
 * of the campaign's, and its residual risk now, the cells with the most
 * runs first; a campaign of many cells shows those that got the most and
 * the fewest. Nothing for a campaign that is not steered: its cells got the
 * same seeds.
 */
export function steerLines(c: CampaignSummary['campaign'], r: CampaignRisk): string[] {
  const steer = c.spec.steer;
  if (steer === null) return [];
  const cells = [...r.cells].sort((a, b) => b.runs - a.runs || (b.risk ?? -1) - (a.risk ?? -1));
  const shown = cells.length > 2 * STEERED_SHOWN ? [...cells.slice(0, STEERED_SHOWN), null, ...cells.slice(-STEERED_SHOWN)] : cells;
  const share = (runs: number) => (r.runs === 0 ? '-' : `${((runs * 100) / r.runs).toFixed(1)}%`);
  const rows = [['cell', 'runs', 'share', 'risk']];
  for (const x of shown) rows.push(x === null ? [`... ${plural(cells.length - 2 * STEERED_SHOWN, 'cell')} between`, '', '', ''] : [cellName(x), n(x.runs), share(x.runs), riskText(x.risk)]);
  return [
    `steered by residual risk: ${plural(steer.firstBatchesPerCell, 'batch', 'batches')} a cell first, then ${c.deal.length === 0 ? 'none dealt yet of the plans' : plural(c.deal.length, 'plan')} giving each cell a share that follows its risk, at least ${steer.floorPct}% of an even share; what each cell got:`,
    ...columns(rows).map((line) => `  ${line}`),
  ];
}

/**
 * What a guided or portfolio campaign has learnt: the states its cells'
 * corpora hold, or each scheduler's share of the runs and the states a run
 * of it reached (in plays of 4). Nothing for any other campaign.
 */
export function searchLines(c: CampaignSummary['campaign'], cells: readonly CellSearch[]): string[] {
  const guide = c.spec.guide;
  if (guide === null) return [];
  const pollen = pollenLine(c.spec);
  if (c.spec.scheduler === 'guided') {
    const states = cells.reduce((x, y) => x + y.states, 0);
    const full = cells.filter((x) => x.states >= guide.corpusMax).length;
    return [`guided: ${plural(states, 'state')} in the corpora of ${plural(cells.length, 'cell')} (at most ${n(guide.corpusMax)} a cell${full > 0 ? `; ${full} full` : ''}), each epoch starting from what the ones before found`, ...pollen];
  }
  const arms = new Map<string, { runs: number; states: number }>();
  for (const x of cells) {
    for (const t of x.arms) {
      const a = arms.get(t.arm) ?? { runs: 0, states: 0 };
      arms.set(t.arm, { runs: a.runs + t.runs, states: a.states + t.states });
    }
  }
  const total = [...arms.values()].reduce((x, a) => x + a.runs, 0);
  const each = [...arms].map(([arm, a]) => `${arm} ${((a.runs * 100) / Math.max(total, 1)).toFixed(0)}% (${(a.states / Math.max(a.runs, 1)).toFixed(2)} states a run)`);
  return [`portfolio: runs by scheduler ${each.length === 0 ? 'none recorded yet' : each.join(', ')}; by cell in campaign show --json (search)`, ...pollen];
}

/** What a guided or portfolio campaign was given to replay first (farm's pollen.ts): a line, or none when it had nothing. */
export function pollenLine(spec: CampaignSummary['campaign']['spec']): string[] {
  const pollen = spec.guide?.pollen.length ?? 0;
  return pollen === 0 ? [] : [`pollen: ${plural(pollen, 'failure')} the store held on these scenarios when the campaign was made, each replayed first on the other strategies' cells`];
}

export interface SummaryOptions {
  /** Where the results are, for people: a directory, or Redis and its prefix. */
  where: string;
  /** The session was stopped (Ctrl-C or the dashboard), not finished. */
  interrupted?: boolean;
  /** The command that serves these results on the dashboard. */
  browse?: string | null;
  /** The results directory, when the results are in one: the command that verifies each cell names it. */
  dir?: string;
  /** The campaign of the same command before its strategy file changed (fuzz's campaignOf refuses to resume it): the diff compares the two. */
  before?: string;
}

/**
 * The end of a campaign: totals, the failure buckets and how to replay each,
 * then the warning buckets with the witness of each, its canaries (a known
 * bug it must find), and last the verdict line. Returns the canaries: one
 * that raised the alarm means the farm is broken, whatever else was found.
 */
export async function printSummary(store: Store, s: CampaignSummary, io: Io, options: SummaryOptions): Promise<CanaryCheck[]> {
  const c = s.campaign;
  const rate = c.runningMs > 0 ? ` (${n((s.runs * 1000) / c.runningMs)} runs/s)` : '';
  const state = options.interrupted === true ? `stopped; run the same command again to resume it (or --resume ${c.id})` : c.state;
  io.out(`campaign ${c.id} ${state}`);
  const warned = s.warnings > 0 || s.warningBuckets > 0 ? `; ${plural(s.warnings, 'run')} warned, ${plural(s.warningBuckets, 'warning bucket')}` : '';
  io.out(`  ${plural(s.runs, 'run')} in ${duration(c.runningMs)}${rate}, ${n(s.failures)} failing, coverage ${n(s.coverage)}, ${plural(s.buckets, 'bucket')} (${s.minimized} minimized)${warned}`);
  // A time budget not used up: what a resume would still run.
  const budget = c.spec.timeBudgetMs;
  if (budget !== null && c.state !== 'done' && budget > c.runningMs) io.out(`  time budget: ${duration(c.runningMs)} of ${duration(budget)} used, ${duration(budget - c.runningMs)} left`);
  const done = await store.doneBatches(c.id);
  // Cells a time budget ran out before reaching: its totals read as a sweep of every cell, which it was not.
  const runs = runsByCell(c, done);
  const unrun = runs.filter((x) => x === 0).length;
  if (unrun > 0) {
    // The strategies none of whose cells ran: what a reader would otherwise take as tested.
    const strategies = c.spec.strategies.filter((st) => runs.every((x, i) => x === 0 || cellAt(c.spec, i).strategy !== st));
    const whole = strategies.length === 0 ? '' : ` (every cell of ${strategies.join(', ')})`;
    const why = c.state !== 'done' ? 'a resume runs them' : budget !== null ? 'the time budget ran out first: give more with --time-s, or name fewer strategies and scenarios' : 'the campaign ended first';
    io.out(`  ${unrun} of ${plural(runs.length, 'cell')} never ran${whole}: ${why}`);
  }
  io.out(`  results: ${options.where}`);
  if (options.browse != null) io.out(`  browse it: ${options.browse}`);
  const all = await store.buckets(c.id);
  // By strategy, then the most severe kind first, then the most runs.
  const order = (a: Bucket, b: Bucket) => (a.strategy < b.strategy ? -1 : a.strategy > b.strategy ? 1 : severityOf(a.kind) - severityOf(b.kind) || b.count - a.count);
  const failures = all.filter((b) => b.severity === 'failure').sort(order);
  const warnings = all.filter((b) => b.severity === 'warning').sort(order);
  // A strategy file's buckets replay with --strategy-file: the path the campaign recorded.
  const fileOf = (b: Bucket): string | null => {
    const ref = c.spec.strategyFiles.find((r) => r.id === b.strategy);
    return ref === undefined ? null : printedPath(ref.path);
  };
  const cell = (b: Bucket, scenario: string) => {
    const ex = b.examples[0];
    return batchConfig({ strategy: b.strategy, scenario, blocksPerPage: ex?.blocksPerPage ?? DEFAULTS.blocksPerPage, scheduler: c.spec.scheduler, pctDepth: c.spec.pctDepth });
  };
  const seedCommand = (b: Bucket): string => {
    const ex = b.examples[0];
    return ex === undefined ? 'none: no example seed was kept' : exampleReplayCommand(cell(b, ex.scenario), ex, fileOf(b));
  };
  // A search's example is its run, as a reproducer: not a seed to replay.
  const exampleLabel = (b: Bucket, seed: string, run: string): string => (b.examples[0]?.reproducer === undefined ? seed : run);
  if (failures.length > 0) {
    io.out('');
    const rows = [['bucket', 'count', 'kind', 'strategy', 'scenarios', 'bpp', 'minimized', 'sites']];
    for (const b of failures) {
      const m = b.minimized === null ? 'no' : `${plural(b.minimized.choices, 'choice')}, ${plural(b.minimized.switches, 'switch', 'switches')}`;
      // The whole title follows the table, with the bucket's replay command.
      rows.push([b.id, n(b.count), b.kind, b.strategy, b.scenarios.join(','), b.blocksPerPage.join(','), m, sitesColumn(b)]);
    }
    for (const line of columns(rows)) io.out(line);
    io.out('');
    for (const b of failures) {
      io.out(`${b.id}  ${b.title}`);
      if (b.minimized !== null) io.out(`  replay: ${replayReproducerCommand(b.minimized.reproducer, fileOf(b))}`);
      else io.out('  not minimized yet: run the campaign again to minimize it');
      io.out(`  ${exampleLabel(b, 'seed:  ', 'run:   ')} ${seedCommand(b)}`);
    }
  }
  if (warnings.length > 0) {
    io.out('');
    io.out('warnings (not failures): lock-order cycles of lock classes whose instances never meet in these scenarios; each witness is a scenario where they do, run to its first failure');
    const rows = [['bucket', 'count', 'kind', 'strategy', 'scenarios', 'bpp', 'sites']];
    for (const b of warnings) rows.push([b.id, n(b.count), b.kind, b.strategy, b.scenarios.join(','), b.blocksPerPage.join(','), sitesColumn(b)]);
    for (const line of columns(rows)) io.out(line);
    io.out('');
    for (const b of warnings) {
      io.out(`${b.id}  ${b.title}`);
      const named = b.scenarios.length === 1 ? `${b.scenarios[0]} names` : `${b.scenarios.slice(0, -1).join(', ')} and ${b.scenarios.at(-1)} name`;
      io.out(`  witness: ${b.witness === null ? `none: ${named} no scenario where these instances meet` : witnessCommand(cell(b, b.witness), fileOf(b))}`);
      io.out(`  ${exampleLabel(b, 'seed:   ', 'run:    ')} ${seedCommand(b)}`);
    }
  }
  const risk = campaignRisk(c, s, done, all);
  const canaries = canaryChecks(c, done, all);
  const search = c.spec.guide === null ? [] : searchLines(c, searchCells(c, await store.corpus(c.id)));
  // The cells verify has a record of (its model version, the very strategy file run), each beside its fuzzing.
  const cells = cellEvidence(c, done, all, await store.certificates());
  const verified = cells.filter((e) => e.certificates.length > 0);
  if (verified.length > 0) {
    io.out('');
    io.out('verified (pcfarm verify), beside what the campaign found:');
    for (const e of verified) io.out(`  ${cellName(e)}: ${evidenceText(e, c.spec.scheduler)}`);
  }
  // Seeds say "nothing found in N runs"; a cell no search has covered yet gets the command that says more.
  if (options.dir !== undefined && verified.length < cells.length) {
    if (verified.length === 0) io.out('');
    const files = c.spec.strategyFiles.map((r) => printedPath(r.path));
    io.out(`verify every cell (each schedule up to ${VERIFY_DEFAULTS.preemptionsMax} preemptions, ${VERIFY_TIME_S_DEFAULT} s a cell): ${verifyCampaignCommand(c.id, options.dir, files)}`);
  }
  if (risk !== null || canaries.length > 0 || search.length > 0) io.out('');
  if (risk !== null) for (const line of [...riskLines(risk, c.spec.pctDepth), ...steerLines(c, risk)]) io.out(line);
  for (const line of search) io.out(line);
  for (const k of canaries) io.out(canaryText(k));
  if (options.before !== undefined && options.dir !== undefined) {
    io.out('');
    io.out(`compare it with campaign ${options.before}, the same command before its strategy file changed: ${PCFARM} diff ${options.before} ${c.id} --retest --results ${shellWord(options.dir)}`);
  }
  io.out('');
  io.out(verdictLine(s));
  return canaries;
}
