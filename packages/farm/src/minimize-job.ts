/**
 * Minimizing a bucket: its first example seed shrunk to the smallest
 * reproducer with the same signature. Each new failure bucket gets one such
 * job, run in the background beside the batches; a warning bucket gets none
 * (its run did not fail: there is no failure to keep, and its witness
 * scenario is the run worth looking at).
 */
import { decodeReproducer, DEFAULTS, encodeReproducer, minimize, MINIMIZE_DEFAULTS, reproducerOf, type MinimizeStop, type Reproducer } from '@pcfarm/core';
import { batchConfig, CAMPAIGN_LIMITS, type Batch } from './campaign.js';
import { SEED_MAX } from './limits.js';
import type { BatchRunner } from './batch.js';
import { FarmError } from './errors.js';
import { PayloadReader } from './payload.js';
import type { StrategyFileRef } from './strategy-ref.js';

export interface MinimizeJob {
  campaignId: string;
  bucketId: string;
  /** The bucket's signature title: the minimized run must keep it. */
  title: string;
  strategy: string;
  /** The strategy's file, when it is not a built-in (Batch.strategyFile). */
  strategyFile: StrategyFileRef | null;
  scenario: string;
  blocksPerPage: number;
  scheduler: Batch['scheduler'];
  pctDepth: number;
  seed: number;
  /**
   * A guided campaign's: the example's run as a reproducer (Example.reproducer),
   * minimized in place of its seed, which alone does not give that run.
   */
  reproducer?: string;
  /** Model runs the minimizer may make. */
  runsMax: number;
  modelVersion: string;
}

/** A bucket's minimized reproducer. */
export interface Minimized {
  /** `pcfarm1:…`: replays the failure on any machine with this model version. */
  reproducer: string;
  /** The example it was minimized from. */
  seed: number;
  scenario: string;
  blocksPerPage: number;
  /** Size of the result: choices in the reproducer, context switches and steps of its run. */
  choices: number;
  switches: number;
  steps: number;
  /** Runs the minimizer made, and why it stopped (`fixpoint`: it cannot shrink further). */
  runs: number;
  stoppedBy: MinimizeStop;
  /** Epoch milliseconds. */
  at: number;
}

/** Runs the minimizer may make per bucket by default. */
export const MINIMIZE_RUNS_MAX_DEFAULT = MINIMIZE_DEFAULTS.runsMax;
/** The most runs a minimization job may ask for. */
export const MINIMIZE_RUNS_MAX_LIMIT = 1_000_000;

/** Minimize a checked job on the runner's model of its cell. */
export function runMinimize(runner: BatchRunner, job: MinimizeJob, now: () => number, shouldStop?: () => boolean): Minimized {
  // A search's example runs under its own config (a portfolio arm's scheduler): its reproducer says which.
  const given = job.reproducer === undefined ? null : jobReproducer(job);
  const config = given?.config ?? batchConfig(job);
  const model = runner.modelOf(config, job.strategyFile);
  const r = minimize(model, given === null ? { seed: job.seed } : { choices: given.choices }, shouldStop === undefined ? { runsMax: job.runsMax } : { runsMax: job.runsMax, shouldStop });
  if (r.signature.title !== job.title) {
    throw new FarmError('EFARMBUG', `${given === null ? 'seed' : 'the searched run of seed'} ${job.seed} of ${job.strategy} x ${job.scenario} fails as "${r.signature.title}", not as its bucket "${job.title}"`);
  }
  return {
    reproducer: encodeReproducer(reproducerOf(config, r.choices, job.strategyFile?.sourceHash)),
    seed: job.seed,
    scenario: job.scenario,
    blocksPerPage: job.blocksPerPage,
    choices: r.after.choices,
    switches: r.after.switches,
    steps: r.after.steps,
    runs: r.runs,
    stoppedBy: r.stoppedBy,
    at: now(),
  };
}

/** A job's reproducer, which must be of the job's own cell. */
function jobReproducer(job: MinimizeJob): Reproducer {
  let r;
  try {
    r = decodeReproducer(job.reproducer!, job.strategyFile === null ? [] : [job.strategy]);
  } catch (e) {
    throw new FarmError('EBADJOB', `minimization job for bucket ${job.bucketId}: its reproducer does not read: ${(e as Error).message}`);
  }
  const want = batchConfig(job);
  if (r.config.strategy !== want.strategy || r.config.scenario !== want.scenario || (r.config.blocksPerPage ?? DEFAULTS.blocksPerPage) !== want.blocksPerPage) {
    throw new FarmError('EBADJOB', `minimization job for bucket ${job.bucketId}: its reproducer runs ${r.config.strategy} x ${r.config.scenario}, not the job's ${want.strategy} x ${want.scenario} at ${want.blocksPerPage} blocks per page`);
  }
  return r;
}

/** A minimization job from a payload, checked like checkBatch. */
export function checkMinimizeJob(payload: unknown): MinimizeJob {
  const r = new PayloadReader(payload, 'minimization job');
  const modelVersion = r.modelVersion();
  return {
    campaignId: r.str('campaignId'),
    bucketId: r.str('bucketId'),
    title: r.str('title'),
    ...r.strategy(),
    scenario: r.scenario(),
    blocksPerPage: r.blocksPerPage(),
    scheduler: r.scheduler(),
    pctDepth: r.whole('pctDepth', 1, CAMPAIGN_LIMITS.pctDepthMax),
    seed: r.whole('seed', 0, SEED_MAX),
    ...r.optionalStr('reproducer'),
    runsMax: r.whole('runsMax', 1, MINIMIZE_RUNS_MAX_LIMIT),
    modelVersion,
  };
}
