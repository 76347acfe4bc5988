/**
 * How often one client may call the routes that cost the server a model run
 * or could guess the token (@fastify/rate-limit, per client address).
 */
/** Requests a client may make per minute. */
export const RATE_LIMITS = {
  /** A replay runs the model on the server's main thread (up to REPLAY_LIMITS.stepsMax steps). */
  replaysPerMinute: 60,
  /** Matrix requests: a new one may start minutes of work (MatrixCache bounds how many at once). */
  matricesPerMinute: 30,
  /** Findings diffs: each may re-test every failure bucket of a campaign (RetestCache bounds how many at once). */
  diffsPerMinute: 30,
  /** Requests that change something, or sign in: each can be a guess at the token. */
  changesPerMinute: 60,
} as const;

/** A route's rate-limit config: `max` requests a minute from one address. */
export function perMinute(max: number): { rateLimit: { max: number; timeWindow: number } } {
  return { rateLimit: { max, timeWindow: 60_000 } };
}
