/**
 * The verdict matrix: every strategy x scenario x blocks per page, each run
 * over all its seeds. A cell's verdict is the most severe kind any of its
 * runs failed with (FAILURE_KINDS is the order), beside the count of every
 * kind, the warnings apart, and the first seed of each: a lock-order report
 * at seed 4 no longer hides the deadlock at seed 28.
 */
import { severityOf, type FailureKind } from './kernel.js';
import { Model, type ModelOptions } from './model.js';
import { SCENARIO_TABLE } from './scenarios/index.js';
import { STRATEGY_TABLE } from './strategies/index.js';

/** Blocks per page the matrix and campaigns cover by default: whole-page, half-page and quarter-page buffers. */
export const BLOCKS_PER_PAGE: readonly number[] = [1, 2, 4];

export interface MatrixCell {
  strategy: string;
  scenario: string;
  blocksPerPage: number;
  /** Seeds run: 0 .. runs-1, every one of them. */
  runs: number;
  /** The most severe kind any run failed with, or `clean` (warnings never make a verdict). */
  verdict: FailureKind | 'clean';
  /** Runs that failed, by the kind they failed with. */
  kinds: Partial<Record<FailureKind, number>>;
  /** Runs that warned, by kind (a class-only lock-order cycle). */
  warnings: Partial<Record<FailureKind, number>>;
  /** The first failing seed of each kind. */
  first: Partial<Record<FailureKind, number>>;
  /** The first warning seed of each kind. */
  firstWarning: Partial<Record<FailureKind, number>>;
  /** The verdict's first failure message, or the first warning's when clean; null when neither. */
  message: string | null;
  /** For a cell with warnings: the scenario where their lock instances meet; else null. */
  witness: string | null;
}

/** One cell: every seed in 0 .. runs-1; `options` brings strategies loaded from files. */
export function matrixCell(strategy: string, scenario: string, runs: number, blocksPerPage = 1, options: ModelOptions = {}): MatrixCell {
  const model = new Model({ strategy, scenario, blocksPerPage }, options);
  const cell: MatrixCell = { strategy, scenario, blocksPerPage, runs, verdict: 'clean', kinds: {}, warnings: {}, first: {}, firstWarning: {}, message: null, witness: null };
  let warningMessage: string | null = null;
  for (let seed = 0; seed < runs; seed++) {
    const o = model.run({ seed });
    if (!o.ok) {
      const kind = o.failure!.kind;
      cell.kinds[kind] = (cell.kinds[kind] ?? 0) + 1;
      if (cell.first[kind] === undefined) cell.first[kind] = seed;
      if (cell.verdict === 'clean' || severityOf(kind) < severityOf(cell.verdict)) {
        cell.verdict = kind;
        cell.message = o.failure!.message;
      }
    }
    for (const w of o.warnings) {
      cell.warnings[w.kind] = (cell.warnings[w.kind] ?? 0) + 1;
      if (cell.firstWarning[w.kind] === undefined) cell.firstWarning[w.kind] = seed;
      warningMessage ??= w.message;
      cell.witness ??= w.witness;
    }
  }
  if (cell.verdict === 'clean') cell.message = warningMessage;
  return cell;
}

/**
 * Every strategy x scenario x blocks per page, strategies in the thread's
 * order, or `strategies` in theirs (a strategy file's id among them, with
 * its Strategy in `options`).
 */
export function verdictMatrix(runs: number, blocksPerPage: readonly number[] = BLOCKS_PER_PAGE, strategies: readonly string[] = [...STRATEGY_TABLE.keys()], options: ModelOptions = {}): MatrixCell[] {
  const cells: MatrixCell[] = [];
  for (const strategy of strategies) {
    for (const scenario of SCENARIO_TABLE.keys()) for (const bpp of blocksPerPage) cells.push(matrixCell(strategy, scenario, runs, bpp, options));
  }
  return cells;
}
