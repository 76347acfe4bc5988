import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL_VERSION } from '@pcfarm/core';
import { campaignSpec, EmbeddedStore } from '@pcfarm/farm';
import { describe, expect, it } from 'vitest';
import { pcfarmHere as here } from './here.js';

const MAIN = fileURLToPath(new URL('../dist/pcfarm.mjs', import.meta.url));

/** pcfarm as a process of its own: what a user's shell sees, its exit status and streams. */
function spawned(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** pcfarm in this process (cli.ts's runCli, as main.ts wires it): the searches and their words without a Node's start for each; the first test's goes through a process. */
const pcfarm = here;

describe('pcfarm verify', () => {
  it('finds the v2.6.20 self deadlock at 0 preemptions, minimizes it, and prints a reproducer that replays it; exit 1', async () => {
    const r = spawned('verify', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write');
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^FAIL v2\.6\.20 x self-mmap-write at 0 preemptions \(reclaim actions <= 2, generated parameters <= 0, 1 block\(s\) a page\), after \d+ schedules/);
    const signature = /signature: (.*)$/m.exec(r.stdout)![1]!;
    const command = /replay: \.\/pcfarm (replay pcfarm1:\S+)$/m.exec(r.stdout)![1]!;
    const replay = await pcfarm(...command.split(' '));
    expect(replay.status).toBe(1);
    expect(replay.stdout).toContain(`signature: ${signature}`);
    // Its choices are the systematic scheduler's, which --choices cannot name: the line says the reproducer replays them.
    expect(replay.stdout).toMatch(/^choices: [\d,]+ \(the systematic scheduler's, which --choices cannot name: its reproducer replays them\)$/m);
  });

  it('certifies two-copy on cross-mmap-write to 2 preemptions, with its schedules, classes, bounds, model and hash; exit 0', async () => {
    const r = await pcfarm('verify', '--strategy', 'two-copy', '--scenario', 'cross-mmap-write', '--preemptions', '2', '--reclaim-actions', '1');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^clean up to 2 preemptions: two-copy x cross-mmap-write, [\\d,]+ schedules, [\\d,]+ classes, [\\d.]+ s \\(reclaim actions <= 1, generated parameters <= 0, 1 block\\(s\\) a page; model ${MODEL_VERSION}, hash [0-9a-f]{8}\\)$`, 'm'));
  });

  it('--json says the same as the words, and the same search gives the same hash twice; --results keeps its certificate once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcfarm-verify-'));
    const run = async () => JSON.parse((await pcfarm('verify', '--strategy', 'write-begin-end-trim', '--scenario', 'overwrite-vs-read', '--delays', '1', '--reclaim-actions', '1', '--blocks-per-page', '2', '--json', '--results', dir)).stdout);
    const a = await run();
    expect(a).toMatchObject({ result: 'clean', bound: 1, unit: 'delays', modelVersion: MODEL_VERSION, cell: { strategy: 'write-begin-end-trim', scenario: 'overwrite-vs-read', blocksPerPage: 2 } });
    expect(a.schedules).toBeGreaterThan(0);
    const where = join(dir, 'certificates.jsonl');
    expect(a.kept).toEqual({ where, records: [{ text: 'verified to 1 delay (reclaim actions <= 1)', kept: true }] });
    const b = await run();
    expect(b.hash).toBe(a.hash);
    // The same claim again says no more: the directory keeps the first.
    expect(b.kept).toEqual({ where, records: [{ text: 'verified to 1 delay (reclaim actions <= 1)', kept: false }] });
    const lines = readFileSync(where, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ result: 'clean', strategy: 'write-begin-end-trim', blocksPerPage: 2, unit: 'delays', bound: 1, reclaimActionsMax: 1, hash: a.hash, classes: a.classes });
  });

  it("says what it certified when the budget runs out first, and exits 3; its classes and hash are the certified bound's, not the stopped search's", async () => {
    const args = ['verify', '--strategy', 'two-copy', '--scenario', 'overwrite-vs-read', '--reclaim-actions', '1', '--preemptions', '3', '--schedules-max', '300'];
    const r = await pcfarm(...args);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/stopped by the schedule budget \(--schedules-max 300\) before 1 preemption was certified; 0 is the highest bound certified/);
    const stopped = JSON.parse((await pcfarm(...args, '--json')).stdout);
    const zero = JSON.parse((await pcfarm('verify', '--strategy', 'two-copy', '--scenario', 'overwrite-vs-read', '--reclaim-actions', '1', '--preemptions', '0', '--json')).stdout);
    expect(zero).toMatchObject({ result: 'clean', bound: 0 });
    expect(Object.keys(stopped).sort()).toEqual(Object.keys(zero).sort());
    expect(stopped).toMatchObject({ result: 'stopped', bound: 0, classes: zero.classes, hash: zero.hash });
    expect(stopped.schedules).toBeGreaterThan(zero.schedules);
    expect(r.stdout).toContain(`clean up to 0 preemptions: two-copy x overwrite-vs-read, ${zero.schedules} schedules, ${zero.classes} classes`);
    expect(r.stdout).toContain(`hash ${zero.hash})`);
    // It says how delay bounding would go on, in a command that runs pasted, with the same cell and budgets.
    const hint = /^ {2}delay bounding explores a subset of the schedules, far fewer where tasks block often: \.\/pcfarm (.*)$/m.exec(r.stdout)![1]!;
    expect(hint).toBe('verify --strategy two-copy --scenario overwrite-vs-read --delays 3 --reclaim-actions 1 --time-s 60');
    const delayed = await pcfarm(...hint.split(' '), '--schedules-max', '300');
    expect(delayed.stdout).toMatch(/^clean up to \d+ delays?: two-copy x overwrite-vs-read/m);
    // A delay bound that stops has no other bound to point to.
    expect(delayed.stdout).not.toContain('delay bounding explores');
    // Stopped inside bound 0: nothing is certified, and there is no certificate to give.
    expect(JSON.parse((await pcfarm('verify', '--strategy', 'two-copy', '--scenario', 'overwrite-vs-read', '--reclaim-actions', '1', '--preemptions', '3', '--schedules-max', '2', '--json')).stdout)).toMatchObject({ result: 'stopped', bound: -1, classes: null, hash: null });
  });

  it("--threads 2 gives the one-thread certificate, schedule for schedule, and the one search's counterexample", async () => {
    const args = ['verify', '--strategy', 'two-copy', '--scenario', 'cross-mmap-write', '--preemptions', '1', '--reclaim-actions', '1', '--json'];
    const one = JSON.parse((await pcfarm(...args)).stdout);
    const two = JSON.parse((await pcfarm(...args, '--threads', '2')).stdout);
    expect(two).toMatchObject({ result: 'clean', bound: 1, schedules: one.schedules, classes: one.classes, hash: one.hash, threads: 2 });
    expect(two.subtrees).toBeGreaterThan(1);
    const failing = await pcfarm('verify', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--threads', '2', '--json');
    expect(failing.status, failing.stderr).toBe(1);
    expect(JSON.parse(failing.stdout)).toMatchObject({ result: 'fail', kind: 'deadlock', bound: 0, threads: 2 });
    const counted = await pcfarm('verify', '--strategy', 'two-copy', '--scenario', 'cross-mmap-write', '--threads', '2', '--schedules-max', '5');
    expect(counted.status).toBe(2);
    expect(counted.stderr).toMatch(/--schedules-max counts the schedules of one search in this process: give it without --threads/);
  });

  it('rejects both bounds at once, and an unknown scenario, with exit 2 and what was wrong', async () => {
    const both = await here('verify', '--strategy', 'two-copy', '--scenario', 'cross-mmap-write', '--preemptions', '1', '--delays', '1');
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/give --preemptions K or --delays K, not both/);
    const unknown = await here('verify', '--strategy', 'two-copy', '--scenario', 'nope');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown scenario "nope"/);
    // A file where the results directory should be is said before any search; one store, never two.
    const file = join(mkdtempSync(join(tmpdir(), 'pcfarm-verify-')), 'a-file');
    writeFileSync(file, '');
    const onFile = await here('verify', '--strategy', 'two-copy', '--scenario', 'cross-mmap-write', '--results', file);
    expect(onFile.status).toBe(2);
    expect(onFile.stderr).toBe(`pcfarm: --results ${file}: ${file} is a file, not a directory; name a directory (it is made when missing)\n`);
    const both2 = await here('verify', '--campaign', 'c1', '--strategy', 'two-copy', '--results', file);
    expect(both2.status).toBe(2);
    expect(both2.stderr).toMatch(/--campaign verifies every cell of that campaign: give it without --strategy, --scenario or --blocks-per-page/);
    // A path through a file is said before any search, as the file system puts it.
    const through = await here('verify', '--strategy', 'two-copy', '--scenario', 'cross-mmap-write', '--results', join(file, 'sub'));
    expect(through.status).toBe(2);
    expect(through.stderr).toBe(`pcfarm: --results ${join(file, 'sub')}: cannot record a certificate in ${join(file, 'sub')}: ENOTDIR: not a directory, mkdir '${join(file, 'sub')}'\n`);
    expect(through.stdout).toBe('');
    const twoStores = await here('verify', '--strategy', 'two-copy', '--scenario', 'cross-mmap-write', '--results', file, '--redis', 'redis://127.0.0.1:1');
    expect(twoStores.status).toBe(2);
    expect(twoStores.stderr).toMatch(/give --redis or --results, not both/);
  });
});

describe('pcfarm matrix --verify', () => {
  it('gives each cell its bound beside its seeds: the smallest failing one with its kind, or the highest certified, in the table and in --json', async () => {
    // Bound 0 and the two rows it reads keep the searches to a second (six-task extend-vs-truncate alone takes seconds at bound 0).
    const args = ['matrix', '--strategy', 'v2.6.20,two-copy', '--scenario', 'generated,self-mmap-write', '--runs', '5', '--blocks-per-page', '1', '--verify', '--preemptions', '0', '--reclaim-actions', '1'];
    const text = await pcfarm(...args);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^\| self-mmap-write +\| 1 +\| deadlock ×\d+; fails at 0p \(deadlock\) +\| clean; verified to 0p +\|$/m);
    // Only the rows named, in the matrix's order whatever order they were named in.
    expect([...text.stdout.matchAll(/^\| ([a-z-]+) +\| 1 +\|/gm)].map((m) => m[1])).toEqual(['self-mmap-write', 'generated']);
    const json = JSON.parse((await pcfarm(...args, '--json')).stdout) as { cells: { strategy: string; scenario: string; bound: { kind: string; preemptions: number; asked: number; hash: string | null } }[]; verify: { bounds: object } };
    expect(json.verify.bounds).toEqual({ preemptionsMax: 0, reclaimActionsMax: 1, paramsMax: 0 });
    expect(json.cells.map((c) => `${c.strategy} ${c.scenario}`)).toEqual(['v2.6.20 self-mmap-write', 'v2.6.20 generated', 'two-copy self-mmap-write', 'two-copy generated']);
    const cell = (st: string, sc: string) => json.cells.find((c) => c.strategy === st && c.scenario === sc)!.bound;
    expect(cell('v2.6.20', 'self-mmap-write')).toMatchObject({ kind: 'fails', preemptions: 0, asked: 0, hash: null });
    // The same search as pcfarm verify's: the same certificate.
    const alone = JSON.parse((await pcfarm('verify', '--strategy', 'two-copy', '--scenario', 'self-mmap-write', '--preemptions', '0', '--reclaim-actions', '1', '--json')).stdout);
    expect(cell('two-copy', 'self-mmap-write')).toMatchObject({ kind: 'certified', preemptions: 0, hash: alone.hash, params: null });
    // generated draws its programs from the choices: its certificate covers those within the parameter bound, and says so.
    expect(cell('two-copy', 'generated')).toMatchObject({ kind: 'certified', preemptions: 0, params: 0 });
    expect(text.stdout).toMatch(/^\| generated +\| 1 +\| [^|]*; verified to 0p, params <= 0 +\| clean; verified to 0p, params <= 0 +\|$/m);
  });

  it("--campaign --threads 2 searches cells side by side, each whole on one thread: the one-thread search's certificates and counterexamples, in the campaign's order", async () => {
    const made = async (): Promise<{ dir: string; id: string }> => {
      const dir = mkdtempSync(join(tmpdir(), 'pcfarm-verify-'));
      const store = EmbeddedStore.open(dir);
      const c = await store.createCampaign(campaignSpec({ strategies: ['v2.6.20', 'two-copy'], scenarios: ['self-mmap-write', 'cross-mmap-write'], blocksPerPage: [1], seedsPerCell: 10 }));
      await store.close();
      return { dir, id: c.id };
    };
    const [a, b] = [await made(), await made()];
    const args = ['--preemptions', '1', '--reclaim-actions', '1', '--json'];
    const alone = JSON.parse((await here('verify', '--campaign', a.id, '--results', a.dir, ...args)).stdout);
    const sideBySide = await here('verify', '--campaign', b.id, '--results', b.dir, ...args, '--threads', '2');
    expect(sideBySide.status).toBe(1);
    const both = JSON.parse(sideBySide.stdout);
    const figures = (cells: { result: string; bound: number; schedules: number; hash: string | null; reproducer: string | null; cell: { strategy: string; scenario: string } }[]) =>
      cells.map((c) => [c.cell.strategy, c.cell.scenario, c.result, c.bound, c.schedules, c.hash, c.reproducer]);
    expect(figures(both.cells)).toEqual(figures(alone.cells));
    expect(figures(alone.cells).map((f) => f.slice(0, 3))).toEqual([
      ['v2.6.20', 'self-mmap-write', 'fail'],
      ['v2.6.20', 'cross-mmap-write', 'clean'],
      ['two-copy', 'self-mmap-write', 'clean'],
      ['two-copy', 'cross-mmap-write', 'clean'],
    ]);
    // Each search whole: one subtree a bound.
    for (const c of both.cells) expect(c.threads === 2 && c.subtrees <= c.bound + 1).toBe(true);
    // --json has one shape whatever came of a cell: a counterexample, a certificate, or a record the store answered with (the same command again).
    const shape = (c: Record<string, unknown>) => Object.keys(c).filter((k) => !['threads', 'subtrees', 'farm', 'kept', 'answered'].includes(k)).sort();
    const again = JSON.parse((await here('verify', '--campaign', a.id, '--results', a.dir, ...args)).stdout) as { cells: Record<string, unknown>[] };
    expect(again.cells.map((c) => c.answered)).toEqual([true, true, true, true]);
    for (const c of [...alone.cells, ...again.cells]) expect(shape(c)).toEqual(shape(alone.cells[1]));
    expect(again.cells[0]).toMatchObject({ result: 'fail', kind: alone.cells[0].kind, signature: alone.cells[0].signature, hash: null });
    expect(alone.cells[0]).toMatchObject({ kind: 'deadlock', asked: 1, classes: null, hash: null });
  });

  it('--campaign with a results directory that does not exist exits 2 and makes no directory: the name was mistyped', async () => {
    const nowhere = join(mkdtempSync(join(tmpdir(), 'pcfarm-verify-')), 'no-such-results');
    const r = await here('verify', '--campaign', 'c1', '--results', nowhere);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`pcfarm: ${join(nowhere, 'results.jsonl')} does not exist: no campaign has been run with this results directory\n`);
    expect(existsSync(nowhere)).toBe(false);
  });

  it('--campaign refuses a campaign another model version ran: its certificates would never show beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcfarm-verify-'));
    const store = EmbeddedStore.open(dir);
    const made = await store.createCampaign(campaignSpec({ strategies: ['two-copy'], scenarios: ['self-mmap-write'], blocksPerPage: [1], seedsPerCell: 10 }));
    const old = await store.snapshot(made.id);
    await store.importSnapshot({ ...old, campaign: { ...old.campaign, id: 'older', modelVersion: 'core-0' } });
    await store.close();
    const r = await here('verify', '--campaign', 'older', '--results', dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`pcfarm: campaign older ran model core-0, and this pcfarm is model ${MODEL_VERSION}: verify it with the pcfarm that ran it, or run it again with this one\n`);
  });

  it('refuses a bound without --verify, naming what it goes with', async () => {
    const r = await here('matrix', '--runs', '5', '--preemptions', '2');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--preemptions goes with --verify/);
  });
});

describe('a printed command, pasted verbatim', () => {
  it("runs in a non-interactive shell with npm's yes setting false, from the repository root, with pcfarm's own exit status and no ELIFECYCLE", async () => {
    const r = await pcfarm('verify', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--reclaim-actions', '1');
    const command = /replay: (\.\/pcfarm replay pcfarm1:\S+)$/m.exec(r.stdout)![1]!;
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const env = { ...process.env, npm_config_yes: 'false', CI: 'true' };
    const pasted = spawnSync('sh', ['-c', command], { cwd: root, env, encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(pasted.status, pasted.stderr).toBe(1);
    // A finding is not a crash: nothing between the shell and pcfarm (pnpm would) says the command failed.
    expect(pasted.stderr).not.toMatch(/ELIFECYCLE|failed/);
    expect(pasted.stdout).toContain(`signature: ${/signature: (.*)$/m.exec(r.stdout)![1]!}`);
  });
});
