/**
 * The determinism audit: a sample of batches is run a second time, by
 * another worker when there is one, and the two results must be equal in
 * everything but wall time. The model is deterministic, so a difference is a
 * bug of the farm itself (a model reused with state left over, a worker of
 * another build, a result mangled on the way), never a finding about the
 * kernel, and the coordinator reports it as such.
 */
import type { BatchResult, BucketHit } from './batch.js';

/** Everything of a batch result that its seeds fix: what an audit compares. */
export interface AuditRecord {
  runs: number;
  steps: number;
  failures: BucketHit[];
  warnings: BucketHit[];
  warningRuns: number;
  coverage: number[];
}

/** An audited batch whose second run is still to come. */
export interface PendingAudit {
  /** The worker that ran it first: the audit should run elsewhere. */
  worker: string;
  record: AuditRecord;
}

/** Audit 1 batch in this many by default (0 turns the audit off). */
export const AUDIT_ONE_IN_DEFAULT = 50;

export function auditRecordOf(r: BatchResult): AuditRecord {
  return { runs: r.runs, steps: r.steps, failures: r.failures, warnings: r.warnings, warningRuns: r.warningRuns, coverage: r.coverage };
}

/**
 * Whether batch `index` of a campaign is audited, one in `oneIn`. Chosen by
 * a hash of the index rather than every oneIn-th, so the sample does not
 * fall on the same strategy x scenario cells when oneIn shares a factor with
 * the number of cells.
 */
export function auditSelected(index: number, oneIn: number): boolean {
  if (oneIn <= 0) return false;
  return Math.imul(index + 1, 0x9e3779b1) >>> 0 < 0x1_0000_0000 / oneIn;
}

/** How the rerun differs from the original, one line per difference; empty when they agree. */
export function auditDiff(original: AuditRecord, rerun: AuditRecord): string[] {
  const out: string[] = [];
  if (original.runs !== rerun.runs) out.push(`runs: ${original.runs} then ${rerun.runs}`);
  if (original.steps !== rerun.steps) out.push(`steps: ${original.steps} then ${rerun.steps}`);
  if (original.warningRuns !== rerun.warningRuns) out.push(`runs that warned: ${original.warningRuns} then ${rerun.warningRuns}`);
  const cov = (a: readonly number[], b: readonly number[]): number[] => {
    const other = new Set(b);
    return a.filter((h) => !other.has(h));
  };
  const lost = cov(original.coverage, rerun.coverage);
  const gained = cov(rerun.coverage, original.coverage);
  if (lost.length > 0 || gained.length > 0) {
    out.push(`coverage: ${original.coverage.length} hashes then ${rerun.coverage.length} (${lost.length} only in the first run, ${gained.length} only in the rerun)`);
  }
  const byTitle = (hits: readonly BucketHit[]) => new Map(hits.map((h) => [h.title, h]));
  // Failure and warning titles never meet: one comparison covers both.
  const a = byTitle([...original.failures, ...original.warnings]);
  const b = byTitle([...rerun.failures, ...rerun.warnings]);
  const runs = (h: BucketHit) => `${h.count} ${h.severity === 'warning' ? 'warnings' : 'failures'}`;
  for (const [title, h] of a) {
    const g = b.get(title);
    if (g === undefined) out.push(`bucket only in the first run: ${title} (${runs(h)})`);
    else if (h.count !== g.count || h.examples.join(',') !== g.examples.join(',')) {
      out.push(`bucket ${title}: ${runs(h)} (seeds ${h.examples.join(',')}) then ${g.count} (seeds ${g.examples.join(',')})`);
    }
  }
  for (const [title, g] of b) if (!a.has(title)) out.push(`bucket only in the rerun: ${title} (${runs(g)})`);
  return out;
}

/** Something the farm got wrong about itself: a determinism audit that disagreed, a minimization that lost its bucket, a result or job that is not its batch's. */
export interface FarmBug {
  /** Epoch milliseconds. */
  at: number;
  /** determinism: an audit rerun differed; minimize: a minimized seed failed otherwise; identity: a job or result under a batch's id that is not that batch. */
  kind: 'determinism' | 'minimize' | 'identity';
  /** The batch (determinism, identity) or the bucket (minimize) it is about. */
  batch: number | null;
  bucketId: string | null;
  message: string;
  details: string[];
}

/** Farm bugs kept per campaign; older ones are dropped. */
export const FARM_BUGS_MAX = 1000;

/** What the determinism audit of a campaign has found so far, and the farm bugs of the campaign. */
export interface AuditSummary {
  passed: number;
  /** Of those that passed, the reruns made on the worker that ran the batch first, because no other worker was alive: they check less. */
  sameWorker: number;
  failed: number;
  /** Audited batches whose rerun is still to come. */
  pending: number;
  bugs: FarmBug[];
}
