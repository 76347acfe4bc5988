import { BLOCKS_PER_PAGE, ConfigError, SCENARIOS, SCHEDULERS, STRATEGIES } from '@pcfarm/core';
import { CAMPAIGN_LIMITS } from '@pcfarm/farm/limits';

/** A command line pcfarm cannot read: exit 2, the message, and where its help is. */
export class UsageError extends Error {}

/**
 * Something the command was given that it cannot use, though the command
 * line itself is fine: a results directory that is a file, a reproducer that
 * does not decode, a seed that passes. Exit 2 and the message alone: the
 * help would not help.
 */
export class InputError extends Error {}

export interface Parsed {
  command: string;
  options: Map<string, string>;
  positionals: string[];
  /** Options given last, or before another option, with no value: reported once the names are known good (checkOptions). */
  missing: string[];
  /** Every value of each option that may be given more than once (`repeatable`), in order. */
  lists: Map<string, string[]>;
  /** Options that take one value but were given more than once: reported by checkOptions, never silently last-wins. */
  repeated: string[];
}

/**
 * `pcfarm <command> [--name value | --name=value | --flag] …`: options may
 * come in any order. A word after an option that starts with `--` is the
 * next option, not its value. An option in `repeatable` may be given more
 * than once, each value kept (`lists`); any other valued option given twice
 * is an error (which of two --seeds was meant?), a flag given twice is the
 * flag.
 */
export function parseArgs(argv: readonly string[], flags: ReadonlySet<string>, repeatable: ReadonlySet<string> = new Set()): Parsed {
  const [command = 'help', ...rest] = argv;
  const options = new Map<string, string>();
  const positionals: string[] = [];
  const missing: string[] = [];
  const lists = new Map<string, string[]>();
  const repeated: string[] = [];
  const set = (name: string, value: string): void => {
    if (options.has(name) && !repeatable.has(name) && !repeated.includes(name)) repeated.push(name);
    options.set(name, value);
    if (repeatable.has(name)) lists.set(name, [...(lists.get(name) ?? []), value]);
  };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    // -h, as every other command line tool takes it: --help.
    if (arg === '-h') {
      options.set('help', 'true');
      continue;
    }
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
    if (eq >= 0) {
      set(name, arg.slice(eq + 1));
      continue;
    }
    const value = rest[i + 1];
    if (value === undefined || value.startsWith('--')) {
      missing.push(name);
      continue;
    }
    i++;
    set(name, value);
  }
  return { command, options, positionals, missing, lists, repeated };
}

/**
 * Reject options the command does not take, naming the ones it does; then
 * options given without a value, then one-value options given twice. In
 * that order, so a misspelt option given last is called unknown, not short
 * of a value.
 */
export function checkOptions(p: Parsed, allowed: readonly string[]): void {
  for (const name of [...p.options.keys(), ...p.missing]) {
    if (!allowed.includes(name)) {
      throw new UsageError(allowed.length === 0 ? `'${p.command}' takes no options, not --${name}` : `unknown option --${name} for '${p.command}'; it takes ${allowed.map((a) => `--${a}`).join(', ')}`);
    }
  }
  const [name] = p.missing;
  if (name !== undefined) throw new UsageError(`--${name} needs a value`);
  const [twice] = p.repeated;
  if (twice !== undefined) throw new UsageError(`--${twice} is given more than once: it takes one value`);
}

/** Reject arguments that are not options, for a command that takes none. */
export function noPositionals(p: Parsed, what = `'${p.command}'`): void {
  if (p.positionals.length > 0) throw new UsageError(`${what} takes only options, not ${p.positionals.join(' ')}`);
}

export function wholeNumber(name: string, raw: string | undefined, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, not ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be from ${min} to ${max}, not ${raw}`);
  return n;
}

export function oneOf<T extends string>(name: string, plural: string, raw: string | undefined, valid: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (!valid.includes(raw as T)) throw new UsageError(`unknown ${name} ${JSON.stringify(raw)}; valid ${plural}: ${valid.join(', ')}`);
  return raw as T;
}

/** --strategy S: a built-in strategy, or one of `fromFiles` (the ids of the --strategy-file files given). */
export const strategyOf = (p: Parsed, fromFiles: readonly string[] = []): string | undefined => oneOf('strategy', 'strategies', p.options.get('strategy'), [...STRATEGIES, ...fromFiles]);
/** The strategy of a command that runs one cell: --strategy, or with none the one strategy file given (its help: without --strategy only the files' strategies run). */
export const cellStrategyOf = (p: Parsed, fromFiles: readonly string[]): string | undefined => strategyOf(p, fromFiles) ?? (fromFiles.length === 1 ? fromFiles[0] : undefined);
export const scenarioOf = (p: Parsed): string | undefined => oneOf('scenario', 'scenarios', p.options.get('scenario'), SCENARIOS);
export const schedulerOf = (p: Parsed) => oneOf('scheduler', 'schedulers', p.options.get('scheduler'), SCHEDULERS);

/** --pct-depth D: the PCT scheduler's bug depth, for a run and for a campaign alike. */
export function pctDepthOf(p: Parsed): number | undefined {
  const raw = p.options.get('pct-depth');
  return raw === undefined ? undefined : wholeNumber('pct-depth', raw, 0, 1, CAMPAIGN_LIMITS.pctDepthMax);
}

/** --name A,B,...: each one of `known`, none twice. */
export function listOf(p: Parsed, name: string, plural: string, known: readonly string[]): string[] | undefined {
  const raw = p.options.get(name);
  if (raw === undefined) return undefined;
  const list = raw.split(',').map((s) => oneOf(name, plural, s.trim(), known)!);
  if (new Set(list).size !== list.length) throw new UsageError(`--${name} lists one twice: ${raw}`);
  return list;
}

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

/** The largest value a choice list holds: the choice stream keeps each in 32 bits. */
const CHOICE_MAX = 0xffff_ffff;

/** A comma-separated choice list, as printed by replay and minimize. */
export function choiceList(raw: string): number[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((part, i) => {
    const s = part.trim();
    if (!/^\d+$/.test(s)) throw new UsageError(`--choices: item ${i + 1} is ${JSON.stringify(s)}, not a whole number`);
    // A choice is a 32-bit word (the choice stream's): a larger one would wrap, and replay something nobody asked for.
    if (Number(s) > CHOICE_MAX) throw new UsageError(`--choices: item ${i + 1} is ${s}, more than any choice (at most ${CHOICE_MAX})`);
    return Number(s);
  });
}

/** The core's config errors (a bad reproducer, a seed that passes) are the user's input to fix: exit 2, one line. */
export function asInput(e: unknown): never {
  if (e instanceof ConfigError) throw new InputError(e.message);
  throw e;
}
