/**
 * docker-compose.yml and the scripts that prove it: the image's healthcheck
 * against a real Redis with a password and real pcfarm roles, the comparison
 * of a farm's export with a laptop's, and (where Docker is, when asked with
 * PCFARM_COMPOSE_TEST=1) scripts/compose-check.sh bringing the whole stack up
 * and checking its campaign against `pcfarm fuzz`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisServer } from '@pcfarm/farm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(ROOT, 'packages/cli/dist/pcfarm.mjs');
const HEALTHCHECK = join(ROOT, 'scripts/healthcheck.mjs');
const COMPARE = join(ROOT, 'scripts/compare-results.mjs');
/** The whole compose check, image build included, on 2 cores: a few minutes at most. */
const COMPOSE_CHECK_TIMEOUT_MS = 900_000;

const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pcfarm-compose-'));
  dirs.push(d);
  return d;
}

function run(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("the image's healthcheck (scripts/healthcheck.mjs)", () => {
  let server: RedisServer;
  const password = 'compose horse';
  const healthcheck = (role: string, url = server.url) => run([HEALTHCHECK, role], { REDIS_URL: url });
  /** `pcfarm ROLE ...`, and when it has said it is on Redis: the healthchecks below wait for that line before they start asking (each is a process). */
  const role = (...args: string[]) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, REDIS_URL: server.url }, stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    let out = '';
    const started = new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/ on redis:\/\//.test(out)) resolve();
      });
      child.once('exit', () => resolve());
    });
    return { child, started };
  };

  beforeAll(async () => {
    // A real redis-server asking for a password, as compose's does (.ci/run installs redis-server).
    server = await RedisServer.start({ dir: tempDir(), password });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('calls a worker healthy once it has reported itself in Redis, not before', async () => {
    const before = healthcheck('worker');
    expect(before.status).toBe(1);
    expect(before.stdout).toMatch(/^healthcheck: worker unhealthy: no worker of host \S+ has reported itself lately/);
    await role('worker', '--concurrency', '1').started;
    await until('the worker to report itself', () => healthcheck('worker').status === 0);
    expect(healthcheck('worker').stdout).toBe('healthcheck: worker healthy\n');
  });

  it('checks a worker started with --id and --prefix under that id and prefix, given after the role', async () => {
    const check = () => run([HEALTHCHECK, 'worker', '--id', 'compose-worker', '--prefix', 'named'], { REDIS_URL: server.url });
    expect(check().stdout).toBe('healthcheck: worker unhealthy: worker compose-worker has not reported itself lately (named:w:compose-worker)\n');
    await role('worker', '--concurrency', '1', '--id', 'compose-worker', '--prefix', 'named').started;
    await until('the named worker to report itself', () => check().status === 0);
  });

  it('calls a coordinator healthy while one holds the lease, and says so when none does', async () => {
    const before = healthcheck('coordinator');
    expect(before.status).toBe(1);
    expect(before.stdout).toContain('no coordinator holds the lease');
    const { child: coordinator, started } = role('coordinator');
    await started;
    await until('the coordinator to take the lease', () => healthcheck('coordinator').status === 0);
    // Stopped, it gives the lease up: nobody coordinates, and the healthcheck says so at once.
    coordinator.kill('SIGTERM');
    await new Promise((r) => coordinator.once('exit', r));
    expect(healthcheck('coordinator').stdout).toContain('no coordinator holds the lease');
  });

  it('says a wrong or missing password is the password, and an unreachable Redis is unreachable', () => {
    const wrong = healthcheck('coordinator', server.url.replace(encodeURIComponent(password), 'not-it'));
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toMatch(/^healthcheck: Redis refused this container's password \(REDIS_URL's\): WRONGPASS/);
    const none = healthcheck('worker', server.url.replace(`:${encodeURIComponent(password)}@`, ''));
    expect(none.status).toBe(1);
    expect(none.stdout).toContain('NOAUTH');
    const gone = healthcheck('coordinator', 'redis://127.0.0.1:1');
    expect(gone.status).toBe(1);
    expect(gone.stdout).toMatch(/^healthcheck: cannot reach Redis at 127\.0\.0\.1:1: connect ECONNREFUSED/);
  });

  it('calls a command that is no role healthy, and refuses a role it does not know', () => {
    // Outside a container, process 1 is not pcfarm: nothing to check.
    expect(run([HEALTHCHECK]).status).toBe(0);
    const unknown = run([HEALTHCHECK, 'redis']);
    expect(unknown.status).toBe(1);
    expect(unknown.stdout).toBe('healthcheck: the role must be one of coordinator, worker, dashboard, not "redis"\n');
  });
});

describe("a farm's export against a laptop's (scripts/compare-results.mjs)", () => {
  const CAMPAIGN = ['--strategy', 'v2.6.20,temp-page', '--scenario', 'self-mmap-write,hole-fill-vs-read', '--blocks-per-page', '1', '--seeds', '300', '--batch-seeds', '100', '--no-dashboard'];

  /** `pcfarm fuzz CAMPAIGN` on `threads` threads into a fresh results directory, exported: the file's path. */
  function exported(threads: number): string {
    const dir = tempDir();
    const fuzz = run([MAIN, 'fuzz', ...CAMPAIGN, '--threads', String(threads), '--results', dir]);
    expect(fuzz.status, fuzz.stderr).toBe(1);
    const id = /^campaign (\w+):/m.exec(fuzz.stdout)![1]!;
    const out = join(dir, 'export.jsonl');
    const exp = run([MAIN, 'campaign', 'export', id, '--out', out, '--results', dir]);
    expect(exp.status, exp.stderr).toBe(0);
    return out;
  }

  it('finds two runs of one campaign the same, bucket for bucket, and a count changed by one different', () => {
    const one = exported(1);
    const two = exported(2);
    const same = run([COMPARE, one, two]);
    expect(same.stdout).toContain('SAME: the farm found what the laptop found');
    expect(same.stdout).toMatch(/^ {2}same {2}0fb66c4745bc +\d+ +minimized {2}deadlock in v2\.6\.20/m);
    expect(same.status).toBe(0);

    const lines = readFileSync(two, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('"type":"snapshot"'));
    const entry = JSON.parse(lines[at]!) as { snapshot: { buckets: { id: string; count: number }[] } };
    entry.snapshot.buckets[0]!.count += 1;
    lines[at] = JSON.stringify(entry);
    const tampered = join(tempDir(), 'tampered.jsonl');
    writeFileSync(tampered, lines.join('\n'));
    const differs = run([COMPARE, one, tampered]);
    expect(differs.status).toBe(1);
    expect(differs.stdout).toContain(`DIFF  ${entry.snapshot.buckets[0]!.id}`);
    expect(differs.stdout).toMatch(/^DIFFERENT: 1 difference\(s\)$/m);
  });

  it('refuses a file that is not an export, exit 2', () => {
    const notExport = join(tempDir(), 'results.jsonl');
    writeFileSync(notExport, '{"format":"pcfarm-results","version":2}\n');
    const r = run([COMPARE, notExport, notExport]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('holds 0 campaign snapshots, not 1');
  });
});

/** Why the compose check cannot run here, or undefined when it can. */
function composeCheckUnavailable(): string | undefined {
  if (process.env.PCFARM_COMPOSE_TEST !== '1') {
    return 'set PCFARM_COMPOSE_TEST=1 to run it (it builds the image and brings the stack up: a few minutes; needs Docker and docker compose or docker-compose)';
  }
  if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) return 'no Docker daemon here (docker info fails): install docker.io and start dockerd to run it';
  const v2 = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0;
  const v1 = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
  if (!v2 && !v1) return 'no docker compose or docker-compose here (Debian: apt-get install docker-compose)';
  return undefined;
}

describe('docker-compose.yml (scripts/compose-check.sh)', () => {
  it(
    'brings up a healthy farm, Redis closed without its password, whose campaign finds what pcfarm fuzz finds',
    async (ctx) => {
      const why = composeCheckUnavailable();
      if (why !== undefined) ctx.skip(why);
      const child = spawn('bash', [join(ROOT, 'scripts/compose-check.sh')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      child.stdout.on('data', (d: Buffer) => (log += d.toString()));
      child.stderr.on('data', (d: Buffer) => (log += d.toString()));
      const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(log).toContain('compose-check:    docker port: none; without the password: NOAUTH');
      expect(log).toContain('SAME: the farm found what the laptop found, bucket for bucket, reproducers and all');
      expect(status, log).toBe(0);
    },
    COMPOSE_CHECK_TIMEOUT_MS,
  );
});
