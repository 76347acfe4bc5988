/**
 * The verdict matrix: for each strategy x scenario, the first failure in
 * seeds 0..runs-1 (its kind and how many runs it took), or clean.
 */
import type { FailureKind } from './kernel.js';
import { Model } from './model.js';
import { SCENARIO_TABLE } from './scenarios/index.js';
import { STRATEGY_TABLE } from './strategies/index.js';

export interface MatrixCell {
  strategy: string;
  scenario: string;
  /** The first failure's kind, or `clean`. */
  kind: FailureKind | 'clean';
  /** Runs it took to find it (the failing seed + 1), or the runs made when clean. */
  runs: number;
  /** The failing seed, or null when clean. */
  seed: number | null;
  message: string | null;
}

/** One cell: seeds from 0 until the first failure, at most `runs`. */
export function matrixCell(strategy: string, scenario: string, runs: number): MatrixCell {
  const model = new Model({ strategy, scenario });
  for (let seed = 0; seed < runs; seed++) {
    const o = model.run({ seed });
    if (!o.ok) return { strategy, scenario, kind: o.failure!.kind, runs: seed + 1, seed, message: o.failure!.message };
  }
  return { strategy, scenario, kind: 'clean', runs, seed: null, message: null };
}

/** Every strategy x scenario, strategies in the thread's order. */
export function verdictMatrix(runs: number): MatrixCell[] {
  const cells: MatrixCell[] = [];
  for (const strategy of STRATEGY_TABLE.keys()) for (const scenario of SCENARIO_TABLE.keys()) cells.push(matrixCell(strategy, scenario, runs));
  return cells;
}
