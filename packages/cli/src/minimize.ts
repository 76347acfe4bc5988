/** `pcfarm minimize`: shrink a failing seed or reproducer to its smallest reproducer. */
import { minimize, MINIMIZE_DEFAULTS, Model, type MinimizeResult, type RunConfig, type RunInput, type RunSize } from '@pcfarm/core';
import { replayReproducerCommand } from '@pcfarm/farm/replay-commands';
import { asInput, cellStrategyOf, scenarioOf, UsageError, wholeNumber, type Parsed } from './args.js';
import { EXIT } from './exit.js';
import type { Io } from './io.js';
import { MINIMIZE_TIME_MS_DEFAULT } from './limits.js';
import { changedFileNote, configLabel, configOf, positionalReproducer, reproducerString } from './replay.js';
import type { StrategyFiles } from './strategy-files.js';
import { RUN_OPTIONS } from './usage.js';

function size(s: RunSize): string {
  return `${s.choices} choices (${s.nonZero} not 0), ${s.switches} context switches, ${s.steps} steps`;
}

/**
 * pcfarm minimize: shrink a failing seed (or reproducer) to the smallest
 * choice list with the same signature, within a run budget and a time budget
 * (the core counts runs; the clock is the CLI's, asked between runs), and
 * print its reproducer (options checked by the caller). A reproducer of an
 * earlier source of its strategy file is minimized against the file as it
 * is now, said first. Exit 0 with a reproducer; 2 when the run passes.
 */
export function minimizeCommand(p: Parsed, io: Io, files: StrategyFiles): number {
  const runsMax = wholeNumber('runs-max', p.options.get('runs-max'), MINIMIZE_DEFAULTS.runsMax, 1);
  const timeMs = wholeNumber('time-ms', p.options.get('time-ms'), MINIMIZE_TIME_MS_DEFAULT, 1);
  const given = positionalReproducer(p, [...RUN_OPTIONS, 'seed'], files);
  let config: RunConfig;
  let input: RunInput;
  if (given !== null) {
    config = given.config;
    input = { choices: given.choices };
    const note = changedFileNote(given, files, 'minimizing');
    if (note !== null) io.out(note);
  } else {
    const strategy = cellStrategyOf(p, files.ids);
    const scenario = scenarioOf(p);
    if (strategy === undefined || scenario === undefined || !p.options.has('seed')) {
      throw new UsageError('minimize needs --strategy S --scenario X --seed N, or a reproducer');
    }
    config = configOf(p, strategy, scenario);
    input = { seed: wholeNumber('seed', p.options.get('seed'), 0) };
  }
  const t0 = io.now();
  let r: MinimizeResult;
  try {
    r = minimize(new Model(config, files.model), input, { runsMax, shouldStop: () => io.now() - t0 >= timeMs });
  } catch (e) {
    asInput(e);
  }
  const s = (io.now() - t0) / 1000;
  const from = 'seed' in input ? `seed ${input.seed}` : `a reproducer of ${input.choices.length} choices`;
  io.out(`${config.strategy} x ${config.scenario} (${configLabel(config)}), ${from}`);
  io.out(`signature: ${r.signature.title}`);
  io.out(`before: ${size(r.before)}`);
  io.out(`after:  ${size(r.after)}`);
  const why =
    r.stoppedBy === 'fixpoint'
      ? 'at a fixpoint: minimizing it again changes nothing'
      : `stopped by the ${r.stoppedBy === 'runs' ? `run budget (--runs-max ${runsMax})` : `time budget (--time-ms ${timeMs})`}: minimizing it again may shrink it further`;
  io.out(`${r.runs} runs in ${s.toFixed(2)} s, ${why}`);
  const text = reproducerString(config, r.choices, files);
  io.out(`choices: ${r.choices.join(',')}`);
  io.out(`reproducer: ${text}`);
  io.out(`replay: ${replayReproducerCommand(text, files.printedPath(config.strategy))}`);
  return EXIT.ok;
}
