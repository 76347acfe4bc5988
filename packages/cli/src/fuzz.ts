/**
 * `pcfarm fuzz`: the main job. A campaign of strategies x scenarios x blocks
 * per page on a pool of worker threads (one per core), results kept in a
 * results directory and resumed after Ctrl-C or a kill, a live progress
 * line, each new failure bucket minimized in the background, and at the end
 * a table of the failure buckets with their reproducers and replay commands,
 * then the warnings apart, each with its witness.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import type { Dashboard } from '@pcfarm/dashboard';
import { LocalControl, type CampaignControl } from '@pcfarm/dashboard/control';
import { batchCount, seedsPerBatch, STEER_DEFAULTS, strategySourceHash, ThreadPool, THREADS_MAX, withPollen, type Campaign, type CampaignSpec, type CampaignSummary, type CanaryCheck, type EngineResult, type Example, type Progress, type Store } from '@pcfarm/farm/local';
import { PCFARM, shellWord } from '@pcfarm/farm/replay-commands';
import { InputError, noPositionals, UsageError, wholeNumber, type Parsed } from './args.js';
import { EXIT } from './exit.js';
import { duration, n, plural } from './format.js';
import type { Terminal } from './io.js';
import { DASHBOARD_PORT_DEFAULT, PORT_MAX } from './limits.js';
import { openResults } from './open-store.js';
import { specOf, wantsPollen } from './spec.js';
import type { StrategyFiles } from './strategy-files.js';
import { pollenLine, printSummary } from './summary.js';
import { SPEC_OPTIONS } from './usage.js';

/** How often the progress line is printed when stdout is not a terminal. */
export const PROGRESS_PLAIN_INTERVAL_MS = 5000;
/** The window runs per second are measured over. */
export const RATE_WINDOW_MS = 3000;

/** The exit status a campaign's results call for: failures decide it, warnings never do. */
/** A campaign's exit status: a canary's alarm (the farm is broken) before any finding, then failures; warnings never. */
const verdictStatus = (s: CampaignSummary, canaries: readonly CanaryCheck[]): number => (canaries.some((c) => c.alarm) ? EXIT.bug : s.buckets > 0 ? EXIT.found : EXIT.ok);

/**
 * pcfarm fuzz: a campaign (`--first-failure` is fuzzFirstFailure), of the
 * strategy files given too (options checked by the caller). Exit 1 when it
 * found failures, 0 when clean or when it found only warnings, 130 when
 * interrupted.
 */
export async function fuzz(p: Parsed, term: Terminal, files: StrategyFiles): Promise<number> {
  noPositionals(p);
  const id = p.options.get('resume');
  if (id !== undefined) {
    // The campaign says what it runs: options that would say otherwise are refused, not ignored.
    const clash = ['new', ...SPEC_OPTIONS].filter((o) => p.options.has(o));
    if (clash.length > 0) throw new UsageError(`--resume ${id} runs that campaign as it was started: drop ${clash.map((o) => `--${o}`).join(', ')}`);
  }
  const spec = id === undefined ? specOf(p, files) : null;
  const threads = wholeNumber('threads', p.options.get('threads'), availableParallelism(), 1, THREADS_MAX);
  wholeNumber('port', p.options.get('port'), DASHBOARD_PORT_DEFAULT, 0, PORT_MAX);
  // A port for a dashboard it was told not to serve: one of the two was not meant.
  if (p.options.has('port') && p.options.has('no-dashboard')) throw new UsageError('--port is where the dashboard listens, and --no-dashboard serves none: give one of them');
  const opened = openResults(p, 'write');
  try {
    for (const r of opened.repairs) term.out(`results: ${r}`);
    const campaign = id !== undefined ? await opened.store.getCampaign(id) : await campaignOf(opened.store, spec!, p.options.has('new'), wantsPollen(p));
    if (campaign.state !== 'done') refuseChangedFiles(campaign);
    if (campaign.state === 'done') {
      // Nothing left to run: what it found is the answer, and running it again would only count every run twice.
      if (id === undefined) term.out(`campaign ${campaign.id} (${campaign.spec.name}) is done: what it found follows; --new runs it again from the start`);
      const summary = await opened.store.summary(campaign.id);
      return verdictStatus(summary, await printSummary(opened.store, summary, term, { where: opened.where, browse: browseCommand(opened.dir), dir: opened.dir, before: await editedBefore(opened.store, campaign) }));
    }
    return await runFuzz(p, term, opened.store, campaign, threads, opened.dir);
  } finally {
    await opened.store.close();
  }
}

const browseCommand = (dir: string): string => `${PCFARM} dashboard --results ${shellWord(dir)}`;

/**
 * The campaign of `spec` to run: a new one with --new; else the newest one
 * of the same spec that is unfinished (to resume it), or else that is done
 * (to print it); else a new one. A campaign of the same command whose strategy
 * file has changed since is refused, not quietly replaced by a new one: its
 * results are of another write path, and the user should know to compare
 * the two rather than find the first gone.
 */
async function campaignOf(store: Store, spec: CampaignSpec, fresh: boolean, pollinate: boolean): Promise<Campaign> {
  if (!fresh) {
    const campaigns = await store.listCampaigns();
    // A campaign of the same command from before steering (its spec upgraded to steer null) resumes as it ran.
    const byDefault = spec.steer !== null && JSON.stringify(spec.steer) === JSON.stringify(STEER_DEFAULTS);
    // The pollen a campaign was made with is the store's, not the command's: the same command resumes it.
    const asRun = (c: Campaign) => JSON.stringify(withoutPollen(c.spec.steer === null && byDefault ? { ...c.spec, steer: spec.steer } : c.spec));
    const same = campaigns.filter((c) => asRun(c) === JSON.stringify(withoutPollen(spec)));
    // The store lists campaigns newest first: after a --new, the same command means the new one.
    const found = same.find((c) => c.state !== 'done') ?? same[0];
    if (found !== undefined) return found;
    const edited = campaigns.find((c) => sameButSources(c.spec, spec));
    if (edited !== undefined) {
      const [ref, now] = edited.spec.strategyFiles.map((r, i) => [r, spec.strategyFiles[i]!] as const).find(([r, n]) => r.sourceHash !== n.sourceHash)!;
      throw new InputError(
        `campaign ${edited.id} ran the strategy file ${basename(ref.path)} at source ${ref.sourceHash}; it is source ${now.sourceHash} now: a changed strategy is a new campaign. Add --new to start one; its summary gives the command that compares the two`,
      );
    }
  }
  return store.createCampaign(pollinate ? await withPollen(store, spec) : spec);
}

const withoutPollen = (spec: CampaignSpec): CampaignSpec => (spec.guide === null ? spec : { ...spec, guide: { ...spec.guide, pollen: [] } });

/** Whether two specs differ at most in their strategy files' sources: the same command, run after an edit. */
export function sameButSources(a: CampaignSpec, b: CampaignSpec): boolean {
  const unpinned = (s: CampaignSpec) => JSON.stringify({ ...withoutPollen(s), strategyFiles: s.strategyFiles.map((r) => ({ id: r.id, path: r.path })) });
  return unpinned(a) === unpinned(b);
}

/** The last campaign before `c` of the same command with another source of a strategy file: what its summary offers to diff it with. */
async function editedBefore(store: Store, c: Campaign): Promise<string | undefined> {
  // Newest first: the campaigns made before c follow it.
  const all = await store.listCampaigns();
  const edited = (x: Campaign) => x.spec.strategyFiles.some((r, i) => r.sourceHash !== c.spec.strategyFiles[i]?.sourceHash);
  return all.slice(all.findIndex((x) => x.id === c.id) + 1).find((x) => sameButSources(x.spec, c.spec) && edited(x))?.id;
}

/**
 * Refuse to run on a campaign whose strategy file is missing or changed
 * since it started (--resume ID after an edit): its batches would fail one
 * by one, and the ones already done are of the file as it was.
 */
function refuseChangedFiles(c: Campaign): void {
  for (const ref of c.spec.strategyFiles) {
    let now: string;
    try {
      now = strategySourceHash(readFileSync(ref.path));
    } catch (e) {
      throw new InputError(`campaign ${c.id} runs the strategy file ${ref.path}, which cannot be read now (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): put it back (source ${ref.sourceHash}) to resume it`);
    }
    if (now !== ref.sourceHash) {
      throw new InputError(
        `campaign ${c.id} ran the strategy file ${basename(ref.path)} at source ${ref.sourceHash}; it is source ${now} now: a changed strategy is a new campaign. Start one with --new instead of resuming this one, or put the file back to resume it`,
      );
    }
  }
}

async function runFuzz(p: Parsed, term: Terminal, store: Store, campaign: Campaign, threads: number, dir: string): Promise<number> {
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
  const stopped = result.endedBy === 'stopped';
  const canaries = await printSummary(store, result.summary, term, { where: dir, interrupted: stopped, browse: dashboard === null ? null : browseCommand(dir), dir, before: await editedBefore(store, campaign) });
  return stopped ? EXIT.interrupted : verdictStatus(result.summary, canaries);
}

/** Serve the dashboard on --port (default DASHBOARD_PORT_DEFAULT, or any free port when that one is taken). */
async function openDashboard(store: Store, control: CampaignControl, p: Parsed, term: Terminal, id: string): Promise<Dashboard> {
  const asked = p.options.has('port');
  const port = wholeNumber('port', p.options.get('port'), DASHBOARD_PORT_DEFAULT, 0, PORT_MAX);
  // Fastify loads only here: a campaign run with --no-dashboard never loads it.
  const { startDashboard } = await import('@pcfarm/dashboard');
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
      const ends = campaign.spec.timeBudgetMs === null || p.remainingMs === null ? '' : `, ${endsAt(p.remainingMs, Date.now())}`;
      term.out(`campaign ${campaign.id}: ${campaign.spec.name}${total === null ? `, for ${duration(campaign.spec.timeBudgetMs ?? 0)}` : `, ${plural(total, 'batch', 'batches')} of ${n(seedsPerBatch(campaign.spec))} seeds`}${resumed}${ends}`);
      for (const line of pollenLine(campaign.spec)) term.out(`  ${line}`);
    }
    for (const b of p.newBuckets) {
      const ex = b.examples[0];
      term.out(`  new ${b.severity === 'warning' ? 'warning ' : ''}bucket ${b.id}: ${b.title}${ex === undefined ? '' : `  (${exampleLabel(ex)})`}`);
    }
    window.push({ t, runs: p.runs });
    while (window.length > 2 && t - (window[0]?.t ?? t) > RATE_WINDOW_MS) window.shift();
    const first = window[0] ?? { t, runs: p.runs };
    const rate = t > first.t ? ((p.runs - first.runs) * 1000) / (t - first.t) : 0;
    const budget = p.campaign.spec.timeBudgetMs ?? 0;
    const left = p.remainingMs === null ? '' : `, ${duration(p.remainingMs)} left`;
    const done = (p.batchesTotal !== null ? `batches ${n(p.batchesDone)}/${n(p.batchesTotal)} (${Math.floor((100 * p.batchesDone) / p.batchesTotal)}%)` : `${duration(p.runningMs)} of ${duration(budget)}`) + left;
    const warned = p.warningBuckets > 0 ? `  warnings ${p.warningBuckets}` : '';
    const line = `runs ${n(p.runs)}  ${n(rate)} runs/s  buckets ${p.buckets}${warned}  coverage ${n(p.coverage)}  ${done}${p.minimizing > 0 ? `  minimizing ${p.minimizing}` : ''}`;
    if (term.live !== null) term.live(line);
    else if (t - lastPlain >= PROGRESS_PLAIN_INTERVAL_MS) {
      lastPlain = t;
      term.out(line);
    }
  };
}

/** When a campaign with `remainingMs` of running time left ends, said at epoch millisecond `now`: in how long, and at what time (UTC, to the minute). */
export function endsAt(remainingMs: number, now: number): string {
  return `ends in about ${duration(remainingMs)} (${new Date(now + remainingMs).toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
}

/** Where an example was found: its scenario, its blocks per page when not 1, its seed. */
function exampleLabel(e: Example): string {
  return `${e.scenario}${e.blocksPerPage === 1 ? '' : `, bpp ${e.blocksPerPage}`}, seed ${e.seed}`;
}
