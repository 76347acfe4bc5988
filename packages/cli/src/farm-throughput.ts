/**
 * `pcfarm bench --farm`: what the distributed farm costs beside the embedded
 * pool, on the same machine and the same campaign. The embedded pool runs it
 * on 1 and on N worker threads; the farm runs it with a coordinator in this
 * process, a redis-server, and 1 and N worker processes of one batch at a
 * time each (so 1 and N workers use 1 and N cores, like the pool's
 * threads). Minimization and the audit are off in both, so only batches are
 * timed. Figures are reported, never enforced.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupDigits, STRATEGIES } from '@pcfarm/core';
import { CAMPAIGN_DEFAULTS, campaignSpec, connectRedis, Coordinator, EmbeddedStore, FarmError, RedisServer, RedisStore, runCampaign, ThreadPool, type CampaignSpec } from '@pcfarm/farm';
import { CAMPAIGN_LIMITS } from '@pcfarm/farm/limits';
import { checkOptions, noPositionals, UsageError, wholeNumber, type Parsed } from './args.js';
import { EXIT } from './exit.js';
import { markdownTable } from './format.js';
import type { Io } from './io.js';
import { redisOptionsOf } from './open-store.js';
import { OPTIONS } from './usage.js';

/**
 * The campaign each mode runs (every strategy x the generated scenario),
 * and how many times: the modes take turns, round after round, and each
 * reports its median round, so a burst of other work on the machine lands
 * on one round of every mode rather than on all rounds of one.
 */
export const FARM_BENCH_SIZES: Readonly<Record<'full' | 'quick' | 'smoke', { seedsPerCell: number; batchSeeds: number; rounds: number }>> = {
  full: { seedsPerCell: 4000, batchSeeds: CAMPAIGN_DEFAULTS.batchSeeds, rounds: 3 },
  quick: { seedsPerCell: 1000, batchSeeds: CAMPAIGN_DEFAULTS.batchSeeds, rounds: 1 },
  smoke: { seedsPerCell: 40, batchSeeds: 20, rounds: 1 },
};

/** The targets of issue 6. */
export const FARM_TARGETS = {
  /** The farm's runs/s over the embedded pool's on the same cores, at least. */
  farmOverPoolMin: 0.95,
  /** Two workers' runs/s over one's, at least. */
  workerScalingMin: 1.9,
} as const;

/** How long a worker process may take to start and report, in ms. */
const WORKER_START_MS_MAX = 30_000;
/** How often the bench looks whether a worker process died while it waits for the campaign, in ms. */
const EXIT_CHECK_MS = 1_000;

export interface FarmRun {
  mode: string;
  /** Worker threads (pool) or worker processes of one slot each (farm). */
  slots: number;
  runs: number;
  wallMs: number;
  runsPerSecond: number;
  /** The farm only: CPU the redis-server and the coordinator spent, per seed, in microseconds (null when Redis is not ours). */
  redisCpuUsPerSeed: number | null;
  coordinatorCpuUsPerSeed: number | null;
}

export interface FarmBenchReport {
  mode: 'full' | 'quick' | 'smoke';
  /** Rounds each mode ran; `runs` holds each mode's median round. */
  rounds: number;
  machine: { node: string; cpus: number; cpuModel: string };
  campaign: { strategies: number; scenario: string; seeds: number; batchSeeds: number };
  runs: FarmRun[];
  /** Farm with N workers over the pool with N threads. */
  farmOverPool: number;
  /** Farm with N workers over the farm with 1. */
  workerScaling: number;
  /** The farm's extra wall time per seed and slot over the pool's, in microseconds: the queue's overhead. */
  overheadUsPerSeed: number;
  targets: { name: string; wanted: string; value: number; met: boolean }[];
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

function progress(what: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[Kbench --farm: ${what}`);
}

async function poolRun(spec: CampaignSpec, threads: number): Promise<FarmRun> {
  const dir = mkdtempSync(join(os.tmpdir(), 'pcfarm-pool-'));
  const store = EmbeddedStore.open(dir);
  const pool = new ThreadPool({ threads });
  try {
    const c = await store.createCampaign(spec);
    const t0 = performance.now();
    const r = await runCampaign(store, c.id, pool, { minimize: false });
    const wallMs = performance.now() - t0;
    return { mode: 'embedded pool', slots: threads, runs: r.summary.runs, wallMs: round(wallMs, 1), runsPerSecond: Math.round((r.summary.runs * 1000) / wallMs), redisCpuUsPerSeed: null, coordinatorCpuUsPerSeed: null };
  } finally {
    await pool.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU time of a process so far, in ms, from /proc (Linux); null elsewhere. */
function processCpuMs(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the ") " split; in clock ticks of 10 ms on Linux.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

async function farmRun(url: string, redisPid: number | null, spec: CampaignSpec, workers: number, k: number): Promise<FarmRun> {
  const prefix = `bench${process.pid}x${k}`;
  const redis = await connectRedis(url);
  const store = new RedisStore(redis, { prefix });
  // The coordinator says when a campaign is done: waiting on its word costs the farm nothing, polling would.
  const finished = new Set<string>();
  let wake = () => {};
  const coordinator = await Coordinator.start(redis, {
    prefix,
    auditOneIn: 0,
    minimize: false,
    log: (line) => {
      const done = /^campaign (\w+) done:/.exec(line);
      if (done !== null) {
        finished.add(done[1]!);
        wake();
      }
    },
  });
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const children: ChildProcess[] = [];
  try {
    let exited: string | null = null;
    for (let i = 0; i < workers; i++) {
      const child = spawn(process.execPath, [main, 'worker', '--redis', url, '--prefix', prefix, '--concurrency', '1', '--heartbeat-ms', '500'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d) => (err += d.toString()));
      child.on('exit', (code) => (exited ??= `a worker process exited with code ${code}: ${err.trim()}`));
      children.push(child);
    }
    const deadline = Date.now() + WORKER_START_MS_MAX;
    while ((await store.workers()).length < workers) {
      if (exited !== null) throw new Error(exited);
      if (Date.now() > deadline) throw new Error(`${workers} worker process(es) did not report within ${WORKER_START_MS_MAX} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const redisCpu0 = processCpuMs(redisPid);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const c = await store.createCampaign(spec);
    coordinator.wake();
    while (!finished.has(c.id)) {
      if (exited !== null) throw new Error(exited);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, EXIT_CHECK_MS);
      });
    }
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const redisCpu1 = processCpuMs(redisPid);
    const runs = (await store.summary(c.id)).runs;
    return {
      mode: 'farm',
      slots: workers,
      runs,
      wallMs: round(wallMs, 1),
      runsPerSecond: Math.round((runs * 1000) / wallMs),
      redisCpuUsPerSeed: redisCpu0 === null || redisCpu1 === null ? null : round(((redisCpu1 - redisCpu0) * 1000) / runs, 1),
      coordinatorCpuUsPerSeed: round((cpu.user + cpu.system) / runs, 1),
    };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode !== null ? null : new Promise((r) => child.once('exit', r)))));
    await coordinator.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}

async function runFarmBench(mode: FarmBenchReport['mode'], url: string | undefined, slots: number, batchSeeds: number | undefined): Promise<FarmBenchReport> {
  const size = { ...FARM_BENCH_SIZES[mode], ...(batchSeeds === undefined ? {} : { batchSeeds }) };
  // Whole-page buffers only: the farm's overhead is measured on one cell per strategy, as it always was.
  const spec = campaignSpec({ name: 'bench --farm', strategies: [...STRATEGIES], scenarios: ['generated'], blocksPerPage: [1], seedsPerCell: size.seedsPerCell, batchSeeds: size.batchSeeds });
  let server: RedisServer | null = null;
  let dir: string | null = null;
  try {
    if (url === undefined) {
      dir = mkdtempSync(join(os.tmpdir(), 'pcfarm-redis-'));
      try {
        server = await RedisServer.start({ dir });
      } catch (e) {
        throw new FarmError('EREDIS', `bench --farm needs a redis-server: ${(e as Error).message}; or give --redis URL`);
      }
    }
    const redisUrl = url ?? server!.url;
    let k = 0;
    const modes: [string, () => Promise<FarmRun>][] = [
      ['embedded pool, 1 thread', () => poolRun(spec, 1)],
      [`embedded pool, ${slots} threads`, () => poolRun(spec, slots)],
      ['farm, 1 worker', () => farmRun(redisUrl, server?.pid ?? null, spec, 1, k++)],
      [`farm, ${slots} workers`, () => farmRun(redisUrl, server?.pid ?? null, spec, slots, k++)],
    ];
    const rounds: FarmRun[][] = modes.map(() => []);
    for (let round = 1; round <= size.rounds; round++) {
      for (const [i, [what, run]] of modes.entries()) {
        progress(`round ${round}/${size.rounds}: ${what}`);
        rounds[i]!.push(await run());
      }
    }
    const runs = rounds.map((rs) => [...rs].sort((a, b) => a.runsPerSecond - b.runsPerSecond)[rs.length >> 1]!);
    progress('');
    if (process.stderr.isTTY) process.stderr.write('\r');
    const [, poolN, farm1, farmN] = runs as [FarmRun, FarmRun, FarmRun, FarmRun];
    const farmOverPool = round(farmN.runsPerSecond / poolN.runsPerSecond, 3);
    const workerScaling = round(farmN.runsPerSecond / farm1.runsPerSecond, 3);
    const overheadUsPerSeed = round((slots / farmN.runsPerSecond - slots / poolN.runsPerSecond) * 1e6, 1);
    const cpus = os.cpus();
    return {
      mode,
      rounds: size.rounds,
      machine: { node: process.version, cpus: os.availableParallelism(), cpuModel: cpus[0]?.model.trim() ?? 'unknown' },
      campaign: { strategies: spec.strategies.length, scenario: 'generated', seeds: spec.strategies.length * size.seedsPerCell, batchSeeds: size.batchSeeds },
      runs,
      farmOverPool,
      workerScaling,
      overheadUsPerSeed,
      targets: [
        { name: `farm / pool on ${slots} cores`, wanted: `>= ${FARM_TARGETS.farmOverPoolMin}`, value: farmOverPool, met: farmOverPool >= FARM_TARGETS.farmOverPoolMin },
        { name: `${slots} workers / 1 worker`, wanted: `>= ${FARM_TARGETS.workerScalingMin}`, value: workerScaling, met: workerScaling >= FARM_TARGETS.workerScalingMin },
      ],
    };
  } finally {
    await server?.stop();
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
}

/** The report as BENCHMARKS.md records it. */
export function formatFarmBench(r: FarmBenchReport): string[] {
  const lines = [
    `pcfarm bench --farm (${r.mode}): ${r.machine.cpus} cpus (${r.machine.cpuModel}), Node ${r.machine.node}`,
    `campaign: ${r.campaign.strategies} strategies x ${r.campaign.scenario}, ${r.campaign.seeds} seeds in batches of ${r.campaign.batchSeeds}; minimization and audit off; median of ${r.rounds} round(s) per mode`,
    '',
  ];
  const us = (x: number | null) => (x === null ? 'n/a' : x.toFixed(1));
  lines.push(
    ...markdownTable(
      ['mode', 'slots', 'runs', 'wall ms', 'runs/s', 'redis CPU us/seed', 'coordinator CPU us/seed'],
      r.runs.map((x) => [x.mode, String(x.slots), String(x.runs), x.wallMs.toFixed(0), groupDigits(x.runsPerSecond), us(x.redisCpuUsPerSeed), us(x.coordinatorCpuUsPerSeed)]),
    ),
  );
  lines.push('');
  lines.push(`queue overhead: ${r.overheadUsPerSeed.toFixed(1)} us of a worker slot per seed (${((r.overheadUsPerSeed * r.campaign.batchSeeds) / 1000).toFixed(2)} ms per batch of ${r.campaign.batchSeeds})`);
  lines.push('');
  lines.push(...markdownTable(['target', 'wanted', 'measured', 'met'], r.targets.map((t) => [t.name, t.wanted, String(t.value), t.met ? 'yes' : 'NO'])));
  return lines;
}

/** pcfarm bench --farm --fleet [--quick | --smoke] [--workers N,N,...] [--batches N] [--real-results] [--batch-ms N] [--batch-seeds N] [--json] [--redis URL]. */
async function benchFleet(p: Parsed, io: Io, mode: FarmBenchReport['mode']): Promise<number> {
  const { FLEET_LIMITS, FLEET_SIZES, fleetSizes, formatFleetBench, runFleetBench } = await import('./farm-fleet.js');
  const workers = p.options.has('workers') ? fleetSizes(p.options.get('workers'), FLEET_SIZES[mode].workers) : undefined;
  const batchSeeds = p.options.has('batch-seeds') ? wholeNumber('batch-seeds', p.options.get('batch-seeds'), 0, 1, CAMPAIGN_LIMITS.batchSeedsMax) : undefined;
  const batches = p.options.has('batches') ? wholeNumber('batches', p.options.get('batches'), 0, 1, FLEET_LIMITS.batchesMax) : null;
  const url = p.options.has('redis') ? redisOptionsOf(p, undefined, {}).url : undefined;
  const batchMs = wholeNumber('batch-ms', p.options.get('batch-ms'), 0, 0, FLEET_LIMITS.batchMsMax);
  const r = await runFleetBench({ mode, url, workers, batchSeeds, batches, results: p.options.has('real-results') ? 'real' : 'empty', batchMs });
  if (p.options.has('json')) io.out(JSON.stringify(r, null, 2));
  else for (const line of formatFleetBench(r)) io.out(line);
  return EXIT.ok;
}

/** pcfarm bench --farm [--quick | --smoke] [--workers N] [--batch-seeds N] [--json] [--redis URL]. Exit 0 whatever the figures are. */
export async function benchFarm(p: Parsed, io: Io): Promise<number> {
  checkOptions(p, OPTIONS.benchFarm);
  noPositionals(p, "'bench --farm'");
  if (p.options.has('quick') && p.options.has('smoke')) throw new UsageError('bench takes one of --quick and --smoke, not both');
  const mode = p.options.has('smoke') ? 'smoke' : p.options.has('quick') ? 'quick' : 'full';
  if (p.options.has('fleet')) return benchFleet(p, io, mode);
  for (const only of ['batches', 'real-results', 'batch-ms']) if (p.options.has(only)) throw new UsageError(`--${only} is an option of bench --farm --fleet`);
  const slots = wholeNumber('workers', p.options.get('workers'), 2, 2, 64);
  const batchSeeds = p.options.has('batch-seeds') ? wholeNumber('batch-seeds', p.options.get('batch-seeds'), 0, 1, CAMPAIGN_LIMITS.batchSeedsMax) : undefined;
  // Only the Redis asked for by --redis: without it the bench starts its own, never the farm's of REDIS_URL.
  const url = p.options.has('redis') ? redisOptionsOf(p, undefined, {}).url : undefined;
  const r = await runFarmBench(mode, url, slots, batchSeeds);
  if (p.options.has('json')) io.out(JSON.stringify(r, null, 2));
  else for (const line of formatFarmBench(r)) io.out(line);
  return EXIT.ok;
}
