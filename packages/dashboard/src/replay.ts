/**
 * Replaying a run on the server with the trace on: a reproducer as given,
 * or a bucket's minimized reproducer or first example seed. A replay is one
 * model run, bounded by the run's own step limit; a reproducer may raise
 * that limit, so the dashboard refuses one that would let a single request
 * run (and trace) for long.
 */
import { decodeReproducer, DEFAULTS, encodeReproducer, findingSignature, Model, MODEL_VERSION, reproducerOf, runOne, signatureOf, type Failure, type Outcome, type RunConfig, type RunInput, type Strategy } from '@pcfarm/core';
import { replayReproducerCommand, witnessCommand } from '@pcfarm/farm/replay-commands';
import { HttpError } from './errors.js';
import { timelineOf, type Timeline } from './timeline.js';

export const REPLAY_LIMITS = {
  /** The most steps a replayed run may be allowed (the core's default is 20 000). */
  stepsMax: 100_000,
  /** Trace events sent with a replay: the last ones, where the failure is. */
  eventsMax: 5000,
  /** The longest reproducer string accepted. */
  reproducerLengthMax: 100_000,
} as const;

/** A warning of a replayed run: its signature, and the command that runs its witness (null when it has none). */
export type ReplayWarning = Failure & { signature: string; witnessCommand: string | null };

/** A replayed run, its timeline and how to replay it at home. */
export interface ReplayResult extends Timeline {
  source: 'reproducer' | 'minimized' | 'example';
  strategy: string;
  scenario: string;
  scheduler: string;
  blocksPerPage: number;
  seed: number | null;
  modelVersion: string;
  ok: boolean;
  steps: number;
  switches: number;
  /** Choices the run made. */
  choices: number;
  traceHash: string | null;
  failure: Outcome['failure'];
  signature: string | null;
  /** Findings that did not fail the run, each with its witness. */
  warnings: ReplayWarning[];
  matchesBucket: boolean | null;
  reproducer: string | null;
  replayCommand: string | null;
}


function checkSteps(config: RunConfig): void {
  const steps = config.stepsMax ?? DEFAULTS.stepsMax;
  if (steps > REPLAY_LIMITS.stepsMax) {
    throw new HttpError(400, 'ETOOLONG', `this reproducer allows its run ${steps} steps; the dashboard replays at most ${REPLAY_LIMITS.stepsMax}: replay it with the CLI`);
  }
}

/**
 * A strategy loaded from a file, for a run: its file's name (what a command
 * given to the user names: the path is the server's business) and the
 * loaded strategy.
 */
export interface FileStrategy {
  file: string;
  strategy: Strategy;
}

/** One traced run: of a built-in strategy (the model kept for the next call), or of a file's. */
function run(config: RunConfig, input: RunInput, file: FileStrategy | null): Outcome {
  const traced = { ...config, trace: true };
  return file === null ? runOne(traced, input) : new Model(traced, { strategies: [file.strategy] }).run(input);
}

function result(source: ReplayResult['source'], config: RunConfig, o: Outcome, reproducer: string | null, bucketTitle: string | null, file: FileStrategy | null): ReplayResult {
  const sig = signatureOf(o);
  const warnings = o.warnings.map((w) => ({
    ...w,
    signature: findingSignature(o.strategy, w).title,
    witnessCommand: w.witness === null ? null : witnessCommand({ ...config, scenario: w.witness }, file?.file ?? null),
  }));
  return {
    source,
    strategy: o.strategy,
    scenario: o.scenario,
    scheduler: o.scheduler,
    blocksPerPage: config.blocksPerPage ?? DEFAULTS.blocksPerPage,
    seed: o.seed,
    modelVersion: MODEL_VERSION,
    ok: o.ok,
    steps: o.steps,
    switches: o.switches,
    choices: o.choices.length,
    traceHash: o.traceHash,
    failure: o.failure,
    signature: sig?.title ?? null,
    warnings,
    // A warning bucket's run passes: it matches when one of its warnings is the bucket's.
    matchesBucket: bucketTitle === null ? null : sig?.title === bucketTitle || warnings.some((w) => w.signature === bucketTitle),
    reproducer: reproducer ?? (o.ok ? null : encodeReproducer(reproducerOf(config, o.choices, file?.strategy.sourceHash))),
    replayCommand: null,
    ...timelineOf(o.trace ?? [], o.failure, REPLAY_LIMITS.eventsMax),
  };
}

function withCommand(r: ReplayResult, file: FileStrategy | null): ReplayResult {
  r.replayCommand = r.reproducer === null ? null : replayReproducerCommand(r.reproducer, file?.file ?? null);
  return r;
}

/**
 * Replay a reproducer string (`file`: the strategy file it runs, when its
 * strategy is one). A malformed one, one of another model version or one
 * this model cannot run is the core's ConfigError (a 400).
 */
export function replayReproducer(text: string, source: 'reproducer' | 'minimized' = 'reproducer', bucketTitle: string | null = null, file: FileStrategy | null = null): ReplayResult {
  const r = decodeReproducer(text, file === null ? [] : [file.strategy.id]);
  checkSteps(r.config);
  const o = run(r.config, { choices: r.choices }, file);
  // A passing reproducer still replays with its own string: the user asked for that one.
  return withCommand(result(source, r.config, o, text.replace(/\s+/g, ''), bucketTitle, file), file);
}

/** Replay one seed of a configuration (a bucket's example). */
export function replaySeed(config: RunConfig, seed: number, bucketTitle: string | null = null, file: FileStrategy | null = null): ReplayResult {
  checkSteps(config);
  const o = run(config, { seed }, file);
  return withCommand(result('example', config, o, null, bucketTitle, file), file);
}
