/**
 * Strategy files: a write path of your own, one TypeScript or JavaScript
 * file written against the strategy API (docs/STRATEGY-API.md), loaded
 * beside the built-in strategies.
 *
 * The file is compiled by stripping its types (sucrase: line numbers kept,
 * so every error names the file's own line) and run in a fresh V8 context
 * whose only import is the strategy API and whose clock and Math.random
 * throw: a strategy takes no decision of its own, so a seed still replays
 * bit for bit. This is a fence against mistakes, not a security boundary: a
 * strategy file is code you run, like any other.
 *
 * A loaded strategy is pinned by its source: `sourceHash` is a hash of the
 * file's bytes, recorded by campaigns, buckets and reproducers. Code never
 * travels through Redis; a farm worker finds a file with the same hash in
 * its own checkout or in `pcfarm worker --strategies DIR`.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import vm from 'node:vm';
import { STRATEGIES, STRATEGY_API_VERSION, strategyApi, type Strategy } from '@pcfarm/core';
import { FarmError } from './errors.js';
import { STRATEGY_ID_PATTERN as ID_PATTERN, type StrategyFileRef } from './strategy-ref.js';

// Sucrase is loaded on the first strategy file, not with the module: it is most of a command's start-up
// (75 of 190 ms for `pcfarm help`), and most commands load no strategy file.
let sucrase: typeof import('sucrase') | null = null;
const stripTypes: typeof import('sucrase').transform = (code, options) => (sucrase ??= createRequire(import.meta.url)('sucrase') as typeof import('sucrase')).transform(code, options);

export type { StrategyFileRef };

/** The module specifiers a strategy file may import: the strategy API, under either name. */
export const STRATEGY_API_SPECIFIERS: readonly string[] = ['pcfarm:strategy-api', '@pcfarm/core/strategy-api'];

/** File name endings a strategy file may have. */
export const STRATEGY_FILE_EXTENSIONS: readonly string[] = ['.ts', '.mts', '.js', '.mjs'];

/** A strategy file's source, at most: a write path is a page or two, not a program. */
export const STRATEGY_FILE_BYTES_MAX = 1 << 20;

/** A strategy loaded from a file. */
export interface StrategyFile {
  /** The path it was loaded from, absolute. */
  readonly path: string;
  readonly id: string;
  /** A hash of the file's bytes: 16 hex digits of its SHA-256. */
  readonly sourceHash: string;
  /** The strategy, its sourceHash set and its write path wrapped so an exception is an oops. */
  readonly strategy: Strategy;
}

/** The hash that pins a strategy to its source. */
export function strategySourceHash(source: Buffer | string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, 16);
}

/** The record of a loaded file. */
export function strategyFileRef(f: StrategyFile): StrategyFileRef {
  return { id: f.id, sourceHash: f.sourceHash, path: f.path };
}

/**
 * Load one strategy file. Throws FarmError ESTRATEGYFILE naming file:line
 * when it cannot be read, does not compile, imports anything but the
 * strategy API, throws while loading, or exports no valid strategy.
 */
export function loadStrategyFile(path: string): StrategyFile {
  const file = resolve(path);
  const ext = extname(file);
  if (!STRATEGY_FILE_EXTENSIONS.includes(ext)) fail(file, `a strategy file is ${STRATEGY_FILE_EXTENSIONS.join(', ')}, not ${JSON.stringify(ext || basename(file))}`);
  let source: Buffer;
  try {
    if (statSync(file).size > STRATEGY_FILE_BYTES_MAX) fail(file, `larger than ${STRATEGY_FILE_BYTES_MAX} bytes: is this a strategy?`);
    source = readFileSync(file);
  } catch (e) {
    if (e instanceof FarmError) throw e;
    fail(file, `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const sourceHash = strategySourceHash(source);
  const exported = evaluate(file, source.toString('utf8'));
  const strategy = checkExports(file, exported, sourceHash);
  return { path: file, id: strategy.id, sourceHash, strategy };
}

/**
 * Load several files (each --strategy-file), refusing two with one id or one
 * with a built-in strategy's id.
 */
export function loadStrategyFiles(paths: readonly string[]): StrategyFile[] {
  const loaded: StrategyFile[] = [];
  for (const path of paths) {
    const f = loadStrategyFile(path);
    const twin = loaded.find((g) => g.id === f.id);
    if (twin !== undefined) fail(f.path, `its strategy id ${JSON.stringify(f.id)} is also that of ${twin.path}: give each file its own id`);
    loaded.push(f);
  }
  return loaded;
}

/**
 * The strategy files a worker may run: every strategy file under `dirs`
 * (not recursive), by source hash. A file that does not load is reported
 * in `skipped` with its reason, not fatal: the worker runs what it can.
 */
export function scanStrategyDirs(dirs: readonly string[]): { byHash: Map<string, StrategyFile>; skipped: string[] } {
  const byHash = new Map<string, StrategyFile>();
  const skipped: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      throw new FarmError('ESTRATEGYFILE', `strategy directory ${dir}: cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    for (const name of names) {
      if (!STRATEGY_FILE_EXTENSIONS.includes(extname(name)) || name.endsWith('.d.ts')) continue;
      try {
        const f = loadStrategyFile(join(dir, name));
        byHash.set(f.sourceHash, f);
      } catch (e) {
        if (!(e instanceof FarmError)) throw e;
        skipped.push(e.message);
      }
    }
  }
  return { byHash, skipped };
}

/**
 * The file a job's reference names, if this machine has it: a file of that
 * hash in the worker's strategy directories, else the same path with the
 * same hash (the same checkout). Null: this worker cannot run the job. Only
 * what is found is remembered (in `cache`), so a file copied in later is seen.
 */
export function findStrategyFile(ref: StrategyFileRef, byHash: ReadonlyMap<string, StrategyFile>, cache: Map<string, StrategyFile>): StrategyFile | null {
  const known = byHash.get(ref.sourceHash) ?? cache.get(ref.sourceHash);
  if (known !== undefined) return known.id === ref.id ? known : null;
  try {
    const f = loadStrategyFile(ref.path);
    if (f.sourceHash !== ref.sourceHash || f.id !== ref.id) return null;
    cache.set(f.sourceHash, f);
    return f;
  } catch (e) {
    if (e instanceof FarmError) return null;
    throw e;
  }
}

/** Finds the strategy a job's file reference names, or throws FarmError ENOSTRATEGYFILE saying where it looked. */
export type StrategyResolver = (ref: StrategyFileRef) => Strategy;

/** How often a resolver looks through its directories again for a file it lacks, at most, in ms. */
export const STRATEGY_RESCAN_MS = 10_000;

/**
 * The resolver of a process that runs jobs: the strategy files in `dirs`
 * (pcfarm worker --strategies), and any job's recorded path holding a file
 * of the job's hash.
 */
export function strategyResolver(dirs: readonly string[], now: () => number = Date.now): StrategyResolver {
  let scanned = dirs.length === 0 ? new Map<string, StrategyFile>() : scanStrategyDirs(dirs).byHash;
  let scannedAt = now();
  const cache = new Map<string, StrategyFile>();
  return (ref) => {
    let f = findStrategyFile(ref, scanned, cache);
    if (f === null && dirs.length > 0 && now() - scannedAt >= STRATEGY_RESCAN_MS) {
      scanned = scanStrategyDirs(dirs).byHash;
      scannedAt = now();
      f = findStrategyFile(ref, scanned, cache);
    }
    if (f === null) {
      const where = dirs.length === 0 ? 'and this worker has no --strategies directory' : `nor in ${dirs.join(', ')}`;
      throw new FarmError('ENOSTRATEGYFILE', `no strategy file ${ref.id} with source ${ref.sourceHash} here: not at ${ref.path} (missing, or changed since), ${where}`);
    }
    return f.strategy;
  };
}

function fail(file: string, message: string, line?: number, column?: number): never {
  const where = line === undefined ? file : `${file}:${line}${column === undefined ? '' : `:${column}`}`;
  throw new FarmError('ESTRATEGYFILE', `strategy file ${where}: ${message}`);
}

/** The first file:line:column of `file` in an error's stack: where in the strategy file it happened. */
export function siteIn(file: string, stack: string | undefined): string | null {
  if (stack === undefined) return null;
  for (const line of stack.split('\n')) {
    const i = line.indexOf(file + ':');
    if (i < 0) continue;
    const m = /^:(\d+):(\d+)/.exec(line.slice(i + file.length));
    if (m !== null) return `${basename(file)}:${m[1]}:${m[2]}`;
  }
  return null;
}

function evaluate(file: string, text: string): Record<string, unknown> {
  let code: string;
  try {
    const typed = file.endsWith('ts');
    code = stripTypes(text, { transforms: typed ? ['typescript', 'imports'] : ['imports'], filePath: file, production: true, keepUnusedImports: true }).code;
  } catch (e) {
    const loc = (e as { loc?: { line: number; column: number } }).loc;
    const message = (e as Error).message.replace(/^Error transforming [^:]*: /, '').replace(/ \(\d+:\d+\)$/, '');
    fail(file, `does not compile: ${message}`, loc?.line, loc === undefined ? undefined : loc.column + 1);
  }
  // The module body starts on the wrapper's first line, so the file's line numbers hold.
  const script = (() => {
    try {
      return new vm.Script(`(function (exports, require, module) {${code}\n})`, { filename: file });
    } catch (e) {
      return fail(file, `does not compile: ${(e as Error).message}`);
    }
  })();
  const context = vm.createContext(Object.create(null));
  vm.runInContext(DETERMINISM_FENCE, context);
  const module = { exports: {} as Record<string, unknown> };
  const require = (specifier: string): unknown => {
    if (STRATEGY_API_SPECIFIERS.includes(specifier)) return strategyApi;
    throw new ImportRefused(specifier);
  };
  try {
    (script.runInContext(context) as (e: unknown, r: unknown, m: unknown) => void)(module.exports, require, module);
  } catch (e) {
    const site = siteIn(file, (e as Error | undefined)?.stack);
    const line = site === null ? undefined : Number(site.split(':')[1]);
    if (e instanceof ImportRefused) fail(file, `imports ${JSON.stringify(e.specifier)}: a strategy imports only ${STRATEGY_API_SPECIFIERS[0]} (docs/STRATEGY-API.md)`, line);
    fail(file, `throws while loading: ${String((e as Error | undefined)?.message ?? e)}`, line);
  }
  return module.exports;
}

class ImportRefused extends Error {
  constructor(readonly specifier: string) {
    super(`import ${specifier}`);
  }
}

/** Run in each file's context before it: what would make a run depend on anything but its seed throws, saying why. */
const DETERMINISM_FENCE = `
(() => {
  const refuse = (what) => () => { throw new Error(what + ' in a strategy: a run would no longer replay from its seed (every decision comes from the scheduler)'); };
  Math.random = refuse('Math.random');
  Object.defineProperty(globalThis, 'Date', { get: refuse('a clock (Date)') });
})();
`;

const GENERATOR_PROTOTYPE = Object.getPrototypeOf(function* () {});

function checkExports(file: string, exported: Record<string, unknown>, sourceHash: string): Strategy {
  const version = exported.apiVersion;
  if (version === undefined) fail(file, `exports no apiVersion: add \`export const apiVersion = ${STRATEGY_API_VERSION};\` (the strategy API version it was written for)`);
  if (version !== STRATEGY_API_VERSION) fail(file, `written for strategy API version ${JSON.stringify(version)}; this pcfarm's is ${STRATEGY_API_VERSION} (docs/STRATEGY-API.md says what changed)`);
  const s = exported.default as Record<string, unknown> | undefined;
  if (s === undefined || s === null || typeof s !== 'object') fail(file, 'has no default export: `export default { id, description, paths, performWrite }`');
  const id = s.id;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) fail(file, `its id ${JSON.stringify(id)} is not an id: lower-case letters, digits, '.' and '-', at most 64`);
  if (STRATEGIES.includes(id)) fail(file, `its id ${JSON.stringify(id)} is a built-in strategy's: give your variant its own name`);
  if (typeof s.description !== 'string' || s.description.length === 0) fail(file, 'its description is missing: one line, whose idea and what it does');
  const paths = s.paths as Record<string, unknown> | undefined;
  if (paths === undefined || paths === null || typeof paths !== 'object' || typeof paths.readpage !== 'function' || typeof paths.writepage !== 'function' || typeof paths.nopage !== 'function' || typeof paths.nopageLocks !== 'boolean') {
    fail(file, 'its paths are not kernel paths: use PATHS_2_6_20 or PATHS_2_6_24 (or spread one and replace a path)');
  }
  const performWrite = s.performWrite;
  // A generator function of another realm has its own prototype; compare by shape.
  if (typeof performWrite !== 'function' || Object.getPrototypeOf(performWrite)?.constructor?.name !== GENERATOR_PROTOTYPE.constructor.name) {
    fail(file, 'its performWrite is not a generator function: `function* performWrite(k, t, inode, pos, it)`');
  }
  const waiters = s.pageWritingWaiters as Record<string, unknown> | undefined;
  if (waiters !== undefined && (waiters === null || typeof waiters !== 'object' || ['read', 'fault', 'truncate'].some((w) => typeof waiters[w] !== 'boolean'))) {
    fail(file, 'its pageWritingWaiters is not { read, fault, truncate } of booleans');
  }
  const write = performWrite as Strategy['performWrite'];
  const strategy: Strategy = {
    id,
    description: s.description as string,
    paths: paths as unknown as Strategy['paths'],
    ...(waiters === undefined ? {} : { pageWritingWaiters: waiters as unknown as Strategy['pageWritingWaiters'] }),
    sourceHash,
    *performWrite(k, t, inode, pos, it) {
      try {
        return yield* write(k, t, inode, pos, it);
      } catch (e) {
        // The model's own unwinding (a finding already recorded) passes through.
        if (k.failure !== null) throw e;
        const err = e as Error | undefined;
        const site = siteIn(file, err?.stack);
        return k.bug(t, 'oops in a strategy file', `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}${site === null ? '' : ` at ${site}`}`);
      }
    },
  };
  return strategy;
}

/**
 * The text of a new strategy file NAME, a copy of the built-in strategy
 * `from` made self-contained: its imports turned into the strategy API's,
 * the built-in write paths it reuses copied in, its export made the file's
 * default with the new id. `readBuiltIn(file)` gives a built-in strategy's
 * source by file name (packages/core/src/strategies/FILE).
 */
export function strategyTemplate(name: string, from: string, readBuiltIn: (file: string) => string): string {
  if (!ID_PATTERN.test(name)) throw new FarmError('ESTRATEGYFILE', `${JSON.stringify(name)} is not a strategy id: lower-case letters, digits, '.' and '-', at most 64`);
  if (STRATEGIES.includes(name)) throw new FarmError('ESTRATEGYFILE', `${JSON.stringify(name)} is a built-in strategy's id: give your variant its own name`);
  if (!STRATEGIES.includes(from)) throw new FarmError('ESTRATEGYFILE', `unknown strategy ${JSON.stringify(from)} to copy; valid strategies: ${STRATEGIES.join(', ')}`);
  const apiNames = new Set<string>();
  const parts: string[] = [];
  const seen = new Set<string>();
  let header = '';
  let main = '';
  const visit = (file: string, isMain: boolean): void => {
    if (seen.has(file)) return;
    seen.add(file);
    let text = readBuiltIn(file);
    const doc = /^\/\*\*[\s\S]*?\*\/\n/.exec(text);
    if (doc !== null) {
      if (isMain) header = doc[0];
      text = text.slice(doc[0].length);
    }
    text = text.replace(/^import \{([^}]*)\} from '\.\.\/strategy-api\.js';\n/m, (_m, names: string) => {
      for (const n of names.split(',')) if (n.trim() !== '') apiNames.add(n.trim());
      return '';
    });
    text = text.replace(/^import \{[^}]*\} from '\.\/([a-z0-9.-]+)\.js';\n/gm, (_m, dep: string) => {
      visit(`${dep}.ts`, false);
      return '';
    });
    // The built-in's own Strategy object: the copy's is the default export, written below.
    const exportAt = text.search(/^export const \w+: Strategy = \{$/m);
    if (exportAt >= 0) {
      const end = text.indexOf('\n};\n', exportAt);
      const obj = text.slice(exportAt, end + 4);
      text = text.slice(0, exportAt) + text.slice(end + 4);
      if (isMain) main = obj;
    }
    if (text.trim() !== '') parts.push(`// ---- from packages/core/src/strategies/${file} ----\n${text.trim()}\n`);
  };
  visit(`${from}.ts`, true);
  apiNames.add('type Strategy');
  const values = [...apiNames].filter((n) => !n.startsWith('type ')).sort((a, b) => a.localeCompare(b, 'en'));
  const types = [...apiNames].filter((n) => n.startsWith('type ')).sort((a, b) => a.localeCompare(b, 'en'));
  const body = main
    .replace(/^export const \w+: Strategy = \{$/m, 'export default {')
    .replace(/^ {2}id: '[^']*',$/m, `  id: '${name}',`)
    .replace(/^ {2}description: '([^']*)',$/m, (_m, d: string) => `  description: '${`a variant of ${from}: ${d}`.replace(/[\\']/g, '\\$&')}',`)
    .replace(/\n\};\n$/, `\n  // Which readpage callers back off on PG_writing (setPageWriting), if this write path sets it.\n  pageWritingWaiters: { read: true, fault: true, truncate: true },\n} satisfies Strategy;\n`);
  return `/**
 * ${name}: a strategy file, first copied from the built-in ${from} by
 * \`pcfarm strategy new ${name} --from ${from}\`. Edit it; run it with
 * \`--strategy-file ${name}.ts\` on fuzz, matrix, verify, replay, minimize
 * and campaign start. docs/STRATEGY-API.md is the whole contract; in short:
 *
 * - performWrite is called with i_mutex held; it returns the cells written,
 *   or a negative errno (EFAULT, EIO, ENOSPC) when it wrote none.
 * - \`yield\` is a preemption point: any task may run there. Helpers that
 *   sleep (lock_page, the faulting copy, get_user_pages, ...) are called with
 *   \`yield*\`; copyFromUserAtomic never sleeps and may copy short.
 * - Copy into a page-cache page only holding its lock, and only through the
 *   helpers (the user copies, memcpyToPage, memsetZero): they tell the
 *   oracles what the page may now hold.
 * - No Math.random, clock or I/O: every decision comes from the scheduler,
 *   so a seed replays bit for bit. An exception is an oops (kernel-bug).
 *
 * What ${from} is, as pcfarm's source tells it:
 *
${header.replace(/^\/\*\*\n/, '').replace(/ \*\/\n$/, '').trimEnd()}
 */
import { ${[...values, ...types].join(', ')} } from 'pcfarm:strategy-api';

/** The strategy API version this file is written for (STRATEGY_API_VERSION). */
export const apiVersion = ${STRATEGY_API_VERSION};

${parts.join('\n')}
${body}`;
}
