import {
  BLOCKS_PER_PAGE,
  decodeReproducer,
  DEFAULTS,
  DESCRIPTIONS,
  encodeReproducer,
  formatEvent,
  MINIMIZE_DEFAULTS,
  Model,
  reproducerOf,
  SCENARIOS,
  SCHEDULERS,
  findingSignature,
  STRATEGIES,
  type Failure,
  type Outcome,
  type Reproducer,
  type RunConfig,
  type SchedulerId,
} from '@pcfarm/core';
import { minimizeCommand, replayCommand, replayReproducerCommand, witnessCommand } from '@pcfarm/farm/replay-commands';
import { asUsage, blocksPerPageList, blocksPerPageOf, checkOptions, choiceList, scenarioOf, schedulerOf, strategyOf, UsageError, wholeNumber, type Parsed } from './args.js';

export interface Io {
  out(line: string): void;
  now(): number;
}

/** Seeds `pcfarm fuzz` runs per cell when --runs is not given. */
export const FUZZ_RUNS_DEFAULT = 1000;
/** Seeds `pcfarm matrix` runs per cell when --runs is not given. */
export const MATRIX_RUNS_DEFAULT = 1000;
/** The wall-clock budget of `pcfarm minimize`; the core counts runs, only the CLI has a clock. */
export const MINIMIZE_TIME_MS_DEFAULT = 20_000;

export { minimizeCommand, replayCommand, replayReproducerCommand, witnessCommand };

/** The reproducer string of a run of `config` that made `choices`. */
export function reproducerString(config: RunConfig, choices: readonly number[]): string {
  return encodeReproducer(reproducerOf(config, choices));
}


/**
 * The reproducer given as the command's one positional argument, or null.
 * It says what to run, so the options in `exclusive` may not come with it; a
 * bad string is a usage error saying what is wrong with it.
 */
export function positionalReproducer(p: Parsed, exclusive: readonly string[]): Reproducer | null {
  if (p.positionals.length === 0) return null;
  if (p.positionals.length > 1) throw new UsageError(`'${p.command}' takes one reproducer, not ${p.positionals.length} arguments: ${p.positionals.join(' ')}`);
  const clash = exclusive.filter((o) => p.options.has(o));
  if (clash.length > 0) throw new UsageError(`a reproducer says what to run: drop ${clash.map((o) => `--${o}`).join(', ')}`);
  try {
    return decodeReproducer(p.positionals[0]!);
  } catch (e) {
    asUsage(e);
  }
}

/** The run config the options ask for: --scheduler, --pct-depth, and `blocksPerPage` (or --blocks-per-page). */
export function configOf(p: Parsed, strategy: string, scenario: string, blocksPerPage = blocksPerPageOf(p)): RunConfig {
  const scheduler = schedulerOf(p) as SchedulerId | undefined;
  const config: RunConfig = { strategy, scenario };
  if (scheduler !== undefined) config.scheduler = scheduler;
  if (p.options.has('pct-depth')) config.pctDepth = wholeNumber('pct-depth', p.options.get('pct-depth'), 0, 1, 16);
  if (blocksPerPage !== undefined && blocksPerPage !== DEFAULTS.blocksPerPage) config.blocksPerPage = blocksPerPage;
  return config;
}

/** What a cell header says of its config beyond strategy x scenario: the scheduler, and the blocks per page when not 1. */
export function configLabel(config: RunConfig): string {
  const bpp = config.blocksPerPage ?? DEFAULTS.blocksPerPage;
  return `${config.scheduler ?? DEFAULTS.scheduler}${bpp === DEFAULTS.blocksPerPage ? '' : `, ${bpp} blocks per page`}`;
}

function describeFinding(f: Failure, strategy: string, io: Io): void {
  io.out(`${f.severity === 'warning' ? 'WARN' : 'FAIL'} ${f.kind} at step ${f.step} in ${f.task}${f.severity === 'warning' ? ' (a warning, not a failure)' : ''}`);
  io.out(`  ${f.message}`);
  for (const d of f.details) io.out(`  ${d}`);
  if (f.site !== 'kernel') io.out(`  site: ${f.site}`);
  io.out(`  signature: ${findingSignature(strategy, f).title}`);
}

function describeFailure(o: Outcome, io: Io): void {
  describeFinding(o.failure!, o.strategy, io);
}

/**
 * A run's warnings, each with the command that runs its witness: the
 * scenario where the warned-of lock instances do meet.
 */
function describeWarnings(o: Outcome, config: RunConfig, io: Io): void {
  for (const w of o.warnings) {
    describeFinding(w, o.strategy, io);
    io.out(`  witness: ${w.witness === null ? `none: ${o.scenario} names no scenario where these instances meet` : witnessCommand({ ...config, scenario: w.witness })}`);
  }
}

/**
 * pcfarm fuzz --first-failure: run seeds in-process, one cell after another,
 * until each cell's first failure; no threads, no results directory. A cell
 * whose runs only warned says so, with its first warning. Exit 1 on a
 * failure, 0 when every cell was clean or only warned.
 */
export function fuzzFirstFailure(p: Parsed, io: Io): number {
  checkOptions(p, ['first-failure', 'strategy', 'scenario', 'blocks-per-page', 'runs', 'seed-start', 'scheduler', 'pct-depth']);
  const strategies = strategyOf(p) !== undefined ? [strategyOf(p)!] : STRATEGIES;
  const scenarios = scenarioOf(p) !== undefined ? [scenarioOf(p)!] : SCENARIOS;
  // The quick hunt stays quick: whole-page buffers unless asked (a campaign covers every value).
  const bpps = blocksPerPageList(p) ?? [DEFAULTS.blocksPerPage];
  const runs = wholeNumber('runs', p.options.get('runs'), FUZZ_RUNS_DEFAULT, 1);
  const start = wholeNumber('seed-start', p.options.get('seed-start'), 0);
  let failed = false;
  for (const strategy of strategies) {
    for (const scenario of scenarios) {
      for (const bpp of bpps) {
        const config = configOf(p, strategy, scenario, bpp);
        let model: Model;
        try {
          model = new Model(config);
        } catch (e) {
          asUsage(e);
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
        const rate = `${done} runs in ${s.toFixed(2)} s (${Math.round(done / s).toLocaleString('en-US')} runs/s)`;
        io.out(`${strategy} x ${scenario} (${configLabel(config)}, seeds ${start}..${start + runs - 1})`);
        if (found === null) {
          if (warned === null) {
            io.out(`  clean: ${rate}`);
            continue;
          }
          io.out(`  clean, with warnings: ${rate}, ${warnedRuns} of them warned; the first:`);
          describeWarnings(warned, config, io);
          io.out(`  seed=${warned.seed}`);
          io.out(`  replay: ${replayCommand(config, warned.seed!)}`);
          continue;
        }
        failed = true;
        describeFailure(found, io);
        describeWarnings(found, config, io);
        io.out(`  seed=${found.seed} after ${rate}`);
        io.out(`  replay: ${replayCommand(config, found.seed!)}`);
        io.out(`  minimize: ${minimizeCommand(config, found.seed!)}`);
        io.out(`  reproducer: ${reproducerString(config, found.choices)}`);
      }
    }
  }
  return failed ? 1 : 0;
}

/** pcfarm replay: run one seed, choice list or reproducer with the trace on and print the verdict and trace. */
export function replay(p: Parsed, io: Io): number {
  checkOptions(p, ['strategy', 'scenario', 'seed', 'choices', 'scheduler', 'pct-depth', 'blocks-per-page']);
  const given = positionalReproducer(p, ['strategy', 'scenario', 'seed', 'choices', 'scheduler', 'pct-depth', 'blocks-per-page']);
  if (given !== null) return replayReproducer(given, io);
  const strategy = strategyOf(p);
  const scenario = scenarioOf(p);
  if (strategy === undefined) throw new UsageError(`replay needs --strategy (one of ${STRATEGIES.join(', ')})`);
  if (scenario === undefined) throw new UsageError(`replay needs --scenario (one of ${SCENARIOS.join(', ')})`);
  const hasSeed = p.options.has('seed');
  const hasChoices = p.options.has('choices');
  if (hasSeed === hasChoices) throw new UsageError('replay needs exactly one of --seed N or --choices LIST');
  const config = { ...configOf(p, strategy, scenario), trace: true };
  let o: Outcome;
  try {
    const model = new Model(config);
    o = hasSeed ? model.run({ seed: wholeNumber('seed', p.options.get('seed'), 0) }) : model.run({ choices: choiceList(p.options.get('choices')!) });
  } catch (e) {
    asUsage(e);
  }
  io.out(`${strategy} x ${scenario} (${configLabel(config)}), ${hasSeed ? `seed ${o.seed}` : `${o.choices.length} choices`}`);
  io.out(' step  task     event  @ site  [locks held]');
  for (const e of o.trace!) io.out(formatEvent(e));
  io.out('');
  verdict(o, config, io);
  io.out(`choices: ${o.choices.join(',')}`);
  if (!o.ok) io.out(`reproducer: ${reproducerString(config, o.choices)}`);
  io.out(`trace hash: ${o.traceHash}`);
  return o.ok ? 0 : 1;
}

/** A replayed run's verdict: ok or its failure, then its warnings (which never fail it). */
function verdict(o: Outcome, config: RunConfig, io: Io): void {
  if (o.ok) io.out(`ok: every task finished and every oracle passed, in ${o.steps} steps${o.warnings.length > 0 ? `, with ${o.warnings.length} warning(s):` : ''}`);
  else describeFailure(o, io);
  describeWarnings(o, config, io);
}

/** Replay a decoded reproducer: the same trace and verdict output as a seed. */
function replayReproducer(r: Reproducer, io: Io): number {
  const config = { ...r.config, trace: true };
  let o: Outcome;
  try {
    o = new Model(config).run({ choices: r.choices });
  } catch (e) {
    asUsage(e);
  }
  io.out(`${config.strategy} x ${config.scenario} (${configLabel(config)}), reproducer of model ${r.modelVersion}, ${r.choices.length} choices`);
  io.out(' step  task     event  @ site  [locks held]');
  for (const e of o.trace!) io.out(formatEvent(e));
  io.out('');
  verdict(o, r.config, io);
  io.out(`choices: ${r.choices.join(',')}`);
  io.out(`trace hash: ${o.traceHash}`);
  return o.ok ? 0 : 1;
}

export function list(io: Io): number {
  io.out('strategies:');
  for (const s of STRATEGIES) io.out(`  ${s.padEnd(24)} ${DESCRIPTIONS[s]}`);
  io.out('scenarios:');
  for (const s of SCENARIOS) io.out(`  ${s.padEnd(24)} ${DESCRIPTIONS[s]}`);
  io.out(`schedulers: ${SCHEDULERS.join(', ')} (default ${DEFAULTS.scheduler})`);
  return 0;
}

export const USAGE = `pcfarm: fuzz Linux page-cache write paths for the hazards of the 2007 write-deadlock debate

usage:
  pcfarm fuzz [--strategy S,S...] [--scenario X,X...] [--blocks-per-page B,B...] [--seeds N] [--time-s T]
             [--seed-start N] [--batch-seeds N] [--scheduler pct|random] [--pct-depth D] [--threads N]
             [--results DIR] [--resume ID | --new] [--no-minimize] [--port P | --no-dashboard]
      a campaign: every strategy x every scenario x blocks per page (default ${BLOCKS_PER_PAGE.join(',')}), N seeds
      per cell (default 2000) or for T seconds, on N worker threads (default: every core); failures
      bucketed by signature and each bucket minimized, warnings (class-only lock-order cycles, each
      with a witness scenario where their instances meet) bucketed apart; results kept in DIR (default
      ./pcfarm-results); the dashboard served on http://127.0.0.1:P/ while it runs (default 8080, or
      any free port when that is taken). Ctrl-C stops it with a summary; the same command resumes it.
      Exit 1 when it found failures, 0 when clean or only warned, 130 when stopped
  pcfarm fuzz --first-failure [--strategy S] [--scenario X] [--blocks-per-page B,B...] [--runs N] [--seed-start N] [--scheduler ...]
      run seeds in this process until the first failure of each strategy x scenario (x blocks per
      page, default 1), and print it with its warnings; a cell that only warned says so. Exit 1 on a failure
  pcfarm replay --strategy S --scenario X (--seed N | --choices 0,3,1,...) [--scheduler ...] [--blocks-per-page B]
  pcfarm replay REPRODUCER
      run one seed, choice list or reproducer (pcfarm1:...) with the trace on: one line per event,
      then the failure (exit 1) or ok (exit 0), and the run's warnings
  pcfarm minimize (--strategy S --scenario X --seed N [--scheduler ...] [--blocks-per-page B] | REPRODUCER) [--runs-max N] [--time-ms N]
      shrink a failing run to the smallest choice list that fails with the same signature and
      print its reproducer; stops at a fixpoint or after --runs-max runs (default ${MINIMIZE_DEFAULTS.runsMax})
      or --time-ms milliseconds (default ${MINIMIZE_TIME_MS_DEFAULT})
  pcfarm verify --strategy S --scenario X [--preemptions K | --delays K] [--reclaim-actions R] [--params P]
             [--blocks-per-page B] [--time-s T] [--schedules-max N] [--json]
      every schedule of one cell up to K preemptions (CHESS's bound: a switch away from a task that
      could go on; default 2) or K delays, with at most R reclaim actions (default 2) and generated
      parameters summing to at most P (default 0), deepening 0, 1, ... K within T seconds (default 60).
      A counterexample is minimized and printed with its reproducer (exit 1); otherwise a certificate:
      clean up to the highest bound reached, its schedules, equivalence classes and hash (exit 0 at K,
      3 when the budget ran out first)
  pcfarm matrix [--runs N] [--blocks-per-page B,B...] [--json]
      every strategy x scenario x blocks per page (default ${BLOCKS_PER_PAGE.join(',')}), every seed 0..N-1 (default
      ${MATRIX_RUNS_DEFAULT}): the most severe kind any run failed with and how many did, or clean, and the
      runs that warned; then the fault-free costs
  pcfarm bench [--quick | --smoke] [--threads N] [--json]
      runs per second of every strategy x scenario on one core; the copy loop and a preemption
      point beside their bare JavaScript baselines; 1 and N worker threads (default: every core);
      time and runs to each failing cell's first failure; peak memory; and the targets met or not.
      The full run takes a few minutes, --quick under 30 s, --smoke (for tests) a few seconds
  pcfarm list
      the strategies, scenarios and schedulers
  pcfarm dashboard [--port P] [--host H] [--token T] [--redis URL [--prefix P] | --results DIR [--read-only] [--threads N]]
      serve the web dashboard (default http://127.0.0.1:8080/) until Ctrl-C: over the farm's Redis
      (--redis or REDIS_URL), or over a results directory, running its campaigns in this process
      (or following it read-only when another process writes it). Bound beyond loopback (--host),
      changes need the token (--token or PCFARM_TOKEN)
  pcfarm coordinator [--queued-per-worker N] [--audit-one-in N] [--lease-ms N] [--redis URL] [--prefix P]
      the farm's coordinator: cuts running campaigns into batch jobs in Redis (BullMQ), records each
      result once, queues a minimization per new bucket, keeps N batches (default 2) queued per
      worker slot, and reruns 1 batch in N (default 50) on another worker as a determinism audit.
      Redis is --redis or REDIS_URL (default redis://127.0.0.1:6379)
  pcfarm worker [--concurrency N] [--lock-ms N] [--redis URL] [--prefix P]
      a farm worker, on any machine that reaches the farm's Redis: N batches at a time on worker
      threads (default: every core)
  pcfarm campaign start [--strategy S,S...] [--scenario X,X...] [--blocks-per-page B,B...] [--seeds N | --time-s T] [--batch-seeds N] [--name NAME]
  pcfarm campaign list | show ID | stop ID | resume ID | delete ID   [--json for list and show]
  pcfarm campaign export ID --out FILE [--results DIR]
  pcfarm campaign import FILE [--results DIR]
      the farm's campaigns in Redis; the coordinator acts on what these change. export writes a
      campaign as a results file of the embedded store (from Redis, or from --results DIR);
      import reads one into Redis or into --results DIR: a laptop replays what the farm found
  pcfarm bench --farm [--quick | --smoke] [--workers N] [--batch-seeds N] [--json] [--redis URL]
      farm runs/s with 1 and N (default 2) worker processes beside the embedded pool on the same
      cores, and the queue's overhead per seed (starts its own redis-server unless --redis is given)
`;
