/**
 * The verdict matrix: every strategy x scenario x blocks per page, each run
 * over all its seeds. A cell's verdict is the most severe kind any of its
 * runs failed with (FAILURE_KINDS is the order), beside the count of every
 * kind, the warnings apart, and the first seed of each: a lock-order report
 * at seed 4 no longer hides the deadlock at seed 28.
 */
import type { RunConfig } from './config.js';
import { severityOf, type FailureKind } from './kernel.js';
import { Model, type ModelOptions } from './model.js';
import { SCENARIO_TABLE } from './scenarios/index.js';
import { STRATEGY_TABLE } from './strategies/index.js';
import { verifyDeepening, type VerifyBounds } from './verify.js';

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
  /** What bounded verification says of the cell, when the matrix was asked for it. */
  bound?: CellBound;
}

/**
 * A cell's bound, by iterative deepening within the cell's budget:
 * `fails` at the smallest bound where some schedule fails, `certified` to
 * the highest bound every schedule passed, `none` when the budget ran out
 * before bound 0 was certified. The bound is `preemptions` or `delays`,
 * whichever the search counted (the other is absent); null for `none`.
 */
export interface CellBound {
  kind: 'fails' | 'certified' | 'none';
  preemptions?: number | null;
  delays?: number | null;
  /** Reclaim actions every schedule was allowed. */
  reclaimActions: number;
  /**
   * For a scenario that draws its programs from the choices (generated),
   * the parameter bound every schedule kept to: a certificate covers only
   * those programs. Null for every other scenario, which has no parameters.
   */
  params: number | null;
  /** The highest bound asked: a cell certified to it was not stopped by the budget. */
  asked: number;
  /** The kind the counterexample failed with (it may differ from the seeds' verdict), or null. */
  failure: FailureKind | null;
  /** Schedules run over every bound tried. */
  schedules: number;
  /** The certificate of the highest bound certified (below the failing one, for `fails`): its classes and hash; null when none. */
  classes: number | null;
  hash: string | null;
  /** Time the deepening took, by the caller's clock; null without one. */
  seconds: number | null;
}

/** What the matrix asks of verification: the bounds (the preemption or delay bound the highest tried), and each cell's budget. */
export interface MatrixVerify {
  bounds: VerifyBounds;
  /** Called as each cell's deepening starts: its stop test (the caller's clock and per-cell budget; the core has no clock). */
  budget: () => () => boolean;
  /** The caller's clock in milliseconds, for each cell's seconds. */
  now?: () => number;
}

/** A cell's bound: verifyDeepening from 0 up to the bound in `v.bounds`, within `v.budget()`. */
export function cellBound(config: RunConfig, v: MatrixVerify, options: ModelOptions = {}): CellBound {
  const byDelays = v.bounds.delaysMax !== undefined;
  const asked = v.bounds.delaysMax ?? v.bounds.preemptionsMax;
  const t0 = v.now?.();
  const r = verifyDeepening(config, v.bounds, asked, { model: options, shouldStop: v.budget() });
  const seconds = t0 === undefined ? null : (v.now!() - t0) / 1000;
  const kind = r.result === 'fail' ? 'fails' : r.bound >= 0 ? 'certified' : 'none';
  const k = kind === 'none' ? null : r.bound;
  return {
    kind,
    ...(byDelays ? { delays: k } : { preemptions: k }),
    reclaimActions: v.bounds.reclaimActionsMax,
    params: (options.scenarios?.find((s) => s.id === config.scenario) ?? SCENARIO_TABLE.get(config.scenario))?.params === true ? v.bounds.paramsMax : null,
    asked,
    failure: r.result === 'fail' ? r.last.failure!.failure!.kind : null,
    schedules: r.schedules,
    classes: r.certified?.classes ?? null,
    hash: r.certified?.hash ?? null,
    seconds,
  };
}

/** One cell: every seed in 0 .. runs-1, and its bound when `verify` is given; `options` brings strategies loaded from files. */
export function matrixCell(strategy: string, scenario: string, runs: number, blocksPerPage = 1, options: ModelOptions = {}, verify?: MatrixVerify): MatrixCell {
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
  if (verify !== undefined) cell.bound = cellBound({ strategy, scenario, blocksPerPage }, verify, options);
  return cell;
}

/**
 * Every strategy x scenario x blocks per page, strategies in the thread's
 * order, or `strategies` in theirs (a strategy file's id among them, with
 * its Strategy in `options`); scenarios in the table's order, or only
 * `scenarios` (still in the table's order); with `verify`, each cell's
 * bound too, and `onCell` told of each cell as it is done (a caller's
 * progress).
 */
export function verdictMatrix(
  runs: number,
  blocksPerPage: readonly number[] = BLOCKS_PER_PAGE,
  strategies: readonly string[] = [...STRATEGY_TABLE.keys()],
  options: ModelOptions = {},
  verify?: MatrixVerify,
  onCell?: (cell: MatrixCell, done: number, total: number) => void,
  scenarios: readonly string[] = [...SCENARIO_TABLE.keys()],
): MatrixCell[] {
  const cells: MatrixCell[] = [];
  const rows = [...SCENARIO_TABLE.keys()].filter((s) => scenarios.includes(s));
  const total = strategies.length * rows.length * blocksPerPage.length;
  for (const strategy of strategies) {
    for (const scenario of rows) {
      for (const bpp of blocksPerPage) {
        cells.push(matrixCell(strategy, scenario, runs, bpp, options, verify));
        onCell?.(cells[cells.length - 1]!, cells.length, total);
      }
    }
  }
  return cells;
}
