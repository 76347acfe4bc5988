/**
 * `pcfarm fuzz`: the main job. A campaign of strategies x scenarios x blocks
 * per page on a pool of worker threads (one per core), results kept in a
 * results directory and resumed after Ctrl-C or a kill, a live progress
 * line, each new failure bucket minimized in the background, and at the end
 * a table of the failure buckets with their reproducers and replay commands,
 * then the warnings apart, each with its witness.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { SCENARIOS, severityOf, signatureTitle, STRATEGIES } from '@pcfarm/core';
import { DASHBOARD_PORT_DEFAULT, LocalControl, startDashboard, type CampaignControl, type Dashboard } from '@pcfarm/dashboard';
import { batchCount, CAMPAIGN_DEFAULTS, campaignSpec, EmbeddedStore, FarmError, ThreadPool, type EngineResult, THREADS_MAX, type Bucket, type Campaign, type CampaignSpec, type CampaignSummary, type Example, type Progress, type Store } from '@pcfarm/farm';
import { blocksPerPageList, checkOptions, oneOf, UsageError, wholeNumber, type Parsed } from './args.js';
import { PCFARM, shellWord } from '@pcfarm/farm/replay-commands';
import { replayCommand, replayReproducerCommand, witnessCommand, type Io } from './commands.js';

/** Where results go when --results is not given (relative to the working directory). */
export const RESULTS_DIR_DEFAULT = 'pcfarm-results';
/** How often the progress line is printed when stdout is not a terminal. */
export const PROGRESS_PLAIN_INTERVAL_MS = 5000;
/** The window runs per second are measured over. */
export const RATE_WINDOW_MS = 3000;

/** Characters of a bucket's sites the summary table shows. */
const SITES_COLUMN_MAX = 72;

const CAMPAIGN_OPTIONS = ['strategy', 'scenario', 'blocks-per-page', 'seeds', 'seed-start', 'time-s', 'batch-seeds', 'scheduler', 'pct-depth', 'threads', 'results', 'resume', 'new', 'no-minimize', 'port', 'no-dashboard'];

/** The terminal a campaign reports to. */
export interface Terminal extends Io {
  /** Rewrite the one status line; null when the output is not a terminal (progress is then printed as lines, now and then). */
  live: ((line: string) => void) | null;
  /** Ctrl-C: the campaign stops at the next batch boundary. */
  onInterrupt(stop: () => void): () => void;
}

/**
 * pcfarm fuzz: a campaign (`--first-failure` is fuzzFirstFailure). Exit 1
 * when it found failures, 0 when clean or when it found only warnings, 130
 * when interrupted.
 */
export async function fuzz(p: Parsed, term: Terminal): Promise<number> {
  checkOptions(p, CAMPAIGN_OPTIONS);
  if (p.positionals.length > 0) throw new UsageError(`'fuzz' takes no arguments, only options: ${p.positionals.join(' ')}`);
  const spec = specOf(p);
  const threads = wholeNumber('threads', p.options.get('threads'), availableParallelism(), 1, THREADS_MAX);
  const dir = resolve(p.options.get('results') ?? RESULTS_DIR_DEFAULT);
  let store: EmbeddedStore;
  try {
    store = EmbeddedStore.open(dir);
  } catch (e) {
    if (e instanceof FarmError) throw new UsageError(e.message);
    throw e;
  }
  try {
    return await runFuzz(p, term, store, spec, threads, dir);
  } finally {
    await store.close();
  }
}

async function runFuzz(p: Parsed, term: Terminal, store: EmbeddedStore, spec: CampaignSpec, threads: number, dir: string): Promise<number> {
  for (const r of store.repairs) term.out(`results: ${r}`);
  const campaign = await campaignToRun(store, spec, p);
  const pool = new ThreadPool({ threads });
  let failure: Error | null = null;
  // The dashboard can stop this campaign too; both go through the one control.
  const control = new LocalControl(store, {
    executor: pool,
    engine: { minimize: !p.options.has('no-minimize'), onProgress: progressLine(term, campaign) },
    onError: (_id, e) => (failure = e),
  });
  let dashboard: Dashboard | null = null;
  const off = term.onInterrupt(() => void control.stop(campaign.id));
  let result: EngineResult | null;
  try {
    if (!p.options.has('no-dashboard')) dashboard = await openDashboard(store, control, p, term, campaign.id);
    result = await control.run(campaign.id);
  } finally {
    off();
    await dashboard?.close();
    await control.close();
    await pool.close();
  }
  if (failure !== null) throw failure;
  if (result === null) throw new Error(`farm bug: campaign ${campaign.id} never ran`);
  term.live?.('');
  const browse = dashboard === null ? null : `${PCFARM} dashboard --results ${shellWord(dir)}`;
  await printSummary(store, result.summary, term, dir, result.endedBy === 'stopped', browse);
  if (result.endedBy === 'stopped') return 130;
  // Warnings fail nothing: a campaign that found only warnings passed.
  return result.summary.buckets > 0 ? 1 : 0;
}

/** Serve the dashboard on --port (default DASHBOARD_PORT_DEFAULT, or any free port when that one is taken). */
async function openDashboard(store: Store, control: CampaignControl, p: Parsed, term: Terminal, id: string): Promise<Dashboard> {
  const asked = p.options.has('port');
  const port = wholeNumber('port', p.options.get('port'), DASHBOARD_PORT_DEFAULT, 0, 65535);
  let dashboard: Dashboard;
  try {
    dashboard = await startDashboard({ store, control, port });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    if (asked) throw new UsageError(`port ${port} is taken: choose another with --port (0 takes any free one), or --no-dashboard`);
    dashboard = await startDashboard({ store, control, port: 0 });
  }
  term.out(`dashboard: ${dashboard.url}#/campaigns/${id}`);
  return dashboard;
}

function listOption(p: Parsed, name: string, plural: string, known: readonly string[]): string[] | undefined {
  const raw = p.options.get(name);
  if (raw === undefined) return undefined;
  return raw.split(',').map((s) => oneOf(name, plural, s.trim(), known)!);
}

/** The campaign spec the options ask for (`pcfarm campaign start` takes the same ones). */
export function specOf(p: Parsed): CampaignSpec {
  const input: Partial<CampaignSpec> = {};
  const strategies = listOption(p, 'strategy', 'strategies', STRATEGIES);
  const scenarios = listOption(p, 'scenario', 'scenarios', SCENARIOS);
  const bpps = blocksPerPageList(p);
  if (strategies) input.strategies = strategies;
  if (scenarios) input.scenarios = scenarios;
  if (bpps) input.blocksPerPage = bpps;
  const scheduler = p.options.get('scheduler');
  if (scheduler !== undefined) input.scheduler = scheduler as CampaignSpec['scheduler'];
  if (p.options.has('pct-depth')) input.pctDepth = wholeNumber('pct-depth', p.options.get('pct-depth'), 0, 1, 16);
  if (p.options.has('seed-start')) input.seedStart = wholeNumber('seed-start', p.options.get('seed-start'), 0);
  if (p.options.has('seeds')) input.seedsPerCell = wholeNumber('seeds', p.options.get('seeds'), 0, 1);
  if (p.options.has('time-s')) {
    input.timeBudgetMs = wholeNumber('time-s', p.options.get('time-s'), 0, 1, Number.MAX_SAFE_INTEGER / 1000) * 1000;
    if (!p.options.has('seeds')) input.seedsPerCell = null;
  }
  if (p.options.has('batch-seeds')) input.batchSeeds = wholeNumber('batch-seeds', p.options.get('batch-seeds'), 0, 1);
  input.name = [input.strategies?.join(',') ?? 'every strategy', input.scenarios?.join(',') ?? 'every scenario', `bpp ${(input.blocksPerPage ?? CAMPAIGN_DEFAULTS.blocksPerPage).join(',')}`].join(' x ');
  try {
    return campaignSpec(input);
  } catch (e) {
    if (e instanceof FarmError) throw new UsageError(e.message);
    throw e;
  }
}

/** --resume ID, or the unfinished campaign of the same spec (the last one), or a new one. */
async function campaignToRun(store: Store, spec: CampaignSpec, p: Parsed): Promise<Campaign> {
  const id = p.options.get('resume');
  if (id !== undefined) {
    try {
      return await store.getCampaign(id);
    } catch (e) {
      if (e instanceof FarmError) throw new UsageError(e.message);
      throw e;
    }
  }
  if (!p.options.has('new')) {
    const same = (await store.listCampaigns()).find((c) => c.state !== 'done' && JSON.stringify(c.spec) === JSON.stringify(spec));
    if (same !== undefined) return same;
  }
  return store.createCampaign(spec);
}

function n(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The onProgress callback: new buckets as lines, and the live status line. */
function progressLine(term: Terminal, campaign: Campaign): (p: Progress) => void {
  const window: { t: number; runs: number }[] = [];
  // Plain output waits one interval for its first line: a rate needs two points.
  let lastPlain = term.now();
  let announced = false;
  return (p) => {
    const t = term.now();
    if (!announced) {
      announced = true;
      const total = batchCount(campaign.spec);
      const resumed = p.batchesDone > 1 ? `, resumed at batch ${p.batchesDone}` : '';
      term.out(`campaign ${campaign.id}: ${campaign.spec.name}${total === null ? `, for ${duration(campaign.spec.timeBudgetMs!)}` : `, ${n(total)} batches of ${n(campaign.spec.batchSeeds)} seeds`}${resumed}`);
    }
    for (const b of p.newBuckets) term.out(`  new ${b.severity === 'warning' ? 'warning ' : ''}bucket ${b.id}: ${b.title}  (${exampleLabel(b.examples[0]!)})`);
    window.push({ t, runs: p.runs });
    while (window.length > 2 && t - window[0]!.t > RATE_WINDOW_MS) window.shift();
    const first = window[0]!;
    const rate = t > first.t ? ((p.runs - first.runs) * 1000) / (t - first.t) : 0;
    const budget = p.campaign.spec.timeBudgetMs;
    const done = p.batchesTotal !== null ? `batches ${n(p.batchesDone)}/${n(p.batchesTotal)} (${Math.floor((100 * p.batchesDone) / p.batchesTotal)}%)` : `${duration(p.runningMs)} of ${duration(budget!)}`;
    const warned = p.warningBuckets > 0 ? `  warnings ${p.warningBuckets}` : '';
    const line = `runs ${n(p.runs)}  ${n(rate)} runs/s  buckets ${p.buckets}${warned}  coverage ${n(p.coverage)}  ${done}${p.minimizing > 0 ? `  minimizing ${p.minimizing}` : ''}`;
    if (term.live !== null) term.live(line);
    else if (t - lastPlain >= PROGRESS_PLAIN_INTERVAL_MS) {
      lastPlain = t;
      term.out(line);
    }
  };
}

/** Where an example was found: its scenario, its blocks per page when not 1, its seed. */
function exampleLabel(e: Example): string {
  return `${e.scenario}${e.blocksPerPage === 1 ? '' : `, bpp ${e.blocksPerPage}`}, seed ${e.seed}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** A bucket's sites as the table shows them: its title without kind and strategy, cut to the column. */
function sitesColumn(b: Bucket): string {
  const sites = signatureTitle(b.kind, b.strategy, b.sites).replace(`${b.kind} in ${b.strategy}: `, '');
  return sites.length > SITES_COLUMN_MAX ? `${sites.slice(0, SITES_COLUMN_MAX - 1)}…` : sites;
}

/** What a campaign came to, as its last line says it: failures decide the exit status, warnings never do. */
export function verdictLine(s: CampaignSummary): string {
  const warnings = `${s.warningBuckets} warning bucket(s)`;
  if (s.buckets > 0) return `${s.buckets} failure bucket(s)${s.warningBuckets > 0 ? `; ${warnings}` : ''}`;
  return s.warningBuckets > 0 ? `no failures; ${warnings}` : 'no failures: every run passed every oracle';
}

/**
 * The end of a campaign: totals, the failure buckets and how to replay
 * each, then the warning buckets apart with the witness of each, and last
 * the verdict line. `browse` is the command that serves it on the dashboard.
 */
export async function printSummary(store: Store, s: CampaignSummary, io: Io, dir: string, interrupted: boolean, browse: string | null = null): Promise<void> {
  const c = s.campaign;
  const rate = c.runningMs > 0 ? ` (${n((s.runs * 1000) / c.runningMs)} runs/s)` : '';
  const state = interrupted ? `stopped; run the same command again to resume it (or --resume ${c.id})` : c.state;
  io.out(`campaign ${c.id} ${state}`);
  const warned = s.warnings > 0 || s.warningBuckets > 0 ? `; ${n(s.warnings)} runs warned, ${s.warningBuckets} warning buckets` : '';
  io.out(`  ${n(s.runs)} runs in ${duration(c.runningMs)}${rate}, ${n(s.failures)} failing, coverage ${n(s.coverage)}, ${s.buckets} buckets (${s.minimized} minimized)${warned}`);
  io.out(`  results: ${dir}`);
  if (browse !== null) io.out(`  browse it: ${browse}`);
  const all = await store.buckets(c.id);
  // By strategy, then the most severe kind first, then the most runs.
  const order = (a: Bucket, b: Bucket) => (a.strategy < b.strategy ? -1 : a.strategy > b.strategy ? 1 : severityOf(a.kind) - severityOf(b.kind) || b.count - a.count);
  const failures = all.filter((b) => b.severity === 'failure').sort(order);
  const warnings = all.filter((b) => b.severity === 'warning').sort(order);
  const seedCommand = (b: Bucket): string => {
    const ex = b.examples[0]!;
    return replayCommand({ strategy: b.strategy, scenario: ex.scenario, blocksPerPage: ex.blocksPerPage, scheduler: c.spec.scheduler, pctDepth: c.spec.pctDepth }, ex.seed);
  };
  if (failures.length > 0) {
    io.out('');
    const rows = [['bucket', 'count', 'kind', 'strategy', 'scenarios', 'bpp', 'minimized', 'sites']];
    for (const b of failures) {
      const m = b.minimized === null ? 'no' : `${b.minimized.choices} choices, ${b.minimized.switches} switches`;
      // The whole title follows the table, with the bucket's replay command.
      rows.push([b.id, n(b.count), b.kind, b.strategy, b.scenarios.join(','), b.blocksPerPage.join(','), m, sitesColumn(b)]);
    }
    for (const line of table(rows)) io.out(line);
    io.out('');
    for (const b of failures) {
      io.out(`${b.id}  ${b.title}`);
      if (b.minimized !== null) io.out(`  replay: ${replayReproducerCommand(b.minimized.reproducer)}`);
      else io.out('  not minimized yet: run the campaign again to minimize it');
      io.out(`  seed:   ${seedCommand(b)}`);
    }
  }
  if (warnings.length > 0) {
    io.out('');
    io.out('warnings (not failures): lock-order cycles of lock classes whose instances never meet in these scenarios; each witness is a scenario where they do, run to its first failure');
    const rows = [['bucket', 'count', 'kind', 'strategy', 'scenarios', 'bpp', 'sites']];
    for (const b of warnings) rows.push([b.id, n(b.count), b.kind, b.strategy, b.scenarios.join(','), b.blocksPerPage.join(','), sitesColumn(b)]);
    for (const line of table(rows)) io.out(line);
    io.out('');
    for (const b of warnings) {
      io.out(`${b.id}  ${b.title}`);
      const ex = b.examples[0]!;
      const witness = b.witness === null ? `none: ${b.scenarios.join(', ')} names no scenario where these instances meet` : witnessCommand({ strategy: b.strategy, scenario: b.witness, blocksPerPage: ex.blocksPerPage, scheduler: c.spec.scheduler, pctDepth: c.spec.pctDepth });
      io.out(`  witness: ${witness}`);
      io.out(`  seed:    ${seedCommand(b)}`);
    }
  }
  io.out('');
  io.out(verdictLine(s));
}
