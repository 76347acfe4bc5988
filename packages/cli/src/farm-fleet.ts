/**
 * `pcfarm bench --farm --fleet`: the farm's machinery alone, at scale. A
 * coordinator in this process and a redis-server serve fleets of growing
 * size, each worker a FarmWorker whose executor answers a batch at once with
 * an empty but valid result (fleet-worker.ts), spread over a few processes.
 * For each fleet it reports the batches and seeds per second the
 * coordinator records and the CPU the coordinator, Redis and the simulated
 * workers spent per batch and per seed; from these, how many real worker
 * cores one coordinator and one Redis would serve, and where the
 * simulation saturates. With --batches N it also runs one campaign of N
 * batches and reports Redis's used_memory as the batches grow: the farm's
 * memory must not grow with the batches run.
 *
 * Figures are reported, never enforced. The simulated workers share the
 * machine with the coordinator and Redis, so the recorded rate saturates
 * on the machine's cores first; CPU per batch is what carries to a real
 * farm.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupDigits, STRATEGIES } from '@pcfarm/core';
import { batchAt, CAMPAIGN_DEFAULTS, campaignSpec, cellCount, connectRedis, Coordinator, FarmError, newCampaign, RedisServer, RedisStore, type Batch, type CampaignSpec } from '@pcfarm/farm';
import { UsageError } from './args.js';
import { markdownTable } from './format.js';
import type { FleetResults, FromFleetProcess, ToFleetProcess } from './fleet-worker.js';

/** A client of the farm's Redis (the CLI reaches ioredis only through the farm). */
type Redis = Awaited<ReturnType<typeof connectRedis>>;

/** The fleet's sizes, windows and limits per mode (--smoke for tests, --quick, or the full run). */
export const FLEET_SIZES: Readonly<Record<'full' | 'quick' | 'smoke', { workers: readonly number[]; warmupMs: number; windowMs: number }>> = {
  full: { workers: [1, 4, 16, 64, 128], warmupMs: 2_000, windowMs: 6_000 },
  quick: { workers: [1, 4, 16, 64], warmupMs: 1_500, windowMs: 3_000 },
  smoke: { workers: [1, 2], warmupMs: 300, windowMs: 700 },
};

export const FLEET_LIMITS = {
  /** Processes the simulated workers are spread over, at most (each process holds many FarmWorkers). */
  processesMax: 4,
  /** Simulated workers in one fleet, at most: each holds three Redis connections. */
  workersMax: 2_000,
  /** used_memory readings over a --batches run. */
  memorySamples: 20,
  /** Batches of a --batches run, at most. */
  batchesMax: 10_000_000,
  /** How often a --batches run reads the campaign's progress, in ms. */
  memoryPollMs: 250,
  /** --batch-ms at most. */
  batchMsMax: 60_000,
  /** How long a fleet's processes may take to start their workers, in ms. */
  startMsMax: 60_000,
} as const;

/**
 * A real worker core's CPU per seed, in microseconds, for the capacity
 * figures: `pcfarm bench --farm` measured 100 to 200 us per seed (the pool's
 * one thread ran 5,002 runs/s, 200 us); the lower figure, so the capacity
 * is not flattered.
 */
export const WORKER_CPU_US_PER_SEED = 100;

export interface FleetStep {
  /** Simulated workers, each of `concurrency` slots. */
  workers: number;
  concurrency: number;
  processes: number;
  /** Batches the coordinator recorded in the measured window, and its length. */
  batches: number;
  /** Seeds of those batches, as the campaign counted them. */
  seeds: number;
  windowMs: number;
  batchesPerSecond: number;
  seedsPerSecond: number;
  /** CPU per recorded batch, in microseconds: the coordinator's process, redis-server (INFO cpu), the simulated workers' processes. */
  coordinatorCpuUsPerBatch: number;
  redisCpuUsPerBatch: number;
  workersCpuUsPerBatch: number;
  /** The same per seed, at this batch size. */
  coordinatorCpuUsPerSeed: number;
  redisCpuUsPerSeed: number;
  /** Share of one core the coordinator and Redis were busy in the window. */
  coordinatorBusy: number;
  redisBusy: number;
}

export interface MemoryPoint {
  batches: number;
  /** Redis's used_memory, in bytes. */
  usedMemory: number;
  /** Bytes the campaign's done record takes (MEMORY USAGE of its key, 0 when there is none). */
  doneBytes: number;
}

export interface FleetMemory {
  batches: number;
  workers: number;
  /** used_memory before the campaign was created. */
  baseline: number;
  points: MemoryPoint[];
  /** used_memory's growth from the middle point to the last, per thousand batches, in bytes. */
  growthBytesPer1000Batches: number;
  wallMs: number;
}

export interface FleetReport {
  mode: 'full' | 'quick' | 'smoke';
  machine: { node: string; cpus: number; cpuModel: string };
  batchSeeds: number;
  /** What each batch came to (see FleetResults). */
  results: FleetResults;
  /** How long each batch took, in ms (0: at once). */
  batchMs: number;
  steps: FleetStep[];
  /** The step that recorded the most batches per second. */
  peak: { workers: number; batchesPerSecond: number; seedsPerSecond: number };
  /**
   * At the CPU per seed of the peak step (the loaded farm, where results
   * come faster than one at a time: a lightly loaded coordinator's cost per
   * batch is higher, and matters to no one): the worker cores (each
   * WORKER_CPU_US_PER_SEED per seed) one core of coordinator, and one of
   * Redis, keep up with.
   */
  capacity: { coordinatorCpuUsPerSeed: number; redisCpuUsPerSeed: number; workerCpuUsPerSeed: number; workerCoresPerCoordinator: number; workerCoresPerRedis: number };
  memory: FleetMemory | null;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function progress(what: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[Kbench --farm --fleet: ${what}`);
}

/** `--workers N,N,...`: the fleet sizes, ascending as given. */
export function fleetSizes(raw: string | undefined, fallback: readonly number[]): number[] {
  if (raw === undefined) return [...fallback];
  const parts = raw.split(',');
  if (!parts.every((x) => /^\d+$/.test(x))) throw new UsageError(`--workers must be whole numbers separated by commas (such as 1,4,16), not ${JSON.stringify(raw)}`);
  const sizes = parts.map(Number);
  const bad = sizes.find((n) => n < 1 || n > FLEET_LIMITS.workersMax);
  if (bad !== undefined) throw new UsageError(`--workers must each be from 1 to ${FLEET_LIMITS.workersMax}, not ${bad}`);
  return sizes;
}

/** Redis's INFO fields of one section, as numbers where they are. */
async function info(redis: Redis, section: string): Promise<Map<string, string>> {
  const text = await redis.info(section);
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

/** CPU redis-server has spent, in microseconds (used_cpu_sys + used_cpu_user). */
async function redisCpuUs(redis: Redis): Promise<number> {
  const cpu = await info(redis, 'cpu');
  return (Number(cpu.get('used_cpu_sys')) + Number(cpu.get('used_cpu_user'))) * 1e6;
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number((await info(redis, 'memory')).get('used_memory'));
}

/** CPU a process has spent, in microseconds, from /proc (Linux); 0 elsewhere. */
function processCpuUs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}

/** A fleet of `workers` simulated workers in a few processes, started and reported. */
class Fleet {
  private constructor(readonly children: ChildProcess[]) {}

  static async start(url: string, prefix: string, workers: number, concurrency: number, results: FleetResults, batchMs: number, spec: CampaignSpec): Promise<Fleet> {
    const processes = Math.min(workers, FLEET_LIMITS.processesMax);
    // A batch of each cell: batch i is of cell i for the first cells.
    const shape = newCampaign('warm', spec, 0);
    const warm = results === 'real' ? Array.from({ length: cellCount(spec) }, (_, i) => batchAt(shape, i)).filter((b): b is Batch => b !== null) : [];
    const main = fileURLToPath(new URL('./fleet-worker.js', import.meta.url));
    const children: ChildProcess[] = [];
    const fleet = new Fleet(children);
    try {
      await Promise.all(
        Array.from({ length: processes }, (_, i) => {
          const child = fork(main, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
          children.push(child);
          let err = '';
          child.stderr!.on('data', (d) => (err = (err + d.toString()).slice(-2000)));
          const share = Math.floor(workers / processes) + (i < workers % processes ? 1 : 0);
          return new Promise<void>((resolve, reject) => {
            const t = setTimeout(() => reject(new Error(`a fleet process did not start its ${share} workers within ${FLEET_LIMITS.startMsMax} ms`)), FLEET_LIMITS.startMsMax);
            child.on('message', (m: FromFleetProcess) => {
              clearTimeout(t);
              if (m.type === 'ready') resolve();
              else reject(new Error(`a fleet process failed: ${m.message}`));
            });
            child.once('exit', (code) => {
              clearTimeout(t);
              reject(new Error(`a fleet process exited with code ${code}: ${err.trim()}`));
            });
            child.send({ type: 'start', url, prefix, workers: share, concurrency, results, warm, batchMs } satisfies ToFleetProcess);
          });
        }),
      );
    } catch (e) {
      await fleet.stop();
      throw e;
    }
    return fleet;
  }

  cpuUs(): number {
    return this.children.reduce((s, c) => s + processCpuUs(c.pid), 0);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map((c) => {
        if (c.exitCode !== null || c.signalCode !== null) return null;
        const exited = new Promise((r) => c.once('exit', r));
        if (c.connected) c.send({ type: 'stop' } satisfies ToFleetProcess);
        else c.kill('SIGTERM');
        return exited;
      }),
    );
  }
}

/**
 * A coordinator of its own prefix in this process, a store beside it, and
 * a way to wait for a campaign's end. With real results it minimizes
 * nothing: the fleet's workers run no model (a bucket is one job, once).
 */
async function coordinatorOf(url: string, prefix: string, results: FleetResults) {
  const redis = await connectRedis(url);
  const store = new RedisStore(redis, { prefix });
  const finished = new Set<string>();
  const coordinator = await Coordinator.start(redis, {
    prefix,
    minimize: results === 'empty',
    log: (line) => {
      const done = /^campaign (\w+) done:/.exec(line);
      if (done !== null) finished.add(done[1]!);
      else if (/FARM BUG|failed/.test(line)) process.stderr.write(`\ncoordinator: ${line}\n`);
    },
  });
  return {
    redis,
    store,
    coordinator,
    finished,
    async close() {
      await coordinator.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Every strategy x the generated scenario, whole-page buffers, `batches` batches in all (or, for a step, as good as no end). */
function fleetSpec(batchSeeds: number, batches: number | null): CampaignSpec {
  const strategies = batches === null ? [...STRATEGIES] : [STRATEGIES[0]!];
  const perCell = batches === null ? batchSeeds * 1e9 : batchSeeds * batches;
  return campaignSpec({ name: 'bench --farm --fleet', strategies, scenarios: ['generated'], blocksPerPage: [1], seedsPerCell: perCell, batchSeeds });
}

async function fleetStep(url: string, admin: Redis, workers: number, batchSeeds: number, results: FleetResults, batchMs: number, size: (typeof FLEET_SIZES)['full'], k: number): Promise<FleetStep> {
  const prefix = `fleet${process.pid}x${k}`;
  const concurrency = 1;
  const farm = await coordinatorOf(url, prefix, results);
  let fleet: Fleet | null = null;
  try {
    const spec = fleetSpec(batchSeeds, null);
    fleet = await Fleet.start(url, prefix, workers, concurrency, results, batchMs, spec);
    const c = await farm.store.createCampaign(spec);
    farm.coordinator.wake();
    await sleep(size.warmupMs);
    const sample = async () => {
      const s = await farm.store.summary(c.id);
      return { at: performance.now(), cpu: process.cpuUsage(), redis: await redisCpuUs(admin), workers: fleet!.cpuUs(), batches: s.batchesDone, runs: s.runs };
    };
    const a = await sample();
    await sleep(size.windowMs);
    const b = await sample();
    await farm.store.setState(c.id, 'stopped');
    const batches = Math.max(b.batches - a.batches, 1);
    const ms = b.at - a.at;
    const coordinatorUs = b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system;
    const redisUs = b.redis - a.redis;
    return {
      workers,
      concurrency,
      processes: fleet.children.length,
      batches: b.batches - a.batches,
      seeds: b.runs - a.runs,
      windowMs: Math.round(ms),
      batchesPerSecond: Math.round(((b.batches - a.batches) * 1000) / ms),
      seedsPerSecond: Math.round(((b.runs - a.runs) * 1000) / ms),
      coordinatorCpuUsPerBatch: Math.round(coordinatorUs / batches),
      redisCpuUsPerBatch: Math.round(redisUs / batches),
      workersCpuUsPerBatch: Math.round((b.workers - a.workers) / batches),
      coordinatorCpuUsPerSeed: round(coordinatorUs / batches / batchSeeds, 2),
      redisCpuUsPerSeed: round(redisUs / batches / batchSeeds, 2),
      coordinatorBusy: round(coordinatorUs / 1000 / ms, 2),
      redisBusy: round(redisUs / 1000 / ms, 2),
    };
  } finally {
    await fleet?.stop();
    await farm.close();
  }
}

/** One campaign of `batches` batches on `workers` simulated workers, with used_memory read as it grows. */
async function fleetMemory(url: string, admin: Redis, workers: number, batchSeeds: number, results: FleetResults, batchMs: number, batches: number): Promise<FleetMemory> {
  const prefix = `fleet${process.pid}mem`;
  const farm = await coordinatorOf(url, prefix, results);
  let fleet: Fleet | null = null;
  try {
    const spec = fleetSpec(batchSeeds, batches);
    fleet = await Fleet.start(url, prefix, workers, 1, results, batchMs, spec);
    const baseline = await usedMemory(admin);
    const t0 = performance.now();
    const c = await farm.store.createCampaign(spec);
    farm.coordinator.wake();
    const points: MemoryPoint[] = [];
    const every = Math.max(1, Math.floor(batches / FLEET_LIMITS.memorySamples));
    let next = every;
    const point = async (n: number) => {
      const doneBytes = Number((await admin.call('MEMORY', 'USAGE', farm.store.keys.done(c.id))) ?? 0);
      points.push({ batches: n, usedMemory: await usedMemory(admin), doneBytes });
    };
    for (;;) {
      const done = farm.finished.has(c.id);
      const n = (await farm.store.summary(c.id)).batchesDone;
      if (n >= next || done) {
        await point(n);
        progress(`${groupDigits(n)} of ${groupDigits(batches)} batches, used_memory ${groupDigits(points[points.length - 1]!.usedMemory)} bytes`);
        while (next <= n) next += every;
      }
      if (done) break;
      await sleep(FLEET_LIMITS.memoryPollMs);
    }
    const wallMs = performance.now() - t0;
    const mid = points[points.length >> 1]!;
    const last = points[points.length - 1]!;
    const growth = last.batches > mid.batches ? ((last.usedMemory - mid.usedMemory) * 1000) / (last.batches - mid.batches) : 0;
    return { batches, workers, baseline, points, growthBytesPer1000Batches: Math.round(growth), wallMs: Math.round(wallMs) };
  } finally {
    await fleet?.stop();
    await farm.close();
  }
}

export interface FleetOptions {
  mode: FleetReport['mode'];
  url: string | undefined;
  workers: number[] | undefined;
  batchSeeds: number | undefined;
  /** A campaign of this many batches after the steps, with used_memory as it grows; null: none. */
  batches: number | null;
  results: FleetResults;
  /** How long each simulated batch takes, in ms (waiting, no CPU); 0: at once. */
  batchMs: number;
}

export async function runFleetBench(o: FleetOptions): Promise<FleetReport> {
  const size = FLEET_SIZES[o.mode];
  const sizes = o.workers ?? [...size.workers];
  const batchSeeds = o.batchSeeds ?? CAMPAIGN_DEFAULTS.batchSeeds;
  let server: RedisServer | null = null;
  let dir: string | null = null;
  let admin: Redis | null = null;
  try {
    if (o.url === undefined) {
      dir = mkdtempSync(join(os.tmpdir(), 'pcfarm-redis-'));
      try {
        server = await RedisServer.start({ dir });
      } catch (e) {
        throw new FarmError('EREDIS', `bench --farm --fleet needs a redis-server: ${(e as Error).message}; or give --redis URL`);
      }
    }
    const url = o.url ?? server!.url;
    admin = await connectRedis(url);
    const steps: FleetStep[] = [];
    for (const [k, n] of sizes.entries()) {
      progress(`${n} worker(s)`);
      steps.push(await fleetStep(url, admin, n, batchSeeds, o.results, o.batchMs, size, k));
    }
    let memory: FleetMemory | null = null;
    if (o.batches !== null) memory = await fleetMemory(url, admin, sizes[sizes.length - 1]!, batchSeeds, o.results, o.batchMs, o.batches);
    progress('');
    if (process.stderr.isTTY) process.stderr.write('\r');
    const best = steps.reduce((a, b) => (b.batchesPerSecond > a.batchesPerSecond ? b : a));
    const coordinatorUs = best.coordinatorCpuUsPerSeed;
    const redisUs = best.redisCpuUsPerSeed;
    const cpus = os.cpus();
    return {
      mode: o.mode,
      machine: { node: process.version, cpus: os.availableParallelism(), cpuModel: cpus[0]?.model.trim() ?? 'unknown' },
      batchSeeds,
      results: o.results,
      batchMs: o.batchMs,
      steps,
      peak: { workers: best.workers, batchesPerSecond: best.batchesPerSecond, seedsPerSecond: best.seedsPerSecond },
      capacity: {
        coordinatorCpuUsPerSeed: coordinatorUs,
        redisCpuUsPerSeed: redisUs,
        workerCpuUsPerSeed: WORKER_CPU_US_PER_SEED,
        workerCoresPerCoordinator: Math.floor(WORKER_CPU_US_PER_SEED / coordinatorUs),
        workerCoresPerRedis: Math.floor(WORKER_CPU_US_PER_SEED / redisUs),
      },
      memory,
    };
  } finally {
    await admin?.quit().catch(() => admin?.disconnect());
    await server?.stop();
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
}

/** The report as BENCHMARKS.md records it. */
export function formatFleetBench(r: FleetReport): string[] {
  const lines = [
    `pcfarm bench --farm --fleet (${r.mode}): ${r.machine.cpus} cpus (${r.machine.cpuModel}), Node ${r.machine.node}`,
    `simulated workers answer each batch ${r.batchMs === 0 ? 'at once' : `after ${r.batchMs} ms`} with ${r.results === 'empty' ? 'an empty result' : 'the findings and coverage of a real batch of its cell'}; batches of ${r.batchSeeds} seeds; the coordinator, redis-server and the fleet share this machine`,
    '',
    ...markdownTable(
      ['workers', 'batches/s', 'seeds/s', 'coordinator us/batch', 'redis us/batch', 'fleet us/batch', 'coordinator us/seed', 'redis us/seed', 'coordinator busy', 'redis busy'],
      r.steps.map((s) => [
        String(s.workers),
        groupDigits(s.batchesPerSecond),
        groupDigits(s.seedsPerSecond),
        String(s.coordinatorCpuUsPerBatch),
        String(s.redisCpuUsPerBatch),
        String(s.workersCpuUsPerBatch),
        s.coordinatorCpuUsPerSeed.toFixed(2),
        s.redisCpuUsPerSeed.toFixed(2),
        s.coordinatorBusy.toFixed(2),
        s.redisBusy.toFixed(2),
      ]),
    ),
    '',
    `peak: ${groupDigits(r.peak.batchesPerSecond)} batches/s (${groupDigits(r.peak.seedsPerSecond)} seeds/s) with ${r.peak.workers} simulated workers`,
    `capacity at the peak, at ${r.capacity.workerCpuUsPerSeed} us of worker CPU per seed: one coordinator core keeps up with ${r.capacity.workerCoresPerCoordinator} worker cores (${r.capacity.coordinatorCpuUsPerSeed} us/seed), one Redis core with ${r.capacity.workerCoresPerRedis} (${r.capacity.redisCpuUsPerSeed} us/seed)`,
  ];
  const m = r.memory;
  if (m !== null) {
    lines.push('', `memory: one campaign of ${groupDigits(m.batches)} batches on ${m.workers} simulated workers in ${(m.wallMs / 1000).toFixed(0)} s; used_memory ${groupDigits(m.baseline)} bytes before it`, '');
    lines.push(...markdownTable(['batches', 'used_memory', 'done record bytes'], m.points.map((p) => [groupDigits(p.batches), groupDigits(p.usedMemory), groupDigits(p.doneBytes)])));
    lines.push('', `used_memory's growth over the second half: ${groupDigits(m.growthBytesPer1000Batches)} bytes per 1,000 batches`);
  }
  return lines;
}
