/**
 * --strategy-file PATH (repeatable): write paths of the user's own, run
 * beside the built-in strategies by the commands that run the model.
 *
 * The loader is the farm's (@pcfarm/farm/strategy-files), inlined in the
 * bundle with the core (bundle.mjs): a strategy loaded against the strategy
 * API of the farm package's own copy of the core would run in this one's
 * Model, two copies that only look alike. Its compiler (sucrase) loads only
 * when a file is given (the loader requires it on first use: the bundle
 * inlines the loader itself), so a command without one starts as fast as ever.
 */
import { isAbsolute, relative } from 'node:path';
import type { ModelOptions } from '@pcfarm/core';
import type { StrategyFile } from '@pcfarm/farm/strategy-files';
import { checkOptions, type Parsed } from './args.js';

/** The strategy files a command was given, loaded. */
export interface StrategyFiles {
  readonly list: readonly StrategyFile[];
  /** Their strategy ids: valid for --strategy beside the built-in ones. */
  readonly ids: readonly string[];
  /** What a Model needs to run them. */
  readonly model: ModelOptions;
  /** The file of strategy `id`, or undefined for a built-in strategy. */
  byId(id: string): StrategyFile | undefined;
  /** --strategy-file's value in a printed command for strategy `id`, or null for a built-in one. */
  printedPath(id: string): string | null;
}

export function strategyFilesOf(list: readonly StrategyFile[]): StrategyFiles {
  const byId = (id: string): StrategyFile | undefined => list.find((f) => f.id === id);
  return {
    list,
    ids: list.map((f) => f.id),
    model: list.length === 0 ? {} : { strategies: list.map((f) => f.strategy) },
    byId,
    printedPath: (id) => {
      const f = byId(id);
      return f === undefined ? null : printedPath(f.path);
    },
  };
}

export const NO_STRATEGY_FILES: StrategyFiles = strategyFilesOf([]);

/** The --strategy-file paths given, in order. */
export const strategyFilePaths = (p: Parsed): readonly string[] => p.lists.get('strategy-file') ?? [];

/**
 * Check the command's options (so a misspelt one is reported before a file
 * is read), load the --strategy-file files given, and run the command with
 * them. A file that does not read, compile or load is a FarmError
 * ESTRATEGYFILE naming file:line (exit 2). Synchronous when none is given.
 */
export function withStrategyFiles<T>(p: Parsed, allowed: readonly string[], run: (files: StrategyFiles) => T | Promise<T>): T | Promise<T> {
  checkOptions(p, allowed);
  const paths = strategyFilePaths(p);
  if (paths.length === 0) return run(NO_STRATEGY_FILES);
  return import('@pcfarm/farm/strategy-files').then((m) => run(strategyFilesOf(m.loadStrategyFiles(paths))));
}

/**
 * A strategy file's path as a printed command gives it: relative to the
 * working directory when it is inside it (a printed command is pasted where
 * ./pcfarm is, the directory pcfarm ran in), else absolute. Unquoted: the
 * command's builder quotes it.
 */
export function printedPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
