import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedStore, RedisServer } from '@pcfarm/farm';
import { afterEach, describe, expect, it } from 'vitest';
import { pcfarmHere as here } from './here.js';

const MAIN = fileURLToPath(new URL('../dist/pcfarm.mjs', import.meta.url));

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'pcfarm-cli-dash-'));

interface Served {
  proc: ChildProcess;
  url: string;
  out: () => string;
}

const running: ChildProcess[] = [];

afterEach(() => {
  for (const p of running.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
});

/** `pcfarm dashboard ARGS` until it prints its address. */
async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const proc = spawn(process.execPath, [MAIN, 'dashboard', '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(proc);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address within 20 s; stdout: ${out}; stderr: ${err}`)), 20_000);
    proc.stdout!.on('data', () => {
      const m = /pcfarm dashboard: (http:\S+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${err}`));
    });
  });
  return { proc, url, out: () => out };
}

async function stop(s: Served): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => s.proc.once('exit', (code) => resolve(code)));
  s.proc.kill('SIGINT');
  return exited;
}

const json = async (r: Response): Promise<Record<string, unknown>> => (await r.json()) as Record<string, unknown>;

describe('pcfarm dashboard', () => {
  it('serves a results directory and runs its campaigns in-process; Ctrl-C stops it with 0', async () => {
    const s = await serve(['--results', tempDir(), '--threads', '1']);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await json(await fetch(`${s.url}api/info`))).toMatchObject({ store: 'embedded', control: 'local', readOnly: false });
    const created = await fetch(`${s.url}api/campaigns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ strategies: ['v2.6.20'], scenarios: ['self-mmap-write'], blocksPerPage: [1], seedsPerCell: 200, batchSeeds: 100 }),
    });
    expect(created.status).toBe(201);
    const id = ((await json(created)).campaign as { id: string }).id;
    for (let i = 0; ; i++) {
      const v = await json(await fetch(`${s.url}api/campaigns/${id}`));
      if ((v.campaign as { state: string }).state === 'done') {
        expect(v.runs).toBe(200);
        break;
      }
      if (i > 300) throw new Error('the campaign did not finish');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await stop(s)).toBe(0);
    expect(s.out()).toContain('stopping');
  });

  it('follows a results directory another process writes, read-only', async () => {
    const dir = tempDir();
    // This test process holds the writer's lock, as a running `pcfarm fuzz` would.
    const writer = EmbeddedStore.open(dir);
    try {
      const s = await serve(['--results', dir]);
      expect(await json(await fetch(`${s.url}api/info`))).toMatchObject({ control: 'store', readOnly: true });
      expect(s.out()).toContain('read-only');
      const r = await fetch(`${s.url}api/campaigns`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(r.status).toBe(409);
      expect(await stop(s)).toBe(0);
    } finally {
      await writer.close();
    }
  });

  it("serves the farm's Redis", async () => {
    const redis = await RedisServer.start({ dir: tempDir() });
    try {
      const s = await serve(['--redis', redis.url]);
      expect(await json(await fetch(`${s.url}api/info`))).toMatchObject({ store: 'redis', control: 'store' });
      // Redis away: a request is answered at once, saying so, not held until it is back; then the dashboard is back with it.
      await redis.stop();
      const away = await fetch(`${s.url}api/campaigns`, { signal: AbortSignal.timeout(10_000) });
      expect([away.status, (await json(away)).error]).toEqual([503, 'EREDISDOWN']);
      await redis.restart();
      let back = 0;
      for (let i = 0; i < 100 && back !== 200; i++) {
        back = (await fetch(`${s.url}api/campaigns`, { signal: AbortSignal.timeout(10_000) })).status;
        if (back !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(back).toBe(200);
      expect(await stop(s)).toBe(0);
    } finally {
      await redis.stop();
    }
  });

  it('refuses to listen beyond loopback without a token, and takes one from PCFARM_TOKEN', async () => {
    const r = spawnSync(process.execPath, [MAIN, 'dashboard', '--results', tempDir(), '--host', '0.0.0.0', '--port', '0'], { encoding: 'utf8', env: { ...process.env, PCFARM_TOKEN: '' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/give it a token \(--token or PCFARM_TOKEN\)/);
    const s = await serve(['--results', tempDir(), '--host', '0.0.0.0'], { PCFARM_TOKEN: 'a-token-of-some-length' });
    const refused = await fetch(`${s.url}api/campaigns`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(refused.status).toBe(401);
    expect(await stop(s)).toBe(0);
  });

  it('refuses a results path it cannot use and a host it cannot listen on in a line with exit 2, as fuzz does, never a stack', async () => {
    const dir = tempDir();
    const file = join(dir, 'afile');
    writeFileSync(file, '');
    const isFile = await here('dashboard', '--results', file, '--port', '0');
    expect([isFile.status, isFile.stderr]).toEqual([2, `pcfarm: --results ${file}: ${file} is a file, not a directory; name a directory\n`]);
    const through = await here('dashboard', '--results', join(file, 'r'), '--port', '0');
    expect(through.status).toBe(2);
    expect(through.stderr).toMatch(/^pcfarm: --results \S+: cannot use \S+ as a results directory: ENOTDIR: not a directory/);
    const empty = await here('dashboard', '--results', '', '--port', '0');
    expect([empty.status, empty.stderr]).toEqual([2, 'pcfarm: --results needs a directory, not an empty name\n']);
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'a-token-long-enough\n');
    const host = await here('dashboard', '--results', dir, '--host', 'nowhere.invalid', '--port', '0', '--token-file', tokenFile);
    expect(host.status).toBe(2);
    expect(host.stderr).toMatch(/^pcfarm: --host nowhere\.invalid: cannot listen there \((ENOTFOUND|EAI_AGAIN)\): name an address of this machine/m);
  });

  it('--results naming a directory that does not exist is refused in one line naming it, exit 2, and nothing is made; fuzz makes it', async () => {
    const typo = join(tempDir(), 'pcfarm-resluts');
    const r = await here('dashboard', '--results', typo, '--port', '0');
    expect([r.status, r.stderr]).toEqual([2, `pcfarm: --results ${typo}: ${typo} does not exist; name the results directory of a pcfarm fuzz (or make it first, to start from none)\n`]);
    expect(existsSync(typo)).toBe(false);
    // fuzz, whose results these are, makes it (the README: ./pcfarm-results, or --results DIR).
    const made = await here('fuzz', '--results', typo, '--no-dashboard', '--strategy', 'v2.6.20', '--scenario', 'overwrite-vs-read', '--blocks-per-page', '1', '--seeds', '10', '--threads', '1', '--no-minimize');
    expect(made.stderr).toBe('');
    expect(existsSync(join(typo, 'results.jsonl'))).toBe(true);
  });

  it('rejects unknown options, mixed stores and a Redis URL or prefix the farm commands refuse, with exit 2 and their words', async () => {
    const a = await here('dashboard', '--prot', '8080');
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/unknown option --prot for 'dashboard'/);
    const b = await here('dashboard', '--redis', 'redis://x', '--results', 'r');
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/give --redis or --results, not both/);
    const c = await here('dashboard', '--port', '70000');
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/--port must be from 0 to 65535/);
    const d = await here('dashboard', '--redis', 'foo');
    expect(d.status).toBe(2);
    expect(d.stderr).toContain('pcfarm: --redis foo is not a Redis URL; expected redis://host:port or rediss://host:port');
    const e = await here('dashboard', '--prefix', 'a:b');
    expect(e.status).toBe(2);
    expect(e.stderr).toContain("--prefix must be letters, digits, '.', '_' or '-'");
  });

  it('a Redis it cannot reach within --connect-ms is exit 4 naming it, as for the farm commands; --connect-ms with --results is a mix', async () => {
    const away = await here('dashboard', '--redis', 'redis://127.0.0.1:1', '--connect-ms', '300');
    expect(away.status).toBe(4);
    expect(away.stderr).toContain('pcfarm: cannot reach Redis at redis://127.0.0.1:1 within 300 ms');
    const mixed = await here('dashboard', '--results', 'r', '--connect-ms', '300');
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toMatch(/give --redis or --results, not both/);
  });
});
