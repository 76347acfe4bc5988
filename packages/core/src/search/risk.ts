/**
 * How much is likely still hidden. A run is a sample; what it reaches
 * (coverage elements, findings) are species. Good-Turing (as Böhme's STADS
 * applies it to fuzzing): the chance that the next run reaches something no
 * run has reached is about f1 / n, f1 the species seen in exactly one run of
 * n. Its extrapolation (Chao et al., Ecological Monographs 2014, for
 * incidence data, with f2 the species seen in exactly two runs) says how
 * many new things the next t runs should reach, which is what a campaign
 * that runs on meets: f1 / n alone is the rate at the next run, and
 * overstates the next t runs' as discoveries thin out. And PCT's guarantee turned around: how many runs give 95% confidence of
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
  /** Species seen in exactly two runs: how fast singletons stop being new, for the extrapolation. */
  doubletons = 0;
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

  /** One more run reached `species`: 1 when it is new (a singleton now), 0 else (moving it from singleton to doubleton, or out of doubletons). */
  private tally<K>(counts: Map<K, number>, species: K): number {
    const c = counts.get(species) ?? 0;
    counts.set(species, c + 1);
    if (c === 1) {
      this.singletons--;
      this.doubletons++;
    } else if (c === 2) this.doubletons--;
    if (c !== 0) return 0;
    this.singletons++;
    return 1;
  }

  /** Good-Turing: the estimated chance that the next run reaches something new (f1 / n). */
  get residualRisk(): number {
    return goodTuring(this.singletons, this.runs);
  }

  /** Chao's extrapolation: the new things each of the next `more` runs should reach, on average. */
  newPerRun(more: number): number {
    return chaoNewPerRun(this.singletons, this.doubletons, this.runs, more);
  }
}

/** The Good-Turing estimate of the probability mass not yet seen: f1 / n (1 before any run). */
export function goodTuring(singletons: number, runs: number): number {
  return runs === 0 ? 1 : Math.min(1, singletons / runs);
}

/**
 * The new species each of the next `more` samples should reach, on average,
 * after `runs` samples in which `f1` species were seen once and `f2` twice:
 * Chao et al. (2014), eq. for incidence data,
 *   S(T + t) - S(T) = Q0 (1 - (1 - Q1 / (T Q0 + Q1))^t),
 * with Q0, the species not yet seen, by Chao2: (T - 1) / T * Q1^2 / (2 Q2), or
 * (T - 1) / T * Q1 (Q1 - 1) / 2 when no species was seen twice. At t = 1 it is
 * Good-Turing's f1 / T shrunk by (T - 1) Q1 / ((T - 1) Q1 + 2 Q2); as t grows
 * it falls as the unseen run out. 1 before any run, as goodTuring.
 */
export function chaoNewPerRun(f1: number, f2: number, runs: number, more: number): number {
  if (runs === 0) return 1;
  if (f1 === 0 || more <= 0) return 0;
  const T = runs;
  const unseen = ((T - 1) / T) * (f2 > 0 ? (f1 * f1) / (2 * f2) : (f1 * (f1 - 1)) / 2);
  // One species seen once and none twice: Chao2 says nothing is left to see; the next run's chance is all there is.
  if (unseen === 0) return 0;
  return (unseen * (1 - (1 - f1 / (T * unseen + f1)) ** more)) / more;
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
