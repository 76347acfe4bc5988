/**
 * `pcfarm replay`, and what the commands that run one cell share: the run
 * config the options ask for, a reproducer given as the argument, and how a
 * finding (a failure or a warning) is printed.
 */
import { basename } from 'node:path';
import { decodeReproducer, DEFAULTS, encodeReproducer, findingSignature, formatEvent, Model, reproducerOf, SCENARIOS, SCHEDULERS, signatureOf, STRATEGIES, type Failure, type ModelOptions, type Outcome, type Reproducer, type RunConfig } from '@pcfarm/core';
import { replayCommand, witnessCommand } from '@pcfarm/farm/replay-commands';
import { asInput, blocksPerPageOf, cellStrategyOf, choiceList, pctDepthOf, scenarioOf, schedulerOf, UsageError, wholeNumber, type Parsed } from './args.js';
import { EXIT } from './exit.js';
import type { Io } from './io.js';
import type { StrategyFiles } from './strategy-files.js';
import { RUN_OPTIONS } from './usage.js';

export { replayCommand };

/** The reproducer string of a run of `config` that made `choices`, pinned to its strategy file's source when it has one. */
export function reproducerString(config: RunConfig, choices: readonly number[], files: StrategyFiles): string {
  return encodeReproducer(reproducerOf(config, choices, files.byId(config.strategy)?.sourceHash));
}

/**
 * The reproducer given as the command's one positional argument, or null.
 * It says what to run, so the options in `exclusive` may not come with it; a
 * bad string is an input error saying what is wrong with it. Its strategy
 * is a built-in one or one of `files`.
 */
export function positionalReproducer(p: Parsed, exclusive: readonly string[], files: StrategyFiles): Reproducer | null {
  if (p.positionals.length === 0) return null;
  if (p.positionals.length > 1) throw new UsageError(`'${p.command}' takes one reproducer, not ${p.positionals.length} arguments: ${p.positionals.join(' ')}`);
  const clash = exclusive.filter((o) => p.options.has(o));
  if (clash.length > 0) throw new UsageError(`a reproducer says what to run: drop ${clash.map((o) => `--${o}`).join(', ')}`);
  try {
    return decodeReproducer(p.positionals[0]!, files.ids);
  } catch (e) {
    asInput(e);
  }
}

/** The run config the options ask for: --scheduler, --pct-depth, and `blocksPerPage` (or --blocks-per-page). */
export function configOf(p: Parsed, strategy: string, scenario: string, blocksPerPage = blocksPerPageOf(p)): RunConfig {
  const config: RunConfig = { strategy, scenario };
  const scheduler = schedulerOf(p);
  const pctDepth = pctDepthOf(p);
  if (scheduler !== undefined) config.scheduler = scheduler;
  if (pctDepth !== undefined) config.pctDepth = pctDepth;
  if (blocksPerPage !== undefined && blocksPerPage !== DEFAULTS.blocksPerPage) config.blocksPerPage = blocksPerPage;
  return config;
}

/** What a cell header says of its config beyond strategy x scenario: the scheduler, and the blocks per page when not 1. */
export function configLabel(config: RunConfig): string {
  const bpp = config.blocksPerPage ?? DEFAULTS.blocksPerPage;
  return `${config.scheduler ?? DEFAULTS.scheduler}${bpp === DEFAULTS.blocksPerPage ? '' : `, ${bpp} blocks per page`}`;
}

function describeFinding(f: Failure, strategy: string, io: Io): void {
  const warning = f.severity === 'warning';
  io.out(`${warning ? 'WARN' : 'FAIL'} ${f.kind} at step ${f.step} in ${f.task}${warning ? ' (a warning, not a failure)' : ''}`);
  io.out(`  ${f.message}`);
  for (const d of f.details) io.out(`  ${d}`);
  if (f.site !== 'kernel') io.out(`  site: ${f.site}`);
  io.out(`  signature: ${findingSignature(strategy, f).title}`);
}

/** A failed run's failure, in full. */
export function describeFailure(o: Outcome, io: Io): void {
  if (o.failure !== null) describeFinding(o.failure, o.strategy, io);
}

/**
 * A run's warnings, each with the command that runs its witness: the
 * scenario where the warned-of lock instances do meet.
 */
export function describeWarnings(o: Outcome, config: RunConfig, io: Io, files: StrategyFiles): void {
  for (const w of o.warnings) {
    describeFinding(w, o.strategy, io);
    io.out(`  witness: ${w.witness === null ? `none: ${o.scenario} names no scenario where these instances meet` : witnessCommand({ ...config, scenario: w.witness }, files.printedPath(config.strategy))}`);
  }
}

/**
 * The note a reproducer made with another source of its strategy file
 * calls for, or null: the file changed since, and the replay shows what it
 * does now, not what it did then.
 */
export function changedFileNote(r: Reproducer, files: StrategyFiles, doing: string): string | null {
  const f = files.byId(r.config.strategy);
  if (f === undefined || r.strategyHash === undefined || r.strategyHash === f.sourceHash) return null;
  return `strategy file ${basename(f.path)} changed since this reproducer was made (source ${r.strategyHash}, now ${f.sourceHash}): ${doing} it anyway`;
}

/**
 * A replayed run: its header, one trace line per event, the verdict (ok or
 * its failure, then its warnings, which never fail it), its choices, and
 * its reproducer when it failed and was not given as one.
 */
function printReplay(header: string, config: RunConfig, o: Outcome, choices: readonly number[], given: boolean, io: Io, files: StrategyFiles): number {
  io.out(header);
  io.out(' step  task     event  @ site  [locks held]');
  for (const e of o.trace ?? []) io.out(formatEvent(e));
  io.out('');
  if (o.ok) io.out(`ok: every task finished and every oracle passed, in ${o.steps} steps${o.warnings.length > 0 ? `, with ${o.warnings.length} warning(s):` : ''}`);
  else describeFailure(o, io);
  describeWarnings(o, config, io, files);
  // A choice means what its scheduler makes of it: one --scheduler cannot name (verify's systematic) replays only by its reproducer.
  const scheduler = config.scheduler ?? DEFAULTS.scheduler;
  io.out(`choices: ${choices.join(',')}${SCHEDULERS.includes(scheduler) ? '' : ` (the ${scheduler} scheduler's, which --choices cannot name: its reproducer replays them)`}`);
  if (!o.ok && !given) io.out(`reproducer: ${reproducerString(config, o.choices, files)}`);
  io.out(`trace hash: ${o.traceHash}`);
  return o.ok ? EXIT.ok : EXIT.found;
}

/** Run a config once with the trace on; a config the model refuses is the user's to fix. */
function traced(config: RunConfig, input: { seed: number } | { choices: number[] }, options: ModelOptions): Outcome {
  try {
    return new Model({ ...config, trace: true }, options).run(input);
  } catch (e) {
    asInput(e);
  }
}

/**
 * pcfarm replay: run one seed, choice list or reproducer with the trace on
 * and print the verdict and trace (options checked by the caller). A
 * reproducer of an earlier source of its strategy file is replayed all the
 * same, said first, and its verdict now said last: the reproducer failed
 * when it was made, and the exit status is what it does now.
 */
export function replay(p: Parsed, io: Io, files: StrategyFiles): number {
  const given = positionalReproducer(p, [...RUN_OPTIONS, 'seed', 'choices'], files);
  if (given !== null) {
    const c = given.config;
    const note = changedFileNote(given, files, 'replaying');
    if (note !== null) io.out(note);
    const o = traced(c, { choices: given.choices }, files.model);
    const status = printReplay(`${c.strategy} x ${c.scenario} (${configLabel(c)}), reproducer of model ${given.modelVersion}, ${given.choices.length} choices`, c, o, given.choices, true, io, files);
    if (note !== null) io.out(`now: ${signatureOf(o)?.title ?? 'ok'}`);
    return status;
  }
  const strategy = cellStrategyOf(p, files.ids);
  const scenario = scenarioOf(p);
  if (strategy === undefined) throw new UsageError(`replay needs --strategy (one of ${[...STRATEGIES, ...files.ids].join(', ')})`);
  if (scenario === undefined) throw new UsageError(`replay needs --scenario (one of ${SCENARIOS.join(', ')})`);
  const seed = p.options.get('seed');
  const choices = p.options.get('choices');
  if ((seed === undefined) === (choices === undefined)) throw new UsageError('replay needs exactly one of --seed N or --choices LIST');
  const config = configOf(p, strategy, scenario);
  const list = choices === undefined ? null : choiceList(choices);
  const o = traced(config, list === null ? { seed: wholeNumber('seed', seed, 0) } : { choices: list }, files.model);
  // Choices past the run's end change nothing, and past the list's end each is 0: said either way, so a list cut or pasted wrong is not taken for the run asked.
  const unused =
    list === null || list.length === o.choices.length
      ? ''
      : list.length > o.choices.length
        ? ` (of ${list.length} given: the run ended before the other ${list.length - o.choices.length})`
        : ` (${list.length} given, each choice past them 0)`;
  return printReplay(`${strategy} x ${scenario} (${configLabel(config)}), ${seed !== undefined ? `seed ${o.seed}` : `${o.choices.length} choices${unused}`}`, config, o, o.choices, false, io, files);
}
