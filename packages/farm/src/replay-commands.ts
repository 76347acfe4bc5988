/**
 * The commands a user pastes to replay, minimize or look further into what
 * a campaign found, as the CLI's summary and the dashboard both print them.
 * Its own entry point (`@pcfarm/farm/replay-commands`): the CLI's cold start
 * takes it without loading the queues.
 */
import { DEFAULTS, type RunConfig } from '@pcfarm/core';

/**
 * How a printed command runs pcfarm from a checkout: npx fetches pnpm 10
 * when it is missing or newer (--yes: a non-interactive shell, or npm's
 * `yes` set to false, would otherwise cancel it), and pnpm runs the
 * workspace's `pcfarm` script.
 */
export const PCFARM = 'npx --yes pnpm@10 pcfarm';

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

/** The command that replays seed `seed` of a cell. */
export function replayCommand(config: RunConfig, seed: number): string {
  return `${PCFARM} replay --strategy ${config.strategy} --scenario ${config.scenario}${configOptions(config)} --seed ${seed}`;
}

/** The command that minimizes a failing seed of a cell. */
export function minimizeCommand(config: RunConfig, seed: number): string {
  return `${PCFARM} minimize --strategy ${config.strategy} --scenario ${config.scenario}${configOptions(config)} --seed ${seed}`;
}

/** The command that replays a reproducer. */
export function replayReproducerCommand(reproducer: string): string {
  return `${PCFARM} replay ${reproducer}`;
}

/**
 * The command that runs a warning's witness until its first failure:
 * `config.scenario` is the witness, the scenario where the lock instances of
 * a class-only cycle do meet, so what only warned elsewhere fails there (a
 * lock-order cycle whose instances meet, or the deadlock itself).
 */
export function witnessCommand(config: RunConfig): string {
  return `${PCFARM} fuzz --first-failure --strategy ${config.strategy} --scenario ${config.scenario}${configOptions(config)}`;
}
