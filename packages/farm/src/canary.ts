/**
 * Canaries: cells whose bug is known, so that a campaign that runs one and
 * does not find it says the farm itself is broken (a worker that runs
 * nothing, a model that stopped judging, results that are not recorded)
 * rather than reporting a clean sample. TigerBeetle's fleet keeps a canary
 * that must fail for the same reason.
 *
 * A canary is any cell of the campaign that CANARIES lists: no batch is run
 * for it alone. Each is one whose bug every scheduler finds within a few
 * runs, far fewer than a batch's seeds, so a working farm never raises a
 * false alarm (it misses the bug in r runs with probability about
 * exp(-r / mean runs)).
 */
import { groupDigits, type FailureKind } from '@pcfarm/core';
import { cellIndex, runsByCell, type Campaign, type CampaignSpec } from './campaign.js';
import type { CampaignScheduler } from './limits.js';
import type { Bucket } from './results.js';

/** A cell whose bug is known, and the runs each scheduler takes on average to find it. */
export interface Canary {
  strategy: string;
  scenario: string;
  blocksPerPage: number;
  /** The kind its bucket has. */
  kind: FailureKind;
  /** Mean runs to the first failure, by scheduler (BENCHMARKS.md, "Runs to the first failure, by scheduler": 40 seed offsets); a scheduler not measured is held to the slowest. */
  meanRuns: Readonly<Partial<Record<CampaignScheduler, number>>>;
}

/**
 * The known bugs a campaign may carry as canaries: v2.6.20's self deadlock
 * (the thread's first message: write() from an mmap of the page it
 * writes), and its page_lock -> mmap_sem inversion, both found within 15
 * runs by every scheduler.
 */
export const CANARIES: readonly Canary[] = [
  { strategy: 'v2.6.20', scenario: 'self-mmap-write', blocksPerPage: 1, kind: 'deadlock', meanRuns: { pct: 2.1, random: 2.8, pos: 2.9, surw: 3.7 } },
  { strategy: 'v2.6.20', scenario: 'mmap-sem-inversion', blocksPerPage: 1, kind: 'lock-order', meanRuns: { pct: 14.4, random: 7.6, pos: 7.5, surw: 10.2 } },
];

/** A canary not found within this many times its mean runs raises the alarm (issue 14). */
export const CANARY_RUNS_FACTOR = 3;

/** The canaries among a campaign's cells (a strategy file that takes a built-in's id is not that built-in). */
export function canariesOf(spec: CampaignSpec): Canary[] {
  return CANARIES.filter((c) => spec.strategies.includes(c.strategy) && spec.scenarios.includes(c.scenario) && spec.blocksPerPage.includes(c.blocksPerPage) && !spec.strategyFiles.some((f) => f.id === c.strategy));
}

/** What became of one canary of a campaign. */
export interface CanaryCheck {
  strategy: string;
  scenario: string;
  blocksPerPage: number;
  kind: FailureKind;
  /** Runs of the cell recorded so far. */
  runs: number;
  /** Mean runs to find it under the campaign's scheduler. */
  meanRuns: number;
  /** Whether a bucket of its kind was seen in the cell. */
  found: boolean;
  /** Not found, though the cell ran CANARY_RUNS_FACTOR times its mean runs or more: the farm is broken. */
  alarm: boolean;
  /** Log10 of the chance a working farm misses it in `runs` runs (exp(-runs / meanRuns)): how sure the alarm is. */
  missLog10: number;
}

/**
 * The canaries among `campaign`'s cells, each with its runs so far (from
 * the batches `done`: indexes, or ranges [first, last] of them, as the
 * stores keep them) and whether its bucket is among `buckets`.
 */
export function canaryChecks(campaign: Campaign, done: readonly (number | readonly [number, number])[], buckets: readonly Bucket[]): CanaryCheck[] {
  const spec = campaign.spec;
  const ours = canariesOf(spec);
  if (ours.length === 0) return [];
  const runs = runsByCell(campaign, done);
  return ours.map((c) => {
    const r = runs[cellIndex(spec, c.strategy, c.scenario, c.blocksPerPage)]!;
    const meanRuns = c.meanRuns[spec.scheduler] ?? Math.max(...Object.values(c.meanRuns));
    const found = buckets.some((b) => b.severity === 'failure' && b.strategy === c.strategy && b.kind === c.kind && b.scenarios.includes(c.scenario) && b.blocksPerPage.includes(c.blocksPerPage));
    return { strategy: c.strategy, scenario: c.scenario, blocksPerPage: c.blocksPerPage, kind: c.kind, runs: r, meanRuns, found, alarm: !found && r >= CANARY_RUNS_FACTOR * meanRuns, missLog10: -r / meanRuns / Math.LN10 };
  });
}

/** A canary's state in a line, as the summary and `campaign show` print it. */
export function canaryText(c: CanaryCheck): string {
  const cell = `${c.strategy} x ${c.scenario} (${c.blocksPerPage} bpp)`;
  if (c.found) return `canary ${cell}: its ${c.kind} found, as expected`;
  if (c.alarm) {
    return `CANARY ALARM: ${cell} ran ${groupDigits(c.runs)} runs without its known ${c.kind} (found in ${c.meanRuns} runs on average; a working farm misses it once in 10^${Math.floor(-c.missLog10)}): the farm itself is broken, so a clean result means nothing`;
  }
  return `canary ${cell}: ${groupDigits(c.runs)} runs so far, its ${c.kind} not found yet`;
}
