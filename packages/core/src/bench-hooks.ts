/**
 * Bench hooks: the model's hot paths set up in isolation, for `pcfarm bench`
 * to time. The clock stays in the CLI (this package is pure); these only do
 * a counted amount of work and say how much they did.
 */
import { resolveConfig, type RunConfig } from './config.js';
import { Kernel } from './kernel.js';
import { IovIter } from './mm/iov.js';
import { copyFromUserAtomic } from './mm/memory.js';
import { Model } from './model.js';
import { SCENARIO_TABLE } from './scenarios/index.js';
import type { Scenario } from './scenarios/scenario.js';
import { mapAnon, userAddr } from './scenarios/setup.js';
import { STRATEGY_TABLE } from './strategies/index.js';
import type { Task } from './task.js';

/** The shapes of user buffer a one-page write copies from (every one copies a whole page). */
export type CopyCase = 'page' | 'split' | 'writev';

/** The copies the model's write paths make, ready to time against a bare copyWithin. */
export interface CopyBench {
  readonly case: CopyCase;
  /** Cells one copy moves (one page). */
  readonly cellsPerCopy: number;
  /** Length of the model's cell array, so a baseline can copy within an array of the same size. */
  readonly arrayCells: number;
  /** The copyWithin calls one copy makes, as [dst, src, n] triples: what a bare baseline repeats. */
  readonly chunks: Int32Array;
  /** Run copyFromUserAtomic `copies` times (same source and destination each time); returns the cells copied. */
  copyLoop(copies: number): number;
}

/**
 * A kernel with one process whose user buffer is present, and a destination
 * page frame, for timing copyFromUserAtomic (the copy loop) alone:
 *   page    one segment, page-aligned: one chunk of a page
 *   split   one segment starting mid-page: two half-page chunks
 *   writev  two half-page segments in different pages (multi-segment's shape)
 */
export function copyBench(which: CopyCase, pageCells = 4096): CopyBench {
  const config: RunConfig = { strategy: 'v2.6.20', scenario: 'self-mmap-write', pageCells };
  const cfg = resolveConfig(config, [...STRATEGY_TABLE.keys()], [...SCENARIO_TABLE.keys()]);
  const strategy = STRATEGY_TABLE.get(cfg.strategy)!;
  const k = new Kernel(cfg, strategy, strategy.paths);
  k.reset();
  const mm = k.createMm();
  mapAnon(k, mm, 0, 4);
  const t: Task = k.createTask('bench', mm, function* () {});
  const dst = k.mem.frameOff(k.mem.allocFrame());
  const half = pageCells / 2;
  const segs =
    which === 'page' ? [userAddr(k, 1), pageCells] : which === 'split' ? [userAddr(k, 1, half), pageCells] : [userAddr(k, 1, half), half, userAddr(k, 3), half];
  const it = new IovIter();
  it.init(segs);
  // The chunks the loop makes, worked out the way it does: present PTEs, page by page.
  const chunks: number[] = [];
  for (let copied = 0; copied < pageCells; ) {
    const addr = it.addrAt(copied);
    const poff = addr & (pageCells - 1);
    const n = Math.min(pageCells - copied, it.contigAt(copied), pageCells - poff);
    chunks.push(dst + copied, mm.pte[addr >>> k.pageShift]! * pageCells + poff, n);
    copied += n;
  }
  return {
    case: which,
    cellsPerCopy: pageCells,
    arrayCells: k.mem.cells.length,
    chunks: Int32Array.from(chunks),
    copyLoop(copies: number): number {
      let cells = 0;
      for (let i = 0; i < copies; i++) cells += copyFromUserAtomic(k, t, dst, it, 0, pageCells);
      return cells;
    },
  };
}

/**
 * A scenario of `tasks` user tasks that do nothing but pass `stepsPerTask`
 * preemption points each: a run of it is almost only the model's task
 * machinery (choose a runnable task, count, hash, resume its generator).
 */
function spinScenario(tasks: number, stepsPerTask: number): Scenario {
  return {
    id: 'bench-spin',
    description: 'bench: tasks that only yield',
    stepsEstimate: tasks * stepsPerTask,
    setup(k) {
      const mm = k.createMm();
      for (let i = 0; i < tasks; i++) {
        k.createTask(`spin${i}`, mm, function* () {
          for (let s = 0; s < stepsPerTask; s++) yield;
        });
      }
    },
  };
}

/** A model that runs the spin scenario: Model.run through the real scheduler, loop and oracles. */
export interface StepBench {
  /** Preemption points one run passes (the spinning tasks' and reclaim's). */
  readonly stepsPerRun: number;
  /** Run it from `seed`; returns the steps passed. */
  run(seed: number): number;
}

/**
 * Time Model.run on tasks that only yield, so the cost per step is what the
 * model adds to each preemption point. Reclaim does no work and the step
 * budgets are out of the way; the scheduler is the default (pct).
 */
export function stepBench(tasks = 2, stepsPerTask = 50_000): StepBench {
  const scenario = spinScenario(tasks, stepsPerTask);
  const model = new Model(
    { strategy: 'v2.6.20', scenario: scenario.id, reclaimActionsMax: 0, stepsMax: 100_000_000, stallStepsMax: 100_000_000 },
    { scenarios: [scenario] },
  );
  const stepsPerRun = model.run({ seed: 0 }).steps;
  return {
    stepsPerRun,
    run: (seed: number): number => model.run({ seed }).steps,
  };
}
