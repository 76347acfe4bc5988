/** `pcfarm verify`: every schedule of one cell up to a bound, ending in a counterexample or a certificate. */
import { DEFAULTS, minimize, Model, MODEL_VERSION, signatureOf, VERIFY_DEFAULTS, verifyDeepening, type DeepeningResult, type RunConfig, type VerifyBounds } from '@pcfarm/core';
import { replayReproducerCommand, verifyDelaysCommand } from '@pcfarm/farm/replay-commands';
import { strategyFileRef, strategyResolver } from '@pcfarm/farm/strategy-files';
import { blocksPerPageOf, noPositionals, scenarioOf, strategyOf, UsageError, wholeNumber, type Parsed } from './args.js';
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

/** `k` of a bound's unit as words say it: "1 preemption", "2 delays". */
export function boundWords(k: number, unit: BoundsAsked['unit']): string {
  return `${k} ${k === 1 ? unit.slice(0, -1) : unit}`;
}

/** How a search ran: in this process, on the pool's threads, or on the farm's workers (under this prefix), cut into this many subtrees over every bound. */
type Ran = DeepeningResult & { threads: number | null; subtrees: number | null; farm?: string };

/**
 * pcfarm verify: iterative deepening over the bound (preemptions, or delays),
 * 0, 1, … up to the one asked, within a time budget; the first failing bound
 * gives a counterexample, minimized, with its reproducer; otherwise a
 * certificate of the highest bound reached (options checked by the
 * caller). With --threads N the search of each bound is cut into subtrees
 * by prefix and run on N threads (@pcfarm/farm/verify-pool): the same
 * certificate, schedule for schedule. Exit 0 certified to the bound asked,
 * 1 a counterexample, 3 the budget ran out first.
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
  const report = (r: Ran): number => reportSearch(p, io, files, { cell, bpp, bounds, upTo, unit, timeS, schedulesMax, t0 }, r);
  const file = files.list.find((f) => f.id === strategy);
  const spread = { strategy, strategyFile: file === undefined ? null : strategyFileRef(file), scenario, blocksPerPage: bpp };
  // The threads and the farm read the clock as epoch milliseconds: the budget is the same instant on theirs.
  const deadline = (): number => Math.floor(Date.now() + timeS * 1000 - (io.now() - t0));
  if (p.options.has('farm')) {
    if (p.options.has('threads') || schedulesMax !== undefined) throw new UsageError('--farm runs the search on the farm\'s workers: give it without --threads or --schedules-max (--time-s bounds it)');
    // The farm's modules (queues, Redis) load only for a search on the farm.
    return Promise.all([import('./open-store.js'), import('@pcfarm/farm')]).then(async ([{ openRedis }, { verifyDeepeningOnFarm }]) => {
      const store = await openRedis(p);
      try {
        const r = await verifyDeepeningOnFarm(store.redis, store.prefix, strategyResolver([]), spread, bounds, upTo, { deadline: deadline() });
        return report({ ...r, threads: null, farm: store.prefix });
      } finally {
        await store.close();
      }
    });
  }
  if (!p.options.has('threads')) return report({ ...verifyDeepening(cell, bounds, upTo, { model: files.model, schedulesMax, shouldStop: () => io.now() - t0 >= timeS * 1000 }), threads: null, subtrees: null });
  if (schedulesMax !== undefined) throw new UsageError("--schedules-max counts the schedules of one search in this process: give it without --threads (--time-s bounds a search on threads)");
  const raw = p.options.get('threads');
  return import('@pcfarm/farm/verify-pool').then(async ({ ThreadPool, THREADS_MAX, verifyDeepeningOnPool }) => {
    const threads = wholeNumber('threads', raw, 1, 1, THREADS_MAX);
    const pool = new ThreadPool({ threads });
    try {
      const r = await verifyDeepeningOnPool(pool, spread, bounds, upTo, { deadline: deadline() });
      return report({ ...r, threads });
    } finally {
      await pool.close();
    }
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
}

/** Print a search's counterexample (minimized) or certificate, as text or --json; its exit status. */
function reportSearch(p: Parsed, io: Io, files: StrategyFiles, a: Asked, r: Ran): number {
  const { cell, bpp, bounds, upTo, unit, timeS, schedulesMax, t0 } = a;
  const { strategy, scenario } = cell;
  const seconds = (io.now() - t0) / 1000;
  const limits = `reclaim actions <= ${bounds.reclaimActionsMax}, generated parameters <= ${bounds.paramsMax}, ${bpp} block(s) a page`;
  const what = `${strategy} x ${scenario}`;
  const bound = (k: number): string => boundWords(k, unit);
  const pooled = r.farm !== undefined ? { farm: r.farm, subtrees: r.subtrees } : r.threads === null ? {} : { threads: r.threads, subtrees: r.subtrees };
  const onThreads =
    r.farm !== undefined ? ` on the farm (prefix ${r.farm}), ${r.subtrees!.toLocaleString('en-US')} subtrees` : r.threads === null ? '' : ` on ${r.threads} thread(s), ${r.subtrees!.toLocaleString('en-US')} subtrees`;
  if (r.result === 'fail') {
    const failed = r.last.failure!;
    // The counterexample replays under the search's own scheduler and reclaim budget: its reproducer says so.
    const config: RunConfig = { ...cell, scheduler: 'systematic', reclaimActionsMax: bounds.reclaimActionsMax };
    const small = minimize(new Model(config, files.model), { choices: failed.choices }, { shouldStop: () => io.now() - t0 >= (timeS + 20) * 1000 });
    const reproducer = reproducerString(config, small.choices, files);
    const title = signatureOf(failed)!.title;
    if (p.options.has('json')) {
      io.out(JSON.stringify({ result: 'fail', kind: failed.failure!.kind, signature: title, reproducer, bound: r.bound, unit, schedules: r.schedules, classes: r.last.classes, seconds, bounds, modelVersion: MODEL_VERSION, cell: { strategy, scenario, blocksPerPage: bpp }, ...pooled }));
      return EXIT.found;
    }
    io.out(`FAIL ${what} at ${bound(r.bound)} (${limits}), after ${r.schedules.toLocaleString('en-US')} schedules in ${seconds.toFixed(1)} s${onThreads}`);
    io.out(`  ${failed.failure!.message}`);
    for (const d of failed.failure!.details) io.out(`  ${d}`);
    io.out(`  signature: ${title}`);
    io.out(`  minimized: ${small.choices.length} choices, ${small.after.switches} context switches (${small.stoppedBy === 'fixpoint' ? 'a fixpoint' : 'the budget stopped it'})`);
    io.out(`  reproducer: ${reproducer}`);
    io.out(`  replay: ${replayReproducerCommand(reproducer, files.printedPath(strategy))}`);
    return EXIT.found;
  }
  const certified = r.bound;
  const result = r.result === 'clean' ? 'clean' : 'stopped';
  if (p.options.has('json')) {
    // classes and hash are the certificate's, the highest bound certified: a search the budget stopped certifies nothing of its own.
    const cert = r.certified;
    io.out(JSON.stringify({ result, kind: null, reproducer: null, bound: certified, asked: upTo, unit, schedules: r.schedules, classes: cert?.classes ?? null, hash: cert?.hash ?? null, seconds, bounds, modelVersion: MODEL_VERSION, cell: { strategy, scenario, blocksPerPage: bpp }, ...pooled }));
    return result === 'clean' ? EXIT.ok : EXIT.budget;
  }
  if (r.certified !== null) {
    // The certificate of the highest bound certified, whether or not the budget stopped a deeper search.
    const cert = r.certified;
    io.out(
      `clean up to ${bound(certified)}: ${what}, ${cert.schedules.toLocaleString('en-US')} schedules, ${cert.classes.toLocaleString('en-US')} classes, ${seconds.toFixed(1)} s${onThreads} (${limits}; model ${MODEL_VERSION}, hash ${cert.hash})`,
    );
  }
  if (result === 'stopped') {
    io.out(`stopped by the ${schedulesMax !== undefined && r.last.schedules >= schedulesMax ? `schedule budget (--schedules-max ${schedulesMax})` : `time budget (--time-s ${timeS})`} before ${bound(certified + 1)} was certified; ${certified < 0 ? 'nothing is certified' : `${certified} is the highest bound certified`}`);
    if (unit === 'preemptions') {
      // Every point where one of several tasks blocks is a free branch to a preemption bound: delays bound those too.
      const command = verifyDelaysCommand(cell, { delays: upTo, reclaimActions: bounds.reclaimActionsMax, params: bounds.paramsMax, timeS }, files.printedPath(strategy));
      io.out(`  delay bounding explores a subset of the schedules, far fewer where tasks block often: ${command}`);
    }
    return EXIT.budget;
  }
  return EXIT.ok;
}
