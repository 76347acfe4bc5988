/**
 * `pcfarm dashboard`: serve the web dashboard until Ctrl-C. Over the farm's
 * Redis (REDIS_URL, or --redis) a coordinator elsewhere runs the campaigns
 * and the dashboard only sets their state; over a results directory
 * (--results DIR) this process runs them itself, unless another process
 * already writes that directory, in which case the dashboard follows it
 * read-only.
 */
import { resolve } from 'node:path';
import { DASHBOARD_PORT_DEFAULT, DashboardError, LocalControl, startDashboard, StoreControl, type CampaignControl, type Dashboard } from '@pcfarm/dashboard';
import { EmbeddedStore, FarmError, redactedUrl, REDIS_PREFIX_DEFAULT, REDIS_URL_DEFAULT, RedisStore, THREADS_MAX, type Store } from '@pcfarm/farm';
import { checkOptions, UsageError, wholeNumber, type Parsed } from './args.js';
import type { Io } from './commands.js';

interface Opened {
  store: Store;
  control: CampaignControl;
  readOnly: boolean;
  what: string;
}

async function open(p: Parsed, env: NodeJS.ProcessEnv): Promise<Opened> {
  const results = p.options.get('results');
  if (results === undefined) {
    if (p.options.has('read-only') || p.options.has('threads')) throw new UsageError('--read-only and --threads go with --results DIR; the farm runs its campaigns on its workers');
    const url = p.options.get('redis') ?? env.REDIS_URL ?? REDIS_URL_DEFAULT;
    const prefix = p.options.get('prefix') ?? REDIS_PREFIX_DEFAULT;
    if (!/^[\w.-]+$/.test(prefix)) throw new UsageError(`--prefix must be letters, digits, '.', '_' or '-', not ${JSON.stringify(prefix)}`);
    const store = await RedisStore.connect(url, { prefix });
    return { store, control: new StoreControl(store), readOnly: false, what: `the farm at ${redactedUrl(url)} (prefix ${prefix}; its coordinator runs the campaigns)` };
  }
  if (p.options.has('redis') || p.options.has('prefix')) throw new UsageError('give --redis or --results, not both');
  const dir = resolve(results);
  const threads = p.options.has('threads') ? wholeNumber('threads', p.options.get('threads'), 1, 1, THREADS_MAX) : undefined;
  if (!p.options.has('read-only')) {
    try {
      const store = EmbeddedStore.open(dir);
      return { store, control: new LocalControl(store, threads === undefined ? {} : { threads }), readOnly: false, what: `${dir} (campaigns run in this process)` };
    } catch (e) {
      // Another pcfarm writes it (a running `pcfarm fuzz`): watch it instead.
      if (!(e instanceof FarmError && e.code === 'ELOCKED')) throw e;
    }
  }
  const store = EmbeddedStore.open(dir, { readOnly: true });
  return { store, control: new StoreControl(store), readOnly: true, what: `${dir}, read-only (another process runs its campaigns)` };
}

/** pcfarm dashboard: serve until SIGINT or SIGTERM; exit 0 then. */
export async function dashboardCommand(p: Parsed, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  checkOptions(p, ['port', 'host', 'token', 'redis', 'prefix', 'results', 'read-only', 'threads']);
  if (p.positionals.length > 0) throw new UsageError(`'dashboard' takes no arguments, only options: ${p.positionals.join(' ')}`);
  const port = wholeNumber('port', p.options.get('port'), DASHBOARD_PORT_DEFAULT, 0, 65535);
  const host = p.options.get('host') ?? '127.0.0.1';
  const token = p.options.get('token') ?? (env.PCFARM_TOKEN === '' ? undefined : env.PCFARM_TOKEN);

  let opened: Opened;
  try {
    opened = await open(p, env);
  } catch (e) {
    // Redis away, a results file that does not parse: a message and status 1, not a stack or the usage.
    if (!(e instanceof FarmError)) throw e;
    process.stderr.write(`pcfarm: ${e.message}\n`);
    return 1;
  }
  let dashboard: Dashboard;
  try {
    dashboard = await startDashboard({ store: opened.store, control: opened.control, readOnly: opened.readOnly, host, port, token });
  } catch (e) {
    await opened.control.close();
    await opened.store.close();
    if (e instanceof DashboardError) throw new UsageError(e.message);
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`port ${port} is taken on ${host}: choose another with --port (0 takes any free one)`);
    throw e;
  }
  io.out(`pcfarm dashboard: ${dashboard.url}`);
  io.out(`  serving ${opened.what}`);
  if (token !== undefined) io.out('  changes need the token: Authorization: Bearer <token>, or open the page with ?token=<token>');
  io.out('  Ctrl-C stops it');

  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  io.out('stopping: finishing the batches in flight');
  await dashboard.close();
  await opened.control.close();
  await opened.store.close();
  return 0;
}
