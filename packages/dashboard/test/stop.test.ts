/**
 * `pcfarm dashboard` (packages/cli/src/dashboard-command.ts, the command
 * this package serves) stops when told: SIGTERM while it computes the
 * default matrix and a request's matrix ends the process with status 0,
 * where a server that waited for its matrix threads stayed up for minutes.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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
      // One more matrix than the default being precomputed: queued behind it, with its client waiting.
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
