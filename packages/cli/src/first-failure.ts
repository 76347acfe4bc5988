/** `pcfarm fuzz --first-failure`: the quick hunt, in this process, nothing written. */
import { DEFAULTS, Model, SCENARIOS, STRATEGIES, type Outcome } from '@pcfarm/core';
import { minimizeCommand, replayCommand } from '@pcfarm/farm/replay-commands';
import { asInput, blocksPerPageList, noPositionals, scenarioOf, strategyOf, wholeNumber, type Parsed } from './args.js';
import { EXIT } from './exit.js';
import { n } from './format.js';
import type { Io } from './io.js';
import { FUZZ_RUNS_DEFAULT } from './limits.js';
import { configLabel, configOf, describeFailure, describeWarnings, reproducerString } from './replay.js';
import type { StrategyFiles } from './strategy-files.js';

/**
 * Run seeds in-process, one cell after another, until each cell's first
 * failure; no threads, no results directory (options checked by the
 * caller). A cell whose runs only warned says so, with its first warning.
 * Every strategy by default, or with strategy files only theirs. Exit 1 on
 * a failure, 0 when every cell was clean or only warned.
 */
export function fuzzFirstFailure(p: Parsed, io: Io, files: StrategyFiles): number {
  noPositionals(p);
  const strategy = strategyOf(p, files.ids);
  const scenario = scenarioOf(p);
  const strategies = strategy !== undefined ? [strategy] : files.ids.length > 0 ? files.ids : STRATEGIES;
  const scenarios = scenario !== undefined ? [scenario] : SCENARIOS;
  // The quick hunt stays quick: whole-page buffers unless asked (a campaign covers every value).
  const bpps = blocksPerPageList(p) ?? [DEFAULTS.blocksPerPage];
  const runs = wholeNumber('runs', p.options.get('runs'), FUZZ_RUNS_DEFAULT, 1);
  const start = wholeNumber('seed-start', p.options.get('seed-start'), 0);
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
