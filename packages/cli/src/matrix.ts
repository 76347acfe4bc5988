import { BLOCKS_PER_PAGE, costProfiles, FAILURE_KINDS, SCENARIOS, STRATEGIES, verdictMatrix, type CellBound, type CostProfile, type MatrixCell, type MatrixVerify } from '@pcfarm/core';
import { blocksPerPageList, listOf, noPositionals, UsageError, wholeNumber, type Parsed } from './args.js';
import { EXIT } from './exit.js';
import { markdownTable } from './format.js';
import type { Io } from './io.js';
import { MATRIX_RUNS_DEFAULT, MATRIX_VERIFY_BOUND_DEFAULT, MATRIX_VERIFY_TIME_S_DEFAULT } from './limits.js';
import type { StrategyFiles } from './strategy-files.js';
import { boundsOf, boundWords } from './verify.js';

/**
 * What a cell says: `clean`, or its verdict and how many runs failed with
 * that kind (`deadlock ×34`); then `; warns lock-order ×N` when N runs
 * warned. Other kinds the cell failed with are in --json's `kinds`.
 */
export function cellText(c: MatrixCell): string {
  const verdict = c.verdict === 'clean' ? 'clean' : `${c.verdict} ×${c.kinds[c.verdict]}`;
  const warns = FAILURE_KINDS.filter((k) => c.warnings[k] !== undefined).map((k) => `${k} ×${c.warnings[k]}`);
  const text = warns.length === 0 ? verdict : `${verdict}; warns ${warns.join(', ')}`;
  return c.bound === undefined ? text : `${text}; ${boundText(c.bound)}`;
}

/**
 * A cell's bound in a few words: `fails at 1p (deadlock)`, `verified to 3p`,
 * `verified to 1p of 3`, `not verified`; p preemptions, d delays. A
 * certificate of a scenario that draws its programs says which it covers:
 * `verified to 3p, params <= 0` (the smallest program only).
 */
export function boundText(b: CellBound): string {
  const unit = b.delays !== undefined ? 'd' : 'p';
  const k = b.delays ?? b.preemptions;
  if (b.kind === 'fails') return `fails at ${k}${unit} (${b.failure})`;
  if (b.kind === 'none') return 'not verified';
  const params = b.params === null || b.params === undefined ? '' : `, params <= ${b.params}`;
  return k === b.asked ? `verified to ${k}${unit}${params}` : `verified to ${k}${unit} of ${b.asked}${params}`;
}

/** The legend above the table: what a cell's text means. */
export function matrixLegend(runs: number, verify: { bounds: string; timeS: number } | null = null): string[] {
  const bound =
    verify === null
      ? []
      : [
          `Then the cell's bound, every schedule explored (${verify.bounds}; at most ${verify.timeS} s a cell): "fails at Kp (KIND)", the smallest number of preemptions (p) or delays (d) where some schedule fails and how; "verified to Kp", every schedule up to K passed; "verified to Kp of N" when the time ran out before N; "not verified" when it ran out before 0; ", params <= N" on a scenario that draws its programs (generated): only the programs whose parameters sum to N or less were verified.`,
        ];
  return [
    `Each cell: clean, or VERDICT ×COUNT: the most severe kind any of its ${runs} runs (every seed 0..${runs - 1}) failed with, and how many runs failed with it; then "; warns lock-order ×N" when N runs warned (a class-only lock-order cycle: not a failure).`,
    `Most severe first: ${FAILURE_KINDS.join(', ')}.`,
    ...bound,
    'A row per scenario and blocks per page (bpp); blocks per page whose cells all say the same share a row.',
  ];
}

/** A cell's text, from the matrix the core computed (every strategy x scenario x blocks per page asked is in it). */
function cellOf(byCell: ReadonlyMap<string, MatrixCell>, strategy: string, scenario: string, bpp: number): string {
  const c = byCell.get(`${strategy}\0${scenario}\0${bpp}`);
  if (c === undefined) throw new Error(`the verdict matrix has no cell ${strategy} x ${scenario} x ${bpp}`);
  return cellText(c);
}

/** A scenario's rows, one per blocks per page, with consecutive rows that say the same merged (`1,2,4`). */
function mergeRows(scenario: string, rows: string[][]): string[][] {
  const out: string[][] = [];
  for (const row of rows) {
    const last = out[out.length - 1];
    if (last !== undefined && last.slice(2).join('\0') === row.slice(1).join('\0')) last[1] = `${last[1]},${row[0]}`;
    else out.push([scenario, ...row]);
  }
  return out;
}

function costRows(costs: CostProfile[]): string[][] {
  return costs.map((c) => [c.strategy, c.case, String(c.pageTableWalks), String(c.mmapSemAcquisitions), String(c.pageLockRoundTrips), String(c.kmaps), String(c.cellsCopied)]);
}

/**
 * pcfarm matrix: every strategy x scenario x blocks per page, each cell run
 * over all its seeds, then each strategy's costs in the fault-free case
 * (options checked by the caller). The strategies are --strategy's, else
 * those of the strategy files given, else every built-in one: a file's
 * strategy is compared with a built-in one by naming both. Markdown tables
 * (a row per scenario and blocks per page, a column per strategy), or with
 * --json `{runs, strategyFiles, cells, costs}`, each cell a MatrixCell.
 */
export function matrix(p: Parsed, io: Io, files: StrategyFiles): number {
  noPositionals(p);
  const runs = wholeNumber('runs', p.options.get('runs'), MATRIX_RUNS_DEFAULT, 1);
  const bpps = blocksPerPageList(p) ?? BLOCKS_PER_PAGE;
  const strategies = listOf(p, 'strategy', 'strategies', [...STRATEGIES, ...files.ids]) ?? (files.ids.length > 0 ? [...files.ids] : STRATEGIES);
  // Rows in the table's order whatever order they were named in, as without --scenario.
  const named = listOf(p, 'scenario', 'scenarios', SCENARIOS);
  const scenarios = named === undefined ? SCENARIOS : SCENARIOS.filter((s) => named.includes(s));
  const verifyAsked = p.options.has('verify');
  for (const o of ['verify-time-s', 'preemptions', 'delays', 'reclaim-actions']) if (!verifyAsked && p.options.has(o)) throw new UsageError(`--${o} goes with --verify: it bounds each cell's verification`);
  let verify: MatrixVerify | undefined;
  let legendBounds: { bounds: string; timeS: number } | null = null;
  if (verifyAsked) {
    const { bounds, upTo, unit } = boundsOf(p, MATRIX_VERIFY_BOUND_DEFAULT);
    const timeS = wholeNumber('verify-time-s', p.options.get('verify-time-s'), MATRIX_VERIFY_TIME_S_DEFAULT, 1);
    // The core has no clock: each cell's stop test reads ours against its own start.
    verify = {
      bounds,
      budget: () => {
        const t0 = io.now();
        return () => io.now() - t0 >= timeS * 1000;
      },
      now: () => io.now(),
    };
    legendBounds = { bounds: `up to ${boundWords(upTo, unit)}, at most ${bounds.reclaimActionsMax} reclaim action(s)`, timeS };
  }
  const cells = verdictMatrix(runs, bpps, strategies, files.model, verify, undefined, scenarios);
  const costs = strategies.flatMap((s) => costProfiles(s, files.model));
  if (p.options.has('json')) {
    const strategyFiles = files.list.filter((f) => strategies.includes(f.id)).map((f) => ({ id: f.id, sourceHash: f.sourceHash, path: f.path }));
    io.out(JSON.stringify({ runs, strategyFiles, cells, costs, ...(verify === undefined ? {} : { verify: { bounds: verify.bounds } }) }, null, 2));
    return EXIT.ok;
  }
  for (const line of matrixLegend(runs, legendBounds)) io.out(line);
  for (const f of files.list) if (strategies.includes(f.id)) io.out(`${f.id}: the strategy file ${files.printedPath(f.id)} (source ${f.sourceHash}).`);
  io.out('');
  const byCell = new Map(cells.map((c) => [`${c.strategy}\0${c.scenario}\0${c.blocksPerPage}`, c]));
  const rows = scenarios.flatMap((scenario) => mergeRows(scenario, bpps.map((bpp) => [String(bpp), ...strategies.map((strategy) => cellOf(byCell, strategy, scenario, bpp))])));
  for (const line of markdownTable(['scenario', 'bpp', ...strategies], rows)) io.out(line);
  io.out('');
  io.out('Fault-free cost per page written (append: new pages, not uptodate; overwrite: cached, uptodate):');
  io.out('');
  for (const line of markdownTable(['strategy', 'case', 'page-table walks', 'mmap_sem', 'page locks', 'kmaps', 'cells copied'], costRows(costs))) io.out(line);
  return EXIT.ok;
}
