/**
 * `pcfarm bench --soak`, shortened to seconds: it runs, measures each
 * interval, and its journal is the results directory's, opened as a resume
 * opens it. The figures themselves are BENCHMARKS.md's, never asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedStore, samplesBound } from '@pcfarm/farm';
import { afterAll, describe, expect, it } from 'vitest';
import { pcfarmHere as here } from './here.js';
import { projection, SOAK_TARGETS } from '../dist/bench-soak.js';
import type { SoakReport, SoakSample } from '../src/bench-soak.js';

const MAIN = fileURLToPath(new URL('../dist/pcfarm.mjs', import.meta.url));
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('pcfarm bench --soak', () => {
  it('--json: a sample each interval with the journal, RSS and open times, a 24-hour projection, and results a resume reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcfarm-soak-test-'));
    dirs.push(dir);
    const r = spawnSync(process.execPath, [MAIN, 'bench', '--soak', '--time-s', '3', '--interval-s', '1', '--threads', '1', '--results', dir, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as SoakReport;
    expect(report.samples.length).toBeGreaterThanOrEqual(2);
    for (const s of report.samples) {
      expect(s.journalBytes).toBeGreaterThan(0);
      expect(s.stateBytes).toBeGreaterThan(0);
      expect(s.rssMB).toBeGreaterThan(0);
    }
    const last = report.samples[report.samples.length - 1]!;
    expect(report.journalBytes24h).toBeGreaterThanOrEqual(report.stateBytes24h);
    const store = EmbeddedStore.open(dir);
    const [c] = await store.listCampaigns();
    expect(c?.state).toBe('done');
    expect((await store.summary(c!.id)).runs).toBeGreaterThanOrEqual(last.runs);
    await store.close();
  });

  it('projects a day by the state\'s growth per run over the second half, at the nominal rate or the best measured one', () => {
    // 100 bytes a sample, one a minute here.
    const at = (minute: number, runs: number, stateBytes: number): SoakSample => ({ elapsedMs: minute * 60_000, runs, runsPerSecond: 1000, rssMB: 1, journalBytes: stateBytes, stateBytes: stateBytes + minute * 100, samplesBytes: minute * 100, samples: minute, compactions: 0, coverage: 0, buckets: 0, openMs: 0, exportMs: 0, openCpuMs: 0, exportCpuMs: 0 });
    // Fast growth early (coverage found at first), then 1 byte per 1000 runs.
    const p = projection([at(1, 1e6, 500_000), at(2, 2e6, 600_000), at(3, 3e6, 601_000), at(4, 4e6, 602_000)]);
    expect(p.runs24h).toBe(SOAK_TARGETS.runsPerSecond * 86_400);
    expect(p.stateBytes24h).toBe(Math.round(602_000 + (p.runs24h - 4e6) / 1000 + 100 * samplesBound(86_400_000)));
    expect(p.journalBytes24h).toBe(p.stateBytes24h + 4_000_000);
  });

  it('refuses an option that is not its own, naming it', async () => {
    const r = await here('bench', '--soak', '--workers', '2');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--workers/);
  });
});
