/**
 * `pcfarm bench`: how fast the model runs and where the time goes. Every
 * clock read is here (the core is pure): the core's bench hooks do counted
 * work, this file times it. Figures are medians of several timed windows
 * after a warm-up; targets are reported, never enforced (speed is measured
 * by benchmarks, not tests).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { copyBench, Model, SCENARIOS, stepBench, STRATEGIES, type CopyCase, type FailureKind } from '@pcfarm/core';
import { checkOptions, noPositionals, UsageError, wholeNumber, type Parsed } from './args.js';
import type { FromWorker, ToWorker, WorkerInit } from './bench-worker.js';
import { EXIT } from './exit.js';
import { markdownTable, n as num } from './format.js';
import type { Io } from './io.js';
import { FUZZ_RUNS_DEFAULT } from './limits.js';
import { OPTIONS } from './usage.js';

/** How long each part of the bench runs: one profile per mode. All times in milliseconds. */
export interface BenchSizes {
  /** Runs of each strategy x scenario before its timed windows. */
  cellWarmupMs: number;
  /** One timed window of a cell, and how many (the median is reported). */
  cellWindowMs: number;
  cellWindows: number;
  /** One timed batch of copies or of steps (the batch size is calibrated to this), and how many. */
  batchMs: number;
  batches: number;
  /** A worker's warm-up, one timed window of all workers, and how many windows. */
  threadWarmupMs: number;
  threadWindowMs: number;
  threadWindows: number;
  /** Seeds each cell runs at least, timed or not, before it counts as not failing (FUZZ_RUNS_DEFAULT: what `pcfarm fuzz` runs). */
  scanSeedsMin: number;
  /** Cold `pcfarm fuzz` processes timed per failing cell (the median is reported). */
  coldSpawns: number;
  /**
   * Failing cells timed cold, at most: those whose warm first failure is
   * slowest (a process each is most of the bench's time when every cell
   * gets one); the other cells' coldProcessMs is null. Infinity: every one.
   */
  coldCellsMax: number;
}

/**
 * full: the figures BENCHMARKS.md records (a few minutes on 2 cores); every
 * cell runs at least as many seeds as `pcfarm fuzz`, so every failing cell
 * of the matrix is found. quick: within 30 s on 2 cores; a cell's failure is
 * found only among the seeds its timed windows ran (seedsScanned). smoke: for
 * tests; the figures mean nothing, and only a few cells start a cold process.
 */
export const BENCH_SIZES: Readonly<Record<'full' | 'quick' | 'smoke', BenchSizes>> = {
  full: { cellWarmupMs: 150, cellWindowMs: 150, cellWindows: 5, batchMs: 20, batches: 15, threadWarmupMs: 1000, threadWindowMs: 2000, threadWindows: 5, scanSeedsMin: FUZZ_RUNS_DEFAULT, coldSpawns: 5, coldCellsMax: Infinity },
  quick: { cellWarmupMs: 20, cellWindowMs: 25, cellWindows: 3, batchMs: 10, batches: 7, threadWarmupMs: 300, threadWindowMs: 500, threadWindows: 3, scanSeedsMin: 0, coldSpawns: 1, coldCellsMax: Infinity },
  smoke: { cellWarmupMs: 2, cellWindowMs: 3, cellWindows: 1, batchMs: 2, batches: 3, threadWarmupMs: 20, threadWindowMs: 50, threadWindows: 1, scanSeedsMin: 0, coldSpawns: 1, coldCellsMax: 3 },
};

/** The cell the thread-scaling figure runs: clean (so every run is a whole run) and of generated workloads. */
export const THREAD_CELL = { strategy: 'write-begin-end', scenario: 'generated' } as const;

/** The targets of issues 5 and 16: benchmark figures, not timed tests. */
export const TARGETS = {
  /** Copy loop cells/s over a bare copyWithin's, at least. */
  copyRatioMin: 0.8,
  /** One preemption point over a bare generator resume, at most (issue 16; issue 5 asked 2). */
  stepRatioMax: 1.5,
  /** A run's time over its floor (its steps at a bare resume, its user copies at bare copyWithin speed), median cell, at most: issue 16's moonshot. */
  floorRatioMax: 10,
  /** One Model (one cell of a worker), at most (issue 16). */
  modelMBMax: 20,
  /** All threads' runs/s over one thread's, at least (on 2 cores). */
  threadScalingMin: 1.8,
  /** A cold `pcfarm fuzz` of a failing cell, as a whole process, at most. */
  coldFirstFailureMsMax: 100,
  /** A worker thread's model, at most. */
  workerModelMBMax: 200,
} as const;

const COPY_CASES: readonly CopyCase[] = ['page', 'split', 'writev'];
const MB = 1024 * 1024;

export interface CellFigure {
  strategy: string;
  scenario: string;
  runsPerSecond: number;
  /** Preemption points per run, averaged over the timed runs. */
  stepsPerRun: number;
  /** Cells the user copies (copy_from_user and kin) move per run, averaged over the timed runs. */
  cellsCopiedPerRun: number;
  /**
   * ns per run over the run's floor: stepsPerRun x a bare generator resume
   * + cellsCopiedPerRun x a bare copyWithin's ns per cell. How far a run is
   * from doing nothing but its steps and its copies.
   */
  floorRatio: number;
  /** Seeds 0..seedsScanned-1 were run: its first failure, if any, is among them. */
  seedsScanned: number;
}

export interface FirstFailure {
  strategy: string;
  scenario: string;
  kind: FailureKind;
  /** Runs to the first failure from seed 0 (the failing seed + 1). */
  runs: number;
  seed: number;
  /** In this process, JIT warm: a new Model and seeds from 0 to the failure. */
  warmMs: number;
  /**
   * `node dist/pcfarm.mjs fuzz --first-failure --strategy S --scenario X` (the bundled command) from spawn to exit (median);
   * null for a cell not timed cold (past coldCellsMax, the cells of slowest warm first failure first).
   */
  coldProcessMs: number | null;
}

export interface Target {
  name: string;
  target: string;
  value: number | null;
  met: boolean | null;
}

/** Everything `pcfarm bench --json` prints. */
export interface BenchReport {
  mode: 'full' | 'quick' | 'smoke';
  machine: { node: string; cpus: number; cpuModel: string; platform: string };
  cells: CellFigure[];
  /** The median cell's runs per second: issue 16's figure, compared between builds. */
  runsPerSecondMedian: number;
  /** The median of the cells' floorRatio. */
  floorRatioMedian: number;
  copy: { case: CopyCase; cellsPerCopy: number; chunks: number; loopCellsPerSecond: number; bareCellsPerSecond: number; ratio: number }[];
  /** The worst case's copy-loop cells/s over a bare copyWithin's of the same chunks. */
  copyRatio: number;
  step: { modelStepNs: number; bareResumeNs: number; realStepNsMedian: number; stepsPerRun: number };
  /** One preemption point of the model's loop over one bare generator resume. */
  stepRatio: number;
  threads: { cell: string; one: number; all: number; count: number };
  /** Runs/s with every worker thread over runs/s with one. */
  threadScaling: number;
  firstFailure: FirstFailure[];
  /** A bare `node -e ""` from spawn to exit: the floor under coldProcessMs. */
  nodeStartMs: number;
  /** `pcfarm help` from spawn to exit: node plus loading the CLI and core modules, no run. */
  cliStartMs: number;
  memory: { peakRssMB: number; modelMB: number; workerPeakMB: number };
  targets: Target[];
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/** Progress on stderr when someone is watching; the report goes to stdout. */
function progress(what: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\rbench: ${what}`.padEnd(60));
}

/** A cell's first failure among the seeds its timed runs (and the scan after them) went through. */
interface CellFailure {
  strategy: string;
  scenario: string;
  kind: FailureKind;
  seed: number;
}

/**
 * Runs/s of each strategy x scenario on this thread, seeds counting up from
 * 0 across the warm-up and the windows. The first failure among them is
 * kept, so the matrix costs no second pass; a cell that ran fewer than
 * `scanSeedsMin` seeds without failing goes on (untimed) until it has.
 */
function benchCells(s: BenchSizes, now: () => number): { cells: CellFigure[]; failures: CellFailure[] } {
  const cells: CellFigure[] = [];
  const failures: CellFailure[] = [];
  let i = 0;
  for (const strategy of STRATEGIES) {
    for (const scenario of SCENARIOS) {
      progress(`runs/s ${++i}/${STRATEGIES.length * SCENARIOS.length}`);
      const model = new Model({ strategy, scenario });
      let seed = 0;
      let failure: CellFailure | null = null;
      const runFor = (ms: number): { runs: number; steps: number; copied: number; ms: number } => {
        const t0 = now();
        let t = t0;
        let runs = 0;
        let steps = 0;
        let copied = 0;
        while (t - t0 < ms) {
          const o = model.run({ seed });
          if (!o.ok && failure === null) failure = { strategy, scenario, kind: o.failure!.kind, seed };
          seed++;
          steps += o.steps;
          copied += o.costs.cellsCopied;
          runs++;
          t = now();
        }
        return { runs, steps, copied, ms: t - t0 };
      };
      runFor(s.cellWarmupMs);
      const rates: number[] = [];
      let runs = 0;
      let steps = 0;
      let copied = 0;
      for (let w = 0; w < s.cellWindows; w++) {
        const r = runFor(s.cellWindowMs);
        rates.push((r.runs / r.ms) * 1000);
        runs += r.runs;
        steps += r.steps;
        copied += r.copied;
      }
      for (; failure === null && seed < s.scanSeedsMin; seed++) {
        const o = model.run({ seed });
        if (!o.ok) failure = { strategy, scenario, kind: o.failure!.kind, seed };
      }
      if (failure !== null) failures.push(failure);
      // floorRatio is filled in once the bare resume and copy are timed.
      cells.push({ strategy, scenario, runsPerSecond: Math.round(median(rates)), stepsPerRun: round(steps / runs, 1), cellsCopiedPerRun: Math.round(copied / runs), floorRatio: 0, seedsScanned: seed });
    }
  }
  return { cells, failures };
}

/**
 * Time `work(n)` in batches of n calls, n doubled until a batch takes
 * batchMs; returns the median time of one call in nanoseconds. The two
 * works of a comparison are timed alternately, so drift hits both alike.
 */
function timePair(a: (n: number) => number, b: (n: number) => number, s: BenchSizes, now: () => number): [number, number] {
  const calibrate = (work: (n: number) => number): number => {
    for (let n = 1; ; n *= 2) {
      const t0 = now();
      work(n);
      if (now() - t0 >= s.batchMs || n >= 1 << 30) return n;
    }
  };
  const na = calibrate(a);
  const nb = calibrate(b);
  const ta: number[] = [];
  const tb: number[] = [];
  let sink = 0;
  for (let i = 0; i < s.batches; i++) {
    let t0 = now();
    sink += a(na);
    ta.push(((now() - t0) * 1e6) / na);
    t0 = now();
    sink += b(nb);
    tb.push(((now() - t0) * 1e6) / nb);
  }
  if (!Number.isFinite(sink)) throw new Error('bench: a timed loop returned nonsense');
  return [median(ta), median(tb)];
}

/** The same [dst, src, n] copies as the model's loop, as bare copyWithin calls on an array of the same size. */
function bareCopier(arrayCells: number, chunks: Int32Array): (copies: number) => number {
  const cells = new Uint32Array(arrayCells);
  return (copies) => {
    let moved = 0;
    for (let i = 0; i < copies; i++) {
      for (let c = 0; c < chunks.length; c += 3) {
        const src = chunks[c + 1]!;
        cells.copyWithin(chunks[c]!, src, src + chunks[c + 2]!);
        moved += chunks[c + 2]!;
      }
    }
    return moved;
  };
}

function benchCopy(s: BenchSizes, now: () => number): BenchReport['copy'] {
  return COPY_CASES.map((which) => {
    progress(`copy loop: ${which}`);
    const cb = copyBench(which);
    const [loopNs, bareNs] = timePair((n) => cb.copyLoop(n), bareCopier(cb.arrayCells, cb.chunks), s, now);
    const loop = (cb.cellsPerCopy / loopNs) * 1e9;
    const bare = (cb.cellsPerCopy / bareNs) * 1e9;
    return { case: which, cellsPerCopy: cb.cellsPerCopy, chunks: cb.chunks.length / 3, loopCellsPerSecond: Math.round(loop), bareCellsPerSecond: Math.round(bare), ratio: round(loop / bare, 3) };
  });
}

/** The baseline: a generator that only yields, resumed n times. */
function bareResumes(): (n: number) => number {
  const g = (function* (): Generator<void, void, void> {
    for (;;) yield;
  })();
  return (n) => {
    let done = 0;
    for (let i = 0; i < n; i++) if (g.next().done) done++;
    return done;
  };
}

function benchStep(s: BenchSizes, now: () => number, cells: readonly CellFigure[]): BenchReport['step'] {
  progress('preemption point');
  const sb = stepBench();
  let seed = 0;
  // One call of the model's work is one run; its time is divided by the steps of a run below.
  const [runNs, bareNs] = timePair(
    (n) => {
      let steps = 0;
      for (let i = 0; i < n; i++) steps += sb.run(seed++);
      return steps;
    },
    bareResumes(),
    s,
    now,
  );
  const real = cells.map((c) => 1e9 / (c.runsPerSecond * c.stepsPerRun));
  return { modelStepNs: round(runNs / sb.stepsPerRun, 2), bareResumeNs: round(bareNs, 2), realStepNsMedian: round(median(real), 1), stepsPerRun: sb.stepsPerRun };
}

/** Runs/s of THREAD_CELL with `count` worker threads on disjoint seed ranges; and their peak memory. */
async function benchThreads(count: number, s: BenchSizes): Promise<{ runsPerSecond: number; peakBytes: number }> {
  const url = new URL('./bench-worker.js', import.meta.url);
  const workers = Array.from({ length: count }, (_, i) => {
    const init: WorkerInit = { ...THREAD_CELL, seedStart: i * 1_000_000_000, warmupMs: s.threadWarmupMs };
    return new Worker(url, { workerData: init });
  });
  const next = (w: Worker): Promise<FromWorker> =>
    new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      w.once('error', onError);
      w.once('message', (m: FromWorker) => {
        w.off('error', onError);
        resolve(m);
      });
    });
  try {
    await Promise.all(workers.map(next));
    const rates: number[] = [];
    let peakBytes = 0;
    for (let win = 0; win < s.threadWindows; win++) {
      const done = Promise.all(workers.map(next));
      for (const w of workers) w.postMessage({ type: 'go', ms: s.threadWindowMs } satisfies ToWorker);
      let rate = 0;
      for (const m of await done) {
        if (m.type !== 'done') throw new Error(`bench worker: expected a count, got ${m.type}`);
        rate += (m.runs / m.ms) * 1000;
        peakBytes = Math.max(peakBytes, m.memory.heapTotal + m.memory.external);
      }
      rates.push(rate);
    }
    return { runsPerSecond: Math.round(median(rates)), peakBytes };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * Each failing cell: time to its first failure warm in this process (a new
 * Model, seeds from 0), and cold as a `pcfarm fuzz` process for the
 * coldCellsMax cells whose warm first failure took longest.
 */
function benchFirstFailures(failures: readonly CellFailure[], s: BenchSizes, now: () => number): FirstFailure[] {
  const main = fileURLToPath(new URL('./pcfarm.mjs', import.meta.url));
  const warm = failures.map(({ strategy, scenario, kind, seed }) => {
    progress(`first failure: ${strategy} x ${scenario}`);
    const t0 = now();
    const model = new Model({ strategy, scenario });
    for (let i = 0; i <= seed; i++) model.run({ seed: i });
    return { strategy, scenario, kind, runs: seed + 1, seed, warmMs: round(now() - t0, 2) };
  });
  // Ties keep the matrix's order, so the cells picked are the same for the same warm times.
  const cold = new Set(
    warm
      .map((f, i) => ({ ms: f.warmMs, i }))
      .sort((a, b) => b.ms - a.ms || a.i - b.i)
      .slice(0, s.coldCellsMax)
      .map((x) => x.i),
  );
  return warm.map((f, i): FirstFailure => {
    if (!cold.has(i)) return { ...f, coldProcessMs: null };
    progress(`cold first failure: ${f.strategy} x ${f.scenario}`);
    const times: number[] = [];
    for (let n = 0; n < s.coldSpawns; n++) {
      const c0 = now();
      const r = spawnSync(process.execPath, [main, 'fuzz', '--first-failure', '--strategy', f.strategy, '--scenario', f.scenario], { encoding: 'utf8' });
      times.push(now() - c0);
      // fuzz runs seeds from 0 too, so it must find the same failure: exit 1.
      if (r.status !== 1) throw new Error(`bench: pcfarm fuzz --strategy ${f.strategy} --scenario ${f.scenario} exited ${r.status}, not 1 (a failure): ${r.stderr}`);
    }
    return { ...f, coldProcessMs: round(median(times), 1) };
  });
}

/** Median wall time of `node args…` from spawn to exit: the floors under a cold `pcfarm fuzz`. */
function spawnMs(args: readonly string[], s: BenchSizes, now: () => number): number {
  const times: number[] = [];
  for (let i = 0; i < Math.max(s.coldSpawns, 3); i++) {
    const t0 = now();
    spawnSync(process.execPath, args);
    times.push(now() - t0);
  }
  return round(median(times), 1);
}

/** Models built for the per-model memory figure: several, so one collection's noise is spread thin. */
const MODELS_MEASURED = 8;

/** Heap and external memory (the cell array is a WebAssembly memory) one Model holds once built and run, measured across full garbage collections. */
function modelBytes(): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const used = (): number => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const before = used();
  const models: Model[] = [];
  for (let i = 0; i < MODELS_MEASURED; i++) {
    const model = new Model({ ...THREAD_CELL });
    for (let seed = 0; seed < 20; seed++) model.run({ seed });
    models.push(model);
  }
  const after = used();
  // Read after the measurement, so they are all alive at it.
  return Math.max(after - before, 0) / models.length;
}

/** Each target beside its figure; one a report cannot judge (a scaling on one thread, a first failure where none failed or none was timed cold) has value and met null. */
export function targetsOf(r: Omit<BenchReport, 'targets'>): Target[] {
  const colds = r.firstFailure.flatMap((f) => (f.coldProcessMs === null ? [] : [f.coldProcessMs]));
  const worstCold = colds.length > 0 ? Math.max(...colds) : null;
  const scaling = r.threads.count >= 2 ? r.threadScaling : null;
  return [
    { name: 'copyRatio', target: `>= ${TARGETS.copyRatioMin}`, value: r.copyRatio, met: r.copyRatio >= TARGETS.copyRatioMin },
    { name: 'stepRatio', target: `<= ${TARGETS.stepRatioMax}`, value: r.stepRatio, met: r.stepRatio <= TARGETS.stepRatioMax },
    { name: 'floorRatio (median cell)', target: `<= ${TARGETS.floorRatioMax}`, value: r.floorRatioMedian, met: r.floorRatioMedian <= TARGETS.floorRatioMax },
    { name: 'modelMB (one Model)', target: `<= ${TARGETS.modelMBMax}`, value: r.memory.modelMB, met: r.memory.modelMB <= TARGETS.modelMBMax },
    { name: 'threadScaling', target: `>= ${TARGETS.threadScalingMin} on 2 cores`, value: scaling, met: scaling === null ? null : scaling >= TARGETS.threadScalingMin },
    { name: 'coldFirstFailureMs (worst cell)', target: `<= ${TARGETS.coldFirstFailureMsMax}`, value: worstCold, met: worstCold === null ? null : worstCold <= TARGETS.coldFirstFailureMsMax },
    { name: 'workerModelMB (peak)', target: `<= ${TARGETS.workerModelMBMax}`, value: r.memory.workerPeakMB, met: r.memory.workerPeakMB <= TARGETS.workerModelMBMax },
  ];
}

async function runBench(mode: BenchReport['mode'], threads: number, now: () => number): Promise<BenchReport> {
  const s = BENCH_SIZES[mode];
  const { cells, failures } = benchCells(s, now);
  const copy = benchCopy(s, now);
  const step = benchStep(s, now, cells);
  const bareCopyNsPerCell = 1e9 / copy.find((c) => c.case === 'page')!.bareCellsPerSecond;
  for (const c of cells) c.floorRatio = round(1e9 / c.runsPerSecond / (c.stepsPerRun * step.bareResumeNs + c.cellsCopiedPerRun * bareCopyNsPerCell), 1);
  progress('threads: 1');
  const one = await benchThreads(1, s);
  progress(`threads: ${threads}`);
  const all = threads === 1 ? one : await benchThreads(threads, s);
  const firstFailure = benchFirstFailures(failures, s, now);
  const nodeStart = spawnMs(['-e', ''], s, now);
  const cliStart = spawnMs([fileURLToPath(new URL('./pcfarm.mjs', import.meta.url)), 'help'], s, now);
  const modelMB = round(modelBytes() / MB, 1);
  progress('');
  if (process.stderr.isTTY) process.stderr.write('\r');
  const cpus = os.cpus();
  const r: Omit<BenchReport, 'targets'> = {
    mode,
    machine: { node: process.version, cpus: os.availableParallelism(), cpuModel: cpus[0]?.model.trim() ?? 'unknown', platform: `${os.platform()} ${os.arch()}` },
    cells,
    runsPerSecondMedian: Math.round(median(cells.map((c) => c.runsPerSecond))),
    floorRatioMedian: round(median(cells.map((c) => c.floorRatio)), 1),
    copy,
    copyRatio: Math.min(...copy.map((c) => c.ratio)),
    step,
    stepRatio: round(step.modelStepNs / step.bareResumeNs, 2),
    threads: { cell: `${THREAD_CELL.strategy} x ${THREAD_CELL.scenario}`, one: one.runsPerSecond, all: all.runsPerSecond, count: threads },
    threadScaling: round(all.runsPerSecond / one.runsPerSecond, 2),
    firstFailure,
    nodeStartMs: nodeStart,
    cliStartMs: cliStart,
    memory: { peakRssMB: round((process.resourceUsage().maxRSS * 1024) / MB, 1), modelMB, workerPeakMB: round(Math.max(one.peakBytes, all.peakBytes) / MB, 1) },
  };
  return { ...r, targets: targetsOf(r) };
}

/** The report as Markdown tables, as BENCHMARKS.md records them. */
export function formatBench(r: BenchReport): string[] {
  const lines: string[] = [];
  const { machine: m } = r;
  lines.push(`pcfarm bench (${r.mode}): ${m.cpus} cpus (${m.cpuModel}), ${m.platform}, Node ${m.node}`);
  lines.push('');
  lines.push(`Runs per second on one core (pct scheduler, seeds from 0, failing runs included); median cell ${num(r.runsPerSecondMedian)}, a run ${r.floorRatioMedian}x its floor (median):`);
  lines.push('');
  const rows = SCENARIOS.map((scenario) => [scenario, ...STRATEGIES.map((strategy) => num(r.cells.find((c) => c.strategy === strategy && c.scenario === scenario)!.runsPerSecond))]);
  lines.push(...markdownTable(['scenario', ...STRATEGIES], rows));
  lines.push('');
  lines.push('Copy loop (copyFromUserAtomic, one page) beside bare copyWithin of the same chunks:');
  lines.push('');
  lines.push(...markdownTable(['case', 'chunks', 'copy loop cells/s', 'bare cells/s', 'ratio'], r.copy.map((c) => [c.case, String(c.chunks), num(c.loopCellsPerSecond), num(c.bareCellsPerSecond), c.ratio.toFixed(3)])));
  lines.push('');
  lines.push(
    `Preemption point: ${r.step.modelStepNs} ns per step of Model.run on tasks that only yield (${num(r.step.stepsPerRun)} steps a run), ` +
      `bare generator resume ${r.step.bareResumeNs} ns; a step of a real run (median cell) ${r.step.realStepNsMedian} ns`,
  );
  lines.push(`Threads (${r.threads.cell}): 1 thread ${num(r.threads.one)} runs/s, ${r.threads.count} threads ${num(r.threads.all)} runs/s`);
  lines.push('');
  const colds = r.firstFailure.filter((f) => f.coldProcessMs !== null).length;
  const coldNote = colds < r.firstFailure.length ? `; cold only for the ${colds} of slowest warm first failure, n/a for the rest` : '';
  lines.push(`First failure of each failing cell (seeds scanned per cell: ${Math.min(...r.cells.map((c) => c.seedsScanned))} or more; bare node start ${r.nodeStartMs} ms, pcfarm help ${r.cliStartMs} ms${coldNote}):`);
  lines.push('');
  lines.push(
    ...markdownTable(
      ['strategy', 'scenario', 'kind', 'runs', 'warm in-process ms', 'cold pcfarm fuzz ms'],
      r.firstFailure.map((f) => [f.strategy, f.scenario, f.kind, String(f.runs), f.warmMs.toFixed(2), f.coldProcessMs === null ? 'n/a' : f.coldProcessMs.toFixed(1)]),
    ),
  );
  lines.push('');
  lines.push(`Memory: peak RSS ${r.memory.peakRssMB} MB (whole process, workers included), one Model ${r.memory.modelMB} MB, a worker's peak heap + external memory ${r.memory.workerPeakMB} MB`);
  lines.push('');
  lines.push(
    ...markdownTable(
      ['target', 'wanted', 'measured', 'met'],
      r.targets.map((t) => [t.name, t.target, t.value === null ? 'n/a' : String(t.value), t.met === null ? 'n/a' : t.met ? 'yes' : 'NO']),
    ),
  );
  return lines;
}

/**
 * pcfarm bench [--quick | --smoke] [--threads N] [--json]: the figures of
 * issue 5 and whether each target is met. Exit 0 whatever the figures are.
 */
export function bench(p: Parsed, io: Io): Promise<number> {
  checkOptions(p, OPTIONS.bench);
  noPositionals(p);
  if (p.options.has('quick') && p.options.has('smoke')) throw new UsageError('bench takes one of --quick and --smoke, not both');
  const mode = p.options.has('smoke') ? 'smoke' : p.options.has('quick') ? 'quick' : 'full';
  if (p.options.has('search')) {
    if (p.options.has('threads')) throw new UsageError('bench --search runs on one core: drop --threads');
    return import('./bench-search.js').then((m) => {
      const r = m.benchSearch(m.SEARCH_SIZES[mode], progress);
      if (process.stderr.isTTY) process.stderr.write('\r'.padEnd(61) + '\r');
      if (p.options.has('json')) io.out(JSON.stringify(r, null, 2));
      else for (const line of m.formatSearch(r)) io.out(line);
      return EXIT.ok;
    });
  }
  const threads = wholeNumber('threads', p.options.get('threads'), os.availableParallelism(), 1, 256);
  return runBench(mode, threads, () => io.now()).then((r) => {
    if (p.options.has('json')) io.out(JSON.stringify(r, null, 2));
    else for (const line of formatBench(r)) io.out(line);
    return EXIT.ok;
  });
}
