/**
 * Signatures bucket failures the way syzbot titles crashes: the failure's
 * kind, the strategy and the number-free sites the oracle reported, so the
 * same bug reached from any seed (or scenario) lands in one bucket and no two
 * different (kind, strategy, sites) ever share a title.
 */
import type { Failure, FailureKind, Severity } from './kernel.js';

/** A failure's bucket (or a warning's: its sites say `class only`, so the two never share a title). */
export interface Signature {
  kind: FailureKind;
  severity: Severity;
  strategy: string;
  /** Failure.sites: no seed, step, offset, page or task name in them. */
  sites: readonly string[];
  /**
   * `kind in strategy: site; site; …`, e.g. `lock-order in v2.6.20: cycle
   * page_lock -> mmap_sem -> page_lock`. Equal titles mean equal buckets: a
   * part that could be mistaken for a separator is written as a JSON string.
   */
  title: string;
}

/** The signature of a run's failure, or null when it passed. */
export function signatureOf(outcome: { strategy: string; failure: Failure | null }): Signature | null {
  const f = outcome.failure;
  return f === null ? null : findingSignature(outcome.strategy, f);
}

/** The signature of one finding of a run: its failure or one of its warnings. */
export function findingSignature(strategy: string, f: Failure): Signature {
  return { kind: f.kind, severity: f.severity, strategy, sites: f.sites.slice(), title: signatureTitle(f.kind, strategy, f.sites) };
}

/**
 * The title of (kind, strategy, sites). It parses back one way only, so it is
 * a bucket key: a kind has no spaces (it ends at the first " in "), a strategy
 * with a ':' is quoted (it ends at the first ": "), and a site with a ';' is
 * quoted (sites are split at "; "), as is anything empty, padded with spaces
 * or starting with a quote.
 */
export function signatureTitle(kind: FailureKind, strategy: string, sites: readonly string[]): string {
  return `${kind} in ${quoteIf(strategy, /:/)}: ${sites.map((s) => quoteIf(s, /;/)).join('; ')}`;
}

function quoteIf(part: string, separator: RegExp): string {
  return part === '' || separator.test(part) || part.startsWith('"') || part.trim() !== part ? JSON.stringify(part) : part;
}
