/**
 * What a campaign, a job and a bucket record of a strategy file: its id, its
 * source hash and where it was loaded from. Data only, checked like any
 * payload field; the loader (strategy-files.ts) is not needed to read it.
 */
import { STRATEGIES } from '@pcfarm/core';

/** A strategy file, by reference: enough to find the same file again, never its code. */
export interface StrategyFileRef {
  readonly id: string;
  /** 16 hex digits of the SHA-256 of the file's bytes. */
  readonly sourceHash: string;
  /** Where it was loaded from, for a user to read; a worker matches by hash, not by path. */
  readonly path: string;
}

/** A strategy id: what a campaign, a bucket and a command line name a strategy by. */
export const STRATEGY_ID_PATTERN = /^[a-z0-9][a-z0-9.-]{0,63}$/;

/** A source hash as strategySourceHash writes it. */
export const SOURCE_HASH_PATTERN = /^[0-9a-f]{16}$/;

/** The longest path a reference may carry. */
export const STRATEGY_PATH_LENGTH_MAX = 4096;

/** A reference from untrusted data, or `bad(reason)`. */
export function checkStrategyFileRef(v: unknown, bad: (m: string) => never): StrategyFileRef {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(`a strategy file reference is {id, sourceHash, path}, not ${JSON.stringify(v)}`);
  const r = v as Record<string, unknown>;
  if (typeof r.id !== 'string' || !STRATEGY_ID_PATTERN.test(r.id)) bad(`id ${JSON.stringify(r.id)} is not a strategy id`);
  if (STRATEGIES.includes(r.id as string)) bad(`id ${JSON.stringify(r.id)} is a built-in strategy's`);
  if (typeof r.sourceHash !== 'string' || !SOURCE_HASH_PATTERN.test(r.sourceHash)) bad(`sourceHash ${JSON.stringify(r.sourceHash)} is not 16 hex digits`);
  if (typeof r.path !== 'string' || r.path.length === 0 || r.path.length > STRATEGY_PATH_LENGTH_MAX) bad(`path must be a non-empty string of at most ${STRATEGY_PATH_LENGTH_MAX} characters`);
  return { id: r.id as string, sourceHash: r.sourceHash as string, path: r.path as string };
}
