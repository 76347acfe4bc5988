/**
 * Which store a command works on, from its options, in one place: a results
 * directory (--results DIR; `pcfarm fuzz`'s default ./pcfarm-results) or the
 * farm's Redis (--redis URL, else REDIS_URL, else the default; --prefix;
 * --connect-ms), read-write, read-only, or read-write unless another pcfarm
 * writes the directory, then read-only. Whatever the command, the same
 * option is read the same way and a bad one gets the same message and exit
 * status.
 */
import type { RedisStore } from '@pcfarm/farm';
import { EmbeddedStore, FarmError, redactedUrl, REDIS_CONNECT_MS_DEFAULT, REDIS_PREFIX_DEFAULT, REDIS_URL_DEFAULT, type Store } from '@pcfarm/farm/local';
import { InputError, UsageError, wholeNumber, type Parsed } from './args.js';
import type { Io } from './io.js';
import { CONNECT_MS_MAX, RESULTS_DIR_DEFAULT } from './limits.js';
import { fileSystemRefusal, resultsDirOf } from './results-dir.js';

/** Where the farm's Redis is and how long to wait for it. */
export interface RedisOptions {
  url: string;
  prefix: string;
  connectMs: number;
}

/**
 * --redis (else REDIS_URL, else redis://127.0.0.1:6379), --prefix and
 * --connect-ms (default `connectMsDefault`), checked: a URL that is not
 * redis:// or rediss://, or a prefix that would break the key scheme, is a
 * usage error naming where it came from.
 */
export function redisOptionsOf(p: Parsed, connectMsDefault = REDIS_CONNECT_MS_DEFAULT, env: NodeJS.ProcessEnv = process.env): RedisOptions {
  const given = p.options.get('redis');
  const fromEnv = env.REDIS_URL === '' ? undefined : env.REDIS_URL;
  const url = given ?? fromEnv ?? REDIS_URL_DEFAULT;
  const source = given !== undefined ? `--redis ${given}` : fromEnv !== undefined ? `REDIS_URL=${redactedUrl(fromEnv)}` : url;
  let protocol: string | null = null;
  try {
    protocol = new URL(url).protocol;
  } catch {
    // Not a URL at all: said below.
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') throw new UsageError(`${source} is not a Redis URL; expected redis://host:port or rediss://host:port`);
  const prefix = p.options.get('prefix') ?? REDIS_PREFIX_DEFAULT;
  if (!/^[\w.-]+$/.test(prefix)) throw new UsageError(`--prefix must be letters, digits, '.', '_' or '-', not ${JSON.stringify(prefix)}`);
  const connectMs = wholeNumber('connect-ms', p.options.get('connect-ms'), connectMsDefault, 1, CONNECT_MS_MAX);
  return { url, prefix, connectMs };
}

/** Where a farm's Redis is, for people: its URL without the password, and the prefix. */
export function redisWhere(options: Pick<RedisOptions, 'url' | 'prefix'>): string {
  return `Redis at ${redactedUrl(options.url)} (prefix ${options.prefix})`;
}

/** RedisStore.connect, with ioredis loaded only now (and BullMQ never: the store needs no queue), so a command on a results directory loads neither. */
export async function connectStore(url: string, options: { prefix: string; connectMs?: number; whileDown?: 'wait' | 'fail'; log?: (line: string) => void }): Promise<RedisStore> {
  const { RedisStore } = await import('@pcfarm/farm/redis-store');
  return RedisStore.connect(url, options);
}

/** The farm's store in Redis; EREDIS (exit 4) when it cannot be reached within --connect-ms. */
export function openRedis(p: Parsed, connectMsDefault = REDIS_CONNECT_MS_DEFAULT, env: NodeJS.ProcessEnv = process.env): Promise<RedisStore> {
  const { url, prefix, connectMs } = redisOptionsOf(p, connectMsDefault, env);
  return connectStore(url, { prefix, connectMs });
}

/**
 * How a command uses a results directory: `write` takes the writer's lock
 * (ELOCKED while another pcfarm has it) and makes the directory when it is
 * missing; `read` never writes (a missing one is EBADRESULTS); `follow`
 * writes when it can, else reads while the other process writes, and
 * refuses a directory that is missing (the dashboard's: a mistyped name
 * would be made and served empty).
 */
export type Access = 'write' | 'read' | 'follow';

export interface OpenedStore {
  store: Store;
  /** Whether this process may not change it (a results directory opened read-only). */
  readOnly: boolean;
  /** The results directory, absolute, or null for Redis. */
  dir: string | null;
  /** Where it is, for people: the directory, or Redis (password hidden) and the prefix. */
  where: string;
  /** What opening it mended (a last line a kill cut short), to say so. */
  repairs: readonly string[];
}

/** A results directory, opened. */
export interface OpenedResults extends OpenedStore {
  store: EmbeddedStore;
  dir: string;
}

/**
 * A results directory: --results, else `fallback` (fuzz's ./pcfarm-results).
 * A path that is a file, or cannot be made or read, is an InputError
 * naming it (exit 2, one line), not the file system's stack.
 */
export function openResults(p: Parsed, access: Access, fallback: string = RESULTS_DIR_DEFAULT): OpenedResults {
  const { dir, named, missing } = resultsDirOf(p.options.get('results'), fallback, access === 'write');
  if (access === 'follow' && missing) throw new InputError(`${named}: ${dir} does not exist; name the results directory of a pcfarm fuzz (or make it first, to start from none)`);
  const open = (readOnly: boolean): OpenedResults =>
    fileSystemRefusal(
      () => {
        const store = EmbeddedStore.open(dir, { readOnly });
        return { store, readOnly, dir, where: readOnly ? `${dir}, read-only` : dir, repairs: store.repairs };
      },
      (m) => `${named}: cannot use ${dir} as a results directory: ${m}`,
    );
  if (access !== 'follow') return open(access === 'read');
  try {
    return open(false);
  } catch (e) {
    // Another pcfarm writes it (a running `pcfarm fuzz`): follow it instead.
    if (!(e instanceof FarmError && e.code === 'ELOCKED')) throw e;
    return open(true);
  }
}

/**
 * What opening a results directory repaired or left unread (a torn last
 * line: EmbeddedStore.repairs), on stderr before the command's answer, which
 * it may explain ("no campaign").
 */
export function sayRepairs(io: Io, opened: Pick<OpenedStore, 'repairs'>): void {
  for (const r of opened.repairs) io.err(`pcfarm: results: ${r}`);
}

export interface StoreWanted {
  /** The store when neither --results nor --redis is given. */
  fallback: 'results' | 'redis';
  /** How a results directory is opened; --read-only makes it `read`. Redis is always read-write. */
  access: Access;
  /** Redis's --connect-ms when not given. */
  connectMsDefault?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * The store the options name: --results DIR or --redis URL (with --prefix),
 * never both; --read-only goes with a results directory.
 */
export async function openStore(p: Parsed, wanted: StoreWanted): Promise<OpenedStore> {
  const results = p.options.has('results');
  if (results && (p.options.has('redis') || p.options.has('prefix'))) throw new UsageError('give --redis or --results, not both');
  const readOnly = p.options.has('read-only');
  if (results || (wanted.fallback === 'results' && !p.options.has('redis'))) return openResults(p, readOnly ? 'read' : wanted.access);
  if (readOnly) throw new UsageError('--read-only goes with --results DIR');
  const options = redisOptionsOf(p, wanted.connectMsDefault, wanted.env);
  const store = await connectStore(options.url, { prefix: options.prefix, connectMs: options.connectMs });
  return { store, readOnly: false, dir: null, where: redisWhere(options), repairs: [] };
}
