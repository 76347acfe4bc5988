import { BLOCKS_PER_PAGE, ConfigError, SCENARIOS, SCHEDULERS, STRATEGIES } from '@pcfarm/core';

/** A usage error: exit status 2 and a message naming what was wrong. */
export class UsageError extends Error {}

export interface Parsed {
  command: string;
  options: Map<string, string>;
  positionals: string[];
}

/** `pcfarm <command> [--name value | --flag] …`: options may come in any order. */
export function parseArgs(argv: readonly string[], flags: ReadonlySet<string>): Parsed {
  const [command = 'help', ...rest] = argv;
  const options = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (flags.has(name)) {
      options.set(name, 'true');
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : rest[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    options.set(name, value);
  }
  return { command, options, positionals };
}

/** Reject options the command does not take, naming the ones it does. */
export function checkOptions(p: Parsed, allowed: readonly string[]): void {
  for (const name of p.options.keys()) {
    if (!allowed.includes(name)) throw new UsageError(`unknown option --${name} for '${p.command}'; it takes ${allowed.map((a) => `--${a}`).join(', ')}`);
  }
}

export function wholeNumber(name: string, raw: string | undefined, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, not ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be from ${min} to ${max}, not ${raw}`);
  return n;
}

export function oneOf(name: string, plural: string, raw: string | undefined, valid: readonly string[]): string | undefined {
  if (raw === undefined) return undefined;
  if (!valid.includes(raw)) throw new UsageError(`unknown ${name} ${JSON.stringify(raw)}; valid ${plural}: ${valid.join(', ')}`);
  return raw;
}

export const strategyOf = (p: Parsed): string | undefined => oneOf('strategy', 'strategies', p.options.get('strategy'), STRATEGIES);
export const scenarioOf = (p: Parsed): string | undefined => oneOf('scenario', 'scenarios', p.options.get('scenario'), SCENARIOS);
export const schedulerOf = (p: Parsed): string | undefined => oneOf('scheduler', 'schedulers', p.options.get('scheduler'), SCHEDULERS);

function blocksPerPage(raw: string): number {
  const b = Number(raw.trim());
  if (!BLOCKS_PER_PAGE.includes(b) || !/^\d+$/.test(raw.trim())) throw new UsageError(`--blocks-per-page must be ${BLOCKS_PER_PAGE.join(', ')} (disk blocks per page), not ${JSON.stringify(raw.trim())}`);
  return b;
}

/** --blocks-per-page B, for a command that runs one cell (replay, minimize). */
export function blocksPerPageOf(p: Parsed): number | undefined {
  const raw = p.options.get('blocks-per-page');
  return raw === undefined ? undefined : blocksPerPage(raw);
}

/** --blocks-per-page B,B...: the blocks-per-page axis of a campaign, the matrix or a hunt. */
export function blocksPerPageList(p: Parsed): number[] | undefined {
  const raw = p.options.get('blocks-per-page');
  if (raw === undefined) return undefined;
  const list = raw.split(',').map(blocksPerPage);
  if (new Set(list).size !== list.length) throw new UsageError(`--blocks-per-page lists one twice: ${raw}`);
  return list;
}

/** A comma-separated choice list, as printed by replay and minimize. */
export function choiceList(raw: string): number[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((part, i) => {
    const s = part.trim();
    if (!/^\d+$/.test(s)) throw new UsageError(`--choices: item ${i + 1} is ${JSON.stringify(s)}, not a whole number`);
    return Number(s);
  });
}

/** Core config errors are the user's to fix: report them as usage errors. */
export function asUsage(e: unknown): never {
  if (e instanceof ConfigError) throw new UsageError(e.message);
  throw e;
}
