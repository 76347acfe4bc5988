import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisServer } from '@pcfarm/farm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pcfarmHere as inProcess } from './here.js';

const MAIN = fileURLToPath(new URL('../dist/pcfarm.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dirs: string[] = [];
let redis: RedisServer;

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pcfarm-strategy-cli-'));
  dirs.push(d);
  return d;
}

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `pcfarm ARGS...` run in `cwd`, as a user runs it there. */
function pcfarmIn(cwd: string, ...args: string[]): Ran {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, REDIS_URL: redis?.url ?? '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A command pcfarm printed, pasted into a shell in `cwd`: only ./pcfarm, the launcher, stands for this build. */
function paste(cwd: string, command: string): Ran {
  expect(command.startsWith('./pcfarm ')).toBe(true);
  const r = spawnSync('sh', ['-c', `"$NODE" "$MAIN" ${command.slice('./pcfarm '.length)}`], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE: process.execPath, MAIN } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const line = (text: string, re: RegExp): string => {
  const m = re.exec(text);
  expect(m, `${re} in:\n${text}`).not.toBeNull();
  return m![1]!;
};

beforeAll(async () => {
  redis = await RedisServer.start({ dir: tempDir() });
});

afterAll(async () => {
  await redis?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('your own write path, from the command line', () => {
  it("THE WALK: a copy of excl-flag with Anton's flag finds stale data; Piggin's change is a new campaign, still deadlocky; diff --retest says the stale data is fixed and the deadlock new; export-test keeps the deadlock", () => {
    const here = tempDir();
    const made = pcfarmIn(here, 'strategy', 'new', 'my-excl', '--from', 'excl-flag');
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout).toContain('wrote my-excl.ts: strategy my-excl, a copy of excl-flag');
    expect(made.stdout).toContain('  ./pcfarm fuzz --first-failure --strategy-file my-excl.ts');
    const file = join(here, 'my-excl.ts');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('pageWritingWaiters: { read: true, fault: true, truncate: true },');
    // Anton's flag as first sent: read and truncate wait on it, the fault path does not.
    writeFileSync(file, text.replace('fault: true', 'fault: false'));
    const args = ['fuzz', '--strategy-file', 'my-excl.ts', '--scenario', 'self-mmap-write,hole-fill-vs-read', '--seeds', '200', '--results', 'results', '--no-dashboard', '--threads', '2'];
    const before = pcfarmIn(here, ...args);
    expect(before.status, before.stderr).toBe(1);
    const a = line(before.stdout, /^campaign (\w+): my-excl x self-mmap-write,hole-fill-vs-read/m);
    expect(before.stdout).toMatch(/^\w{12} +\d+ +stale-data +my-excl +hole-fill-vs-read /m);
    expect(before.stdout).not.toMatch(/deadlock/);
    // Its replay line works pasted: it names the file.
    const staleReplay = line(before.stdout, /^\w{12} {2}stale-data in my-excl: .*\n {2}replay: (\.\/pcfarm replay pcfarm1:\S+ --strategy-file my-excl\.ts)$/m);
    expect(paste(here, staleReplay).stdout).toMatch(/signature: stale-data in my-excl: /);

    // Nick Piggin: "you must also exclude filemap_nopage".
    writeFileSync(file, text);
    const again = pcfarmIn(here, ...args);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(new RegExp(`^pcfarm: campaign ${a} ran the strategy file my-excl\\.ts at source [0-9a-f]{16}; it is source [0-9a-f]{16} now: a changed strategy is a new campaign\\. Add --new to start one; its summary gives the command that compares the two\n`));
    // The stale-data reproducer of the old source, replayed against the new one: said, replayed, and what it does now.
    const now = paste(here, staleReplay);
    expect(now.stdout.split('\n')[0]).toMatch(/^strategy file my-excl\.ts changed since this reproducer was made \(source [0-9a-f]{16}, now [0-9a-f]{16}\): replaying it anyway$/);
    expect(now.stdout.trimEnd().split('\n').pop()).toBe('now: ok');
    expect(now.status).toBe(0);

    const after = pcfarmIn(here, ...args, '--new');
    expect(after.status, after.stderr).toBe(1);
    const b = line(after.stdout, /^campaign (\w+): my-excl x/m);
    const deadlock = line(after.stdout, /^(\w{12}) +\d+ +deadlock +my-excl +self-mmap-write /m);
    expect(after.stdout).toMatch(/deadlock in my-excl: self; wait_on_bit PG_writing in filemap_nopage <- /);
    expect(after.stdout).not.toMatch(/stale-data/);

    // The summary of the campaign after the edit offers the diff against the one before it, pasteable as it is.
    const compare = line(after.stdout, new RegExp(`^compare it with campaign ${a}, the same command before its strategy file changed: (\\./pcfarm diff ${a} ${b} --retest --results \\S+)$`, 'm'));
    const diff = paste(here, compare);
    expect(diff.status, diff.stderr).toBe(1);
    expect(diff.stdout).toMatch(/^note: strategy my-excl: A ran my-excl\.ts at source [0-9a-f]{16}, B my-excl\.ts at source [0-9a-f]{16}$/m);
    expect(diff.stdout).toMatch(new RegExp(`^new in B: \\d+\\n {2}deadlock in my-excl: self; wait_on_bit PG_writing in filemap_nopage <- .*\\n {4}B: [\\d,]+ of [\\d,]+ runs \\([\\d.]+%\\); bucket ${deadlock}$`, 'm'));
    expect(diff.stdout).toMatch(/^gone from B: 1\n {2}stale-data in my-excl: .*\n {4}A: \d+ of 1,200 runs \([\d.]+%\); bucket \w{12}$/m);
    expect(diff.stdout).toMatch(/^ {2}fixed {10}stale-data in my-excl: /m);
    expect(diff.stdout.trimEnd().split('\n').pop()).toBe("1 new failure bucket in B; 1 of A's 1 failure bucket fixed, 0 still failing");
    // A campaign against itself says nothing: refused, as the dashboard's compare refuses it, not an empty table.
    const itself = pcfarmIn(here, 'diff', b, b, '--results', 'results');
    expect([itself.status, itself.stderr.split('\n')[0]]).toEqual([2, `pcfarm: A and B are both campaign ${b}: compare two campaigns (A the earlier, B the later)`]);

    const exported = pcfarmIn(here, 'export-test', deadlock, '--results', 'results');
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout).toContain(`wrote pcfarm-${deadlock}.test.ts: a vitest test that passes while bucket ${deadlock} of campaign ${b} reproduces:`);
    const test = readFileSync(join(here, `pcfarm-${deadlock}.test.ts`), 'utf8');
    expect(test).toContain('new URL("./my-excl.ts", import.meta.url)');
    expect(test).toContain(`from ${JSON.stringify(`${ROOT}packages/core/dist/index.js`)}`);
    expect(test).toMatch(/^it\("still deadlocks: deadlock in my-excl: self; wait_on_bit PG_writing in filemap_nopage/m);
    expect(pcfarmIn(here, 'export-test', deadlock, '--results', 'results').stderr).toMatch(/^pcfarm: .*pcfarm-\w{12}\.test\.ts exists: 'export-test' never overwrites a file; give another --out PATH\n$/);

    // B's file moved away: a retest says which file it needs, and takes it where it is now.
    mkdirSync(join(here, 'moved'));
    renameSync(file, join(here, 'moved', 'my-excl.ts'));
    const lost = pcfarmIn(here, 'diff', a, b, '--results', 'results', '--retest');
    expect(lost.status).toBe(2);
    expect(lost.stderr).toMatch(/^pcfarm: --retest needs B's strategy file my-excl \(source [0-9a-f]{16}\), and \S+my-excl\.ts is missing or changed since: give that source with --strategy-file PATH, or diff without --retest\n$/);
    expect(pcfarmIn(here, 'diff', a, b, '--results', 'results', '--retest', '--strategy-file', 'moved/my-excl.ts').stdout).toMatch(/^ {2}fixed {10}stale-data in my-excl: /m);
  });

  it('a copied strategy gives the same outcome through the CLI as the built-in: the same first failing seed, choices and trace, its id aside', () => {
    const here = tempDir();
    expect(pcfarmIn(here, 'strategy', 'new', 'twin').stdout).toContain('a copy of v2.6.20');
    const builtIn = pcfarmIn(here, 'fuzz', '--first-failure', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write');
    const copy = pcfarmIn(here, 'fuzz', '--first-failure', '--strategy-file', 'twin.ts', '--scenario', 'self-mmap-write');
    expect(copy.status, copy.stderr).toBe(1);
    const unnamed = (s: string) => s.replace(/^.*(runs\/s|reproducer:|replay:|minimize:).*$/gm, '').replaceAll('v2.6.20', 'S').replaceAll('twin', 'S');
    expect(unnamed(copy.stdout)).toBe(unnamed(builtIn.stdout));
    // The printed replay commands, pasted, replay the same run.
    const replayCopy = paste(here, line(copy.stdout, /^ {2}replay: (.*)$/m));
    const replayBuiltIn = paste(here, line(builtIn.stdout, /^ {2}replay: (.*)$/m));
    expect(replayCopy.status).toBe(1);
    expect(line(replayCopy.stdout, /^choices: (.*)$/m)).toBe(line(replayBuiltIn.stdout, /^choices: (.*)$/m));
    const trace = (s: string) => s.slice(0, s.indexOf('\nchoices: ')).replaceAll('v2.6.20', 'S').replaceAll('twin', 'S');
    expect(trace(replayCopy.stdout)).toBe(trace(replayBuiltIn.stdout));
    // Its reproducer is pinned to the file: minimized, it replays pasted, with the file.
    const minimized = paste(here, line(copy.stdout, /^ {2}minimize: (.*)$/m));
    expect(minimized.status).toBe(0);
    expect(paste(here, line(minimized.stdout, /^replay: (.*)$/m)).stdout).toMatch(/signature: deadlock in twin: self; lock_page/);
    expect(pcfarmIn(here, 'replay', line(minimized.stdout, /^reproducer: (.*)$/m)).stderr).toMatch(/^pcfarm: reproducer: made with the strategy file twin \(source [0-9a-f]{16}\); load it with --strategy-file PATH\n$/);
  });

  it('a strategy file that does not compile exits 2 naming file:line; one that is missing, naming it', async () => {
    // In this process, with the files' whole paths (nothing is run: each command stops at the file), where a process each took 0.4 s.
    const here = tempDir();
    const broken = join(here, 'broken.ts');
    writeFileSync(broken, "import { PATHS_2_6_20 } from 'pcfarm:strategy-api';\nexport const apiVersion = 1;\nconst x: = 3;\n");
    for (const args of [
      ['replay', '--strategy', 'broken', '--scenario', 'self-mmap-write', '--seed', '1'],
      ['fuzz', '--first-failure'],
      ['matrix'],
      ['verify', '--strategy', 'broken', '--scenario', 'self-mmap-write'],
      ['minimize', '--strategy', 'broken', '--scenario', 'self-mmap-write', '--seed', '1'],
      ['fuzz', '--no-dashboard', '--results', join(here, 'r')],
      ['campaign', 'start'],
    ]) {
      const r = await inProcess(...args, '--strategy-file', broken);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toBe(`pcfarm: strategy file ${broken}:3:11: does not compile: Unexpected token\n`);
    }
    // Nothing was made for it.
    expect(existsSync(join(here, 'r'))).toBe(false);
    const missing = await inProcess('replay', '--strategy-file', join(here, 'nowhere.ts'), '--strategy', 'x', '--scenario', 'self-mmap-write', '--seed', '1');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(`pcfarm: strategy file ${join(here, 'nowhere.ts')}: cannot be read: ENOENT\n`);
    // An unknown option is said first: the files are read only for a command line that is right.
    expect((await inProcess('replay', '--strategy-file', broken, '--bogus', '1')).stderr).toMatch(/^pcfarm: unknown option --bogus for 'replay'/);
    // A relative path is the current directory's, as a user gives it there.
    const relative = pcfarmIn(here, 'replay', '--strategy', 'broken', '--scenario', 'self-mmap-write', '--seed', '1', '--strategy-file', 'broken.ts');
    expect([relative.status, relative.stderr]).toEqual([2, `pcfarm: strategy file ${broken}:3:11: does not compile: Unexpected token\n`]);
  });

  it('--strategy-file may be given more than once, each file run; any other option given twice is refused with exit 2', () => {
    const here = tempDir();
    pcfarmIn(here, 'strategy', 'new', 'one', '--from', 'write-begin-end');
    pcfarmIn(here, 'strategy', 'new', 'two', '--from', 'v2.6.20');
    const both = pcfarmIn(here, 'fuzz', '--first-failure', '--strategy-file', 'one.ts', '--strategy-file', 'two.ts', '--scenario', 'self-mmap-write', '--runs', '200');
    expect(both.status).toBe(1);
    expect(both.stdout).toMatch(/^one x self-mmap-write \(pct, seeds 0\.\.199\)\n {2}clean: 200 runs/m);
    expect(both.stdout).toMatch(/^two x self-mmap-write \(pct, seeds 0\.\.199\)\nFAIL deadlock/m);
    const twice = pcfarmIn(here, 'fuzz', '--first-failure', '--runs', '5', '--runs', '6');
    expect(twice.status).toBe(2);
    expect(twice.stderr).toBe("pcfarm: --runs is given more than once: it takes one value\nsee: ./pcfarm help fuzz\n");
    // A flag given twice is the flag.
    expect(pcfarmIn(here, 'list', '--help', '--help').status).toBe(0);
  });

  it('matrix runs a strategy file beside a built-in one when both are named, and --json carries its cells and the file', () => {
    const here = tempDir();
    pcfarmIn(here, 'strategy', 'new', 'mine', '--from', 'excl-flag');
    const text = pcfarmIn(here, 'matrix', '--strategy-file', 'mine.ts', '--strategy', 'excl-flag,mine', '--runs', '20', '--blocks-per-page', '1');
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^\| scenario +\| bpp \| excl-flag +\| mine +\|$/m);
    expect(text.stdout).toMatch(/^mine: the strategy file mine\.ts \(source [0-9a-f]{16}\)\.$/m);
    const json = JSON.parse(pcfarmIn(here, 'matrix', '--strategy-file', 'mine.ts', '--runs', '20', '--blocks-per-page', '1', '--json').stdout) as {
      strategyFiles: { id: string; sourceHash: string; path: string }[];
      cells: { strategy: string; scenario: string; verdict: string }[];
      costs: { strategy: string }[];
    };
    expect(json.strategyFiles).toEqual([{ id: 'mine', sourceHash: expect.stringMatching(/^[0-9a-f]{16}$/), path: join(here, 'mine.ts') }]);
    expect(new Set(json.cells.map((c) => c.strategy))).toEqual(new Set(['mine']));
    expect(json.cells.find((c) => c.scenario === 'self-mmap-write')!.verdict).toBe('deadlock');
    expect(json.costs.map((c) => c.strategy)).toEqual(['mine', 'mine']);
  });

  it("strategy new never overwrites, and refuses a built-in's id or an unknown --from, with exit 2", () => {
    const here = tempDir();
    expect(pcfarmIn(here, 'strategy', 'new', 'mine').status).toBe(0);
    const again = pcfarmIn(here, 'strategy', 'new', 'mine', '--from', 'excl-flag');
    expect(again.status).toBe(2);
    expect(again.stderr).toBe(`pcfarm: ${join(here, 'mine.ts')} exists: 'strategy new' never overwrites a file; choose another NAME, or move it away\n`);
    expect(pcfarmIn(here, 'strategy', 'new', 'excl-flag').stderr).toMatch(/^pcfarm: "excl-flag" is a built-in strategy's id: give your variant its own name\n$/);
    expect(pcfarmIn(here, 'strategy', 'new', 'other', '--from', 'excl-flags').stderr).toMatch(/^pcfarm: unknown strategy "excl-flags"; valid strategies to copy: v2\.6\.20, /);
    expect(pcfarmIn(here, 'strategy', 'old').status).toBe(2);
  });

  it('strategy new refuses a file name for NAME, exit 2, rather than write NAME.ts.ts', () => {
    const here = tempDir();
    const r = pcfarmIn(here, 'strategy', 'new', 'mine.ts');
    expect([r.status, r.stderr]).toEqual([2, 'pcfarm: "mine.ts" is a file name: give NAME without its extension (strategy new mine writes mine.ts)\n']);
    expect(existsSync(join(here, 'mine.ts.ts'))).toBe(false);
  });

  it('replay, minimize and verify run the one strategy file given without --strategy, as their help says; given two, they ask which', async () => {
    const here = tempDir();
    pcfarmIn(here, 'strategy', 'new', 'solo');
    pcfarmIn(here, 'strategy', 'new', 'duo');
    const solo = join(here, 'solo.ts');
    const cell = ['--scenario', 'self-mmap-write'];
    const replayed = await inProcess('replay', '--strategy-file', solo, ...cell, '--seed', '1');
    expect(replayed.status, replayed.stderr).toBe(1);
    expect(replayed.stdout).toMatch(/^solo x self-mmap-write \(pct\), seed 1$/m);
    const minimized = await inProcess('minimize', '--strategy-file', solo, ...cell, '--seed', '1');
    expect(minimized.status, minimized.stderr).toBe(0);
    expect(minimized.stdout).toMatch(/^signature: deadlock in solo: self; /m);
    const verified = await inProcess('verify', '--strategy-file', solo, ...cell);
    expect(verified.status, verified.stderr).toBe(1);
    expect(verified.stdout).toMatch(/^FAIL solo x self-mmap-write at 0 preemptions /);
    const two = await inProcess('replay', '--strategy-file', solo, '--strategy-file', join(here, 'duo.ts'), ...cell, '--seed', '1');
    expect(two.status).toBe(2);
    expect(two.stderr).toMatch(/^pcfarm: replay needs --strategy \(one of v2\.6\.20, .*, solo, duo\)\n/);
  });

  it('export-test of a bucket two campaigns have needs --campaign, naming both', () => {
    const here = tempDir();
    const run = ['fuzz', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--blocks-per-page', '1', '--seeds', '40', '--results', 'r', '--no-dashboard', '--threads', '1'];
    const first = line(pcfarmIn(here, ...run).stdout, /^campaign (\w+):/m);
    const second = pcfarmIn(here, ...run, '--new');
    const bucket = line(second.stdout, /^(\w{12}) +\d+ +deadlock/m);
    const both = pcfarmIn(here, 'export-test', bucket, '--results', 'r');
    expect(both.status).toBe(2);
    const name = 'v2.6.20 x self-mmap-write x bpp 1';
    expect(both.stderr).toBe(`pcfarm: bucket ${bucket} is in 2 campaigns: ${first} (${name}), ${line(second.stdout, /^campaign (\w+):/m)} (${name}); say which with --campaign ID\n`);
    const one = pcfarmIn(here, 'export-test', bucket, '--results', 'r', '--campaign', first, '--fixed', '--out', 'fixed.test.ts');
    expect(one.status, one.stderr).toBe(0);
    expect(readFileSync(join(here, 'fixed.test.ts'), 'utf8')).toMatch(/^it\("no longer deadlocks: deadlock in v2\.6\.20: self; /m);
    expect(pcfarmIn(here, 'export-test', 'ffffffffffff', '--results', 'r').stderr).toBe(`pcfarm: no campaign in ${join(here, 'r')} has a bucket ffffffffffff\n`);
  });

  it('campaign start --strategy-file records the file by id, source hash and path, never its code', () => {
    const here = tempDir();
    pcfarmIn(here, 'strategy', 'new', 'mine');
    const r = pcfarmIn(here, 'campaign', 'start', '--strategy-file', 'mine.ts', '--scenario', 'self-mmap-write', '--seeds', '10', '--json');
    expect(r.status, r.stderr).toBe(0);
    const c = JSON.parse(r.stdout) as { spec: { strategies: string[]; strategyFiles: unknown[] } };
    expect(c.spec.strategies).toEqual(['mine']);
    expect(c.spec.strategyFiles).toEqual([{ id: 'mine', sourceHash: expect.stringMatching(/^[0-9a-f]{16}$/), path: join(here, 'mine.ts') }]);
    expect(pcfarmIn(here, 'campaign', 'start', '--strategy-file', 'mine.ts', '--scenario', 'self-mmap-write', '--seeds', '10').stdout).toMatch(/^ {2}strategy file mine \(source [0-9a-f]{16}\): each worker runs it from \S+mine\.ts or from its --strategies directory, with the same source$/m);
    // verify searches each cell of the campaign with the file it ran, by source, and keeps what it finds in the farm's Redis.
    const id = (c as unknown as { id: string }).id;
    const unloaded = pcfarmIn(here, 'verify', '--campaign', id);
    expect(unloaded.status).toBe(2);
    expect(unloaded.stderr).toBe(`pcfarm: campaign ${id} ran the strategy file mine.ts at source ${(c.spec.strategyFiles[0] as { sourceHash: string }).sourceHash}: give it with --strategy-file mine.ts\n`);
    const verified = pcfarmIn(here, 'verify', '--campaign', id, '--strategy-file', 'mine.ts', '--preemptions', '0', '--json');
    const j = JSON.parse(verified.stdout) as { campaign: string; cells: { cell: { strategy: string }; kept: { where: string; records: unknown[] } }[] };
    expect(j.campaign).toBe(id);
    expect(j.cells.map((x) => x.cell.strategy)).toEqual(['mine', 'mine', 'mine']);
    for (const x of j.cells) expect(x.kept.where).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:\d+ \(prefix pcfarm\)$/);
  });

  it('worker --strategies says how many strategy files it found and each it skipped; a directory it cannot read exits 2', async () => {
    const here = tempDir();
    const shelf = join(here, 'shelf');
    mkdirSync(shelf);
    pcfarmIn(shelf, 'strategy', 'new', 'mine');
    writeFileSync(join(shelf, 'broken.ts'), 'export const apiVersion = 1;\n');
    writeFileSync(join(shelf, 'notes.txt'), 'not a strategy\n');
    const unreadable = pcfarmIn(here, 'worker', '--strategies', shelf, '--strategies', join(here, 'nowhere'));
    expect(unreadable.status).toBe(2);
    expect(unreadable.stderr).toBe(`pcfarm: strategy directory ${join(here, 'nowhere')}: cannot be read: ENOENT\n`);
    const child = spawn(process.execPath, [MAIN, 'worker', '--strategies', 'shelf', '--concurrency', '1'], { cwd: here, env: { ...process.env, REDIS_URL: redis.url }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', done));
    const deadline = Date.now() + 30_000;
    while (!/ on redis:\/\//.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(new RegExp(`worker: strategy files: 1 file in ${shelf}; 1 skipped:\\n\\S+ worker: {3}skipped strategy file ${shelf}/broken\\.ts: has no default export`));
  });
});
