import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeReproducer, Model, reproducerOf } from '@pcfarm/core';
import { batchAt, BatchRunner, campaignSpec, EmbeddedStore, GUIDE_DEFAULTS } from '@pcfarm/farm/local';
import { sameButSources } from '../dist/fuzz.js';
import { pcfarmHere as here } from './here.js';

const MAIN = fileURLToPath(new URL('../dist/pcfarm.mjs', import.meta.url));

/** pcfarm as a process of its own: what a user's shell sees, its exit status and streams. */
function spawned(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * pcfarm in this process (cli.ts's runCli, as main.ts wires it): the
 * commands' words, statuses and results without a Node's start for each.
 * The first campaign below and the Ctrl-C test go through a process.
 */
const pcfarm = here;

const results = () => mkdtempSync(join(tmpdir(), 'pcfarm-cli-'));

/** The totals line of a summary: runs, failing, coverage, buckets (time and rate removed). */
function totals(stdout: string): string {
  const line = /^ {2}([\d,]+) runs in .*?, ([\d,]+) failing, coverage ([\d,]+), (\d+) buckets?/m.exec(stdout);
  expect(line, stdout).not.toBeNull();
  return line!.slice(1).join(' ');
}

describe('pcfarm fuzz (a campaign)', () => {
  it('buckets what it finds over every blocks per page (three times the cells), minimizes each bucket, and prints a replay command that reproduces it', async () => {
    const dir = results();
    const r = spawned('fuzz', '--results', dir, '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--seeds', '300', '--threads', '2');
    expect(r.status, r.stderr).toBe(1);
    // One strategy x one scenario x blocks per page 1, 2, 4: three cells of two batches each.
    expect(r.stdout).toMatch(/^campaign \w+: v2\.6\.20 x self-mmap-write x bpp 1,2,4, 6 batches of 250 seeds$/m);
    expect(r.stdout).toMatch(/^ {2}new bucket \w{12}: deadlock in v2\.6\.20: self; lock_page/m);
    expect(r.stdout).toMatch(/^campaign \w+ done$/m);
    expect(r.stdout).toMatch(/^ {2}900 runs in /m);
    expect(r.stdout).toMatch(/^bucket +count +kind +strategy +scenarios +bpp +minimized +sites$/m);
    expect(r.stdout).toContain(`results: ${dir}`);
    const [, bucket, command] = /^(\w{12}) {2}deadlock in v2\.6\.20: self;.*\n {2}replay: \.\/pcfarm replay (pcfarm1:\S+)$/m.exec(r.stdout)!;
    expect(r.stdout).toMatch(new RegExp(`^${bucket} +\\d+ +deadlock +v2\\.6\\.20 +self-mmap-write +1,2,4 +\\d+ choices, \\d+ switches`, 'm'));
    // v2.6.20 x self-mmap-write at 1 bpp is a canary: its finding says the farm works.
    expect(r.stdout).toMatch(/^canary v2\.6\.20 x self-mmap-write \(1 bpp\): its deadlock found, as expected$/m);
    // What is likely left: Good-Turing over the runs, and PCT's runs for 95% confidence at the campaign's depth.
    expect(r.stdout).toMatch(/^residual risk [\d.]+% a run \(Good-Turing: [\d,]+ things? reached by one run of 900\)/m);
    expect(r.stdout).toMatch(/^the next 900 runs should reach about [\d.]+ new things \(Chao's extrapolation from [\d,]+ things? reached by two runs\)$/m);
    expect(r.stdout).toMatch(/^pct at depth \d+: a bug of that depth, if a cell has one, is found with 95% confidence within [\d,]+ runs \(v2\.6\.20 x self-mmap-write/m);
    // The same campaign, shown from its results directory as JSON: its risk per cell, its canaries.
    const id = /^campaign (\w+) done$/m.exec(r.stdout)![1]!;
    // verify searches each of the campaign's cells and keeps what it finds in the same directory (a file of its own, so a fuzz could be
    // writing the journal meanwhile), and the campaign shows each beside the cell's seeds.
    const printed = /^verify every cell \(each schedule up to 2 preemptions, 60 s a cell\): \.\/pcfarm (verify .*)$/m.exec(r.stdout)![1]!;
    expect(printed).toBe(`verify --campaign ${id} --results ${dir}`);
    const verified = await pcfarm(...printed.split(' '));
    expect(verified.status, verified.stderr).toBe(1);
    expect(verified.stdout.match(/^ {2}kept: fails at 0 preemptions \(reclaim actions <= 2\), in (.*)$/gm)).toEqual(Array(3).fill(`  kept: fails at 0 preemptions (reclaim actions <= 2), in ${join(dir, 'certificates.jsonl')}`));
    expect(verified.stdout).toMatch(new RegExp(`^campaign ${id}: 3 cell\\(s\\) up to 2 preemptions: 0 certified, 3 with a counterexample, 0 stopped by the budget \\(--time-s 60 a cell\\)$`, 'm'));
    // The same command again searches nothing: the store answers every cell to that bound.
    const again = await pcfarm(...printed.split(' '));
    expect(again.status).toBe(1);
    expect(again.stdout.match(/^v2\.6\.20 x self-mmap-write.*: fails at 0 preemptions \(reclaim actions <= 2\), kept already in .*; not searched again$/gm)).toHaveLength(3);
    expect(again.stdout).toMatch(/: 0 certified, 3 with a counterexample, 0 stopped by the budget \(--time-s 60 a cell\); 3 answered by what was kept, not searched again$/m);
    const words = await pcfarm('campaign', 'show', id, '--results', dir);
    // Every cell has a record now: no command to verify them is offered.
    expect(words.stdout).not.toMatch(/^verify every cell/m);
    expect(words.stdout).toMatch(/^verified \(pcfarm verify\), beside what the campaign found:\n {2}v2\.6\.20 x self-mmap-write: 1 failure bucket in 300 seeds; fails at 0 preemptions \(reclaim actions <= 2\)\n {2}v2\.6\.20 x self-mmap-write \(bpp 2\): /m);
    const shown = await pcfarm('campaign', 'show', id, '--results', dir, '--json');
    expect(shown.status, shown.stderr).toBe(0);
    const j = JSON.parse(shown.stdout) as { summary: { runs: number }; risk: { runs: number; cells: { blocksPerPage: number; runs: number; risk: number; pctRuns95: number }[] }; canaries: { found: boolean }[]; cells: { blocksPerPage: number; runs: number; certificates: { result: string; bound: number }[] }[] };
    expect(j.summary.runs).toBe(900);
    expect(j.risk.runs).toBe(900);
    expect(j.risk.cells.map((c) => c.blocksPerPage).sort()).toEqual([1, 2, 4]);
    for (const c of j.risk.cells) expect(c).toMatchObject({ runs: 300, risk: expect.any(Number), pctRuns95: expect.any(Number) });
    expect(j.canaries).toEqual([expect.objectContaining({ found: true })]);
    expect(j.cells.map((c) => [c.blocksPerPage, c.runs, c.certificates.map((k) => `${k.result} ${k.bound}`)])).toEqual([
      [1, 300, ['fail 0']],
      [2, 300, ['fail 0']],
      [4, 300, ['fail 0']],
    ]);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('1 failure bucket(s)');
    const replay = await pcfarm('replay', command!);
    expect(replay.status).toBe(1);
    expect(replay.stdout).toContain('signature: deadlock in v2.6.20: self; lock_page');
  });

  it('says a clean campaign found nothing and exits 0', async () => {
    const r = await pcfarm('fuzz', '--results', results(), '--strategy', 'write-begin-end', '--scenario', 'hole-fill-vs-read,mmap-rw-fault', '--seeds', '200', '--threads', '1');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('no failures: every run passed every oracle');
    // Two scenarios x three blocks per page, 200 seeds a cell: one batch each, of the cell's 200 seeds, not the default 250.
    expect(r.stdout).toMatch(/^campaign \w+: write-begin-end x hole-fill-vs-read,mmap-rw-fault x bpp 1,2,4, 6 batches of 200 seeds$/m);
  });

  it('serves the running campaign on its dashboard, stops on Ctrl-C with a summary, and the same command resumes it to the counts of an uninterrupted run', async () => {
    // 60 batches: Ctrl-C comes some 10 to 20 batches in (the first bucket, then a look at the dashboard), with most still to run.
    const args = ['--strategy', 'v2.6.20,zero-retry', '--scenario', 'generated', '--blocks-per-page', '1', '--seeds', '3000', '--batch-seeds', '100', '--threads', '2', '--no-minimize'];
    const whole = await pcfarm('fuzz', '--results', results(), '--no-dashboard', ...args);
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
    const again = await pcfarm('fuzz', '--results', dir, ...args);
    expect(again.status).toBe(1);
    expect(again.stdout).toMatch(/, resumed at batch \d+/);
    expect(totals(again.stdout)).toBe(totals(whole.stdout));
  });

  it("a guided campaign replays first the failures the results directory holds of other strategies on its scenarios, says so, and the same command finds it again; --no-pollen starts one cold", async () => {
    const dir = results();
    const cell = ['--scenario', 'hole-fill-vs-read', '--blocks-per-page', '1', '--threads', '1', '--no-minimize', '--no-dashboard'];
    expect((await pcfarm('fuzz', '--results', dir, '--strategy', 'temp-page', '--seeds', '200', ...cell)).status).toBe(1);
    const args = ['fuzz', '--results', dir, '--scheduler', 'guided', '--strategy', 'zero-retry-not-uptodate', '--seeds', '40', '--batch-seeds', '20', ...cell];
    const first = await pcfarm(...args);
    expect(first.status, first.stderr).toBe(1);
    expect(first.stdout).toMatch(/^ {2}pollen: [1-9]\d* failures? the store held on these scenarios when the campaign was made, each replayed first on the other strategies' cells$/m);
    // The pollen is the store's, not the command's: run again, the command names the same campaign.
    const id = /^campaign (\w+): /m.exec(first.stdout)![1]!;
    expect((await pcfarm(...args)).stdout).toContain(`campaign ${id} (`);
    // --no-pollen starts one cold; no other scheduler replays pollen, so it is refused there.
    const cold = await pcfarm(...args, '--new', '--no-pollen');
    expect(cold.stdout).not.toContain('pollen:');
    const pct = await here('fuzz', '--results', dir, '--no-pollen', '--no-dashboard');
    expect(pct.status).toBe(2);
    expect(pct.stderr).toContain('--no-pollen is for --scheduler guided or portfolio');
  });

  it("knows a guided campaign of an edited strategy file for the same command whatever pollen it was given, so it refuses to pass it off as a new one", async () => {
    const file = { id: 'mine', path: 'mine.ts' };
    const spec = (sourceHash: string, pollen: string[]) => campaignSpec({ scheduler: 'guided', strategies: ['mine'], strategyFiles: [{ ...file, sourceHash }], scenarios: ['hole-fill-vs-read'], guide: { ...GUIDE_DEFAULTS, pollen } });
    const self = { strategy: 'v2.6.20', scenario: 'hole-fill-vs-read', scheduler: 'random' as const };
    const ran = spec('ead5e10bce483307', [encodeReproducer(reproducerOf(self, new Model(self).run({ seed: 0 }).choices))]);
    expect(sameButSources(ran, spec('32fa50ecdafc2c9e', []))).toBe(true);
    expect(sameButSources(ran, campaignSpec({ ...spec('32fa50ecdafc2c9e', []), scenarios: ['self-mmap-write'] }))).toBe(false);
  });

  it('a campaign that finds only warnings exits 0 and says so, listing each warning with a witness command that fails', async () => {
    const r = await pcfarm('fuzz', '--results', results(), '--no-dashboard', '--strategy', 'v2.6.20', '--scenario', 'hole-fill-vs-read', '--seeds', '200', '--threads', '2');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}new warning bucket \w{12}: lock-order in v2\.6\.20: cycle page_lock -> mmap_sem -> page_lock; class only {2}\(hole-fill-vs-read, (bpp \d, )?seed \d+\)$/m);
    expect(r.stdout).toMatch(/^ {2}600 runs in .*, 0 failing, coverage [\d,]+, 0 buckets \(0 minimized\); [\d,]+ runs warned, 1 warning bucket$/m);
    expect(r.stdout).not.toMatch(/^bucket +count +kind +strategy +scenarios +bpp +minimized/m);
    expect(r.stdout).toMatch(/^warnings \(not failures\): /m);
    expect(r.stdout).toMatch(/^bucket +count +kind +strategy +scenarios +bpp +sites$/m);
    expect(r.stdout).toMatch(/^\w{12} +\d+ +lock-order +v2\.6\.20 +hole-fill-vs-read +1,2,4 +cycle page_lock -> mmap_sem -> page_lock; class only$/m);
    const witness = /^ {2}witness: (.*)$/m.exec(r.stdout)![1]!;
    expect(witness).toBe('./pcfarm fuzz --first-failure --strategy v2.6.20 --scenario hole-fill-vs-read-same-mm');
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('no failures; 1 warning bucket(s)');
    // Its witness, pasted, fails: there the instances meet.
    expect((await pcfarm(...witness.replace('./pcfarm ', '').split(' '))).status).toBe(1);
  });

  it('lists failures first and the warnings in their own section below, and exits 1 for any failure', async () => {
    const r = await pcfarm('fuzz', '--results', results(), '--no-dashboard', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write,hole-fill-vs-read', '--blocks-per-page', '1', '--seeds', '200', '--threads', '2');
    expect(r.status, r.stderr).toBe(1);
    const failures = r.stdout.search(/^bucket +count +kind +strategy +scenarios +bpp +minimized +sites$/m);
    const failureReplay = r.stdout.search(/^\w{12} {2}deadlock in v2\.6\.20: self;.*\n {2}replay: /m);
    const warnings = r.stdout.search(/^warnings \(not failures\): /m);
    expect(failures).toBeGreaterThan(0);
    expect(failureReplay).toBeGreaterThan(failures);
    expect(warnings).toBeGreaterThan(failureReplay);
    expect(r.stdout.slice(warnings)).not.toMatch(/deadlock in v2\.6\.20/);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('1 failure bucket(s); 1 warning bucket(s)');
  });

  it('a bucket found at 4 blocks per page replays from its printed commands', async () => {
    const r = await pcfarm('fuzz', '--results', results(), '--no-dashboard', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--blocks-per-page', '4', '--seeds', '100', '--threads', '1');
    expect(r.status, r.stderr).toBe(1);
    const [, title, replay, seed] = /^\w{12} {2}(deadlock in v2\.6\.20: self;.*)\n {2}replay: (.*)\n {2}seed: {3}(.*)$/m.exec(r.stdout)!;
    expect(seed).toMatch(/^\.\/pcfarm replay --strategy v2\.6\.20 --scenario self-mmap-write --blocks-per-page 4 --seed \d+$/);
    for (const command of [replay!, seed!]) {
      const again = await pcfarm(...command.replace('./pcfarm ', '').split(' '));
      expect(again.status, command).toBe(1);
      expect(again.stdout).toMatch(/^v2\.6\.20 x self-mmap-write \(pct, 4 blocks per page\), /m);
      expect(again.stdout).toContain(`signature: ${title}`);
    }
  });

  it('reports a corrupt results file with exit 2 and leaves it as it was', async () => {
    const dir = results();
    const text = '{"format":"pcfarm-results","version":1}\n{"type":"campaign",\n';
    writeFileSync(join(dir, 'results.jsonl'), text);
    const r = await here('fuzz', '--results', dir, '--seeds', '10');
    expect(r.status).toBe(2);
    // One line: the help would not help, and would scroll the cause away.
    expect(r.stderr).toMatch(new RegExp(`^pcfarm: ${join(dir, 'results.jsonl')} line 2 is corrupt: it is not JSON\\. The file was left as it is[^\\n]*\\n$`));
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8')).toBe(text);
  });

  it('--results naming a file, or a path through one, is one line naming it, and exit 2', async () => {
    const file = join(results(), 'a-file');
    writeFileSync(file, 'not a directory\n');
    const r = await here('fuzz', '--results', file, '--seeds', '10');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`pcfarm: --results ${file}: ${file} is a file, not a directory; name a directory (it is made when missing)\n`);
    const under = await here('fuzz', '--results', join(file, 'sub'), '--seeds', '10');
    expect(under.status).toBe(2);
    expect(under.stderr).toMatch(new RegExp(`^pcfarm: --results ${join(file, 'sub')}: cannot use ${join(file, 'sub')} as a results directory: ENOTDIR[^\\n]*\\n$`));
    expect(readFileSync(file, 'utf8')).toBe('not a directory\n');
  });

  it('says which cells a campaign never ran, naming the strategies none of whose cells ran: a time budget spent before them is no sweep of them', async () => {
    const dir = results();
    const store = EmbeddedStore.open(dir);
    const c = await store.createCampaign(campaignSpec({ strategies: ['v2.6.20', 'two-copy'], scenarios: ['self-mmap-write'], blocksPerPage: [1, 2], seedsPerCell: null, timeBudgetMs: 1000, batchSeeds: 10 }));
    // The first round's first two batches: v2.6.20's two cells; the budget was spent before two-copy's.
    const runner = new BatchRunner();
    for (const i of [0, 1]) await store.recordBatch(runner.run(batchAt(c, i)!, () => 0), 1);
    expect([0, 1].map((i) => batchAt(c, i)!.strategy)).toEqual(['v2.6.20', 'v2.6.20']);
    await store.setState(c.id, 'done');
    await store.close();
    const r = await here('campaign', 'show', c.id, '--results', dir);
    expect(r.stdout).toMatch(/^ {2}2 of 4 cells never ran \(every cell of two-copy\): the time budget ran out first: give more with --time-s, or name fewer strategies and scenarios$/m);
  });

  it('run again once done, prints what it found without running anything; --new runs it afresh; --resume ID prints it too', async () => {
    const dir = results();
    const args = ['--results', dir, '--no-dashboard', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--blocks-per-page', '1', '--seeds', '100', '--threads', '1'];
    const first = await pcfarm('fuzz', ...args);
    expect(first.status, first.stderr).toBe(1);
    const id = /^campaign (\w+) done$/m.exec(first.stdout)![1]!;
    const journal = readFileSync(join(dir, 'results.jsonl'), 'utf8');

    const again = await pcfarm('fuzz', ...args);
    expect(again.status, again.stderr).toBe(1);
    expect(again.stdout).toMatch(new RegExp(`^campaign ${id} \\(v2\\.6\\.20 x self-mmap-write x bpp 1\\) is done: what it found follows; --new runs it again from the start$`, 'm'));
    expect(again.stdout).not.toMatch(/^campaign \w+: /m);
    expect(totals(again.stdout)).toBe(totals(first.stdout));
    expect(again.stdout).toMatch(/^ {2}replay: \.\/pcfarm replay pcfarm1:\S+$/m);
    // Nothing ran: the results file is as it was.
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8')).toBe(journal);

    const resumed = await pcfarm('fuzz', '--results', dir, '--resume', id);
    expect(resumed.status).toBe(1);
    expect(totals(resumed.stdout)).toBe(totals(first.stdout));
    expect(resumed.stdout.trimEnd().split('\n').pop()).toBe('1 failure bucket(s)');

    const fresh = await pcfarm('fuzz', ...args, '--new');
    expect(fresh.status).toBe(1);
    const freshId = /^campaign (\w+) done$/m.exec(fresh.stdout)![1]!;
    expect(freshId).not.toBe(id);
    expect(totals(fresh.stdout)).toBe(totals(first.stdout));
    // The same command now means the newer campaign, not the first.
    expect((await pcfarm('fuzz', ...args)).stdout).toMatch(new RegExp(`^campaign ${freshId} \\(v2\\.6\\.20 x self-mmap-write x bpp 1\\) is done: `, 'm'));
  });

  it('--resume refuses an unknown campaign, and options that would change the one it names, with exit 2', async () => {
    const dir = results();
    const unknown = await here('fuzz', '--results', dir, '--resume', 'nosuchid');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^pcfarm: no campaign "nosuchid"[^\n]*\n$/);
    const clash = await here('fuzz', '--results', dir, '--resume', 'abc', '--seeds', '5', '--new');
    expect(clash.status).toBe(2);
    expect(clash.stderr).toMatch(/^pcfarm: --resume abc runs that campaign as it was started: drop --new, --seeds\n/);
  });
});
