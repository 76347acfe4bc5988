// The image's healthcheck: is this container's pcfarm role doing its job?
//
//   node scripts/healthcheck.mjs [coordinator | worker | dashboard [OPTIONS]]
//
// Without a role it reads the role, and its --redis, --prefix, --id, --host
// and --port, from the container's main process (/proc/1/cmdline), so the
// Dockerfile's one HEALTHCHECK serves every `docker run pcfarm ROLE`; those
// options given after a role come first.
//   coordinator  Redis answers, with this container's password, and some
//                coordinator holds the farm's lease (a standby is healthy
//                while the active one is: between them the farm has one)
//   worker       this container's worker has reported itself within its
//                heartbeat's TTL (its `w:ID` record: ID its --id, or else
//                starting with the container's hostname)
//   dashboard    GET /api/info answers 200
//   anything else (campaign list, fuzz, ...): healthy, nothing to check
// Exit 0 healthy, 1 not, with one line saying why (docker inspect shows it).
// It speaks RESP over a socket itself: it needs no package, only Node.
import { connect as tcp } from 'node:net';
import { connect as tls } from 'node:tls';
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { setTimeout, clearTimeout } from 'node:timers';

/** How long one check may take before it counts as unhealthy, in ms: well under compose's healthcheck timeout. */
const CHECK_TIMEOUT_MS = 4_000;
const REDIS_URL_DEFAULT = 'redis://127.0.0.1:6379';
const PREFIX_DEFAULT = 'pcfarm';
const DASHBOARD_PORT_DEFAULT = 8080;
const ROLES = ['coordinator', 'worker', 'dashboard'];

/** The main process's arguments after the pcfarm entry point, or [] when it is not pcfarm. */
function mainArgs() {
  let argv;
  try {
    argv = readFileSync('/proc/1/cmdline', 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return [];
  }
  const entry = argv.findIndex((a) => /pcfarm(\.mjs)?$/.test(a));
  return entry < 0 ? [] : argv.slice(entry + 1);
}

function option(args, name) {
  const i = args.indexOf(name);
  if (i >= 0 && i + 1 < args.length) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`${name}=`));
  return eq === undefined ? undefined : eq.slice(name.length + 1);
}

/** One RESP reply parsed from the front of `buf`: [value, bytes used], or undefined until it is all there. */
function parseReply(buf, at = 0) {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[at]);
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  if (type === '+') return [line, next];
  if (type === '-') return [new Error(line), next];
  if (type === ':') return [Number(line), next];
  if (type === '$') {
    const n = Number(line);
    if (n < 0) return [null, next];
    if (buf.length < next + n + 2) return undefined;
    return [buf.toString('utf8', next, next + n), next + n + 2];
  }
  if (type === '*') {
    const n = Number(line);
    const items = [];
    let p = next;
    for (let i = 0; i < n; i++) {
      const r = parseReply(buf, p);
      if (r === undefined) return undefined;
      items.push(r[0]);
      p = r[1];
    }
    return [items, p];
  }
  throw new Error(`Redis answered something that is not RESP (${JSON.stringify(line.slice(0, 40))})`);
}

function encode(args) {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`;
}

/** A connection that sends one command at a time and resolves with its reply (an error reply rejects). */
async function redisClient(url) {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`REDIS_URL must be redis:// or rediss://, not ${u.protocol}`);
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(u.port || 6379);
  const socket = await new Promise((resolve, reject) => {
    const s = u.protocol === 'rediss:' ? tls({ host, port, servername: host }) : tcp({ host, port });
    s.once(u.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => resolve(s));
    s.once('error', (e) => reject(new Error(`cannot reach Redis at ${host}:${port}: ${e.message}`)));
  });
  let buf = Buffer.alloc(0);
  let waiting;
  socket.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    const r = waiting && parseReply(buf);
    if (r === undefined || r === null) return;
    buf = buf.subarray(r[1]);
    const w = waiting;
    waiting = undefined;
    if (r[0] instanceof Error) w.reject(r[0]);
    else w.resolve(r[0]);
  });
  socket.on('error', (e) => waiting?.reject(e));
  const command = (...args) =>
    new Promise((resolve, reject) => {
      waiting = { resolve, reject };
      socket.write(encode(args));
    });
  const password = decodeURIComponent(u.password);
  const user = decodeURIComponent(u.username);
  if (password !== '') {
    try {
      await (user === '' ? command('AUTH', password) : command('AUTH', user, password));
    } catch (e) {
      throw new Error(`Redis refused this container's password (REDIS_URL's): ${e.message}`);
    }
  }
  const db = u.pathname.replace(/^\//, '');
  if (db !== '') await command('SELECT', db);
  return { command, close: () => socket.destroy() };
}

async function checkCoordinator(redis, prefix) {
  const pong = await redis.command('PING');
  if (pong !== 'PONG') return `Redis answered PING with ${JSON.stringify(pong)}`;
  if ((await redis.command('EXISTS', `${prefix}:coordinator`)) !== 1) return `no coordinator holds the lease (${prefix}:coordinator): the active one is gone and no standby has taken over`;
  return undefined;
}

async function checkWorker(redis, prefix, id) {
  if (id !== undefined) return (await redis.command('EXISTS', `${prefix}:w:${id}`)) === 1 ? undefined : `worker ${id} has not reported itself lately (${prefix}:w:${id})`;
  // Worker ids start with the host name (farm-worker.ts), which is the container's own.
  const mine = [];
  let cursor = '0';
  do {
    const [next, ids] = await redis.command('SSCAN', `${prefix}:workers`, cursor, 'MATCH', `${hostname()}-*`, 'COUNT', 1000);
    mine.push(...ids);
    cursor = next;
  } while (cursor !== '0');
  for (const id of mine) if ((await redis.command('EXISTS', `${prefix}:w:${id}`)) === 1) return undefined;
  return `no worker of host ${hostname()} has reported itself lately (${prefix}:workers)`;
}

async function checkDashboard(args) {
  const host = option(args, '--host') ?? '127.0.0.1';
  const port = Number(option(args, '--port') ?? DASHBOARD_PORT_DEFAULT);
  const local = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const status = await new Promise((resolve, reject) => {
    get({ host: local, port, path: '/api/info' }, (res) => {
      res.resume();
      resolve(res.statusCode);
    }).once('error', (e) => reject(new Error(`cannot reach the dashboard at ${local}:${port}: ${e.message}`)));
  });
  return status === 200 ? undefined : `GET /api/info answered ${status}`;
}

async function main() {
  // Options given after the role win over the main process's: the same names, --redis, --prefix, --id, --host, --port.
  const args = [...process.argv.slice(3), ...mainArgs()];
  const role = process.argv[2] ?? args[0];
  if (process.argv[2] !== undefined && !ROLES.includes(process.argv[2])) {
    console.log(`healthcheck: the role must be one of ${ROLES.join(', ')}, not ${JSON.stringify(process.argv[2])}`);
    return 1;
  }
  if (!ROLES.includes(role)) return 0;
  let problem;
  if (role === 'dashboard') {
    problem = await checkDashboard(args);
  } else {
    const redis = await redisClient(option(args, '--redis') ?? process.env.REDIS_URL ?? REDIS_URL_DEFAULT);
    try {
      const prefix = option(args, '--prefix') ?? PREFIX_DEFAULT;
      problem = role === 'coordinator' ? await checkCoordinator(redis, prefix) : await checkWorker(redis, prefix, option(args, '--id'));
    } finally {
      redis.close();
    }
  }
  console.log(problem === undefined ? `healthcheck: ${role} healthy` : `healthcheck: ${role} unhealthy: ${problem}`);
  return problem === undefined ? 0 : 1;
}

const timer = setTimeout(() => {
  console.log(`healthcheck: no answer within ${CHECK_TIMEOUT_MS} ms`);
  process.exit(1);
}, CHECK_TIMEOUT_MS);
main().then(
  (code) => {
    clearTimeout(timer);
    process.exit(code);
  },
  (e) => {
    clearTimeout(timer);
    console.log(`healthcheck: ${e.message}`);
    process.exit(1);
  },
);
