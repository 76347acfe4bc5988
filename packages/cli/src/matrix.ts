import { BLOCKS_PER_PAGE, costProfiles, FAILURE_KINDS, SCENARIOS, STRATEGIES, verdictMatrix, type CostProfile, type MatrixCell } from '@pcfarm/core';
import { blocksPerPageList, checkOptions, wholeNumber, type Parsed } from './args.js';
import { MATRIX_RUNS_DEFAULT, type Io } from './commands.js';

/**
 * What a cell says: `clean`, or its verdict and how many runs failed with
 * that kind (`deadlock ×34`); then `; warns lock-order ×N` when N runs
 * warned. Other kinds the cell failed with are in --json's `kinds`.
 */
export function cellText(c: MatrixCell): string {
  const verdict = c.verdict === 'clean' ? 'clean' : `${c.verdict} ×${c.kinds[c.verdict]}`;
  const warns = FAILURE_KINDS.filter((k) => c.warnings[k] !== undefined).map((k) => `${k} ×${c.warnings[k]}`);
  return warns.length === 0 ? verdict : `${verdict}; warns ${warns.join(', ')}`;
}

/** The legend above the table: what a cell's text means. */
export function matrixLegend(runs: number): string[] {
  return [
    `Each cell: clean, or VERDICT ×COUNT: the most severe kind any of its ${runs} runs (every seed 0..${runs - 1}) failed with, and how many runs failed with it; then "; warns lock-order ×N" when N runs warned (a class-only lock-order cycle: not a failure).`,
    `Most severe first: ${FAILURE_KINDS.join(', ')}.`,
    'A row per scenario and blocks per page (bpp); blocks per page whose cells all say the same share a row.',
  ];
}

/** Rows as a Markdown table, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}

/** A scenario's rows, one per blocks per page, with consecutive rows that say the same merged (`1,2,4`). */
function mergeRows(scenario: string, rows: string[][]): string[][] {
  const out: string[][] = [];
  for (const row of rows) {
    const last = out[out.length - 1];
    if (last !== undefined && last.slice(2).join('\0') === row.slice(1).join('\0')) last[1] += `,${row[0]}`;
    else out.push([scenario, ...row]);
  }
  return out;
}

function costRows(costs: CostProfile[]): string[][] {
  return costs.map((c) => [c.strategy, c.case, String(c.pageTableWalks), String(c.mmapSemAcquisitions), String(c.pageLockRoundTrips), String(c.kmaps), String(c.cellsCopied)]);
}

/**
 * pcfarm matrix: every strategy x scenario x blocks per page, each cell run
 * over all its seeds, then each strategy's costs in the fault-free case.
 * Markdown tables (a row per scenario and blocks per page, a column per
 * strategy), or with --json `{runs, cells, costs}`, each cell a MatrixCell.
 */
export function matrix(p: Parsed, io: Io): number {
  checkOptions(p, ['runs', 'blocks-per-page', 'json']);
  const runs = wholeNumber('runs', p.options.get('runs'), MATRIX_RUNS_DEFAULT, 1);
  const bpps = blocksPerPageList(p) ?? BLOCKS_PER_PAGE;
  const cells = verdictMatrix(runs, bpps);
  const costs = STRATEGIES.flatMap((s) => costProfiles(s));
  if (p.options.has('json')) {
    io.out(JSON.stringify({ runs, cells, costs }, null, 2));
    return 0;
  }
  for (const line of matrixLegend(runs)) io.out(line);
  io.out('');
  const byCell = new Map(cells.map((c) => [`${c.strategy}\0${c.scenario}\0${c.blocksPerPage}`, c]));
  const rows = SCENARIOS.flatMap((scenario) => mergeRows(scenario, bpps.map((bpp) => [String(bpp), ...STRATEGIES.map((strategy) => cellText(byCell.get(`${strategy}\0${scenario}\0${bpp}`)!))])));
  for (const line of table(['scenario', 'bpp', ...STRATEGIES], rows)) io.out(line);
  io.out('');
  io.out('Fault-free cost per page written (append: new pages, not uptodate; overwrite: cached, uptodate):');
  io.out('');
  for (const line of table(['strategy', 'case', 'page-table walks', 'mmap_sem', 'page locks', 'kmaps', 'cells copied'], costRows(costs))) io.out(line);
  return 0;
}
