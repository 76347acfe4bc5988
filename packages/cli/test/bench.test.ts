import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FAILURE_KINDS, Model, SCENARIOS, STRATEGIES } from '@pcfarm/core';
import { describe, expect, it } from 'vitest';
import { pcfarmHere as here } from './here.js';
import { BENCH_SIZES, formatBench, targetsOf } from '../dist/bench.js';
import type { BenchReport } from '../src/bench.js';

const MAIN = fileURLToPath(new URL('../dist/pcfarm.mjs', import.meta.url));

function pcfarm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const positive = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;

// Timings are never asserted: speed is what BENCHMARKS.md records, not what tests check.
describe('pcfarm bench', () => {
  /** The first test's report: the tables are drawn from it, rather than from a second run of the whole bench. */
  let smoke: BenchReport | undefined;

  it('--smoke --json reports every figure, every cell, and first failures only for failing cells', () => {
    const r = pcfarm('bench', '--smoke', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    smoke = report;
    expect(report.mode).toBe('smoke');
    for (const key of ['copyRatio', 'stepRatio', 'threadScaling', 'nodeStartMs', 'cliStartMs']) expect(positive(report[key]), key).toBe(true);
    for (const key of ['peakRssMB', 'modelMB', 'workerPeakMB']) expect(positive(report.memory[key]), key).toBe(true);
    for (const key of ['modelStepNs', 'bareResumeNs', 'realStepNsMedian']) expect(positive(report.step[key]), key).toBe(true);
    expect(report.copy.map((c: { case: string }) => c.case)).toEqual(['page', 'split', 'writev']);
    for (const c of report.copy) expect([c.loopCellsPerSecond, c.bareCellsPerSecond, c.ratio].every(positive)).toBe(true);
    expect(positive(report.threads.one) && positive(report.threads.all)).toBe(true);

    expect(report.cells).toHaveLength(STRATEGIES.length * SCENARIOS.length);
    for (const strategy of STRATEGIES) {
      for (const scenario of SCENARIOS) {
        const c = report.cells.find((x: { strategy: string; scenario: string }) => x.strategy === strategy && x.scenario === scenario);
        expect(c, `${strategy} x ${scenario}`).toBeDefined();
        expect([c.runsPerSecond, c.stepsPerRun, c.seedsScanned, c.floorRatio].every(positive)).toBe(true);
      }
    }

    // Each entry is that cell's first failure; every other cell passed every seed it ran.
    const failing = new Map<string, { kind: string; seed: number; runs: number; warmMs: number; coldProcessMs: number | null }>();
    for (const f of report.firstFailure) failing.set(`${f.strategy} x ${f.scenario}`, f);
    expect(failing.size).toBe(report.firstFailure.length);
    expect(failing.has('v2.6.20 x self-mmap-write')).toBe(true);
    for (const c of report.cells) {
      const model = new Model({ strategy: c.strategy, scenario: c.scenario });
      const f = failing.get(`${c.strategy} x ${c.scenario}`);
      const clean = f === undefined ? c.seedsScanned : f.seed;
      for (let seed = 0; seed < clean; seed++) expect(model.run({ seed }).ok, `${c.strategy} x ${c.scenario} seed ${seed}`).toBe(true);
      if (f === undefined) continue;
      expect(FAILURE_KINDS).toContain(f.kind);
      expect(f.runs).toBe(f.seed + 1);
      expect(model.run({ seed: f.seed }).failure?.kind).toBe(f.kind);
      expect(positive(f.warmMs)).toBe(true);
    }
    // Smoke times only the few cells of slowest warm first failure as a cold process; the rest say null.
    const cold = report.firstFailure.filter((f: { coldProcessMs: number | null }) => f.coldProcessMs !== null);
    expect(cold.length).toBe(Math.min(BENCH_SIZES.smoke.coldCellsMax, report.firstFailure.length));
    for (const f of cold) expect(positive(f.coldProcessMs)).toBe(true);
    const slowestWarm = report.firstFailure.map((f: { warmMs: number }) => f.warmMs).sort((a: number, b: number) => b - a);
    for (const f of cold) expect(f.warmMs).toBeGreaterThanOrEqual(slowestWarm[cold.length - 1]);
    expect(report.targets.find((t: { name: string }) => t.name === 'coldFirstFailureMs (worst cell)').value).toBe(Math.max(...cold.map((f: { coldProcessMs: number }) => f.coldProcessMs)));

    expect(positive(report.runsPerSecondMedian) && positive(report.floorRatioMedian)).toBe(true);
    // The cell array is WebAssembly memory, outside the heap: a Model's figure must count it (3.6 MB at 4,096 cells a page).
    expect(report.memory.modelMB).toBeGreaterThan(3);
    expect(report.targets.map((t: { name: string }) => t.name)).toEqual(['copyRatio', 'stepRatio', 'floorRatio (median cell)', 'modelMB (one Model)', 'threadScaling', 'coldFirstFailureMs (worst cell)', 'workerModelMB (peak)']);
  });

  it('--search --smoke --json: every search of every failing cell, each failure found the way its search finds it', () => {
    const r = pcfarm('bench', '--search', '--smoke', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.cells.length).toBeGreaterThan(10);
    const searches = ['pct', 'random', 'pos', 'surw', 'guided', 'pct-sparse', 'portfolio', 'pollinated-guided', 'pollinated-portfolio'];
    for (const c of report.cells) {
      const figures = report.search.filter((f: { strategy: string; scenario: string }) => f.strategy === c.strategy && f.scenario === c.scenario);
      expect(figures.map((f: { search: string }) => f.search)).toEqual(searches);
      for (const f of figures) {
        expect(f.meanRunsToFirstFailure, `${c.strategy} x ${c.scenario} ${f.search}`).toBeGreaterThanOrEqual(1);
        expect(f.meanRunsToFirstFailure).toBeLessThanOrEqual(report.sizes.runsMax);
        expect(f.offsets).toBe(report.sizes.offsets);
      }
      expect(c.pctMean).toBe(figures[0].meanRunsToFirstFailure);
      // The ceiling holds every search's communications, pct's among them.
      expect(c.ceilingOverPct, `${c.strategy} x ${c.scenario}`).toBeGreaterThanOrEqual(c.coverageOverPct);
      if (figures[0].communications > 0) expect(c.ceilingOverPct).toBeGreaterThanOrEqual(1);
    }
    // Pollinated searches start with the other strategies' failures of the scenario: v2.6.20's self deadlock is
    // excl-flag's too, so its pollinated searches find it at their first run on every offset.
    const excl = report.cells.find((c: { strategy: string; scenario: string }) => c.strategy === 'excl-flag' && c.scenario === 'self-mmap-write');
    expect(excl.pollen).toBeGreaterThan(0);
    expect(report.search.filter((f: { strategy: string; scenario: string; search: string }) => f.strategy === 'excl-flag' && f.scenario === 'self-mmap-write' && f.search.startsWith('pollinated-')).map((f: { meanRunsToFirstFailure: number }) => f.meanRunsToFirstFailure)).toEqual([1, 1]);
    // v2.6.20's self deadlock is every search's to find.
    expect(report.cells.some((c: { strategy: string; scenario: string }) => c.strategy === 'v2.6.20' && c.scenario === 'self-mmap-write')).toBe(true);
    expect(report.pctBound.every((b: { runs95: number; tasks: number }) => b.runs95 >= 1 && b.tasks >= 1)).toBe(true);
    // The residual risk checked against what follows, at 10, 40 and 160 runs of every cell: f1/n at most 1 (a chance),
    // Chao's extrapolation and the new things per run at least 0 (counts a run, which may pass 1).
    expect(report.calibration.length).toBe(3 * report.cells.length);
    for (const c of report.calibration as { runs: number; predicted: number; extrapolated: number; observed: number }[]) {
      expect([10, 40, 160]).toContain(c.runs);
      expect(c.predicted >= 0 && c.predicted <= 1 && c.observed >= 0).toBe(true);
      expect(Number.isFinite(c.extrapolated) && c.extrapolated >= 0, String(c.extrapolated)).toBe(true);
    }
  });

  it('prints tables without --json: a row per scenario, a column per strategy, and the targets', () => {
    expect(smoke, 'the --smoke --json test ran first').toBeDefined();
    const text = formatBench(smoke!).join('\n');
    expect(text).toMatch(/^\| scenario +\| v2\.6\.20 /m);
    for (const scenario of SCENARIOS) expect(text).toMatch(new RegExp(`^\\| ${scenario} +\\|`, 'm'));
    expect(text).toMatch(/^\| copyRatio +\| >= 0\.8 /m);
    expect(text).toMatch(/^\| threadScaling +\| >= 1\.8 on 2 cores \| [\d.]+ +\| (yes|NO) /m);
    // A cell not timed cold says n/a in its row, and the line above the table says why.
    expect(text).toMatch(/^\| [\w.-]+ +\| [\w-]+ +\| [\w-]+ +\| \d+ +\| [\d.]+ +\| n\/a +\|$/m);
    expect(text).toMatch(/cold only for the \d+ of slowest warm first failure, n\/a for the rest\):$/m);
    // One thread on either side: nothing to scale, so no verdict.
    const threads = { ...smoke!.threads, all: smoke!.threads.one, count: 1 };
    const one = { ...smoke!, threads, threadScaling: 1, targets: targetsOf({ ...smoke!, threads, threadScaling: 1 }) };
    expect(formatBench(one).join('\n')).toMatch(/^\| threadScaling +\| >= 1\.8 on 2 cores \| n\/a +\| n\/a /m);
  });

  it('rejects bad flags with exit 2 and says what was wrong', async () => {
    const cases: [string[], string][] = [
      [['--quick', '--smoke'], 'bench takes one of --quick and --smoke, not both'],
      [['--threads', '0'], '--threads must be from 1 to 256, not 0'],
      [['--threads', 'all'], '--threads must be a whole number, not "all"'],
      [['--runs', '5'], "unknown option --runs for 'bench'; it takes --quick, --smoke, --threads, --json"],
      [['fast'], "'bench' takes only options, not fast"],
    ];
    for (const [args, message] of cases) {
      const r = await here('bench', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });
});
