/**
 * How much is likely still hidden. A run is a sample; what it reaches
 * (coverage elements, findings) are species. Good-Turing (as Böhme's STADS
 * applies it to fuzzing): the chance that the next run reaches something no
 * run has reached is about f1 / n, f1 the species seen in exactly one run of
 * n. And PCT's guarantee turned around: how many runs give 95% confidence of
 * finding a bug of depth d, if there is one.
 */
import type { Outcome } from '../model.js';
import { findingSignature } from '../signature.js';

/** Communication hashes are kept apart from function-pair hashes of the same value. */
const COMM_SALT = 0x9e3779b9;

/** What runs have reached, and how many runs reached each: the counts Good-Turing needs. */
export class Discovery {
  /** Runs observed. */
  runs = 0;
  /** Species (coverage elements and findings) seen in exactly one run. */
  singletons = 0;
  private readonly seen = new Map<number, number>();
  private readonly findings = new Map<string, number>();

  /** Distinct coverage elements and findings seen. */
  get species(): number {
    return this.seen.size + this.findings.size;
  }

  /** Distinct findings (failure and warning signatures) seen. */
  get findingsSeen(): number {
    return this.findings.size;
  }

  /**
   * Count one run: the function pairs and communications it reached and its
   * findings. Returns how many of them no earlier run had reached.
   */
  observe(coverage: Iterable<number>, communications: Iterable<number>, o: Outcome): number {
    this.runs++;
    let fresh = 0;
    for (const h of coverage) fresh += this.tally(this.seen, h);
    for (const h of communications) fresh += this.tally(this.seen, (h ^ COMM_SALT) >>> 0);
    if (o.failure !== null) fresh += this.tally(this.findings, findingSignature(o.strategy, o.failure).title);
    for (const w of o.warnings) fresh += this.tally(this.findings, findingSignature(o.strategy, w).title);
    return fresh;
  }

  /** One more run reached `species`: 1 when it is new (a singleton now), 0 else (a singleton no longer, when it was one). */
  private tally<K>(counts: Map<K, number>, species: K): number {
    const c = counts.get(species) ?? 0;
    counts.set(species, c + 1);
    if (c === 1) this.singletons--;
    if (c !== 0) return 0;
    this.singletons++;
    return 1;
  }

  /** Good-Turing: the estimated chance that the next run reaches something new (f1 / n). */
  get residualRisk(): number {
    return goodTuring(this.singletons, this.runs);
  }
}

/** The Good-Turing estimate of the probability mass not yet seen: f1 / n (1 before any run). */
export function goodTuring(singletons: number, runs: number): number {
  return runs === 0 ? 1 : Math.min(1, singletons / runs);
}

/**
 * Runs after which PCT finds a bug of depth `depth`, if the cell has one, with
 * probability `confidence`: each run finds it with probability at least
 * 1 / (tasks * steps^(depth - 1)) (Burckhardt et al., ASPLOS 2010).
 */
export function pctRunsForConfidence(tasks: number, steps: number, depth: number, confidence = 0.95): number {
  const p = 1 / (Math.max(1, tasks) * Math.max(1, steps) ** Math.max(0, depth - 1));
  if (p >= 1) return 1;
  return Math.ceil(Math.log(1 - confidence) / Math.log(1 - p));
}
