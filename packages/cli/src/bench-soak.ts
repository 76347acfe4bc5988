/**
 * `pcfarm bench --soak`: a campaign that runs for weeks, shortened. It runs
 * what `pcfarm fuzz --time-s N` runs (every strategy x every scenario x
 * blocks per page 1, 2, 4 on a pool of worker threads, minimizing as it
 * goes) and every interval records what a long campaign must keep bounded:
 * the process's RSS, the journal's size and its compacted state's, the
 * runs/s, and how long opening the results (what a resume and the dashboard
 * read) and exporting the campaign take. At the end it projects the
 * journal's size after 24 hours. Figures are reported, never enforced.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { SCENARIOS, STRATEGIES } from '@pcfarm/core';
import { campaignSpec, EmbeddedStore, JOURNAL_LIMITS, RESULTS_FILE, runCampaign, samplesBound, ThreadPool, THREADS_MAX } from '@pcfarm/farm/local';
import { checkOptions, noPositionals, wholeNumber, type Parsed } from './args.js';
import { EXIT } from './exit.js';
import { duration, markdownTable } from './format.js';
import type { Io } from './io.js';
import { OPTIONS } from './usage.js';

/** The soak's defaults, in seconds: how long the campaign runs and how often it is measured. */
export const SOAK_DEFAULTS = { timeS: 600, intervalS: 60 } as const;
/** The targets of issue 20 (reported, never enforced). */
export const SOAK_TARGETS = {
  /** The journal after 24 hours on 2 cores, at most, in bytes. */
  journalBytes24hMax: 50_000_000,
  /** Opening the results (a resume, the dashboard) and exporting a campaign, each at most, in ms. */
  openMsMax: 1000,
  /** Runs per second of 2 cores the 24 hours are projected at, at least: issue 20's `fuzz --time-s 150`, measured on a quiet machine. */
  runsPerSecond: 14_500,
} as const;

const DAY_MS = 24 * 3600 * 1000;
const MB = 1_000_000;

/** One interval's figures. */
export interface SoakSample {
  /** Since the campaign started. */
  elapsedMs: number;
  runs: number;
  /** Runs/s over the interval. */
  runsPerSecond: number;
  rssMB: number;
  /** The journal file now (it grows between compactions), and its state compacted (the snapshots a compaction writes). */
  journalBytes: number;
  stateBytes: number;
  /** The state's samples (as JSON): they grow with time, not runs, and only up to samplesBound. */
  samplesBytes: number;
  samples: number;
  compactions: number;
  coverage: number;
  buckets: number;
  /** Opening the results read-only and reading the campaign's summary, done set, buckets and samples: what a resume and the dashboard read. */
  openMs: number;
  /** The campaign's snapshot as `campaign export` writes it. */
  exportMs: number;
  /**
   * The CPU time of the open and of the export (this thread's, to 10 ms;
   * null where the system does not say): on a busy machine the wall times
   * above are mostly waiting for a core.
   */
  openCpuMs: number | null;
  exportCpuMs: number | null;
}

/** This thread's CPU time in ms, to the kernel's tick (Linux's /proc); null elsewhere. */
function threadCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    // Fields after the command name (which may hold spaces): state is the first, utime the 12th, stime the 13th, in ticks of 10 ms.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}

export interface SoakReport {
  machine: { node: string; cpus: number; cpuModel: string };
  threads: number;
  timeS: number;
  intervalS: number;
  dir: string;
  samples: SoakSample[];
  /**
   * The journal after 24 hours, projected: the state but its samples grows
   * per run as over the second half of the soak, carried on for a day's
   * runs at SOAK_TARGETS.runsPerSecond or the soak's best interval,
   * whichever is more (coverage is found ever more slowly, so this is
   * high); the samples, a day's samplesBound at the soak's bytes a sample;
   * plus what the journal holds beside its state before it is compacted
   * again (JOURNAL_LIMITS).
   */
  journalBytes24h: number;
  stateBytes24h: number;
  /** The runs of a day the projection assumes. */
  runs24h: number;
}

/** Run the soak: a time-budgeted campaign in `dir`, measured every intervalS. */
export async function runSoak(timeS: number, intervalS: number, threads: number, dir: string, now: () => number, progress: (s: SoakSample) => void): Promise<SoakReport> {
  const store = EmbeddedStore.open(dir);
  const c = await store.createCampaign(campaignSpec({ name: 'bench --soak', strategies: [...STRATEGIES], scenarios: [...SCENARIOS], seedsPerCell: null, timeBudgetMs: timeS * 1000 }));
  const pool = new ThreadPool({ threads });
  const samples: SoakSample[] = [];
  const t0 = now();
  let last = { t: t0, runs: 0 };
  let runs = 0;
  const measure = async (): Promise<void> => {
    const t = now();
    const openCpu = threadCpuMs();
    const openedAt = now();
    const reader = EmbeddedStore.open(dir, { readOnly: true });
    const summary = await reader.summary(c.id);
    await reader.doneBatches(c.id);
    await reader.buckets(c.id);
    const history = await reader.samples(c.id);
    const openMs = now() - openedAt;
    const exportCpu = threadCpuMs();
    const exportAt = now();
    JSON.stringify(await reader.snapshot(c.id));
    const exportMs = now() - exportAt;
    const endCpu = threadCpuMs();
    const s: SoakSample = {
      elapsedMs: t - t0,
      runs: summary.runs,
      runsPerSecond: t > last.t ? ((summary.runs - last.runs) * 1000) / (t - last.t) : 0,
      rssMB: Math.round(process.memoryUsage().rss / MB),
      journalBytes: statSync(join(dir, RESULTS_FILE)).size,
      stateBytes: store.stateBytes(),
      samplesBytes: JSON.stringify(history).length,
      samples: history.length,
      compactions: store.compactions,
      coverage: summary.coverage,
      buckets: summary.buckets,
      openMs: Math.round(openMs),
      exportMs: Math.round(exportMs),
      openCpuMs: openCpu === null || exportCpu === null ? null : exportCpu - openCpu,
      exportCpuMs: exportCpu === null || endCpu === null ? null : endCpu - exportCpu,
    };
    last = { t, runs: summary.runs };
    samples.push(s);
    progress(s);
  };
  // Measured between batches, on the thread that records them: the campaign pauses for the measurement, as it would for a dashboard's request.
  let due = t0 + intervalS * 1000;
  let measuring: Promise<void> = Promise.resolve();
  try {
    await runCampaign(store, c.id, pool, {
      onProgress: (p) => {
        runs = p.runs;
        if (now() < due) return;
        due += intervalS * 1000;
        measuring = measuring.then(measure);
      },
    });
    await measuring;
    // The end, unless the last interval's measurement was just now.
    if (runs > last.runs && now() - last.t >= (intervalS * 1000) / 2) await measure();
  } finally {
    await pool.close();
    await store.close();
  }
  return { machine: { node: process.version, cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? 'unknown' }, threads, timeS, intervalS, dir, samples, ...projection(samples) };
}

/** See SoakReport.journalBytes24h. */
export function projection(samples: readonly SoakSample[]): { journalBytes24h: number; stateBytes24h: number; runs24h: number } {
  const end = samples[samples.length - 1];
  const runs24h = Math.round(Math.max(SOAK_TARGETS.runsPerSecond, ...samples.map((s) => s.runsPerSecond)) * (DAY_MS / 1000));
  if (end === undefined) return { journalBytes24h: 0, stateBytes24h: 0, runs24h };
  const mid = [...samples].reverse().find((s) => s.elapsedMs <= end.elapsedMs / 2) ?? samples[0]!;
  const found = (s: SoakSample) => s.stateBytes - s.samplesBytes;
  const perRun = end.runs > mid.runs ? (found(end) - found(mid)) / (end.runs - mid.runs) : 0;
  const perSample = end.samples > 0 ? end.samplesBytes / end.samples : 0;
  const stateBytes24h = Math.round(found(end) + Math.max(0, perRun) * Math.max(0, runs24h - end.runs) + perSample * samplesBound(DAY_MS));
  const journalBytes24h = Math.round(stateBytes24h + Math.max(JOURNAL_LIMITS.tailBytesMin, JOURNAL_LIMITS.tailPerCompacted * stateBytes24h));
  return { journalBytes24h, stateBytes24h, runs24h };
}

/** A wall time with its CPU time beside it, when known. */
const withCpu = (ms: number, cpuMs: number | null): string => (cpuMs === null ? String(ms) : `${ms} (${cpuMs})`);

/** The report as BENCHMARKS.md records it. */
export function formatSoak(r: SoakReport): string[] {
  const mb = (b: number) => (b / MB).toFixed(2);
  const lines = [`Soak: ${duration(r.timeS * 1000)} on ${r.threads} threads (${r.machine.cpus} cpus, ${r.machine.cpuModel}, node ${r.machine.node}), measured every ${duration(r.intervalS * 1000)}; results in ${r.dir}`, ''];
  lines.push(
    ...markdownTable(
      ['time', 'runs', 'runs/s', 'RSS MB', 'journal MB', 'state MB', 'of it samples MB', 'compactions', 'coverage', 'buckets', 'open ms (cpu)', 'export ms (cpu)'],
      r.samples.map((s) => [duration(s.elapsedMs), String(s.runs), String(Math.round(s.runsPerSecond)), String(s.rssMB), mb(s.journalBytes), mb(s.stateBytes), mb(s.samplesBytes), String(s.compactions), String(s.coverage), String(s.buckets), withCpu(s.openMs, s.openCpuMs), withCpu(s.exportMs, s.exportCpuMs)]),
    ),
  );
  const end = r.samples[r.samples.length - 1];
  const runs = end?.runs ?? 0;
  lines.push('');
  if (end !== undefined) lines.push(`Journal: ${mb(end.journalBytes)} MB after ${runs} runs (${((end.journalBytes * 1000) / Math.max(1, end.elapsedMs) / 1000).toFixed(2)} KB/s, ${(end.journalBytes / Math.max(1, runs)).toFixed(3)} bytes/run); state ${mb(end.stateBytes)} MB.`);
  const openMax = Math.max(0, ...r.samples.map((s) => Math.max(s.openMs, s.exportMs)));
  const cpus = r.samples.flatMap((s) => [s.openCpuMs, s.exportCpuMs]).filter((x): x is number => x !== null);
  const cpu = cpus.length === 0 ? '' : ` (CPU at most ${Math.max(...cpus)} ms)`;
  lines.push(`Projected after 24 hours (${(r.runs24h / 1e9).toFixed(2)} billion runs): state ${mb(r.stateBytes24h)} MB, journal at most ${mb(r.journalBytes24h)} MB (target ${mb(SOAK_TARGETS.journalBytes24hMax)} MB: ${r.journalBytes24h <= SOAK_TARGETS.journalBytes24hMax ? 'met' : 'NOT met'}); open or export at most ${openMax} ms${cpu} (target ${SOAK_TARGETS.openMsMax} ms: ${openMax <= SOAK_TARGETS.openMsMax ? 'met' : 'NOT met'}).`);
  return lines;
}

/**
 * pcfarm bench --soak [--time-s N] [--interval-s S] [--threads N]
 * [--results DIR] [--json]: the soak, each interval's figures as a line as
 * it goes, then the table. Exit 0 whatever the figures are.
 */
export async function benchSoak(p: Parsed, io: Io): Promise<number> {
  checkOptions(p, OPTIONS.benchSoak);
  noPositionals(p);
  const timeS = wholeNumber('time-s', p.options.get('time-s'), SOAK_DEFAULTS.timeS, 1);
  const intervalS = wholeNumber('interval-s', p.options.get('interval-s'), SOAK_DEFAULTS.intervalS, 1);
  const threads = wholeNumber('threads', p.options.get('threads'), os.availableParallelism(), 1, THREADS_MAX);
  const dir = p.options.get('results') ?? mkdtempSync(join(os.tmpdir(), 'pcfarm-soak-'));
  const json = p.options.has('json');
  const r = await runSoak(timeS, intervalS, threads, dir, () => io.now(), (s) => {
    if (!json) io.out(`soak ${duration(s.elapsedMs)}: ${s.runs} runs, ${Math.round(s.runsPerSecond)} runs/s, RSS ${s.rssMB} MB, journal ${(s.journalBytes / MB).toFixed(2)} MB (state ${(s.stateBytes / MB).toFixed(2)} MB, ${s.compactions} compactions), open ${withCpu(s.openMs, s.openCpuMs)} ms, export ${withCpu(s.exportMs, s.exportCpuMs)} ms`);
  });
  if (json) io.out(JSON.stringify(r, null, 2));
  else for (const line of formatSoak(r)) io.out(line);
  return EXIT.ok;
}
