import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/pcfarm.mjs', import.meta.url));

function pcfarm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const results = () => mkdtempSync(join(tmpdir(), 'pcfarm-cli-'));

/** The totals line of a summary: runs, failing, coverage, buckets (time and rate removed). */
function totals(stdout: string): string {
  const line = /^ {2}([\d,]+) runs in .*?, ([\d,]+) failing, coverage ([\d,]+), (\d+) buckets/m.exec(stdout);
  expect(line, stdout).not.toBeNull();
  return line!.slice(1).join(' ');
}

describe('pcfarm fuzz (a campaign)', () => {
  it('buckets what it finds, minimizes each bucket, and prints a replay command that reproduces it', () => {
    const dir = results();
    const r = pcfarm('fuzz', '--results', dir, '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--seeds', '300', '--threads', '2');
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^campaign \w+: v2\.6\.20 x self-mmap-write, 2 batches of 250 seeds$/m);
    expect(r.stdout).toMatch(/^ {2}new bucket \w{12}: deadlock in v2\.6\.20: self; lock_page/m);
    expect(r.stdout).toMatch(/^campaign \w+ done$/m);
    expect(r.stdout).toMatch(/^bucket +count +kind +strategy +scenarios +minimized +sites$/m);
    expect(r.stdout).toContain(`results: ${dir}`);
    const [, bucket, command] = /^(\w{12}) {2}deadlock in v2\.6\.20: self;.*\n {2}replay: npx pnpm@10 pcfarm replay (pcfarm1:\S+)$/m.exec(r.stdout)!;
    expect(r.stdout).toMatch(new RegExp(`^${bucket} +\\d+ +deadlock +v2\\.6\\.20 +self-mmap-write +\\d+ choices, \\d+ switches`, 'm'));
    const replay = pcfarm('replay', command!);
    expect(replay.status).toBe(1);
    expect(replay.stdout).toContain('signature: deadlock in v2.6.20: self; lock_page');
  });

  it('says a clean campaign found nothing and exits 0', () => {
    const r = pcfarm('fuzz', '--results', results(), '--strategy', 'write-begin-end', '--scenario', 'hole-fill-vs-read,mmap-rw-fault', '--seeds', '200', '--threads', '1');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('no failures: every run passed every oracle');
  });

  it('serves the running campaign on its dashboard, stops on Ctrl-C with a summary, and the same command resumes it to the counts of an uninterrupted run', async () => {
    const args = ['--strategy', 'v2.6.20,zero-retry', '--scenario', 'generated', '--seeds', '12000', '--batch-seeds', '200', '--threads', '2', '--no-minimize'];
    const whole = pcfarm('fuzz', '--results', results(), '--no-dashboard', ...args);
    expect(whole.status).toBe(1);
    expect(whole.stdout).not.toContain('dashboard:');
    const dir = results();
    const child = spawn(process.execPath, [MAIN, 'fuzz', '--results', dir, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let seen: Promise<{ id: string; activity: string; runs: number }[]> | null = null;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (seen === null && stdout.includes('new bucket')) {
        const url = /^dashboard: (http:\/\/127\.0\.0\.1:\d+\/)#\/campaigns\/(\w+)$/m.exec(stdout)![1]!;
        seen = fetch(`${url}api/campaigns`)
          .then((r) => r.json() as Promise<{ campaigns: { campaign: { id: string }; activity: string; runs: number }[] }>)
          .then((b) => b.campaigns.map((c) => ({ id: c.campaign.id, activity: c.activity, runs: c.runs })))
          .finally(() => child.kill('SIGINT'));
      }
    });
    expect(await exited).toBe(130);
    const id = /^dashboard: \S+#\/campaigns\/(\w+)$/m.exec(stdout)![1]!;
    expect(await seen).toEqual([{ id, activity: 'running', runs: expect.any(Number) }]);
    expect(stdout).toMatch(/stopped; run the same command again to resume it \(or --resume \w+\)/);
    const again = pcfarm('fuzz', '--results', dir, ...args);
    expect(again.status).toBe(1);
    expect(again.stdout).toMatch(/, resumed at batch \d+/);
    expect(totals(again.stdout)).toBe(totals(whole.stdout));
  });

  it('reports a corrupt results file with exit 2 and leaves it as it was', () => {
    const dir = results();
    const text = '{"format":"pcfarm-results","version":1}\n{"type":"campaign",\n';
    writeFileSync(join(dir, 'results.jsonl'), text);
    const r = pcfarm('fuzz', '--results', dir, '--seeds', '10');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`pcfarm: ${join(dir, 'results.jsonl')} line 2 is corrupt: it is not JSON. The file was left as it is`);
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8')).toBe(text);
  });
});
