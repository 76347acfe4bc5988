/**
 * `pcfarm dashboard` (packages/cli/src/dashboard-command.ts, the command
 * that serves this package): it stops when told, SIGTERM while it computes
 * the default matrix and a request's matrix ending the process with status
 * 0 (a server that waited for its matrix threads stayed up for minutes);
 * and it takes its token where `ps` does not show it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../cli/dist/pcfarm.mjs', import.meta.url));

describe.skipIf(!existsSync(MAIN))('pcfarm dashboard, told to stop', () => {
  it('exits 0 on SIGTERM while matrices are being computed, saying so', async () => {
    const proc = spawn(process.execPath, [MAIN, 'dashboard', '--port', '0', '--results', tempDir()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        proc.stdout.on('data', () => {
          const m = /pcfarm dashboard: (http:\S+)/.exec(out);
          if (m !== null) resolve(m[1]!);
        });
        void exited.then((code) => reject(new Error(`exited ${code} before serving: ${out}`)));
      });
      // The page, which starts the default matrix; then one more matrix, queued behind it, with its client waiting.
      expect((await fetch(url)).status).toBe(200);
      const asked = fetch(`${url}api/matrix?runs=1999`).catch(() => null);
      await new Promise((r) => setTimeout(r, 200));
      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('stopping');
      await asked;
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
  });
});

describe.skipIf(!existsSync(MAIN))("pcfarm dashboard's token", () => {
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [MAIN, 'dashboard', '--port', '0', '--results', tempDir(), ...args], { encoding: 'utf8', env: { ...process.env, PCFARM_TOKEN: '', ...env }, timeout: 20_000 });

  it('refuses to listen beyond loopback without one in one line saying how to give one, not the whole usage', () => {
    const r = run(['--host', '0.0.0.0']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/PCFARM_TOKEN=\$\(openssl rand -hex 16\) or --token-file FILE keep it out of ps/);
  });

  it('says what is wrong with a token file, and with two ways of giving the token at once', () => {
    const dir = tempDir();
    writeFileSync(`${dir}/empty`, '\n');
    const empty = run(['--host', '0.0.0.0', '--token-file', `${dir}/empty`]);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/--token-file .*empty is empty: put the token on its first line/);
    const missing = run(['--token-file', `${dir}/nope`]);
    expect(missing.stderr).toMatch(/--token-file .*nope cannot be read \(ENOENT\)/);
    const both = run(['--token', 'a', '--token-file', `${dir}/empty`]);
    expect(both.stderr).toMatch(/give the token one way: PCFARM_TOKEN, --token-file or --token, not --token and --token-file/);
  });

  it('serves beyond loopback with the token from a file, and warns that --token shows in ps', async () => {
    const dir = tempDir();
    writeFileSync(`${dir}/token`, 'from-a-file-of-a-long-token\n');
    for (const [args, warned] of [[['--token-file', `${dir}/token`], false], [['--token', 'from-a-file-of-a-long-token'], true]] as const) {
      const proc = spawn(process.execPath, [MAIN, 'dashboard', '--port', '0', '--host', '0.0.0.0', '--results', tempDir(), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PCFARM_TOKEN: '' } });
      let out = '';
      let err = '';
      proc.stdout.on('data', (d) => (out += d));
      proc.stderr.on('data', (d) => (err += d));
      try {
        const url = await new Promise<string>((resolve, reject) => {
          proc.stdout.on('data', () => {
            const m = /pcfarm dashboard: (http:\S+)/.exec(out);
            if (m !== null) resolve(m[1]!);
          });
          proc.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
        });
        const session = await fetch(`${url}api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'from-a-file-of-a-long-token' }) });
        expect(session.status, args.join(' ')).toBe(200);
        expect(/--token shows in ps/.test(err), args.join(' ')).toBe(warned);
      } finally {
        proc.kill('SIGKILL');
      }
    }
  });
});
