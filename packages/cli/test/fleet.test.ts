import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pcfarmHere as here } from './here.js';
import type { FleetReport } from '../src/farm-fleet.js';

const MAIN = fileURLToPath(new URL('../dist/pcfarm.mjs', import.meta.url));

function pcfarm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('pcfarm bench --farm --fleet', () => {
  it('--smoke --json measures each fleet, the capacity, and a campaign of --batches N to its end with used_memory along the way (results of a real batch\'s size, each taking --batch-ms)', () => {
    // Batches of 20 seeds: each fleet process runs each cell's 20 for real once, before it starts.
    const r = pcfarm('bench', '--farm', '--fleet', '--smoke', '--workers', '1,3', '--real-results', '--batch-ms', '2', '--batch-seeds', '20', '--batches', '150', '--json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as FleetReport;
    expect({ results: report.results, batchMs: report.batchMs, batchSeeds: report.batchSeeds }).toEqual({ results: 'real', batchMs: 2, batchSeeds: 20 });
    expect(report.steps.map((s) => s.workers)).toEqual([1, 3]);
    // Three simulated workers in as many processes, each recording batches with CPU spent on them.
    expect(report.steps[1]!.processes).toBe(3);
    for (const s of report.steps) {
      expect(s.batches).toBeGreaterThan(0);
      // Each recorded batch counted its seeds once.
      expect(s.seeds).toBe(s.batches * report.batchSeeds);
      expect(s.coordinatorCpuUsPerBatch).toBeGreaterThan(0);
      expect(s.redisCpuUsPerBatch).toBeGreaterThan(0);
    }
    // The capacity is worker CPU over the coordinator's, per seed: a figure, not a claim (at 20-seed batches on a busy machine it can be 0).
    const c = report.capacity;
    expect(c.workerCoresPerCoordinator).toBe(Math.floor(c.workerCpuUsPerSeed / c.coordinatorCpuUsPerSeed));
    // No determinism audit disagreed and no result was refused: the coordinator says so on stderr when one does.
    expect(r.stderr).not.toMatch(/FARM BUG|failed/);
    const m = report.memory!;
    expect(m.workers).toBe(3);
    // Every batch recorded once: the campaign ended at exactly its 150 batches.
    expect(m.points[m.points.length - 1]!.batches).toBe(150);
    expect(m.points.every((p, i) => i === 0 || p.batches >= m.points[i - 1]!.batches)).toBe(true);
  });

  it('rejects a fleet size that is not a list of whole numbers, and --batches without --fleet', async () => {
    const bad = await here('bench', '--farm', '--fleet', '--workers', '1,x');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--workers must be whole numbers separated by commas');
    const stray = await here('bench', '--farm', '--batches', '10');
    expect(stray.status).toBe(2);
    expect(stray.stderr).toContain('--batches is an option of bench --farm --fleet');
    expect((await here('bench', '--farm', '--real-results')).stderr).toContain('--real-results is an option of bench --farm --fleet');
  });
});
