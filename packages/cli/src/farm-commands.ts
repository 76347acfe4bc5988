/**
 * The distributed farm's commands: `pcfarm coordinator` and `pcfarm worker`
 * (the two long-running roles, on any machine that reaches the farm's
 * Redis), and `pcfarm campaign ...`, which only changes the store: the
 * coordinator notices and acts. Redis is REDIS_URL, or --redis.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import {
  campaignCertificates,
  cellEvidence,
  checkCertificate,
  batchCount,
  campaignRisk,
  canaryChecks,
  checkSnapshot,
  COORDINATOR_DEFAULTS,
  doneCount,
  FARM_WORKER_DEFAULTS,
  FarmError,
  MINIMIZE_RUNS_MAX_DEFAULT,
  MINIMIZE_RUNS_MAX_LIMIT,
  redactedUrl,
  REDIS_CONNECT_MS_DEFAULT,
  RESULTS_FORMAT,
  RESULTS_VERSIONS_READ,
  scanStrategyDirs,
  searchCells,
  seedsPerBatch,
  stalledCheckMsFor,
  THREADS_MAX,
  unreadableVersion,
  withPollen,
  type CampaignSnapshot,
  type JournalEntry,
  type CampaignSummary,
  type Certificate,
  type Store,
} from '@pcfarm/farm/local';
import type { RedisStore } from '@pcfarm/farm';
import { PCFARM, shellWord } from '@pcfarm/farm/replay-commands';
import { checkOptions, InputError, noPositionals, UsageError, wholeNumber, type Parsed } from './args.js';
import { EXIT } from './exit.js';
import { columns, plural } from './format.js';
import type { Io } from './io.js';
import { RESULTS_DIR_DEFAULT } from './limits.js';
import { openRedis, openResults, redisOptionsOf, redisWhere, sayRepairs } from './open-store.js';
import { specOf, wantsPollen } from './spec.js';
import { withStrategyFiles } from './strategy-files.js';
import { printSummary } from './summary.js';
import { OPTIONS } from './usage.js';

/** A worker may start before Redis does (a compose stack, a machine joining): it waits this many times longer for it. */
const WORKER_CONNECT_PATIENCE = 6;

/** A log line of a long-running role: the time, the role, the line. */
function logger(role: string, io: Io): (line: string) => void {
  return (line) => io.out(`${new Date().toISOString().slice(11, 23)} ${role}: ${line}`);
}

/** Resolves at the first SIGINT or SIGTERM; a second one quits at once. */
function untilSignal(log: (line: string) => void): Promise<void> {
  return new Promise((done) => {
    const first = (sig: NodeJS.Signals) => {
      process.off('SIGINT', first);
      process.off('SIGTERM', first);
      log(`${sig}: finishing the jobs in hand (again to quit now)`);
      process.once('SIGINT', () => process.exit(EXIT.interrupted));
      process.once('SIGTERM', () => process.exit(EXIT.terminated));
      done();
    };
    process.on('SIGINT', first);
    process.on('SIGTERM', first);
  });
}

/**
 * pcfarm coordinator: cut running campaigns into batch jobs, record their
 * results, queue minimizations and audits, until SIGINT or SIGTERM.
 */
export async function coordinatorCommand(p: Parsed, io: Io): Promise<number> {
  checkOptions(p, OPTIONS.coordinator);
  noPositionals(p);
  const d = COORDINATOR_DEFAULTS;
  const opt = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) => wholeNumber(name, p.options.get(name), fallback, min, max);
  const { url, prefix, connectMs } = redisOptionsOf(p);
  const options = {
    prefix,
    queuedPerWorker: opt('queued-per-worker', d.queuedPerWorker, 1, 1000),
    auditOneIn: opt('audit-one-in', d.auditOneIn, 0),
    leaseMs: opt('lease-ms', d.leaseMs, 100),
    reconcileMs: opt('reconcile-ms', d.reconcileMs, 100),
    progressMs: opt('progress-ms', d.progressMs, 100),
    tickMs: opt('tick-ms', d.tickMs, 10, 60_000),
    infraRetriesMax: opt('infra-retries-max', d.infraRetriesMax, 0, 100),
    minimizeRunsMax: opt('minimize-runs-max', MINIMIZE_RUNS_MAX_DEFAULT, 1, MINIMIZE_RUNS_MAX_LIMIT),
  };
  const log = logger('coordinator', io);
  // BullMQ loads once the options are good: a usage error is told at once.
  const { connectRedis, Coordinator } = await import('@pcfarm/farm');
  const redis = await connectRedis(url, { connectMs, log });
  const c = await Coordinator.start(redis, { ...options, log });
  // Listening before the line that says it runs: a SIGTERM sent on seeing that line stops it, rather than killing it unhandled.
  const stopped = untilSignal(log);
  log(`${c.id} on ${redactedUrl(url)}: ${options.queuedPerWorker} batches queued per worker slot, audit 1 batch in ${options.auditOneIn || 'none'}`);
  await stopped;
  await c.close();
  await redis.quit().catch(() => redis.disconnect());
  return EXIT.ok;
}

/** pcfarm worker: run the farm's batch and minimization jobs on every core (or --concurrency), until SIGINT or SIGTERM. */
export async function workerCommand(p: Parsed, io: Io): Promise<number> {
  checkOptions(p, OPTIONS.worker);
  noPositionals(p);
  const d = FARM_WORKER_DEFAULTS;
  const opt = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) => wholeNumber(name, p.options.get(name), fallback, min, max);
  const id = p.options.get('id');
  if (id !== undefined && !/^[\w.-]+$/.test(id)) throw new UsageError(`--id must be letters, digits, '.', '_' or '-', not ${JSON.stringify(id)}`);
  const { url, prefix, connectMs } = redisOptionsOf(p, WORKER_CONNECT_PATIENCE * REDIS_CONNECT_MS_DEFAULT);
  // Looked through before Redis is reached: a directory that cannot be read is the user's to fix now, not after a wait.
  const strategyDirs = (p.lists.get('strategies') ?? []).map((d) => resolve(d));
  const shelf = strategyDirs.length === 0 ? null : scanStrategyDirs(strategyDirs);
  const options = {
    prefix,
    strategyDirs,
    concurrency: opt('concurrency', availableParallelism(), 1, THREADS_MAX),
    lockMs: opt('lock-ms', d.lockMs, 100),
    // By default half the lock: a dead worker's batch then runs again within about 1.5 times --lock-ms.
    stalledCheckMs: opt('stalled-check-ms', stalledCheckMsFor(opt('lock-ms', d.lockMs, 100)), 100),
    stalledRetriesMax: opt('stalled-retries-max', d.stalledRetriesMax, 0, 100),
    heartbeatMs: opt('heartbeat-ms', d.heartbeatMs, 100),
    ...(id === undefined ? {} : { id }),
  };
  let log = logger('worker', io);
  if (shelf !== null) {
    log(`strategy files: ${plural(shelf.byHash.size, 'file')} in ${strategyDirs.join(', ')}${shelf.skipped.length > 0 ? `; ${shelf.skipped.length} skipped:` : ''}`);
    for (const why of shelf.skipped) log(`  skipped ${why}`);
  }
  const { connectRedis, FarmWorker } = await import('@pcfarm/farm');
  const redis = await connectRedis(url, { connectMs, log: (line) => log(line) });
  const w = await FarmWorker.start(redis, { ...options, log: (line) => log(line) });
  log = logger(`worker ${w.id}`, io);
  // As the coordinator: listening before it says it runs.
  const stopped = untilSignal(log);
  log(`on ${redactedUrl(url)}, ${w.concurrency} batch(es) at a time`);
  await stopped;
  await w.close();
  log(`stopped after ${w.runsDone} runs`);
  await redis.quit().catch(() => redis.disconnect());
  return EXIT.ok;
}

const CAMPAIGN_SUBCOMMANDS = ['start', 'list', 'show', 'stop', 'resume', 'delete', 'export', 'import'];

/**
 * pcfarm campaign start|list|show|stop|resume|delete|export|import: change
 * or read the farm's campaigns in Redis (export and import also read and
 * write the embedded store's results files).
 */
export async function campaignCommand(p: Parsed, io: Io): Promise<number> {
  const [sub, ...args] = p.positionals;
  const one = (what: string): string => {
    const [arg] = args;
    if (args.length !== 1 || arg === undefined) throw new UsageError(`'campaign ${sub}' takes one ${what}, not ${args.length === 0 ? 'none' : args.join(' ')}`);
    return arg;
  };
  const none = (): void => {
    if (args.length > 0) throw new UsageError(`'campaign ${sub}' takes only options, not ${args.join(' ')}`);
  };
  switch (sub) {
    case 'start':
      return withStrategyFiles(p, OPTIONS.campaignStart, (files) => {
        none();
        const spec = specOf(p, files, p.options.get('name'));
        return withRedis(p, async (store) => {
          const c = await store.createCampaign(wantsPollen(p) ? await withPollen(store, spec) : spec);
          if (p.options.has('json')) io.out(JSON.stringify(c));
          else {
            const total = batchCount(c.spec);
            const cells = `${plural(c.spec.strategies.length, 'strategy', 'strategies')} x ${plural(c.spec.scenarios.length, 'scenario')} x blocks per page ${c.spec.blocksPerPage.join(',')}`;
            io.out(`campaign ${c.id} started: ${cells}, ${total === null ? `for ${(c.spec.timeBudgetMs ?? 0) / 1000} s` : `${plural(total, 'batch', 'batches')} of ${seedsPerBatch(c.spec)} seeds`}`);
            // The store as this command named it (an environment's REDIS_URL reaches the next command as it reached this one).
            const store = ['redis', 'prefix'].filter((o) => p.options.has(o)).map((o) => ` --${o} ${shellWord(p.options.get(o)!)}`).join('');
            io.out(`  the coordinator queues it now; follow it with: ${PCFARM} campaign show ${c.id}${store}`);
            for (const f of c.spec.strategyFiles) io.out(`  strategy file ${f.id} (source ${f.sourceHash}): each worker runs it from ${f.path} or from its --strategies directory, with the same source`);
          }
          return EXIT.ok;
        });
      });
    case 'list':
      checkOptions(p, OPTIONS.campaignRead);
      none();
      return withRedis(p, (store) => listCampaigns(store, p.options.has('json'), io));
    case 'show': {
      checkOptions(p, OPTIONS.campaignShow);
      const id = one('campaign id');
      const json = async (store: Store, s: CampaignSummary, more: object): Promise<void> => {
        const [buckets, done] = [await store.buckets(id), await store.doneBatches(id)];
        const search = s.campaign.spec.guide === null ? {} : { search: searchCells(s.campaign, await store.corpus(id)) };
        const cells = cellEvidence(s.campaign, done, buckets, await store.certificates());
        io.out(JSON.stringify({ summary: s, buckets, canaries: canaryChecks(s.campaign, done, buckets), risk: campaignRisk(s.campaign, s, done, buckets), cells, ...search, ...more }, null, 2));
      };
      // A results directory (a laptop's campaign, or one imported there), or the farm's Redis.
      if (p.options.has('results')) {
        return withResults(p, io, 'read', async (store, dir) => {
          const s = await store.summary(id);
          if (p.options.has('json')) await json(store, s, {});
          else await printSummary(store, s, io, { where: dir, dir });
          return EXIT.ok;
        });
      }
      return withRedis(p, async (store) => {
        const s = await store.summary(id);
        const audit = await store.auditSummary(id);
        if (p.options.has('json')) {
          await json(store, s, { audit, workers: await store.workers() });
          return EXIT.ok;
        }
        await printSummary(store, s, io, { where: redisWhere(redisOptionsOf(p)) });
        io.out('');
        io.out(`batches ${s.batchesDone}/${s.batchesTotal ?? '?'}; determinism audit: ${audit.passed} agreed${audit.sameWorker > 0 ? ` (${audit.sameWorker} rerun on the same worker, the only one alive)` : ''}, ${audit.failed} disagreed, ${audit.pending} pending`);
        for (const b of audit.bugs) io.out(`FARM BUG (${b.kind}): ${b.message}${b.details.map((x) => `\n  ${x}`).join('')}`);
        return EXIT.ok;
      });
    }
    case 'stop': {
      checkOptions(p, OPTIONS.campaignChange);
      const id = one('campaign id');
      return withRedis(p, async (store) => {
        const c = await store.getCampaign(id);
        if (c.state === 'done') throw new FarmError('ESTATE', `campaign ${id} is done: there is nothing to stop`);
        await store.setState(id, 'stopped');
        io.out(`campaign ${id} stopped: no new batch starts, the ones running finish and count; ${PCFARM} campaign resume ${id} goes on`);
        return EXIT.ok;
      });
    }
    case 'resume': {
      checkOptions(p, OPTIONS.campaignChange);
      const id = one('campaign id');
      return withRedis(p, async (store) => {
        await store.resume(id);
        io.out(`campaign ${id} running again`);
        return EXIT.ok;
      });
    }
    case 'delete': {
      checkOptions(p, OPTIONS.campaignChange);
      const id = one('campaign id');
      return withRedis(p, async (store) => {
        await store.deleteCampaign(id);
        io.out(`campaign ${id} deleted with its results; its queued batches are dropped`);
        return EXIT.ok;
      });
    }
    case 'export': {
      checkOptions(p, OPTIONS.campaignExport);
      const id = one('campaign id');
      const out = p.options.get('out');
      if (out === undefined) throw new UsageError("'campaign export' needs --out FILE");
      const write = async (store: Store) => {
        const snapshot = await store.snapshot(id);
        // What verify proved or found of its cells goes with it: the laptop's page shows them beside the same runs.
        const certificates = campaignCertificates(snapshot.campaign, await store.certificates()).flat();
        const n = exportTo(resolve(out), snapshot, certificates);
        const records = certificates.length === 0 ? '' : ` with ${plural(certificates.length, 'verify record')} of its cells`;
        io.out(`campaign ${id} exported to ${resolve(out)}${records} (${n} bytes); ${PCFARM} campaign import ${shellWord(out)} --results ${RESULTS_DIR_DEFAULT} puts it in a results directory`);
        return EXIT.ok;
      };
      if (!p.options.has('results')) return withRedis(p, write);
      return withResults(p, io, 'read', write);
    }
    case 'import': {
      checkOptions(p, OPTIONS.campaignImport);
      const file = resolve(one('file'));
      // Read and checked before any store is opened: a file that is no export is said as such, with Redis down or
      // before a results directory is made for it.
      const entries = readExport(file);
      const put = async (store: Store, where: string) => {
        for (const { snapshot: s, certificates } of entries) {
          const c = await store.importSnapshot(s);
          let kept = 0;
          for (const k of certificates) if (await store.recordCertificate(k)) kept++;
          const records = certificates.length === 0 ? '' : `, ${kept} of its ${plural(certificates.length, 'verify record')} kept (the others said no more than what was there)`;
          io.out(`campaign ${c.id} (${c.spec.name}, ${doneCount(s.done)} batches done, ${s.buckets.length} buckets) imported into ${where}, ${c.state}${records}`);
        }
        return EXIT.ok;
      };
      if (!p.options.has('results')) return withRedis(p, (store) => put(store, `Redis at ${redactedUrl(redisOptionsOf(p).url)}`));
      return withResults(p, io, 'write', (store, dir) => put(store, dir));
    }
    case undefined:
      throw new UsageError(`'campaign' needs a subcommand: ${CAMPAIGN_SUBCOMMANDS.join(', ')}`);
    default:
      throw new UsageError(`unknown campaign subcommand ${JSON.stringify(sub)}; subcommands: ${CAMPAIGN_SUBCOMMANDS.join(', ')}`);
  }
}

async function withRedis(p: Parsed, run: (store: RedisStore) => Promise<number>): Promise<number> {
  const store = await openRedis(p);
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

async function withResults(p: Parsed, io: Io, access: 'read' | 'write', run: (store: Store, dir: string) => Promise<number>): Promise<number> {
  const opened = openResults(p, access);
  sayRepairs(io, opened);
  try {
    return await run(opened.store, opened.dir);
  } finally {
    await opened.store.close();
  }
}

async function listCampaigns(store: RedisStore, json: boolean, io: Io): Promise<number> {
  const summaries = await Promise.all((await store.listCampaigns()).map((c) => store.summary(c.id)));
  if (json) {
    io.out(JSON.stringify(summaries, null, 2));
    return EXIT.ok;
  }
  if (summaries.length === 0) {
    io.out(`no campaigns: start one with ${PCFARM} campaign start`);
    return EXIT.ok;
  }
  const rows = [['id', 'state', 'batches', 'runs', 'failures', 'buckets', 'minimized', 'warnings', 'coverage', 'name']];
  for (const s of summaries) {
    const c = s.campaign;
    rows.push([c.id, c.state, `${s.batchesDone}/${s.batchesTotal ?? '?'}`, String(s.runs), String(s.failures), String(s.buckets), String(s.minimized), String(s.warningBuckets), String(s.coverage), c.spec.name]);
  }
  for (const line of columns(rows)) io.out(line);
  return EXIT.ok;
}

/** Write a campaign as the embedded store's results file: the header line and one snapshot line. Returns its size. */
/**
 * An export: the journal's header and the campaign as a snapshot record,
 * beside it (when there are any) the certificates of its cells: a property
 * an earlier pcfarm's import passes over.
 */
function exportTo(file: string, s: CampaignSnapshot, certificates: readonly Certificate[]): number {
  const entry: JournalEntry & { certificates?: readonly Certificate[] } = certificates.length === 0 ? { type: 'snapshot', snapshot: s } : { type: 'snapshot', snapshot: s, certificates };
  const text = `${JSON.stringify(RESULTS_FORMAT)}\n${JSON.stringify(entry)}\n`;
  // Written beside and renamed: a reader never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    // The temporary file may not exist, nor could it (a path through a file: ENOTDIR): the write's reason is the one to say.
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Nothing was written there.
    }
    throw new InputError(`--out: cannot write ${file}: ${(e as Error).message}`);
  }
  return Buffer.byteLength(text);
}

/** The snapshots of an exported file, each with its cells' certificates, each checked; EBADRESULTS naming the line otherwise. */
function readExport(file: string): { snapshot: CampaignSnapshot; certificates: Certificate[] }[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FarmError('EBADRESULTS', `cannot read ${file}: ${(e as Error).message}`);
  }
  const lines = text.split('\n');
  const parse = (i: number): unknown => {
    try {
      return JSON.parse(lines[i]!);
    } catch {
      throw new FarmError('EBADRESULTS', `${file} line ${i + 1} is not JSON: is this a file that 'pcfarm campaign export' wrote?`);
    }
  };
  const head = parse(0) as { format?: unknown; version?: unknown } | null;
  if (head?.format !== RESULTS_FORMAT.format) throw new FarmError('EBADRESULTS', `${file} line 1: not a pcfarm results file (no ${JSON.stringify(RESULTS_FORMAT)} header)`);
  if (!RESULTS_VERSIONS_READ.includes(head.version as never)) throw new FarmError('EBADRESULTS', `${file} line 1: ${unreadableVersion(head.version)}`);
  const out: { snapshot: CampaignSnapshot; certificates: Certificate[] }[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const e = parse(i) as { type?: unknown; snapshot?: unknown; certificates?: unknown } | null;
    if (e?.type !== 'snapshot') {
      throw new FarmError('EBADRESULTS', `${file} line ${i + 1} is a ${JSON.stringify(e?.type)} record: this is a results journal, not an export; export a campaign of it with '${PCFARM} campaign export ID --results DIR --out FILE'`);
    }
    const where = `${file} line ${i + 1}`;
    const certificates = e.certificates ?? [];
    if (!Array.isArray(certificates)) throw new FarmError('EBADRESULTS', `${where}: certificates must be a list, not ${JSON.stringify(certificates).slice(0, 80)}`);
    out.push({
      snapshot: checkSnapshot(e.snapshot, where),
      certificates: certificates.map((k, j) =>
        checkCertificate(k, (m) => {
          throw new FarmError('EBADRESULTS', `${where}: certificates[${j}]: ${m}`);
        }),
      ),
    });
  }
  if (out.length === 0) throw new FarmError('EBADRESULTS', `${file} holds no campaign`);
  return out;
}
