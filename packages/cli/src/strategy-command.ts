/**
 * `pcfarm strategy new NAME [--from STRATEGY]`: a strategy file of your own
 * to start from, a self-contained copy of a built-in strategy, written in
 * the current directory.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STRATEGIES } from '@pcfarm/core';
import { PCFARM, shellWord } from '@pcfarm/farm/replay-commands';
import { strategyTemplate } from '@pcfarm/farm/strategy-files';
import { checkOptions, InputError, oneOf, UsageError, type Parsed } from './args.js';
import { EXIT } from './exit.js';
import type { Io } from './io.js';
import { STRATEGY_FROM_DEFAULT } from './limits.js';
import { printedPath } from './strategy-files.js';
import { OPTIONS } from './usage.js';

const SUBCOMMANDS = ['new'];

/**
 * The built-in strategies' sources: the copy is made from the source, with
 * its comments, not from the built code. Found beside this pcfarm (the
 * bundle is packages/cli/dist/, the sources packages/core/src/strategies/).
 */
const BUILT_IN_SOURCES = new URL('../../core/src/strategies/', import.meta.url);

function readBuiltIn(file: string): string {
  const url = new URL(file, BUILT_IN_SOURCES);
  try {
    return readFileSync(url, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read the built-in strategy source ${fileURLToPath(url)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): 'strategy new' copies from the sources of a pcfarm checkout, and this pcfarm has none beside it`);
  }
}

/** pcfarm strategy new NAME [--from STRATEGY]: write NAME.ts here, never over a file. */
export function strategyCommand(p: Parsed, io: Io): number {
  const [sub, ...args] = p.positionals;
  if (sub === undefined) throw new UsageError(`'strategy' needs a subcommand: ${SUBCOMMANDS.join(', ')}`);
  if (sub !== 'new') throw new UsageError(`unknown strategy subcommand ${JSON.stringify(sub)}; subcommands: ${SUBCOMMANDS.join(', ')}`);
  checkOptions(p, OPTIONS.strategyNew);
  const [name] = args;
  if (args.length !== 1 || name === undefined) throw new UsageError(`'strategy new' takes one NAME (the new strategy's id; the file is NAME.ts), not ${args.length === 0 ? 'none' : args.join(' ')}`);
  // A file name typed for NAME would write NAME.ts.ts, a strategy whose id ends in .ts.
  if (/\.[cm]?[jt]s$/.test(name)) throw new InputError(`"${name}" is a file name: give NAME without its extension (strategy new ${name.replace(/\.[cm]?[jt]s$/, '')} writes ${name.replace(/\.[cm]?[jt]s$/, '')}.ts)`);
  const from = oneOf('strategy', 'strategies to copy', p.options.get('from'), STRATEGIES) ?? STRATEGY_FROM_DEFAULT;
  // Checked before anything is written: the id is the file's name too.
  const text = strategyTemplate(name, from, readBuiltIn);
  const path = resolve(`${name}.ts`);
  try {
    writeFileSync(path, text, { flag: 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new InputError(`${path} exists: 'strategy new' never overwrites a file; choose another NAME, or move it away`);
    throw new InputError(`cannot write ${path}: ${code ?? (e as Error).message}`);
  }
  const file = shellWord(printedPath(path));
  io.out(`wrote ${printedPath(path)}: strategy ${name}, a copy of ${from} (${text.split('\n').length} lines); edit it, then run it on every scenario, to each one's first failure:`);
  io.out(`  ${PCFARM} fuzz --first-failure --strategy-file ${file}`);
  return EXIT.ok;
}
