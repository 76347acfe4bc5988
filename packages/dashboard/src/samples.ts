/**
 * A campaign's samples as its charts draw them: each with the rate since
 * the one before it, in runs per second of running time (not wall time, so
 * a stop and a resume leave no dip).
 */
import type { Sample } from '@pcfarm/farm';

/** A sample with the rate since the one before it. */
export type SampleView = Sample & { runsPerSec: number };

/** Rates between samples; the first against the campaign's start (no runs in no time). */
export function sampleViews(samples: readonly Sample[]): SampleView[] {
  return samples.map((s, i) => {
    const prev = i === 0 ? { runs: 0, runningMs: 0 } : samples[i - 1]!;
    const ms = s.runningMs - prev.runningMs;
    return { ...s, runsPerSec: ms > 0 ? ((s.runs - prev.runs) * 1000) / ms : 0 };
  });
}
