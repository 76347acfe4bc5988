/** `pcfarm verify`: every schedule of one cell up to a bound, ending in a counterexample or a certificate. */
import { DEFAULTS, minimize, Model, MODEL_VERSION, signatureOf, VERIFY_DEFAULTS, verifyDeepening, type DeepeningResult, type RunConfig, type VerifyBounds } from '@pcfarm/core';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { boundWords, CERTIFICATES_FILE, certificateText, recordCertificateIn, type Certificate } from '@pcfarm/farm/certificates';
import { replayReproducerCommand, verifyDelaysCommand } from '@pcfarm/farm/replay-commands';
import type { Store } from '@pcfarm/farm/local';
import { strategyFileRef, strategyResolver, type StrategyFileRef } from '@pcfarm/farm/strategy-files';
import { blocksPerPageOf, InputError, noPositionals, scenarioOf, strategyOf, UsageError, wholeNumber, type Parsed } from './args.js';
import { EXIT } from './exit.js';
import type { Io } from './io.js';
import { VERIFY_BOUND_MAX, VERIFY_PARAMS_MAX, VERIFY_TIME_S_DEFAULT } from './limits.js';
import { reproducerString } from './replay.js';
import type { StrategyFiles } from './strategy-files.js';

/** The bounds of a search from --preemptions K | --delays K, --reclaim-actions R and --params P; K is also the highest bound deepening tries. */
export interface BoundsAsked {
  bounds: VerifyBounds;
  upTo: number;
  unit: 'preemptions' | 'delays';
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
 * for a campaign's page to show beside the cell's fuzzing. Exit 0
 * certified to the bound asked, 1 a counterexample, 3 the budget ran out
 * first.
 */
export function verifyCommand(p: Parsed, io: Io, files: StrategyFiles): number | Promise<number> {
  noPositionals(p);
  const strategy = strategyOf(p, files.ids);
  const scenario = scenarioOf(p);
  if (strategy === undefined || scenario === undefined) throw new UsageError('verify needs --strategy S --scenario X');
  const { bounds, upTo, unit } = boundsOf(p, VERIFY_DEFAULTS.preemptionsMax);
  const timeS = wholeNumber('time-s', p.options.get('time-s'), VERIFY_TIME_S_DEFAULT, 1);
  const schedulesMax = p.options.has('schedules-max') ? wholeNumber('schedules-max', p.options.get('schedules-max'), 0, 1) : undefined;
  const bpp = blocksPerPageOf(p) ?? DEFAULTS.blocksPerPage;
  const cell: RunConfig = { strategy, scenario };
  if (bpp !== DEFAULTS.blocksPerPage) cell.blocksPerPage = bpp;
  const t0 = io.now();
  const file = files.list.find((f) => f.id === strategy);
  const spread = { strategy, strategyFile: file === undefined ? null : strategyFileRef(file), scenario, blocksPerPage: bpp };
  const asked: Asked = { cell, bpp, bounds, upTo, unit, timeS, schedulesMax, t0, strategyFile: spread.strategyFile };
  const report = (r: Ran, keeper: Keeper | null): number | Promise<number> => kept(reportSearch(p, io, files, asked, r), keeper);
  // The threads and the farm read the clock as epoch milliseconds: the budget is the same instant on theirs.
  const deadline = (): number => Math.floor(Date.now() + timeS * 1000 - (io.now() - t0));
  if (p.options.has('farm')) {
    if (p.options.has('threads') || schedulesMax !== undefined) throw new UsageError('--farm runs the search on the farm\'s workers: give it without --threads or --schedules-max (--time-s bounds it)');
    if (p.options.has('results')) throw new UsageError('--farm keeps the certificate in the farm\'s Redis: give it without --results');
    // The farm's modules (queues, Redis) load only for a search on the farm.
    return Promise.all([import('./open-store.js'), import('@pcfarm/farm')]).then(async ([{ openRedis, redisOptionsOf, redisWhere }, { verifyDeepeningOnFarm }]) => {
      const store = await openRedis(p);
      try {
        const r = await verifyDeepeningOnFarm(store.redis, store.prefix, strategyResolver([]), spread, bounds, upTo, { deadline: deadline() });
        return await report({ ...r, threads: null, farm: store.prefix }, storeKeeper(store, redisWhere(redisOptionsOf(p))));
      } finally {
        await store.close();
      }
    });
  }
  const search = (keeper: Keeper | null): number | Promise<number> => {
    if (!p.options.has('threads')) return report({ ...verifyDeepening(cell, bounds, upTo, { model: files.model, schedulesMax, shouldStop: () => io.now() - t0 >= timeS * 1000 }), threads: null, subtrees: null }, keeper);
    if (schedulesMax !== undefined) throw new UsageError("--schedules-max counts the schedules of one search in this process: give it without --threads (--time-s bounds a search on threads)");
    const raw = p.options.get('threads');
    return import('@pcfarm/farm/verify-pool').then(async ({ ThreadPool, THREADS_MAX, verifyDeepeningOnPool }) => {
      const threads = wholeNumber('threads', raw, 1, 1, THREADS_MAX);
      const pool = new ThreadPool({ threads });
      try {
        const r = await verifyDeepeningOnPool(pool, spread, bounds, upTo, { deadline: deadline() });
        return await report({ ...r, threads }, keeper);
      } finally {
        await pool.close();
      }
    });
  };
  if (p.options.has('results')) {
    if (p.options.has('redis') || p.options.has('prefix')) throw new UsageError('give --redis or --results, not both: the certificate is kept in one store');
    return search(resultsKeeper(p.options.get('results')!));
  }
  if (!p.options.has('redis') && !p.options.has('prefix')) return search(null);
  // Redis is reached before the search, so a wrong URL is said at once, not after it.
  return import('./open-store.js').then(async ({ openRedis, redisOptionsOf, redisWhere }) => {
    const store = await openRedis(p);
    try {
      return await search(storeKeeper(store, redisWhere(redisOptionsOf(p))));
    } finally {
      await store.close();
    }
  });
}

/** Where a search's certificate and counterexample are kept, for people, and how. */
interface Keeper {
  where: string;
  /** Keep each record; whether each said more than what its store had of the same claim. */
  keep(records: readonly Certificate[]): Promise<boolean[]>;
}

/** --results DIR: its certificates file, beside a campaign's journal (a file where the directory should be is said before the search). */
function resultsKeeper(raw: string): Keeper {
  const dir = resolve(raw);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new InputError(`--results ${raw}: ${dir} is a file, not a directory; name a directory (it is made when missing)`);
  return { where: join(dir, CERTIFICATES_FILE), keep: async (records) => records.map((c) => recordCertificateIn(dir, c)) };
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

/** A search's report, kept by `keeper` first when there is one, then printed; its exit status. */
function kept(r: Reported, keeper: Keeper | null): number | Promise<number> {
  if (keeper === null) {
    r.print(null);
    return r.exit;
  }
  return keeper.keep(r.records).then((flags) => {
    r.print({ where: keeper.where, records: r.records.map((c, i) => ({ text: certificateText(c), kept: flags[i]! })) });
    return r.exit;
  });
}

interface Asked {
  cell: RunConfig;
  bpp: number;
  bounds: VerifyBounds;
  upTo: number;
  unit: 'preemptions' | 'delays';
  timeS: number;
  schedulesMax: number | undefined;
  t0: number;
  strategyFile: StrategyFileRef | null;
}

/** What was kept of a search, and where: printed after its report. */
interface KeptNote {
  where: string;
  records: { text: string; kept: boolean }[];
}

/** A search's report: its exit status, what a store keeps of it, and its printing, with what was kept (null: no store asked). */
interface Reported {
  exit: number;
  records: Certificate[];
  print(kept: KeptNote | null): void;
}

/** A search's counterexample (minimized) or certificate, as text or --json, and its records for a store. */
function reportSearch(p: Parsed, io: Io, files: StrategyFiles, a: Asked, r: Ran): Reported {
  const { cell, bpp, bounds, upTo, unit, timeS, schedulesMax, t0 } = a;
  const { strategy, scenario } = cell;
  const seconds = (io.now() - t0) / 1000;
  const limits = `reclaim actions <= ${bounds.reclaimActionsMax}, generated parameters <= ${bounds.paramsMax}, ${bpp} block(s) a page`;
  const what = `${strategy} x ${scenario}`;
  const bound = (k: number): string => boundWords(k, unit);
  const pooled = r.farm !== undefined ? { farm: r.farm, subtrees: r.subtrees } : r.threads === null ? {} : { threads: r.threads, subtrees: r.subtrees };
  const onThreads =
    r.farm !== undefined ? ` on the farm (prefix ${r.farm}), ${r.subtrees!.toLocaleString('en-US')} subtrees` : r.threads === null ? '' : ` on ${r.threads} thread(s), ${r.subtrees!.toLocaleString('en-US')} subtrees`;
  const json = p.options.has('json');
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
  const done = (exit: number, object: Record<string, unknown>): Reported => ({
    exit,
    records,
    print(kept) {
      if (json) {
        io.out(JSON.stringify({ ...object, kept }));
        return;
      }
      for (const l of lines) io.out(l);
      for (const k of kept?.records ?? []) io.out(`  ${k.kept ? 'kept' : 'not kept (as strong a record of the same claim is kept already)'}: ${k.text}, in ${kept!.where}`);
    },
  });
  if (r.result === 'fail') {
    const failed = r.last.failure!;
    // The counterexample replays under the search's own scheduler and reclaim budget: its reproducer says so.
    const config: RunConfig = { ...cell, scheduler: 'systematic', reclaimActionsMax: bounds.reclaimActionsMax };
    const small = minimize(new Model(config, files.model), { choices: failed.choices }, { shouldStop: () => io.now() - t0 >= (timeS + 20) * 1000 });
    const reproducer = reproducerString(config, small.choices, files);
    const title = signatureOf(failed)!.title;
    records.push(record('fail', r.bound, r.last.schedules, { classes: null, hash: null, signature: title, reproducer }));
    lines.push(`FAIL ${what} at ${bound(r.bound)} (${limits}), after ${r.schedules.toLocaleString('en-US')} schedules in ${seconds.toFixed(1)} s${onThreads}`);
    lines.push(`  ${failed.failure!.message}`);
    for (const d of failed.failure!.details) lines.push(`  ${d}`);
    lines.push(`  signature: ${title}`);
    lines.push(`  minimized: ${small.choices.length} choices, ${small.after.switches} context switches (${small.stoppedBy === 'fixpoint' ? 'a fixpoint' : 'the budget stopped it'})`);
    lines.push(`  reproducer: ${reproducer}`);
    lines.push(`  replay: ${replayReproducerCommand(reproducer, files.printedPath(strategy))}`);
    return done(EXIT.found, { result: 'fail', kind: failed.failure!.kind, signature: title, reproducer, bound: r.bound, unit, schedules: r.schedules, classes: r.last.classes, seconds, bounds, modelVersion: MODEL_VERSION, cell: { strategy, scenario, blocksPerPage: bpp }, ...pooled });
  }
  const certified = r.bound;
  const result = r.result === 'clean' ? 'clean' : 'stopped';
  const cert = r.certified;
  if (cert !== null) {
    lines.push(
      `clean up to ${bound(certified)}: ${what}, ${cert.schedules.toLocaleString('en-US')} schedules, ${cert.classes.toLocaleString('en-US')} classes, ${seconds.toFixed(1)} s${onThreads} (${limits}; model ${MODEL_VERSION}, hash ${cert.hash})`,
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
  return done(result === 'clean' ? EXIT.ok : EXIT.budget, { result, kind: null, reproducer: null, bound: certified, asked: upTo, unit, schedules: r.schedules, classes: cert?.classes ?? null, hash: cert?.hash ?? null, seconds, bounds, modelVersion: MODEL_VERSION, cell: { strategy, scenario, blocksPerPage: bpp }, ...pooled });
}
