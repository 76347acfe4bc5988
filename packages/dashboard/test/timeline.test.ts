import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeReproducer, minimize, Model, reproducerOf, runOne, type Failure, type TraceEvent } from '@pcfarm/core';
import { describe, expect, it } from 'vitest';
import { PCFARM, replayCommand, replayReproducerCommand } from '@pcfarm/farm/replay-commands';
import { parseLocks, replayReproducer, replaySeed, sampleViews, timelineOf } from '../dist/index.js';

const ev = (step: number, task: string, what: string, locks = ''): TraceEvent => ({ step, task, site: 'site', what, locks });

describe('the timeline of a trace', () => {
  it('splits held locks at top-level commas only', () => {
    expect(parseLocks('')).toEqual([]);
    expect(parseLocks('i_mutex(f0)')).toEqual(['i_mutex(f0)']);
    expect(parseLocks('i_mutex(f0), page_lock(page#0(was index 0, out of the cache)), mmap_sem(mm0)')).toEqual([
      'i_mutex(f0)',
      'page_lock(page#0(was index 0, out of the cache))',
      'mmap_sem(mm0)',
    ]);
  });

  it('makes a lane per task, a hold per lock from the event that took it to the one that let it go, across other tasks', () => {
    const trace = [
      ev(1, 'writer', 'mutex_lock(i_mutex(f0))', 'i_mutex(f0)'),
      ev(2, 'writer', 'lock_page(f0:0)', 'i_mutex(f0), page_lock(f0:0)'),
      ev(3, 'kswapd', 'lock_page(f0:1)', 'page_lock(f0:1)'),
      ev(3, 'kswapd', 'unlock_page(f0:1)'),
      ev(4, 'writer', 'unlock_page(f0:0)', 'i_mutex(f0)'),
      ev(5, 'writer', 'lock_page(f0:0): sleeps, held by reader', 'i_mutex(f0)'),
    ];
    const failure: Failure = { kind: 'deadlock', message: 'm', task: 'writer', site: 's', step: 9, details: [], sites: [], severity: 'failure', witness: null };
    const t = timelineOf(trace, failure);
    expect(t.tasks).toEqual(['writer', 'kswapd']);
    expect(t.events.map((e) => e.kind)).toEqual(['acquire', 'acquire', 'acquire', 'release', 'release', 'wait']);
    expect(t.holds).toEqual([
      { task: 'writer', lock: 'i_mutex(f0)', from: 0, to: 6, open: true },
      { task: 'writer', lock: 'page_lock(f0:0)', from: 1, to: 4, open: false },
      { task: 'kswapd', lock: 'page_lock(f0:1)', from: 2, to: 3, open: false },
    ]);
    // The failing task's last event at or before the failure's step.
    expect(t.failureEvent).toBe(5);
    expect(timelineOf(trace, null).failureEvent).toBeNull();
  });

  it('keeps the last events of a long trace, holds cut to them', () => {
    const trace = [ev(1, 'a', 'take', 'L'), ...Array.from({ length: 10 }, (_, i) => ev(2 + i, 'b', 'tick')), ev(20, 'a', 'drop')];
    const t = timelineOf(trace, null, 4);
    expect(t.eventsTotal).toBe(12);
    expect(t.eventsFrom).toBe(8);
    expect(t.events.map((e) => e.i)).toEqual([8, 9, 10, 11]);
    expect(t.holds).toEqual([{ task: 'a', lock: 'L', from: 8, to: 11, open: false }]);
  });
});

describe('replays', () => {
  const config = { strategy: 'v2.6.20', scenario: 'self-mmap-write' };

  it('of a passing seed say ok and have no reproducer', () => {
    const r = replaySeed(config, 0);
    expect(r.ok).toBe(true);
    expect(r.failure).toBeNull();
    expect(r.reproducer).toBeNull();
    expect(r.replayCommand).toBeNull();
    expect(r.events.length).toBeGreaterThan(0);
  });

  it('of a failing seed give the reproducer of that run, which replays the same trace', () => {
    const r = replaySeed(config, 1);
    expect(r.ok).toBe(false);
    const again = replayReproducer(r.reproducer!);
    expect(again.traceHash).toBe(r.traceHash);
    expect(again.signature).toBe(r.signature);
  });

  it('print commands the CLI runs to the same trace', () => {
    const bundle = fileURLToPath(new URL('../../cli/dist/pcfarm.mjs', import.meta.url));
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: build first (pnpm run build)`);
    const cli = (command: string): string => {
      const args = command.slice(`${PCFARM} `.length).split(' ');
      try {
        return execFileSync(process.execPath, [bundle, ...args], { encoding: 'utf8' });
      } catch (e) {
        // A failing replay exits 1 and still prints its trace.
        return (e as { stdout: string }).stdout;
      }
    };
    const seedConfig = { strategy: 'v2.6.20', scenario: 'cross-mmap-write', scheduler: 'random' as const, pctDepth: 2 };
    const bySeed = replaySeed(seedConfig, 3);
    const seedCommand = replayCommand(seedConfig, 3);
    expect(seedCommand).toBe(`${PCFARM} replay --strategy v2.6.20 --scenario cross-mmap-write --scheduler random --pct-depth 2 --seed 3`);
    expect(cli(seedCommand)).toContain(`trace hash: ${bySeed.traceHash}`);

    const m = minimize(new Model(config), { seed: 1 }, { runsMax: 500 });
    const repro = encodeReproducer(reproducerOf(config, m.choices));
    const byRepro = replayReproducer(repro);
    expect(byRepro.replayCommand).toBe(replayReproducerCommand(repro));
    expect(cli(byRepro.replayCommand!)).toContain(`trace hash: ${byRepro.traceHash}`);
    expect(byRepro.traceHash).toBe(runOne({ ...config, trace: true }, { choices: m.choices }).traceHash);
  });
});

describe('samples', () => {
  it('get their rate over running time, so a pause leaves no dip', () => {
    const v = sampleViews([
      { at: 1000, runningMs: 1000, runs: 500, failures: 0, coverage: 1, buckets: 0 },
      { at: 2000, runningMs: 2000, runs: 1500, failures: 0, coverage: 2, buckets: 0 },
      // Stopped for a minute, then resumed: wall time jumped, running time did not.
      { at: 63_000, runningMs: 3000, runs: 2500, failures: 0, coverage: 2, buckets: 0 },
      { at: 63_500, runningMs: 3000, runs: 2500, failures: 0, coverage: 2, buckets: 0 },
    ]);
    expect(v.map((s) => s.runsPerSec)).toEqual([500, 1000, 1000, 0]);
  });
});
