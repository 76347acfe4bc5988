import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL_VERSION } from '@pcfarm/core';
import { EmbeddedStore, freePort, RedisServer, RedisStore, RESULTS_FILE } from '@pcfarm/farm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pcfarmHere as here } from './here.js';

const MAIN = fileURLToPath(new URL('../dist/pcfarm.mjs', import.meta.url));

let server: RedisServer;
let url: string;
const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pcfarm-farm-cli-'));
  dirs.push(d);
  return d;
}

/** `pcfarm ARGS...` against the test's Redis (REDIS_URL), to the end. */
function pcfarm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, REDIS_URL: url } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A long-running `pcfarm ARGS...` (coordinator, worker), killed after the tests. */
function background(...args: string[]): ChildProcess {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, REDIS_URL: url }, stdio: 'ignore' });
  children.push(child);
  return child;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const json = <T>(r: { stdout: string }): T => JSON.parse(r.stdout) as T;
const idOf = (r: { stdout: string }) => /^campaign (\w+) started/m.exec(r.stdout)![1]!;
// Failures (self-mmap-write) and warnings (hole-fill-vs-read), at two blocks per page.
const SMALL = ['--strategy', 'v2.6.20', '--scenario', 'self-mmap-write,hole-fill-vs-read', '--blocks-per-page', '1,4', '--seeds', '200', '--batch-seeds', '50'];

beforeAll(async () => {
  // A real redis-server (.ci/run installs it; RedisServer.start says what to install where it is missing).
  server = await RedisServer.start({ dir: tempDir() });
  url = server.url;
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await server?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('pcfarm campaign', () => {
  it('start, list, stop, resume and delete change the store (no coordinator needed)', async () => {
    // In this process (each a process of its own was 0.7 s): the commands, not their start, are what is tested here.
    const redis = (...args: string[]) => here(...args, '--redis', url);
    const started = await redis('campaign', 'start', '--prefix', 'states', '--name', 'mine', ...SMALL);
    expect(started.status, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/^campaign \w{8} started: 1 strategy x 2 scenarios x blocks per page 1,4, 16 batches of 50 seeds$/m);
    const follow = /^ {2}the coordinator queues it now; follow it with: \.\/pcfarm (campaign show \w{8} --redis \S+ --prefix states)$/m.exec(started.stdout);
    expect(follow, started.stdout).not.toBeNull();
    const id = idOf(started);
    // The store as the command named it: the printed command finds the campaign.
    expect((await here(...follow![1]!.split(' '))).stdout).toMatch(new RegExp(`^campaign ${id} running`, 'm'));
    const list = await redis('campaign', 'list', '--prefix', 'states');
    expect(list.stdout).toMatch(/^id +state +batches +runs +failures +buckets +minimized +warnings +coverage +name$/m);
    expect(list.stdout).toMatch(new RegExp(`^${id} +running +0/16 +0 +0 +0 +0 +0 +0 +mine$`, 'm'));
    expect(json<{ campaign: { spec: { blocksPerPage: number[] } } }[]>(await redis('campaign', 'list', '--prefix', 'states', '--json'))[0]!.campaign.spec.blocksPerPage).toEqual([1, 4]);
    expect((await redis('campaign', 'stop', id, '--prefix', 'states')).stdout).toContain(`campaign ${id} stopped`);
    expect(json<{ campaign: { state: string } }[]>(await redis('campaign', 'list', '--prefix', 'states', '--json'))[0]!.campaign.state).toBe('stopped');
    expect((await redis('campaign', 'resume', id, '--prefix', 'states')).stdout).toContain(`campaign ${id} running again`);
    expect((await redis('campaign', 'delete', id, '--prefix', 'states')).status).toBe(0);
    expect((await redis('campaign', 'list', '--prefix', 'states')).stdout).toContain('no campaigns');
    const gone = await redis('campaign', 'stop', id, '--prefix', 'states');
    expect(gone.status).toBe(2);
    expect(gone.stderr).toBe(`pcfarm: no campaign "${id}" in Redis (prefix states)\n`);
  });

  it('verify --farm runs a search on the farm\'s workers and prints the certificate of the one-process search, and its counterexample', async () => {
    background('worker', '--prefix', 'vf', '--concurrency', '1');
    const args = ['verify', '--strategy', 'two-copy', '--scenario', 'cross-mmap-write', '--preemptions', '1', '--reclaim-actions', '1', '--json'];
    const alone = json<{ hash: string; schedules: number }>(pcfarm(...args));
    const farmed = pcfarm(...args, '--farm', '--prefix', 'vf');
    expect(farmed.status, farmed.stderr).toBe(0);
    // The farm's Redis keeps the certificate, for its dashboard to show beside the cell's fuzzing.
    expect(json<object>(farmed)).toMatchObject({ result: 'clean', bound: 1, hash: alone.hash, schedules: alone.schedules, farm: 'vf', subtrees: expect.any(Number), kept: { where: expect.stringMatching(/\(prefix vf\)$/), records: [{ text: 'verified to 1 preemption (reclaim actions <= 1)', kept: true }] } });
    const failing = pcfarm('verify', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--farm', '--prefix', 'vf');
    expect(failing.status, failing.stderr).toBe(1);
    expect(failing.stdout).toMatch(/^FAIL v2\.6\.20 x self-mmap-write at 0 preemptions .* on the farm \(prefix vf\), \d+ subtrees$/m);
    const both = pcfarm(...args, '--farm', '--threads', '2');
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--farm runs the search on the farm's workers: give it without --threads/);
  });

  it('runs on a coordinator and a worker; export writes a results file a laptop replays, and import reads it back', async () => {
    background('coordinator', '--prefix', 'run', '--tick-ms', '100');
    background('worker', '--prefix', 'run', '--concurrency', '1');
    const id = idOf(pcfarm('campaign', 'start', '--prefix', 'run', ...SMALL));
    // Watched in this process: a `campaign show` each look was a process each 100 ms. What the command says of it is checked below.
    const watch = await RedisStore.connect(url, { prefix: 'run' });
    try {
      await until('the campaign to finish', async () => (await watch.getCampaign(id)).state === 'done');
      // What verify found of one of its cells, as verify --farm keeps it; and of a cell it does not run, which stays behind.
      const found = { result: 'fail', strategy: 'v2.6.20', strategyFile: null, scenario: 'self-mmap-write', blocksPerPage: 1, modelVersion: MODEL_VERSION, unit: 'preemptions', bound: 0, reclaimActionsMax: 2, paramsMax: 0, schedules: 43, classes: null, hash: null, signature: 'deadlock in v2.6.20: self', reproducer: 'pcfarm1:x', seconds: 0.1, at: 1 } as const;
      await watch.recordCertificate(found);
      await watch.recordCertificate({ ...found, scenario: 'mmap-rw-fault' });
    } finally {
      await watch.close();
    }
    // The commands in this process from here (a process each was 0.5 s), against Redis as --redis names it; the farm's roles stay processes.
    const redis = (...args: string[]) => here(...args, '--redis', url);
    const show = await redis('campaign', 'show', id, '--prefix', 'run');
    expect(show.stdout).toMatch(new RegExp(`^campaign ${id} done$`, 'm'));
    expect(show.stdout).toMatch(/^batches 16\/16; determinism audit: \d+ agreed, 0 disagreed, 0 pending$/m);
    // Failures and warnings apart, as fuzz prints them.
    expect(show.stdout).toMatch(/^warnings \(not failures\): /m);
    expect(show.stdout).toMatch(/^ {2}witness: \.\/pcfarm fuzz --first-failure --strategy v2\.6\.20 --scenario hole-fill-vs-read-same-mm$/m);
    const shown = json<{ summary: { runs: number; failures: number; warnings: number; buckets: number; warningBuckets: number; coverage: number }; canaries: unknown[] }>(await redis('campaign', 'show', id, '--prefix', 'run', '--json'));
    const farmed = shown.summary;
    expect(farmed.runs).toBe(1 * 2 * 2 * 200);
    // v2.6.20 x self-mmap-write at 1 bpp is a canary (a known bug it must find), found in the farm as on a laptop.
    expect(shown.canaries).toEqual([
      { strategy: 'v2.6.20', scenario: 'self-mmap-write', blocksPerPage: 1, kind: 'deadlock', runs: 200, meanRuns: 2.1, found: true, alarm: false, missLog10: expect.any(Number) },
    ]);
    expect(show.stdout).toMatch(/^canary v2\.6\.20 x self-mmap-write \(1 bpp\): its deadlock found, as expected$/m);
    expect(farmed.warningBuckets).toBeGreaterThan(0);

    // Export, then import into a results directory: the laptop's store has the same campaign.
    const file = join(tempDir(), 'export.jsonl');
    const exported = await redis('campaign', 'export', id, '--prefix', 'run', '--out', file);
    expect(exported.status, exported.stderr).toBe(0);
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('{"format":"pcfarm-results","version":3}');
    const laptop = tempDir();
    expect(exported.stdout).toContain(' with 1 verify record of its cells (');
    const imported = await here('campaign', 'import', file, '--results', laptop);
    expect(imported.stdout).toContain(`campaign ${id} (`);
    expect(imported.stdout).toContain(', 1 of its 1 verify record kept (');
    const store = EmbeddedStore.open(laptop, { readOnly: true });
    expect((await store.certificates()).map((k) => `${k.scenario} ${k.result} ${k.bound}`)).toEqual(['self-mmap-write fail 0']);
    const s = await store.summary(id);
    expect({ runs: s.runs, failures: s.failures, warnings: s.warnings, buckets: s.buckets, warningBuckets: s.warningBuckets, coverage: s.coverage }).toEqual({
      runs: farmed.runs,
      failures: farmed.failures,
      warnings: farmed.warnings,
      buckets: farmed.buckets,
      warningBuckets: farmed.warningBuckets,
      coverage: farmed.coverage,
    });
    const bucket = (await store.buckets(id)).find((b) => b.minimized !== null)!;
    await store.close();
    // The laptop replays what the farm found, bit for bit.
    const replay = await here('replay', bucket.minimized!.reproducer);
    expect(replay.status).toBe(1);
    expect(replay.stdout).toContain(`signature: ${bucket.title}`);
    // fuzz --resume prints the imported campaign's buckets and replay commands, as the help says, and runs nothing.
    const printed = await here('fuzz', '--results', laptop, '--resume', id);
    expect(printed.status, printed.stderr).toBe(1);
    expect(printed.stdout).toMatch(new RegExp(`^campaign ${id} done$`, 'm'));
    expect(printed.stdout).toContain(`  replay: ./pcfarm replay ${bucket.minimized!.reproducer}`);
    expect(printed.stdout).toMatch(/^warnings \(not failures\): /m);

    // And back into the farm, under another prefix: the same campaign; importing it twice is refused.
    expect((await redis('campaign', 'import', file, '--prefix', 'copy')).status).toBe(0);
    const copy = json<{ runs: number; campaign: { id: string; state: string } }[]>(await redis('campaign', 'list', '--prefix', 'copy', '--json'));
    expect(copy.map((c) => [c.campaign.id, c.campaign.state, c.runs])).toEqual([[id, 'done', farmed.runs]]);
    const twice = await redis('campaign', 'import', file, '--prefix', 'copy');
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain(`campaign ${id} is already in Redis (prefix copy); delete it first`);
    // From the laptop's directory too.
    const again = join(tempDir(), 'again.jsonl');
    expect((await here('campaign', 'export', id, '--results', laptop, '--out', again)).status).toBe(0);
    // A path through a file is the user's to mend: a line naming it, not the file system's stack.
    const through = await here('campaign', 'export', id, '--results', laptop, '--out', join(again, 'x.jsonl'));
    expect(through.status).toBe(2);
    expect(through.stderr).toMatch(/^pcfarm: --out: cannot write \S+\/x\.jsonl: ENOTDIR: not a directory/);
    const back = await redis('campaign', 'import', again, '--prefix', 'copy2');
    expect(back.status, back.stderr).toBe(0);
    expect(back.stdout).toContain(', 1 of its 1 verify record kept (');
    // A record that is not a certificate refuses the whole import, naming where.
    const [head, entry] = readFileSync(file, 'utf8').split('\n');
    const e = JSON.parse(entry!);
    e.certificates[0].bound = -1;
    const forged = join(tempDir(), 'forged.jsonl');
    writeFileSync(forged, `${head}\n${JSON.stringify(e)}\n`);
    const refused = await redis('campaign', 'import', forged, '--prefix', 'copy3');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`${forged} line 2: certificates[0]: bound must be a whole number from 0 to 1000, not -1`);
  });

  it('refuses a file that is not an export, naming the file and line, before opening any store: with no Redis there, and no results directory made', async () => {
    const dir = tempDir();
    const journal = join(dir, RESULTS_FILE);
    writeFileSync(journal, '{"format":"pcfarm-results","version":1}\n{"type":"campaign","campaign":{}}\n');
    // A Redis that is not there: the file is what is wrong, and is said first (exit 2, not Redis's exit 4).
    const nowhere = ['--redis', `redis://127.0.0.1:${await freePort()}`, '--connect-ms', '200'];
    const r = await here('campaign', 'import', journal, ...nowhere);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${journal} line 2 is a "campaign" record: this is a results journal, not an export`);
    const broken = join(dir, 'broken.jsonl');
    writeFileSync(broken, '{"format":"pcfarm-results","version":1}\n{"type":"snapshot","snapshot":{"campaign":{"id":"x"}}}\n');
    expect((await here('campaign', 'import', broken, ...nowhere)).stderr).toMatch(/broken\.jsonl line 2: campaign\.spec must be an object/);
    writeFileSync(broken, 'hello\n');
    const laptop = join(dir, 'laptop');
    const notJson = await here('campaign', 'import', broken, '--results', laptop);
    expect([notJson.status, notJson.stderr]).toEqual([2, expect.stringMatching(/broken\.jsonl line 1 is not JSON/)]);
    expect(existsSync(laptop)).toBe(false);
  });
});

describe('pcfarm farm errors', () => {
  it('an unreachable Redis is an error naming its URL, exit 4, for every farm command', async () => {
    const port = await freePort();
    for (const args of [['campaign', 'list'], ['worker'], ['coordinator']]) {
      const r = await here(...args, '--redis', `redis://127.0.0.1:${port}`, '--connect-ms', '300');
      expect(r.status).toBe(4);
      expect(r.stderr).toMatch(new RegExp(`^pcfarm: cannot reach Redis at redis://127\\.0\\.0\\.1:${port} within 300 ms \\(.*ECONNREFUSED.*\\); start redis-server there`));
    }
    const bad = await here('campaign', 'list', '--redis', 'http://nowhere');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('pcfarm: --redis http://nowhere is not a Redis URL');
    const env = spawnSync(process.execPath, [MAIN, 'worker'], { encoding: 'utf8', env: { ...process.env, REDIS_URL: 'nowhere:6379' } });
    expect(env.status).toBe(2);
    expect(env.stderr).toContain('pcfarm: REDIS_URL=nowhere:6379 is not a Redis URL');
  });

  it('bad flags are usage errors (exit 2) naming the flag', async () => {
    const cases: [string[], string][] = [
      [['worker', '--concurrency', '0'], '--concurrency must be from 1 to'],
      [['worker', '--lock-ms', 'soon'], '--lock-ms must be a whole number, not "soon"'],
      [['coordinator', '--queued-per-worker', '0'], '--queued-per-worker must be from 1 to'],
      [['coordinator', '--frob', '1'], "unknown option --frob for 'coordinator'"],
      [['campaign'], "'campaign' needs a subcommand: start, list, show, stop, resume, delete, export, import"],
      [['campaign', 'frob'], 'unknown campaign subcommand "frob"'],
      [['campaign', 'start', '--strategy', 'nope'], 'unknown strategy "nope"'],
      [['campaign', 'start', '--blocks-per-page', '3'], '--blocks-per-page must be 1, 2, 4 (disk blocks per page), not "3"'],
      [['campaign', 'stop'], "'campaign stop' takes one campaign id, not none"],
      [['campaign', 'export', 'abc'], "'campaign export' needs --out FILE"],
      [['worker', '--prefix', 'a:b'], "--prefix must be letters, digits, '.', '_' or '-'"],
    ];
    for (const [args, message] of cases) {
      const r = await here(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });
});

describe('pcfarm bench --farm', () => {
  it('--smoke --json reports the pool and the farm with 1 and 2 workers, the overhead and the targets', () => {
    const r = pcfarm('bench', '--farm', '--smoke', '--json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { runs: { mode: string; slots: number; runs: number; runsPerSecond: number }[]; farmOverPool: number; workerScaling: number; overheadUsPerSeed: number; targets: unknown[] };
    expect(report.runs.map((x) => [x.mode, x.slots])).toEqual([
      ['embedded pool', 1],
      ['embedded pool', 2],
      ['farm', 1],
      ['farm', 2],
    ]);
    // Every mode ran the whole campaign.
    expect(new Set(report.runs.map((x) => x.runs)).size).toBe(1);
    for (const x of report.runs) expect(x.runsPerSecond).toBeGreaterThan(0);
    expect(report.targets).toHaveLength(2);
  });
});
