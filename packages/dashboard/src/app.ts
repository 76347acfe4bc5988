/**
 * The dashboard's Fastify app: the JSON API under /api, server-sent events,
 * and the web UI, over any Store and CampaignControl.
 */
import fastifyCompress from '@fastify/compress';
import fastifyCookie from '@fastify/cookie';
import fastifyEtag from '@fastify/etag';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import { BLOCKS_PER_PAGE } from '@pcfarm/core';
import { strategyResolver, type Store } from '@pcfarm/farm/local';
import Fastify, { type FastifyInstance } from 'fastify';
import { guard, isLoopback, requireToken, TOKEN_LENGTH_MIN } from './auth.js';
import type { RouteContext } from './context.js';
import type { CampaignControl } from './control.js';
import { BODY_LIMIT_BYTES, errorHandler, HttpError, parseJsonBody } from './errors.js';
import { LiveHub } from './live.js';
import { MATRIX_RUNS, MatrixCache } from './matrix.js';
import bucketRoutes from './routes/buckets.js';
import { RetestCache } from './retests.js';
import campaignRoutes from './routes/campaigns.js';
import cellRoutes from './routes/cells.js';
import diffRoutes from './routes/diff.js';
import eventRoutes from './routes/events.js';
import matrixRoutes from './routes/matrix.js';
import replayRoutes from './routes/replay.js';
import sessionRoutes from './routes/session.js';
import { plainQueryNumbers } from './schemas.js';
import staticRoutes from './static.js';

export interface AppOptions {
  store: Store;
  control: CampaignControl;
  /** When set, requests that change anything must carry it. */
  token?: string | undefined;
  /** Another process runs the campaigns (a results directory it writes): the page only watches. */
  readOnly?: boolean;
  /** Refuse Host headers that are not loopback (what a loopback-bound server does); default true. */
  loopbackOnly?: boolean;
  /** Milliseconds between polls of the store for live events; default 1000. */
  pollMs?: number;
  /** What to log (pino, JSON lines to stdout): a level; default 'warn' (a failed request, a store that stopped answering). */
  logLevel?: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  /** Epoch-millisecond clock; tests pass their own. */
  now?: () => number;
  /** Shared between apps of one process (the matrix is the model's, not a store's); default a new one, closed with the app. */
  matrix?: MatrixCache;
  /**
   * Compute the default matrix when the page is first served, so the
   * matrix view, a click away, costs no request any work (`pcfarm
   * dashboard`; not while `pcfarm fuzz` wants every core). Not at start-up:
   * it takes some 16 s of CPU on every core the pool has, which a dashboard
   * nobody opens (a service, a script's) should not spend. Default false.
   */
  precomputeMatrix?: boolean;
  /**
   * Directories of strategy files (as `pcfarm worker --strategies`) where
   * this process looks for a campaign's strategy file, by source hash, when
   * it is not at the path the campaign recorded: for a bucket's trace and a
   * findings diff's re-tests. Default none.
   */
  strategyDirs?: readonly string[];
  /** A findings diff's re-tests at most, in milliseconds; default RETEST_LIMITS.timeMs. Buckets past it are answered "not run", saying why. */
  retestTimeMs?: number;
}

const hubs = new WeakMap<FastifyInstance, LiveHub>();

/** The live hub of an app built here: how many listen, for tests and diagnostics. */
export function liveHubOf(app: FastifyInstance): LiveHub | undefined {
  return hubs.get(app);
}

/**
 * What the page may load and who may frame it: its own files and API only,
 * no inline script or style (the page has none), and no frame anywhere
 * (clickjacking: another site showing the Stop button under its own).
 */
const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** Build the app without listening: for tests through inject, and for startDashboard. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const now = options.now ?? Date.now;
  const app = Fastify({
    logger: { level: options.logLevel ?? 'warn' },
    bodyLimit: BODY_LIMIT_BYTES,
    // Closing drops every connection: a page's live stream or a browser's kept-alive socket must not hold a shutdown up.
    forceCloseConnections: true,
    // An unknown field in a spec is a typo to report, not to drop silently; one list of
    // allowed types per field ("integer or null") is clearer than oneOf.
    ajv: { customOptions: { removeAdditional: false, allowUnionTypes: true } },
    // A URL that does not decode ('/%') never reaches a route: answer it in the one error shape too.
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply),
  });
  const hub = new LiveHub(options.store, { pollMs: options.pollMs ?? 1000, now, activity: (id) => options.control.activity(id), onError: (e) => app.log.warn({ err: e }, 'live poll failed') });
  hubs.set(app, hub);
  const ctx: RouteContext = {
    store: options.store,
    control: options.control,
    hub,
    matrix: options.matrix ?? new MatrixCache(),
    retests: new RetestCache(options.strategyDirs ?? [], options.retestTimeMs),
    strategies: strategyResolver(options.strategyDirs ?? []),
    token: options.token,
    tokenRequired: options.token !== undefined,
    readOnly: options.readOnly ?? false,
    now,
  };
  // Every route states what it answers: one without a response schema is a mistake, caught at start-up.
  app.addHook('onRoute', (route) => {
    if (route.schema?.response === undefined) throw new Error(`route ${String(route.method)} ${route.url} has no response schema`);
  });
  app.setErrorHandler(errorHandler);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: 'ENOTFOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });
  // Headers first, so every answer has them, refusals included.
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Served over plain http (loopback, or a farm's private network): HSTS would say nothing there.
    strictTransportSecurity: false,
  });
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, c) => new HttpError(429, 'ERATELIMIT', `too many requests of this kind from your address (${c.max} a minute): try again in ${c.after}`),
  });
  // ETags before compression: the tag is of the JSON itself, and a 304 sends nothing to compress.
  await app.register(fastifyEtag);
  await app.register(fastifyCompress, { threshold: 1024 });
  app.addHook('onRequest', guard({ token: options.token, loopbackOnly: options.loopbackOnly ?? true }));
  app.addHook('preParsing', requireToken(options.token));
  // Before the validator coerces them: a number in a query string is digits, nothing else Number() reads.
  app.addHook('preValidation', plainQueryNumbers);
  // The API's answers are revalidated each time (their ETag makes that a 304 when nothing changed).
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-cache');
  });
  app.addHook('onClose', async () => hub.close());
  if (options.matrix === undefined) app.addHook('onClose', async () => ctx.matrix.close());
  app.addHook('onClose', async () => ctx.retests.close());
  await app.register(campaignRoutes, ctx);
  await app.register(cellRoutes, ctx);
  await app.register(bucketRoutes, ctx);
  await app.register(replayRoutes, ctx);
  await app.register(matrixRoutes, ctx);
  await app.register(diffRoutes, ctx);
  await app.register(eventRoutes, ctx);
  await app.register(sessionRoutes, ctx);
  let looked = false;
  const onPage = (): void => {
    if (looked) return;
    looked = true;
    ctx.matrix.precompute(MATRIX_RUNS.default, BLOCKS_PER_PAGE);
  };
  await app.register(staticRoutes, options.precomputeMatrix === true ? { onPage } : {});
  return app;
}

/** Where the dashboard listens: loopback by default, any free port unless one is given. */
export interface DashboardOptions extends Omit<AppOptions, 'loopbackOnly'> {
  host?: string;
  /** 0 takes any free port. */
  port?: number;
}

export interface Dashboard {
  /** The page's address, e.g. http://127.0.0.1:43121/ */
  url: string;
  app: FastifyInstance;
  /** Stop listening and end the live streams (the store and control are the caller's to close). */
  close(): Promise<void>;
}

/** Refusal to serve beyond this machine with nobody able to tell who changes campaigns. */
export class DashboardError extends Error {
  override readonly name = 'DashboardError';
}

/**
 * Serve the dashboard. Bound anywhere but loopback it needs a token, or
 * anyone who reaches the port could start and stop campaigns.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopback(host);
  if (!loopback && (options.token === undefined || options.token === '')) {
    throw new DashboardError(`the dashboard would listen on ${host}, beyond this machine: give it a token (--token or PCFARM_TOKEN) so only its holders can start and stop campaigns; PCFARM_TOKEN=$(openssl rand -hex 16) or --token-file FILE keep it out of ps, where --token shows`);
  }
  if (!loopback && options.token!.length < TOKEN_LENGTH_MIN) {
    throw new DashboardError(`the dashboard would listen on ${host} with a token of ${options.token!.length} character(s), which a script guesses over the network: give one of at least ${TOKEN_LENGTH_MIN}, as PCFARM_TOKEN=$(openssl rand -hex 16) makes`);
  }
  const app = await buildApp({ ...options, loopbackOnly: loopback });
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port ?? 0;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
  return { url, app, close: () => app.close() };
}
