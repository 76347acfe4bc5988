/**
 * The commands a user pastes to replay, minimize or look further into what
 * a campaign found, as the CLI's summary and the dashboard both print them.
 * Its own entry point (`@pcfarm/farm/replay-commands`): the CLI's cold start
 * takes it without loading the queues.
 */
import { DEFAULTS, type RunConfig } from '@pcfarm/core';

/**
 * How a printed command runs pcfarm: the launcher at the root of the
 * checkout, pasted there. It runs Node directly (npx and pnpm in between
 * cost a second a command and add an ELIFECYCLE line to every exit status
 * but 0), building first when the build is missing or stale, so it works
 * on a fresh clone once the README's install command has run.
 */
export const PCFARM = './pcfarm';

/** A word as a POSIX shell reads it back: quoted when it holds anything but safe characters. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/**
 * The options of a run's config that are not the defaults: the scheduler,
 * the PCT depth and the blocks per page, or it would be another run.
 */
function configOptions(config: RunConfig): string {
  const scheduler = config.scheduler !== undefined && config.scheduler !== DEFAULTS.scheduler ? ` --scheduler ${config.scheduler}` : '';
  const depth = config.pctDepth !== undefined && config.pctDepth !== DEFAULTS.pctDepth ? ` --pct-depth ${config.pctDepth}` : '';
  const bpp = config.blocksPerPage !== undefined && config.blocksPerPage !== DEFAULTS.blocksPerPage ? ` --blocks-per-page ${config.blocksPerPage}` : '';
  return `${scheduler}${depth}${bpp}`;
}

/**
 * ` --strategy-file PATH` when the strategy is a file's (`strategyFile` its
 * path as the command should give it), so the command runs where the
 * strategy is not a built-in: without it, pasted, it would stop at "unknown
 * strategy".
 */
function fileOption(strategyFile: string | null): string {
  return strategyFile === null ? '' : ` --strategy-file ${shellWord(strategyFile)}`;
}

/** The command that replays seed `seed` of a cell; `strategyFile`, the path of its strategy's file, if any. */
export function replayCommand(config: RunConfig, seed: number, strategyFile: string | null = null): string {
  return `${PCFARM} replay${fileOption(strategyFile)} --strategy ${config.strategy} --scenario ${config.scenario}${configOptions(config)} --seed ${seed}`;
}

/**
 * The command that replays a bucket's example: its reproducer when it has
 * one (a guided campaign's run, which its seed alone does not give), else
 * its seed.
 */
export function exampleReplayCommand(config: RunConfig, example: { seed: number; reproducer?: string }, strategyFile: string | null = null): string {
  return example.reproducer === undefined ? replayCommand(config, example.seed, strategyFile) : replayReproducerCommand(example.reproducer, strategyFile);
}

/** The command that minimizes a failing seed of a cell. */
export function minimizeCommand(config: RunConfig, seed: number, strategyFile: string | null = null): string {
  return `${PCFARM} minimize${fileOption(strategyFile)} --strategy ${config.strategy} --scenario ${config.scenario}${configOptions(config)} --seed ${seed}`;
}

/** The command that minimizes a reproducer (a run a search made, which no seed gives). */
export function minimizeReproducerCommand(reproducer: string, strategyFile: string | null = null): string {
  return `${PCFARM} minimize ${reproducer}${fileOption(strategyFile)}`;
}

/** The command that replays a reproducer. */
export function replayReproducerCommand(reproducer: string, strategyFile: string | null = null): string {
  return `${PCFARM} replay ${reproducer}${fileOption(strategyFile)}`;
}

/**
 * The command that runs a warning's witness until its first failure:
 * `config.scenario` is the witness, the scenario where the lock instances of
 * a class-only cycle do meet, so what only warned elsewhere fails there (a
 * lock-order cycle whose instances meet, or the deadlock itself).
 */
export function witnessCommand(config: RunConfig, strategyFile: string | null = null): string {
  return `${PCFARM} fuzz --first-failure${fileOption(strategyFile)} --strategy ${config.strategy} --scenario ${config.scenario}${configOptions(config)}`;
}

/**
 * The command that verifies a cell by delay bounding: `delays` deviations
 * from the deterministic schedule, at most `reclaimActions` reclaim actions
 * and `params` generated parameters, within `timeS` seconds. A delay bound
 * explores a subset of the preemption bound of the same size, and far fewer
 * schedules where tasks block often (a switch where a task blocks is free
 * to a preemption bound, and a branch).
 */
export function verifyDelaysCommand(config: RunConfig, bounds: { delays: number; reclaimActions: number; params: number; timeS: number }, strategyFile: string | null = null): string {
  const params = bounds.params === 0 ? '' : ` --params ${bounds.params}`;
  return `${PCFARM} verify${fileOption(strategyFile)} --strategy ${config.strategy} --scenario ${config.scenario}${configOptions(config)} --delays ${bounds.delays} --reclaim-actions ${bounds.reclaimActions}${params} --time-s ${bounds.timeS}`;
}

/**
 * The command that verifies every cell of campaign `id` of results
 * directory `dir` (verify --campaign), with each strategy file it ran, and
 * keeps what it finds there, beside the campaign's runs.
 */
export function verifyCampaignCommand(id: string, dir: string, strategyFiles: readonly string[] = []): string {
  return `${PCFARM} verify --campaign ${id} --results ${shellWord(dir)}${strategyFiles.map((f) => fileOption(f)).join('')}`;
}
