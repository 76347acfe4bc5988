/** `pcfarm fuzz --first-failure`: the quick hunt, in this process, nothing written. */
import { DEFAULTS, GuidedSearch, Model, PortfolioSearch, SCENARIOS, SCHEDULERS, STRATEGIES, type Outcome, type RunConfig } from '@pcfarm/core';
import { minimizeCommand, minimizeReproducerCommand, replayCommand, replayReproducerCommand } from '@pcfarm/farm/replay-commands';
import { SEED_MAX, seedsPastMax } from '@pcfarm/farm/limits';
import { asInput, blocksPerPageList, noPositionals, oneOf, scenarioOf, strategyOf, UsageError, wholeNumber, type Parsed } from './args.js';
import { EXIT } from './exit.js';
import { n } from './format.js';
import type { Io } from './io.js';
import { FUZZ_RUNS_DEFAULT } from './limits.js';
import { configLabel, configOf, describeFailure, describeWarnings, reproducerString } from './replay.js';
import type { StrategyFiles } from './strategy-files.js';

/** The searches --first-failure runs beside the seeded schedulers: their runs are mutants, replayed by choices, not seeds. */
export const FIRST_FAILURE_SEARCHES = ['guided', 'portfolio'] as const;

/** The cells a hunt covers (--strategy, --scenario, --blocks-per-page), its runs a cell and its first seed. */
function huntOf(p: Parsed, files: StrategyFiles): { strategies: readonly string[]; scenarios: readonly string[]; bpps: readonly number[]; runs: number; start: number } {
  const strategy = strategyOf(p, files.ids);
  const scenario = scenarioOf(p);
  const runs = wholeNumber('runs', p.options.get('runs'), FUZZ_RUNS_DEFAULT, 1);
  const start = wholeNumber('seed-start', p.options.get('seed-start'), 0);
  // Every seed must be one a run takes (as a campaign's range is checked): found before the first run, not in the middle.
  const past = seedsPastMax(start, runs);
  if (past !== null) throw new UsageError(`${past}: give --seed-start ${SEED_MAX - (runs - 1)} at most, or fewer --runs`);
  return {
    strategies: strategy !== undefined ? [strategy] : files.ids.length > 0 ? files.ids : STRATEGIES,
    scenarios: scenario !== undefined ? [scenario] : SCENARIOS,
    // The quick hunt stays quick: whole-page buffers unless asked (a campaign covers every value).
    bpps: blocksPerPageList(p) ?? [DEFAULTS.blocksPerPage],
    runs,
    start,
  };
}

/**
 * Run seeds in-process, one cell after another, until each cell's first
 * failure; no threads, no results directory (options checked by the
 * caller). A cell whose runs only warned says so, with its first warning.
 * Every strategy by default, or with strategy files only theirs. Exit 1 on
 * a failure, 0 when every cell was clean or only warned. --scheduler guided
 * or portfolio runs that search over the seeds instead of one scheduler.
 */
export function fuzzFirstFailure(p: Parsed, io: Io, files: StrategyFiles): number {
  noPositionals(p);
  const search = oneOf('scheduler', 'schedulers', p.options.get('scheduler'), [...SCHEDULERS.filter((s) => s !== 'replay'), ...FIRST_FAILURE_SEARCHES]);
  if (search === 'guided' || search === 'portfolio') return firstFailureBySearch(p, io, files, search);
  const { strategies, scenarios, bpps, runs, start } = huntOf(p, files);
  let failed = false;
  for (const strategy of strategies) {
    const file = files.printedPath(strategy);
    for (const scenario of scenarios) {
      for (const bpp of bpps) {
        const config = configOf(p, strategy, scenario, bpp);
        let model: Model;
        try {
          model = new Model(config, files.model);
        } catch (e) {
          asInput(e);
        }
        const t0 = io.now();
        let found: Outcome | null = null;
        let warned: Outcome | null = null;
        let warnedRuns = 0;
        let done = 0;
        for (let seed = start; seed < start + runs; seed++) {
          const o = model.run({ seed });
          done++;
          if (o.warnings.length > 0) {
            warnedRuns++;
            warned ??= o;
          }
          if (!o.ok) {
            found = o;
            break;
          }
        }
        const s = Math.max(io.now() - t0, 1) / 1000;
        const rate = `${done} runs in ${s.toFixed(2)} s (${n(done / s)} runs/s)`;
        io.out(`${strategy} x ${scenario} (${configLabel(config)}, seeds ${start}..${start + runs - 1})`);
        if (found === null) {
          if (warned === null) {
            io.out(`  clean: ${rate}`);
            continue;
          }
          io.out(`  clean, with warnings: ${rate}, ${warnedRuns} of them warned; the first:`);
          describeWarnings(warned, config, io, files);
          io.out(`  seed=${warned.seed}`);
          io.out(`  replay: ${replayCommand(config, warned.seed!, file)}`);
          continue;
        }
        failed = true;
        describeFailure(found, io);
        describeWarnings(found, config, io, files);
        io.out(`  seed=${found.seed} after ${rate}`);
        io.out(`  replay: ${replayCommand(config, found.seed!, file)}`);
        io.out(`  minimize: ${minimizeCommand(config, found.seed!, file)}`);
        io.out(`  reproducer: ${reproducerString(config, found.choices, files)}`);
      }
    }
  }
  return failed ? EXIT.found : EXIT.ok;
}

/**
 * --first-failure under a search (guided, portfolio): each cell's search
 * runs from seed --seed-start on until its first failure. Its runs replay
 * from their choices, so the failure is given as a reproducer.
 */
function firstFailureBySearch(p: Parsed, io: Io, files: StrategyFiles, search: (typeof FIRST_FAILURE_SEARCHES)[number]): number {
  const { strategies, scenarios, bpps, runs, start } = huntOf(p, files);
  const { scheduler: _search, ...rest } = Object.fromEntries(p.options);
  void _search;
  const plain: Parsed = { ...p, options: new Map(Object.entries(rest)) };
  let failed = false;
  for (const strategy of strategies) {
    const file = files.printedPath(strategy);
    for (const scenario of scenarios) {
      for (const bpp of bpps) {
        const cell = configOf(plain, strategy, scenario, bpp);
        const models = new Map<string, Model>();
        const model = (config: RunConfig): Model => {
          // By the whole config: two portfolio arms may run one scheduler differently configured (pct-sparse).
          const key = JSON.stringify(config);
          let m = models.get(key);
          if (m === undefined) {
            try {
              m = new Model(config, files.model);
            } catch (e) {
              asInput(e);
            }
            models.set(key, m);
          }
          return m;
        };
        const guided = search === 'guided' ? new GuidedSearch() : null;
        const portfolio = search === 'portfolio' ? new PortfolioSearch(cell, model) : null;
        const run = (seed: number): Outcome => (guided !== null ? guided.run(model({ ...cell, scheduler: 'random' }), seed) : portfolio!.run(seed));
        const t0 = io.now();
        let found: Outcome | null = null;
        let done = 0;
        for (let seed = start; seed < start + runs && found === null; seed++) {
          const o = run(seed);
          done++;
          if (!o.ok) found = o;
        }
        const s = Math.max(io.now() - t0, 1) / 1000;
        const discovery = guided?.discovery ?? portfolio!.discovery;
        const ahead = discovery.runs * discovery.newPerRun(discovery.runs);
        const risk = `residual risk ${(discovery.residualRisk * 100).toFixed(2)}% (Good-Turing: ${discovery.singletons} of ${discovery.species} things reached were reached by one run of ${discovery.runs}); about ${ahead.toFixed(1)} new things in the next ${discovery.runs} runs (Chao's extrapolation)`;
        io.out(`${strategy} x ${scenario} (${search}${bpp === DEFAULTS.blocksPerPage ? '' : `, ${bpp} blocks per page`}, seeds ${start}..${start + runs - 1})`);
        if (found === null) {
          io.out(`  clean: ${done} runs in ${s.toFixed(2)} s (${n(done / s)} runs/s); ${risk}`);
          continue;
        }
        failed = true;
        // The run's own scheduler and cell: what its choices replay under.
        const config: RunConfig = portfolio !== null ? portfolio.lastConfig : { ...cell, scheduler: found.scheduler as RunConfig['scheduler'] };
        describeFailure(found, io);
        describeWarnings(found, config, io, files);
        io.out(`  after ${done} runs of the ${search} search in ${s.toFixed(2)} s; ${risk}`);
        const reproducer = reproducerString(config, found.choices, files);
        io.out(`  replay: ${replayReproducerCommand(reproducer, file)}`);
        io.out(`  minimize: ${minimizeReproducerCommand(reproducer, file)}`);
      }
    }
  }
  return failed ? EXIT.found : EXIT.ok;
}
