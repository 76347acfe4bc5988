import type { FarmErrorCode } from '@pcfarm/farm';

/**
 * pcfarm's exit statuses: one meaning each, the same in every command, so a
 * script tells "found a bug in the model" (1) from "could not do what was
 * asked" (2) or "something around it failed" (4).
 */
export const EXIT = {
  /** Done, and nothing failed: clean or only warned, a run that passed, a certificate to the bound asked. */
  ok: 0,
  /** A failure found: a failing bucket, run or counterexample. Nothing else exits 1. */
  found: 1,
  /**
   * What was asked cannot be done as given: bad usage (an unknown name or
   * option, a malformed number), or input it cannot use (a results directory
   * that is a file or does not parse, a bad reproducer, an unknown campaign,
   * a seed that passes given to minimize).
   */
  usage: 2,
  /** verify: the time or schedule budget ran out before the bound asked was certified. */
  budget: 3,
  /** Something pcfarm needs failed: Redis cannot be reached, or the launcher could not build pcfarm. */
  unavailable: 4,
  /** A bug of pcfarm itself: an error nobody expected, printed with its stack. */
  bug: 70,
  /** Stopped by Ctrl-C (128 + SIGINT); a campaign prints its summary first. */
  interrupted: 130,
  /** A farm role stopped by a second SIGTERM (128 + SIGTERM), before the jobs in hand finished. */
  terminated: 143,
} as const;

/** Redis out of reach: the one FarmError (packages/farm, errors.ts) that is not about what the command was given. */
const UNREACHABLE: FarmErrorCode = 'EREDIS';

/**
 * A FarmError's exit status: 4 when Redis cannot be reached; 2 for every
 * other code (a bad campaign spec, results file, campaign id or state, job
 * or strategy file), a code the farm adds later included.
 */
export function farmErrorExit(code: string): number {
  return code === UNREACHABLE ? EXIT.unavailable : EXIT.usage;
}
