/** `pcfarm verify`: every schedule of one cell up to a bound, ending in a counterexample or a certificate. */
import { DEFAULTS, FAILURE_KINDS, groupDigits, minimize, Model, MODEL_VERSION, signatureOf, VERIFY_DEFAULTS, verifyDeepening, type DeepeningResult, type RunConfig, type VerifyBounds } from '@pcfarm/core';
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { answeredBy, boundWords, CERTIFICATES_FILE, certificateText, readCertificates, recordCertificateIn, type Certificate, type CertificateUnit, type Claim } from '@pcfarm/farm/certificates';
import { replayReproducerCommand, verifyDelaysCommand } from '@pcfarm/farm/replay-commands';
import type { RedisStore } from '@pcfarm/farm';
import type { Campaign, Store } from '@pcfarm/farm/local';
import { strategyFileRef, strategyResolver, type StrategyFileRef } from '@pcfarm/farm/strategy-files';
import { blocksPerPageOf, cellStrategyOf, InputError, noPositionals, scenarioOf, UsageError, wholeNumber, type Parsed } from './args.js';
import { EXIT } from './exit.js';
import { cellName } from './format.js';
import type { Io } from './io.js';
import { VERIFY_BOUND_MAX, VERIFY_PARAMS_MAX, VERIFY_TIME_S_DEFAULT } from './limits.js';
import { reproducerString } from './replay.js';
import { fileSystemRefusal, resultsDirOf } from './results-dir.js';
import { printedPath, type StrategyFiles } from './strategy-files.js';

/** The bounds of a search from --preemptions K | --delays K, --reclaim-actions R and --params P; K is also the highest bound deepening tries. */
export interface BoundsAsked {
  bounds: VerifyBounds;
  upTo: number;
  unit: CertificateUnit;
}

/** Read the search's bounds; `upToDefault` is K when neither --preemptions nor --delays is given. */
export function boundsOf(p: Parsed, upToDefault: number): BoundsAsked {
  if (p.options.has('preemptions') && p.options.has('delays')) throw new UsageError('give --preemptions K or --delays K, not both: they are two ways to bound a schedule');
  const byDelays = p.options.has('delays');
  const unit = byDelays ? 'delays' : 'preemptions';
  const upTo = wholeNumber(unit, p.options.get(unit), upToDefault, 0, VERIFY_BOUND_MAX);
  const bounds: VerifyBounds = {
    preemptionsMax: upTo,
    reclaimActionsMax: wholeNumber('reclaim-actions', p.options.get('reclaim-actions'), VERIFY_DEFAULTS.reclaimActionsMax, 0, VERIFY_BOUND_MAX),
    paramsMax: wholeNumber('params', p.options.get('params'), VERIFY_DEFAULTS.paramsMax, 0, VERIFY_PARAMS_MAX),
  };
  if (byDelays) bounds.delaysMax = upTo;
  return { bounds, upTo, unit };
}

export { boundWords };

/** How a search ran: in this process, on the pool's threads, or on the farm's workers (under this prefix), cut into this many subtrees over every bound. */
type Ran = DeepeningResult & { threads: number | null; subtrees: number | null; farm?: string };

/**
 * pcfarm verify: iterative deepening over the bound (preemptions, or delays),
 * 0, 1, … up to the one asked, within a time budget; the first failing bound
 * gives a counterexample, minimized, with its reproducer; otherwise a
 * certificate of the highest bound reached (options checked by the
 * caller). With --threads N the search of each bound is cut into subtrees
 * by prefix and run on N threads (@pcfarm/farm/verify-pool): the same
 * certificate, schedule for schedule. With --results DIR, --redis URL or
 * --farm the certificate and the counterexample are kept in that store,
 * for a campaign's page to show beside the cell's fuzzing; --campaign ID
 * searches every cell of that store's campaign ID in turn, each within
 * the budget. Exit 0 certified to the bound asked (every cell), 1 a
 * counterexample (in some cell), 3 the budget ran out first (in some cell).
 */
export async function verifyCommand(p: Parsed, io: Io, files: StrategyFiles): Promise<number> {
  noPositionals(p);
  const campaignId = p.options.get('campaign');
  if (campaignId !== undefined && (p.options.has('strategy') || p.options.has('scenario') || p.options.has('blocks-per-page'))) {
    throw new UsageError('--campaign verifies every cell of that campaign: give it without --strategy, --scenario or --blocks-per-page');
  }
  const one = campaignId === undefined ? cellAsked(p, files) : null;
  const search = searchAsked(p);
  const farm = p.options.has('farm');
  // A campaign is the farm's unless --results names a directory, as for campaign show.
  const redis = farm || p.options.has('redis') || p.options.has('prefix') || (campaignId !== undefined && !p.options.has('results'));
  if (farm && (p.options.has('threads') || search.schedulesMax !== undefined)) throw new UsageError("--farm runs the search on the farm's workers: give it without --threads or --schedules-max (--time-s bounds it)");
  if (farm && p.options.has('results')) throw new UsageError("--farm keeps the certificate in the farm's Redis: give it without --results");
  if (p.options.has('results') && redis) throw new UsageError('give --redis or --results, not both: the certificate is kept in one store');
  if (p.options.has('threads') && search.schedulesMax !== undefined) throw new UsageError('--schedules-max counts the schedules of one search in this process: give it without --threads (--time-s bounds a search on threads)');
  const threads = p.options.has('threads') ? (p.options.get('threads') ?? '') : null;
  const store = await storeOf(p, redis, campaignId !== undefined);
  try {
    const cells = one !== null ? [one] : await campaignCellsAsked(await store.campaign(campaignId!), files);
    // A campaign's cells on threads run side by side, each search whole on one thread: most cells take well under a second, and cutting each into subtrees costs more than it saves.
    const runner = await runnerOf(io, files, search, threads, farm ? store.redis : null, campaignId !== undefined);
    try {
      const done: ({ report: Reported; kept: KeptNote | null } | undefined)[] = cells.map(() => undefined);
      let printed = 0;
      // Reports in the cells' order, each as soon as every one before it is in.
      const flush = (): void => {
        for (; printed < done.length && done[printed] !== undefined; printed++) if (!p.options.has('json')) printReport(io, done[printed]!.report, done[printed]!.kept);
      };
      // A campaign's cells the store already answers to this bound are not searched again: running the command again resumes it.
      const known = campaignId === undefined ? [] : await store.certificates();
      const searchCell = async (i: number): Promise<void> => {
        const c = cells[i]!;
        const answer = answeredBy(known, claimOf(search, c), search.upTo);
        if (answer !== null) {
          done[i] = { report: answered(answer, store.keeper!.where), kept: null };
        } else {
          const t0 = io.now();
          const ran = await runner.run(c, t0);
          const report = reportSearch(io, files, { ...search, ...c, t0 }, ran);
          done[i] = { report, kept: store.keeper === null ? null : await keep(store.keeper, report.records) };
        }
        flush();
      };
      let next = 0;
      await Promise.all(
        Array.from({ length: runner.side }, async () => {
          while (next < cells.length) await searchCell(next++);
        }),
      );
      const reports = done.map((r) => r!);
      const exit = reports.some((r) => r.report.exit === EXIT.found) ? EXIT.found : reports.some((r) => r.report.exit === EXIT.budget) ? EXIT.budget : EXIT.ok;
      if (campaignId === undefined) {
        if (p.options.has('json')) io.out(JSON.stringify({ ...reports[0]!.report.json, kept: reports[0]!.kept }));
        return exit;
      }
      if (p.options.has('json')) {
        io.out(JSON.stringify({ campaign: campaignId, cells: reports.map((r) => ({ ...r.report.json, kept: r.kept })) }));
        return exit;
      }
      const count = (e: number): number => reports.filter((r) => r.report.exit === e).length;
      const again = reports.filter((r) => r.report.json.answered === true).length;
      io.out(
        `campaign ${campaignId}: ${reports.length} cell(s) up to ${boundWords(search.upTo, search.unit)}: ${count(EXIT.ok)} certified, ${count(EXIT.found)} with a counterexample, ${count(EXIT.budget)} stopped by the budget (--time-s ${search.timeS} a cell)${again === 0 ? '' : `; ${again} answered by what was kept, not searched again`}`,
      );
      return exit;
    } finally {
      await runner.close();
    }
  } finally {
    await store.close();
  }
}

/** The searches' bounds and budgets, the same for every cell. */
interface SearchAsked extends BoundsAsked {
  timeS: number;
  schedulesMax: number | undefined;
}

function searchAsked(p: Parsed): SearchAsked {
  return {
    ...boundsOf(p, VERIFY_DEFAULTS.preemptionsMax),
    timeS: wholeNumber('time-s', p.options.get('time-s'), VERIFY_TIME_S_DEFAULT, 1),
    schedulesMax: p.options.has('schedules-max') ? wholeNumber('schedules-max', p.options.get('schedules-max'), 0, 1) : undefined,
  };
}

/** One cell to search: its config, and its strategy file by reference (null: a built-in). */
interface CellAsked {
  cell: RunConfig;
  bpp: number;
  strategyFile: StrategyFileRef | null;
}

function cellOf(strategy: string, scenario: string, bpp: number, files: StrategyFiles): CellAsked {
  const cell: RunConfig = { strategy, scenario };
  if (bpp !== DEFAULTS.blocksPerPage) cell.blocksPerPage = bpp;
  const file = files.list.find((f) => f.id === strategy);
  return { cell, bpp, strategyFile: file === undefined ? null : strategyFileRef(file) };
}

/** --strategy S --scenario X [--blocks-per-page B]. */
function cellAsked(p: Parsed, files: StrategyFiles): CellAsked {
  const strategy = cellStrategyOf(p, files.ids);
  const scenario = scenarioOf(p);
  if (strategy === undefined || scenario === undefined) throw new UsageError('verify needs --strategy S --scenario X, or --campaign ID');
  return cellOf(strategy, scenario, blocksPerPageOf(p) ?? DEFAULTS.blocksPerPage, files);
}

/** Every cell of `campaign`, in its order; a strategy file it ran must be given, at the source it ran. */
async function campaignCellsAsked(campaign: Campaign, files: StrategyFiles): Promise<CellAsked[]> {
  const { cellAt, cellCount } = await import('@pcfarm/farm/local');
  // A certificate is of the model that searched: one of this model would never show beside that campaign's runs.
  if (campaign.modelVersion !== MODEL_VERSION) throw new InputError(`campaign ${campaign.id} ran model ${campaign.modelVersion}, and this pcfarm is model ${MODEL_VERSION}: verify it with the pcfarm that ran it, or run it again with this one`);
  for (const ref of campaign.spec.strategyFiles) {
    const file = files.list.find((f) => f.id === ref.id);
    const given = file === undefined ? null : strategyFileRef(file).sourceHash;
    if (given !== ref.sourceHash) {
      throw new InputError(`campaign ${campaign.id} ran the strategy file ${basename(ref.path)} at source ${ref.sourceHash}: give it with --strategy-file ${printedPath(ref.path)}${given === null ? '' : ` (the one given is source ${given})`}`);
    }
  }
  return Array.from({ length: cellCount(campaign.spec) }, (_, i) => {
    const { strategy, scenario, blocksPerPage } = cellAt(campaign.spec, i);
    return cellOf(strategy, scenario, blocksPerPage, files);
  });
}

/** Where the searches run: in this process, on a pool of threads, or on the farm's workers. */
interface Runner {
  run(c: CellAsked, t0: number): Promise<Ran>;
  /** Cells it searches side by side. */
  side: number;
  close(): Promise<void>;
}

/**
 * `threadsRaw`: --threads as given (null: not given), checked once the
 * pool's module tells its limit. `whole`: many cells, each search whole on
 * one thread and as many cells at once as threads, rather than each cut
 * into subtrees over them all (the same certificate either way).
 */
async function runnerOf(io: Io, files: StrategyFiles, s: SearchAsked, threadsRaw: string | null, farm: RedisStore | null, whole: boolean): Promise<Runner> {
  const spread = (c: CellAsked) => ({ strategy: c.cell.strategy, strategyFile: c.strategyFile, scenario: c.cell.scenario, blocksPerPage: c.bpp });
  // The threads and the farm read the clock as epoch milliseconds: the budget is the same instant on theirs.
  const deadline = (t0: number): number => Math.floor(Date.now() + s.timeS * 1000 - (io.now() - t0));
  if (farm !== null) {
    // The farm's modules (queues, Redis) load only for a search on the farm.
    const { verifyDeepeningOnFarm } = await import('@pcfarm/farm');
    return {
      run: async (c, t0) => ({ ...(await verifyDeepeningOnFarm(farm.redis, farm.prefix, strategyResolver([]), spread(c), s.bounds, s.upTo, { deadline: deadline(t0) })), threads: null, farm: farm.prefix }),
      side: 1,
      close: async () => {},
    };
  }
  if (threadsRaw !== null) {
    const { ThreadPool, THREADS_MAX, verifyDeepeningOnPool } = await import('@pcfarm/farm/verify-pool');
    const threads = wholeNumber('threads', threadsRaw, 1, 1, THREADS_MAX);
    const pool = new ThreadPool({ threads });
    return {
      run: async (c, t0) => ({ ...(await verifyDeepeningOnPool(pool, spread(c), s.bounds, s.upTo, { deadline: deadline(t0), ...(whole ? { subtreesMin: 1 } : {}) })), threads }),
      side: whole ? threads : 1,
      close: () => pool.close(),
    };
  }
  return {
    run: async (c, t0) => ({ ...verifyDeepening(c.cell, s.bounds, s.upTo, { model: files.model, schedulesMax: s.schedulesMax, shouldStop: () => io.now() - t0 >= s.timeS * 1000 }), threads: null, subtrees: null }),
    side: 1,
    close: async () => {},
  };
}

/** What a search of cell `c` within `s` claims, whatever it finds. */
function claimOf(s: SearchAsked, c: CellAsked): Claim {
  return { strategy: c.cell.strategy, strategyFile: c.strategyFile, scenario: c.cell.scenario, blocksPerPage: c.bpp, modelVersion: MODEL_VERSION, unit: s.unit, reclaimActionsMax: s.bounds.reclaimActionsMax, paramsMax: s.bounds.paramsMax };
}

/** A cell the store already answers: its record, as a report (not searched again). */
function answered(k: Certificate, where: string): Reported {
  const line = `${cellName(k)}: ${certificateText(k)}, kept already in ${where}; not searched again`;
  // A record keeps its signature, whose first word is the failure's kind ("deadlock in v2.6.20: self; ..."), and the search's limits, not the bound it was asked to.
  const kind = k.signature === null ? null : (FAILURE_KINDS.find((f) => k.signature!.startsWith(`${f} in `)) ?? null);
  const kept: VerifyJson = {
    result: k.result,
    kind,
    signature: k.signature,
    reproducer: k.reproducer,
    bound: k.bound,
    asked: null,
    unit: k.unit,
    schedules: k.schedules,
    classes: k.classes,
    hash: k.hash,
    seconds: k.seconds,
    bounds: { reclaimActionsMax: k.reclaimActionsMax, paramsMax: k.paramsMax },
    modelVersion: k.modelVersion,
    cell: { strategy: k.strategy, scenario: k.scenario, blocksPerPage: k.blocksPerPage },
  };
  const json = { ...kept, answered: true };
  return { exit: k.result === 'clean' ? EXIT.ok : EXIT.found, records: [], lines: [line], json };
}

/** The store the options name, if any: where certificates are kept, the campaign --campaign names, the farm's Redis. */
interface StoreOpened {
  keeper: Keeper | null;
  campaign(id: string): Promise<Campaign>;
  /** The records it keeps (none without a store). */
  certificates(): Promise<Certificate[]>;
  redis: RedisStore | null;
  close(): Promise<void>;
}

/** Redis is reached before any search, so a wrong URL is said at once, not after it; a file where the results directory should be, too. */
async function storeOf(p: Parsed, redis: boolean, ofCampaign: boolean): Promise<StoreOpened> {
  if (redis) {
    const { openRedis, redisOptionsOf, redisWhere } = await import('./open-store.js');
    const store = await openRedis(p);
    return { keeper: storeKeeper(store, redisWhere(redisOptionsOf(p))), campaign: (id) => store.getCampaign(id), certificates: () => store.certificates(), redis: store, close: () => store.close() };
  }
  const raw = p.options.get('results');
  if (raw === undefined) return { keeper: null, campaign: () => Promise.reject(new Error('verify: a campaign is read from a store')), certificates: async () => [], redis: null, close: async () => {} };
  return {
    keeper: resultsKeeper(raw, !ofCampaign),
    certificates: async () => readCertificates(resolve(raw)),
    campaign: async (id) => {
      // Read-only: a fuzz may be writing the directory; the certificates have a file of their own.
      const { openResults } = await import('./open-store.js');
      const { store } = openResults(p, 'read');
      try {
        return await store.getCampaign(id);
      } finally {
        await store.close();
      }
    },
    redis: null,
    close: async () => {},
  };
}

/** Where a search's certificate and counterexample are kept, for people, and how. */
interface Keeper {
  where: string;
  /** Keep each record; whether each said more than what its store had of the same claim. */
  keep(records: readonly Certificate[]): Promise<boolean[]>;
}

/** --results DIR: its certificates file, beside a campaign's journal (a file where the directory should be is said before the search). */
function resultsKeeper(raw: string, make: boolean): Keeper {
  const { dir, named } = resultsDirOf(raw, raw, make);
  const say = (m: string): string => `${named}: cannot record a certificate in ${dir}: ${m}`;
  // Made now, so a directory that cannot be is said before the search, not after it; a campaign's is never made: it holds the campaign, or the name is mistyped.
  if (make) fileSystemRefusal(() => mkdirSync(dir, { recursive: true }), say);
  return { where: join(dir, CERTIFICATES_FILE), keep: async (records) => records.map((c) => fileSystemRefusal(() => recordCertificateIn(dir, c), say)) };
}

/** --redis URL or --farm: the farm's store. */
function storeKeeper(store: Pick<Store, 'recordCertificate'>, where: string): Keeper {
  return {
    where,
    keep: async (records) => {
      const kept: boolean[] = [];
      for (const c of records) kept.push(await store.recordCertificate(c));
      return kept;
    },
  };
}

/** Keep a search's records; what was kept, and where. */
async function keep(keeper: Keeper, records: readonly Certificate[]): Promise<KeptNote> {
  const flags = await keeper.keep(records);
  return { where: keeper.where, records: records.map((c, i) => ({ text: certificateText(c), kept: flags[i]! })) };
}

/** A search's report in words, and what was kept of it. */
function printReport(io: Io, r: Reported, kept: KeptNote | null): void {
  for (const l of r.lines) io.out(l);
  for (const k of kept?.records ?? []) io.out(`  ${k.kept ? 'kept' : 'not kept (as strong a record of the same claim is kept already)'}: ${k.text}, in ${kept!.where}`);
}

/** One cell's search: the bounds and budgets, the cell, and when it started. */
type Asked = SearchAsked & CellAsked & { t0: number };

/** What was kept of a search, and where: printed after its report. */
interface KeptNote {
  where: string;
  records: { text: string; kept: boolean }[];
}

/** A search's report: its exit status, what a store keeps of it, its lines in words and its object for --json (without what was kept). */
interface Reported {
  exit: number;
  records: Certificate[];
  lines: string[];
  json: Record<string, unknown>;
}

/**
 * A cell's --json, with the same keys whatever came of it (a counterexample,
 * a certificate, a stopped search, or a record the store answered with), so
 * a script reads one shape: `classes` and `hash` are the highest bound
 * certified's (null when none was), `asked` the bound asked for, and a
 * field that does not apply is null.
 */
interface VerifyJson {
  result: 'clean' | 'fail' | 'stopped';
  kind: string | null;
  signature: string | null;
  reproducer: string | null;
  bound: number;
  asked: number | null;
  unit: CertificateUnit;
  schedules: number;
  classes: number | null;
  hash: string | null;
  seconds: number;
  bounds: { reclaimActionsMax: number; paramsMax: number } & Partial<VerifyBounds>;
  modelVersion: string;
  cell: { strategy: string; scenario: string; blocksPerPage: number };
}

/** A search's counterexample (minimized) or certificate, as text or --json, and its records for a store. */
function reportSearch(io: Io, files: StrategyFiles, a: Asked, r: Ran): Reported {
  const { cell, bpp, bounds, upTo, unit, timeS, schedulesMax, t0 } = a;
  const { strategy, scenario } = cell;
  const seconds = (io.now() - t0) / 1000;
  const limits = `reclaim actions <= ${bounds.reclaimActionsMax}, generated parameters <= ${bounds.paramsMax}, ${bpp} block(s) a page`;
  const what = `${strategy} x ${scenario}`;
  const bound = (k: number): string => boundWords(k, unit);
  const pooled = r.farm !== undefined ? { farm: r.farm, subtrees: r.subtrees } : r.threads === null ? {} : { threads: r.threads, subtrees: r.subtrees };
  const onThreads =
    r.farm !== undefined ? ` on the farm (prefix ${r.farm}), ${groupDigits(r.subtrees!)} subtrees` : r.threads === null ? '' : ` on ${r.threads} thread(s), ${groupDigits(r.subtrees!)} subtrees`;
  const lines: string[] = [];
  const record = (result: Certificate['result'], b: number, schedules: number, rest: Pick<Certificate, 'classes' | 'hash' | 'signature' | 'reproducer'>): Certificate => ({
    result,
    strategy,
    strategyFile: a.strategyFile,
    scenario,
    blocksPerPage: bpp,
    modelVersion: MODEL_VERSION,
    unit,
    bound: b,
    reclaimActionsMax: bounds.reclaimActionsMax,
    paramsMax: bounds.paramsMax,
    schedules,
    ...rest,
    seconds,
    at: Date.now(),
  });
  const records: Certificate[] = [];
  // The certificate of the highest bound certified, whether a deeper search failed, was stopped, or was the last asked.
  if (r.certified !== null) records.push(record('clean', r.bound - (r.result === 'fail' ? 1 : 0), r.certified.schedules, { classes: r.certified.classes, hash: r.certified.hash, signature: null, reproducer: null }));
  const done = (exit: number, json: Record<string, unknown>): Reported => ({ exit, records, lines, json });
  if (r.result === 'fail') {
    const failed = r.last.failure!;
    // The counterexample replays under the search's own scheduler and reclaim budget: its reproducer says so.
    const config: RunConfig = { ...cell, scheduler: 'systematic', reclaimActionsMax: bounds.reclaimActionsMax };
    const small = minimize(new Model(config, files.model), { choices: failed.choices }, { shouldStop: () => io.now() - t0 >= (timeS + 20) * 1000 });
    const reproducer = reproducerString(config, small.choices, files);
    const title = signatureOf(failed)!.title;
    records.push(record('fail', r.bound, r.last.schedules, { classes: null, hash: null, signature: title, reproducer }));
    lines.push(`FAIL ${what} at ${bound(r.bound)} (${limits}), after ${groupDigits(r.schedules)} schedules in ${seconds.toFixed(1)} s${onThreads}`);
    lines.push(`  ${failed.failure!.message}`);
    for (const d of failed.failure!.details) lines.push(`  ${d}`);
    lines.push(`  signature: ${title}`);
    lines.push(`  minimized: ${small.choices.length} choices, ${small.after.switches} context switches (${small.stoppedBy === 'fixpoint' ? 'a fixpoint' : 'the budget stopped it'})`);
    lines.push(`  reproducer: ${reproducer}`);
    lines.push(`  replay: ${replayReproducerCommand(reproducer, files.printedPath(strategy))}`);
    const cert = r.certified;
    const json: VerifyJson = { result: 'fail', kind: failed.failure!.kind, signature: title, reproducer, bound: r.bound, asked: upTo, unit, schedules: r.schedules, classes: cert?.classes ?? null, hash: cert?.hash ?? null, seconds, bounds, modelVersion: MODEL_VERSION, cell: { strategy, scenario, blocksPerPage: bpp } };
    return done(EXIT.found, { ...json, ...pooled });
  }
  const certified = r.bound;
  const result = r.result === 'clean' ? 'clean' : 'stopped';
  const cert = r.certified;
  if (cert !== null) {
    lines.push(
      `clean up to ${bound(certified)}: ${what}, ${groupDigits(cert.schedules)} schedules, ${groupDigits(cert.classes)} classes, ${seconds.toFixed(1)} s${onThreads} (${limits}; model ${MODEL_VERSION}, hash ${cert.hash})`,
    );
  }
  if (result === 'stopped') {
    lines.push(`stopped by the ${schedulesMax !== undefined && r.last.schedules >= schedulesMax ? `schedule budget (--schedules-max ${schedulesMax})` : `time budget (--time-s ${timeS})`} before ${bound(certified + 1)} was certified; ${certified < 0 ? 'nothing is certified' : `${certified} is the highest bound certified`}`);
    if (unit === 'preemptions') {
      // Every point where one of several tasks blocks is a free branch to a preemption bound: delays bound those too.
      const command = verifyDelaysCommand(cell, { delays: upTo, reclaimActions: bounds.reclaimActionsMax, params: bounds.paramsMax, timeS }, files.printedPath(strategy));
      lines.push(`  delay bounding explores a subset of the schedules, far fewer where tasks block often: ${command}`);
    }
  }
  // classes and hash are the certificate's, the highest bound certified: a search the budget stopped certifies nothing of its own.
  const json: VerifyJson = { result, kind: null, signature: null, reproducer: null, bound: certified, asked: upTo, unit, schedules: r.schedules, classes: cert?.classes ?? null, hash: cert?.hash ?? null, seconds, bounds, modelVersion: MODEL_VERSION, cell: { strategy, scenario, blocksPerPage: bpp } };
  return done(result === 'clean' ? EXIT.ok : EXIT.budget, { ...json, ...pooled });
}
