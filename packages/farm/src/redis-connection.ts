/**
 * Connecting to the farm's Redis: one ioredis client per process, shared by
 * the store and the BullMQ queues. Once connected it reconnects forever and
 * holds commands until Redis is back (a restarted Redis must not crash a
 * worker or the coordinator); only the first connection has a deadline, so
 * a wrong REDIS_URL is an error naming it rather than a silent hang.
 */
import { Redis } from 'ioredis';
import { FarmError } from './errors.js';
import { REDIS_CONNECT_MS_DEFAULT, redactedUrl } from './redis-url.js';

/** Longest pause between reconnection attempts, in milliseconds. */
export const REDIS_RECONNECT_MS_MAX = 2_000;

export interface RedisConnectOptions {
  /** Deadline of the first connection; default REDIS_CONNECT_MS_DEFAULT. */
  connectMs?: number;
  /** Told when an established connection drops and when it is back (long-running roles print it). */
  log?: (line: string) => void;
  /**
   * What a command does while Redis is away: `wait` (the default) holds it
   * until the reconnection, as a worker's and the coordinator's must; `fail`
   * rejects it at once (redisDown says so), as a dashboard's must, whose
   * requests would otherwise hang with no answer until Redis is back.
   */
  whileDown?: 'wait' | 'fail';
}


/** Redis's replies that mean the password is wrong or missing (WRONGPASS, NOAUTH, or AUTH sent to a Redis without one). */
const AUTH_REFUSED = /^(WRONGPASS|NOAUTH)|AUTH <password> called without any password configured|invalid password/;

/**
 * A ready client for `url`, or an error naming the URL and why: EREDIS when
 * it is not a Redis URL, refused, or silent for connectMs; EREDISAUTH at
 * once when Redis refuses the password, or asks for one the URL lacks.
 */
export async function connectRedis(url: string, options: RedisConnectOptions = {}): Promise<Redis> {
  const shown = redactedUrl(url);
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new FarmError('EREDIS', `${JSON.stringify(url)} is not a Redis URL; expected redis://host:port (set REDIS_URL or --redis)`);
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') throw new FarmError('EREDIS', `${shown} is not a Redis URL; expected redis://host:port or rediss://host:port`);
  const connectMs = options.connectMs ?? REDIS_CONNECT_MS_DEFAULT;
  // maxRetriesPerRequest null: a command waits for the reconnection instead of failing (BullMQ's workers require it too).
  // disconnectTimeout: a socket that never connected does not hold the process for ioredis's default 2 s after we give up.
  const fail = options.whileDown === 'fail';
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: fail ? 0 : null,
    disconnectTimeout: 200,
    retryStrategy: (times) => Math.min(100 * times, REDIS_RECONNECT_MS_MAX),
  });
  let lastError: Error | null = null;
  let connected = false;
  let down = false;
  let authRefused: (e: Error) => void = () => {};
  const refused = new Promise<Error>((resolve) => (authRefused = resolve));
  redis.on('error', (e: Error) => {
    lastError = e;
    if (!connected && AUTH_REFUSED.test(e.message)) authRefused(e);
    if (connected && !down) {
      down = true;
      options.log?.(`lost Redis at ${shown} (${e.message}); reconnecting`);
    }
  });
  redis.on('ready', () => {
    if (connected && down) options.log?.(`Redis at ${shown} is back`);
    down = false;
    // Queued only until the first connection: from then on, a command while Redis is away fails at once.
    if (fail) redis.options.enableOfflineQueue = false;
  });
  let timer: NodeJS.Timeout | undefined;
  const ready = await Promise.race([
    new Promise<boolean>((resolve) => redis.once('ready', () => resolve(true))),
    refused,
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), connectMs))),
    // The first attempt's rejection is only an 'error' event as well: ioredis keeps retrying until the deadline.
    redis.connect().then(
      () => true,
      () => new Promise<boolean>(() => {}),
    ),
  ]);
  clearTimeout(timer);
  if (ready instanceof Error) {
    redis.disconnect();
    const given = new URL(url).password !== '';
    throw new FarmError(
      'EREDISAUTH',
      `Redis at ${shown} refused ${given ? 'the password in the URL' : 'to answer without a password'} (${ready.message.split('\n')[0]}): authentication failed; put the farm's password in the URL, redis://:PASSWORD@host:port (REDIS_URL or --redis)`,
    );
  }
  if (!ready) {
    redis.disconnect();
    const why = (lastError as Error | null)?.message ?? 'no answer';
    throw new FarmError('EREDIS', `cannot reach Redis at ${shown} within ${connectMs} ms (${why}); start redis-server there, or point REDIS_URL or --redis at one that runs`);
  }
  connected = true;
  return redis;
}
