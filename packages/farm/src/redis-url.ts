/**
 * Where the farm's Redis is, as commands name it: the default URL, how long
 * the first connection may take, and a URL fit for a message. Apart from
 * redis-connection.ts because a command that never connects (a local
 * campaign, a results directory) still names them, and must not load ioredis
 * to do so.
 */

/** Where the farm's Redis is when neither REDIS_URL nor --redis says. */
export const REDIS_URL_DEFAULT = 'redis://127.0.0.1:6379';
/** How long the first connection may take before it is an EREDIS error, in milliseconds. */
export const REDIS_CONNECT_MS_DEFAULT = 5_000;

/** A Redis URL with its password replaced, fit for a message or a log. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password === '') return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Whether `e` is a command ioredis refused because Redis is away, on a
 * connection made with whileDown `fail` (redis-connection.ts). Here, beside
 * the URLs, so a dashboard on a results directory tells it without loading
 * ioredis.
 */
export function redisDown(e: unknown): boolean {
  const m = e instanceof Error ? e.message : '';
  return /Stream isn't writeable and enableOfflineQueue options is false|Reached the max retries per request limit|Connection is closed/.test(m);
}
