import { costProfiles, SCENARIOS, STRATEGIES, verdictMatrix, type CostProfile, type MatrixCell } from '@pcfarm/core';
import { checkOptions, wholeNumber, type Parsed } from './args.js';
import type { Io } from './commands.js';

const RUNS_DEFAULT = 1000;

/** What a cell says: the first failure's kind and the runs it took, or clean. */
function cellText(c: MatrixCell): string {
  return c.kind === 'clean' ? `clean (${c.runs})` : `${c.kind} @${c.runs}`;
}

/** Rows as a Markdown table, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}

function costRows(costs: CostProfile[]): string[][] {
  return costs.map((c) => [c.strategy, c.case, String(c.pageTableWalks), String(c.mmapSemAcquisitions), String(c.pageLockRoundTrips), String(c.kmaps), String(c.cellsCopied)]);
}

/**
 * pcfarm matrix: every strategy x scenario, each cell the first failure kind
 * and the runs it took (or clean in N runs), then each strategy's costs in
 * the fault-free case. Markdown tables, or JSON with --json.
 */
export function matrix(p: Parsed, io: Io): number {
  checkOptions(p, ['runs', 'json']);
  const runs = wholeNumber('runs', p.options.get('runs'), RUNS_DEFAULT, 1);
  const cells = verdictMatrix(runs);
  const costs = STRATEGIES.flatMap((s) => costProfiles(s));
  if (p.options.has('json')) {
    io.out(JSON.stringify({ runs, cells: cells.map(({ strategy, scenario, kind, runs: n, seed }) => ({ strategy, scenario, kind, runs: n, seed })), costs }, null, 2));
    return 0;
  }
  io.out(`First failure in seeds 0..${runs - 1} (kind @ runs it took), or clean:`);
  io.out('');
  const rows = SCENARIOS.map((scenario) => [scenario, ...STRATEGIES.map((strategy) => cellText(cells.find((c) => c.strategy === strategy && c.scenario === scenario)!))]);
  for (const line of table(['scenario', ...STRATEGIES], rows)) io.out(line);
  io.out('');
  io.out('Fault-free cost per page written (append: new pages, not uptodate; overwrite: cached, uptodate):');
  io.out('');
  for (const line of table(['strategy', 'case', 'page-table walks', 'mmap_sem', 'page locks', 'kmaps', 'cells copied'], costRows(costs))) io.out(line);
  return 0;
}
