/**
 * `pcfarm dashboard`: serve the web dashboard until Ctrl-C. Over the farm's
 * Redis (REDIS_URL, or --redis) a coordinator elsewhere runs the campaigns
 * and the dashboard only sets their state; over a results directory
 * (--results DIR) this process runs them itself, unless another process
 * already writes that directory, in which case the dashboard follows it
 * read-only.
 */
import { readFileSync } from 'node:fs';
import type { CampaignControl, Dashboard } from '@pcfarm/dashboard';
import { FarmError, redactedUrl, REDIS_CONNECT_MS_DEFAULT, THREADS_MAX, type Store } from '@pcfarm/farm/local';
import { checkOptions, UsageError, wholeNumber, type Parsed } from './args.js';
import type { Io } from './commands.js';
import { DASHBOARD_PORT_DEFAULT, PORT_MAX } from './limits.js';
import { farmErrorExit } from './exit.js';
import { connectStore, openResults, redisOptionsOf, sayRepairs, type RedisOptions } from './open-store.js';
import { OPTIONS } from './usage.js';

/** The server's package: loaded once the command line is good, so a usage error is told without loading it (most of the command's start). */
type DashboardPackage = typeof import('@pcfarm/dashboard');

interface Opened {
  store: Store;
  control: CampaignControl;
  readOnly: boolean;
  what: string;
}

/** Which store the options name, checked without opening it: the farm's Redis, or a results directory (read-only, or unless another process writes it). */
type Where = { redis: RedisOptions } | { results: Parsed; threads: number | undefined; readOnly: boolean };

function whereOf(p: Parsed, env: NodeJS.ProcessEnv): Where {
  const results = p.options.get('results');
  if (results === undefined) {
    if (p.options.has('read-only') || p.options.has('threads')) throw new UsageError('--read-only and --threads go with --results DIR; the farm runs its campaigns on its workers');
    return { redis: redisOptionsOf(p, REDIS_CONNECT_MS_DEFAULT, env) };
  }
  if (p.options.has('redis') || p.options.has('prefix') || p.options.has('connect-ms')) throw new UsageError('give --redis or --results, not both');
  const threads = p.options.has('threads') ? wholeNumber('threads', p.options.get('threads'), 1, 1, THREADS_MAX) : undefined;
  return { results: p, threads, readOnly: p.options.has('read-only') };
}

async function open(where: Where, dash: DashboardPackage, io: Io): Promise<Opened> {
  if ('redis' in where) {
    const { url, prefix, connectMs } = where.redis;
    // Requests fail at once while Redis is away (a 503 saying so), rather than hang until it is back; the log says when it goes and comes.
    const store = await connectStore(url, { prefix, connectMs, whileDown: 'fail', log: (line) => io.err(`pcfarm: ${line}`) });
    return { store, control: new dash.StoreControl(store), readOnly: false, what: `the farm at ${redactedUrl(url)} (prefix ${prefix}; its coordinator runs the campaigns)` };
  }
  // As every command opens one: a path that is a file or cannot be made is said in a line; one another pcfarm writes (a running fuzz) is watched.
  const opened = openResults(where.results, where.readOnly ? 'read' : 'follow');
  sayRepairs(io, opened);
  const { store, readOnly, dir } = opened;
  if (!readOnly) return { store, control: new dash.LocalControl(store, where.threads === undefined ? {} : { threads: where.threads }), readOnly: false, what: `${dir} (campaigns run in this process)` };
  return { store, control: new dash.StoreControl(store), readOnly: true, what: where.readOnly ? `${dir}, read-only (--read-only)` : `${dir}, read-only (another process runs its campaigns)` };
}

/**
 * How long stopping may take before the process exits anyway: a service
 * manager's stop (SIGTERM) must be done in 2 s, whatever was in flight (a
 * batch cut short is run again on resume; a matrix is computed again).
 */
const STOP_GRACE_MS = 1500;

/** A refusal that needs no usage text: one line saying what to do, and exit 2. */
function refuse(io: Io, message: string): number {
  io.err(`pcfarm: ${message}`);
  return 2;
}

/**
 * The token: PCFARM_TOKEN, or the first line of --token-file (both stay out
 * of `ps`), or --token (which does not: it is still taken, with a warning).
 */
function tokenOf(p: Parsed, env: NodeJS.ProcessEnv): { token: string | undefined; warning: string | null } {
  const given = ['token', 'token-file'].filter((o) => p.options.has(o));
  if (given.length > 1 || (given.length > 0 && env.PCFARM_TOKEN !== undefined && env.PCFARM_TOKEN !== '')) {
    throw new UsageError(`give the token one way: PCFARM_TOKEN, --token-file or --token, not ${[...(env.PCFARM_TOKEN ? ['PCFARM_TOKEN'] : []), ...given.map((o) => `--${o}`)].join(' and ')}`);
  }
  const file = p.options.get('token-file');
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--token-file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}): give a file holding the token on its first line`);
    }
    const token = text.split('\n')[0]!.trim();
    if (token === '') throw new UsageError(`--token-file ${file} is empty: put the token on its first line (e.g. openssl rand -hex 16 > ${file})`);
    return { token, warning: null };
  }
  const flag = p.options.get('token');
  if (flag !== undefined) {
    if (flag.trim() === '') throw new UsageError('--token is empty: give the token itself, or better PCFARM_TOKEN or --token-file FILE');
    return { token: flag.trim(), warning: 'warning: --token shows in ps to everyone on this machine; PCFARM_TOKEN or --token-file FILE keep it out of sight' };
  }
  const fromEnv = env.PCFARM_TOKEN?.trim();
  return { token: fromEnv === '' ? undefined : fromEnv, warning: null };
}

/** pcfarm dashboard: serve until SIGINT or SIGTERM; exit 0 then. */
export async function dashboardCommand(p: Parsed, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  checkOptions(p, OPTIONS.dashboard);
  if (p.positionals.length > 0) throw new UsageError(`'dashboard' takes no arguments, only options: ${p.positionals.join(' ')}`);
  const port = wholeNumber('port', p.options.get('port'), DASHBOARD_PORT_DEFAULT, 0, PORT_MAX);
  const host = p.options.get('host') ?? '127.0.0.1';
  const { token, warning } = tokenOf(p, env);
  if (warning !== null) io.err(`pcfarm: ${warning}`);
  const where = whereOf(p, env);
  const dash = await import('@pcfarm/dashboard');

  let opened: Opened;
  try {
    opened = await open(where, dash, io);
  } catch (e) {
    // Redis away, a results file that does not parse: a message and the status the help gives (4, or 2), not a stack or the usage.
    if (!(e instanceof FarmError)) throw e;
    io.err(`pcfarm: ${e.message}`);
    return farmErrorExit(e.code);
  }
  let dashboard: Dashboard;
  try {
    // The default matrix is computed once the page is first served: the matrix view, a click away, waits for nothing.
    dashboard = await dash.startDashboard({ store: opened.store, control: opened.control, readOnly: opened.readOnly, host, port, token, precomputeMatrix: true });
  } catch (e) {
    await opened.control.close();
    await opened.store.close();
    // The reason and what to do about it; the whole usage would bury it.
    if (e instanceof dash.DashboardError) return refuse(io, e.message);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') return refuse(io, `port ${port} is taken on ${host}: choose another with --port (0 takes any free one)`);
    // A host name that does not resolve, or an address not of this machine: the user's to mend.
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EADDRNOTAVAIL' || code === 'EACCES') return refuse(io, `--host ${host}: cannot listen there (${code}): name an address of this machine, or leave --host out for 127.0.0.1`);
    throw e;
  }
  io.out(`pcfarm dashboard: ${dashboard.url}`);
  io.out(`  serving ${opened.what}`);
  if (token !== undefined) io.out(`  changes need the token: type it into the page's token field (a program sends Authorization: Bearer <token>)`);
  io.out('  Ctrl-C stops it');

  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  io.out('stopping: finishing the batches in flight');
  // Whatever still runs after the grace period is cut short: the process must not outlive its stop.
  const deadline = setTimeout(() => {
    io.err(`pcfarm: still stopping after ${STOP_GRACE_MS} ms: exiting now (a batch cut short runs again on resume)`);
    process.exit(0);
  }, STOP_GRACE_MS);
  deadline.unref();
  await dashboard.close();
  await opened.control.close();
  await opened.store.close();
  clearTimeout(deadline);
  return 0;
}
