/**
 * The commands a user pastes to replay what a campaign found, as the CLI's
 * summary and the dashboard both print them. Its own entry point
 * (`@pcfarm/farm/replay-commands`): the CLI's cold start takes it without
 * loading the queues.
 */
import { DEFAULTS, type RunConfig } from '@pcfarm/core';

/** The command that replays seed `seed` of a cell: the scheduler and PCT depth too, when not the defaults, or it would be another run. */
export function replayCommand(config: RunConfig, seed: number): string {
  const scheduler = config.scheduler !== undefined && config.scheduler !== DEFAULTS.scheduler ? ` --scheduler ${config.scheduler}` : '';
  const depth = config.pctDepth !== undefined && config.pctDepth !== DEFAULTS.pctDepth ? ` --pct-depth ${config.pctDepth}` : '';
  return `npx pnpm@10 pcfarm replay --strategy ${config.strategy} --scenario ${config.scenario}${scheduler}${depth} --seed ${seed}`;
}

/** The command that replays a reproducer. */
export function replayReproducerCommand(reproducer: string): string {
  return `npx pnpm@10 pcfarm replay ${reproducer}`;
}
