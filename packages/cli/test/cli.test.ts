import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FAILURE_KINDS, runOne, SCENARIOS, STRATEGIES, type MatrixCell } from '@pcfarm/core';
import { AUDIT_ONE_IN_DEFAULT, COORDINATOR_DEFAULTS, REDIS_URL_DEFAULT } from '@pcfarm/farm';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_PORT_DEFAULT } from '../dist/limits.js';
import { commandHelp, type Command } from '../dist/usage.js';
import { pcfarmHere as here } from './here.js';

const MAIN = fileURLToPath(new URL('../dist/pcfarm.mjs', import.meta.url));

/** pcfarm as a process of its own: what a user's shell sees, its exit status and streams. */
function spawned(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * pcfarm in this process (cli.ts's runCli, which main.ts wires to the
 * process's streams): the commands' words and statuses without a Node's
 * start for each, some 0.4 s of CPU (the README's commands go through a
 * shell in readme.test.ts; the first test here through a process).
 */
const pcfarm = here;

/** A command's output that several tests read: run on first use, once for the file (the same command prints the same). */
function once(...args: string[]): () => ReturnType<typeof pcfarm> {
  let r: ReturnType<typeof pcfarm> | undefined;
  return () => (r ??= pcfarm(...args));
}

const selfFirstFailure = once('fuzz', '--first-failure', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write');
const holeFillFirstFailure = once('fuzz', '--first-failure', '--strategy', 'v2.6.20', '--scenario', 'hole-fill-vs-read');
const helpFuzz = once('help', 'fuzz');

describe('the pcfarm bundle', () => {
  it('starts with one core: neither the entry nor a chunk it imports at start names a @pcfarm package, whose core would load beside the inlined one', async () => {
    const dist = new URL('../dist/', import.meta.url);
    const entry = readFileSync(new URL('pcfarm.mjs', dist), 'utf8');
    const chunks = [...entry.matchAll(/^import .* from "\.\/(pcfarm\.[\w.-]+\.mjs)";$/gm)].map((m) => m[1]!);
    expect(chunks.some((c) => c.startsWith('pcfarm.core.'))).toBe(true);
    for (const [name, text] of [['pcfarm.mjs', entry], ...chunks.map((c) => [c, readFileSync(new URL(c, dist), 'utf8')])]) {
      expect([...text!.matchAll(/^import .* from "(@pcfarm\/[^"]+)";$/gm)].map((m) => m[1]), name).toEqual([]);
    }
  });
});

describe('pcfarm fuzz', () => {
  it('finds the v2.6.20 self deadlock, prints its kind, seed and replay command, and exits 1', () => {
    const r = spawned('fuzz', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--runs', '1000');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL deadlock at step \d+ in writer/);
    const seed = /seed=(\d+)/.exec(r.stdout)![1];
    expect(r.stdout).toContain(`replay: ./pcfarm replay --strategy v2.6.20 --scenario self-mmap-write --seed ${seed}`);
    expect(r.stdout).toMatch(/runs\/s\)/);
  });

  it('prints a replay command that keeps a non-default PCT depth, so the seed replays the same run', async () => {
    const r = await pcfarm('fuzz', '--first-failure', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--pct-depth', '2');
    expect(r.status).toBe(1);
    const command = /replay: \.\/pcfarm replay (.*--pct-depth 2 --seed \d+)$/m.exec(r.stdout)![1]!;
    const signature = /signature: (.*)$/m.exec(r.stdout)![1]!;
    const replay = await pcfarm('replay', ...command.split(' '));
    expect(replay.stdout).toContain(`signature: ${signature}`);
  });

  it('is clean on write-begin-end, prints runs per second and exits 0', async () => {
    const r = await pcfarm('fuzz', '--strategy', 'write-begin-end', '--scenario', 'hole-fill-vs-read', '--runs', '300');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/clean: 300 runs in [\d.]+ s \([\d,]+ runs\/s\)/);
  });

  it('rejects an unknown strategy with exit 2, listing the valid ones', async () => {
    const r = await here('fuzz', '--strategy', 'v2.6.2');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown strategy "v2.6.2"; valid strategies: v2.6.20, gup-pin, temp-page, zero-retry, zero-retry-not-uptodate, excl-flag, two-copy, write-begin-end, write-begin-end-trim');
  });

  it('rejects a malformed number and an unknown option with exit 2', async () => {
    expect((await here('fuzz', '--runs', '12x')).stderr).toContain('--runs must be a whole number, not "12x"');
    const r = await here('fuzz', '--first-failure', '--seeds', '5');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option --seeds for 'fuzz'; it takes --first-failure, --strategy, --strategy-file, --scenario, --blocks-per-page, --runs/);
    const c = await here('fuzz', '--seeds', '5', '--frobs', '2');
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/unknown option --frobs for 'fuzz'; it takes --strategy, --strategy-file, --scenario, --blocks-per-page, --seeds/);
  });

  it('refuses --steer-floor-pct with --seeds, or past 100, with exit 2: only a campaign bounded by its time alone is steered', async () => {
    const r = await here('fuzz', '--time-s', '5', '--seeds', '10', '--steer-floor-pct', '50', '--no-dashboard');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--steer-floor-pct steers a campaign of --time-s T without --seeds');
    expect((await here('fuzz', '--time-s', '5', '--steer-floor-pct', '101', '--no-dashboard')).stderr).toContain('--steer-floor-pct must be from 0 to 100, not 101');
  });
});

describe('fuzz --first-failure under a search', () => {
  it('--scheduler guided finds the v2.6.20 ABBA deadlock on cross-mmap-write and gives a reproducer that replays it, with its residual risk', async () => {
    const r = await pcfarm('fuzz', '--first-failure', '--strategy', 'v2.6.20', '--scenario', 'cross-mmap-write', '--scheduler', 'guided');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^v2\.6\.20 x cross-mmap-write \(guided, seeds 0\.\.999\)\nFAIL deadlock /);
    expect(r.stdout).toMatch(/after \d+ runs of the guided search in [\d.]+ s; residual risk [\d.]+% \(Good-Turing: \d+ of \d+ things reached were reached by one run of \d+\)/);
    const replay = /replay: \.\/pcfarm (replay pcfarm1:\S+)/.exec(r.stdout)![1]!.split(' ');
    const again = await pcfarm(...replay);
    expect(again.status).toBe(1);
    expect(again.stdout).toContain('signature: deadlock in v2.6.20: cycle of 2;');
  });

  it('--scheduler portfolio says a clean cell is clean, with how much it may have missed; an unknown search is refused naming the valid ones', async () => {
    const r = await pcfarm('fuzz', '--first-failure', '--strategy', 'two-copy', '--scenario', 'cross-mmap-write', '--scheduler', 'portfolio', '--runs', '300');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^two-copy x cross-mmap-write \(portfolio, seeds 0\.\.299\)\n {2}clean: 300 runs in .* residual risk [\d.]+%/);
    const bad = await here('fuzz', '--first-failure', '--scheduler', 'clever');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown scheduler "clever"; valid schedulers: pct, random, pos, surw, guided, portfolio/);
  });
});

describe('pcfarm replay', () => {
  it('prints a trace line per event and the verdict, and replays the seed fuzz found bit for bit', async () => {
    const seed = /seed=(\d+)/.exec((await selfFirstFailure()).stdout)![1]!;
    const a = await pcfarm('replay', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--seed', seed);
    const b = await pcfarm('replay', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--seed', seed);
    expect(a.status).toBe(1);
    expect(a.stdout).toEqual(b.stdout);
    expect(a.stdout).toMatch(/^\s+\d+\s+writer\s+lock_page\(f0:\d\)\s+@ __grab_cache_page <- generic_file_buffered_write <- sys_write\s+\[holds i_mutex\(f0\), page_lock\(f0:\d\)\]$/m);
    expect(a.stdout).toMatch(/FAIL deadlock/);
    const choices = /^choices: (.*)$/m.exec(a.stdout)![1]!;
    const c = await pcfarm('replay', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--choices', choices);
    expect(/^trace hash: (\w+)$/m.exec(c.stdout)![1]).toBe(/^trace hash: (\w+)$/m.exec(a.stdout)![1]);
  });

  it('says ok and exits 0 for a clean run', async () => {
    const r = await pcfarm('replay', '--strategy', 'write-begin-end', '--scenario', 'self-mmap-write', '--seed', '1');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ok: every task finished and every oracle passed/);
  });

  it('needs exactly one of --seed and --choices, and a well-formed choice list', async () => {
    expect((await here('replay', '--strategy', 'v2.6.20', '--scenario', 'generated')).stderr).toContain('exactly one of --seed N or --choices LIST');
    const r = await here('replay', '--strategy', 'v2.6.20', '--scenario', 'generated', '--choices', '1,x,3');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--choices: item 2 is "x", not a whole number');
    // A choice is 32 bits: a larger one would wrap to another.
    const wide = await here('replay', '--strategy', 'v2.6.20', '--scenario', 'generated', '--choices', '1,4294967296');
    expect([wide.status, wide.stderr.split('\n')[0]]).toEqual([2, 'pcfarm: --choices: item 2 is 4294967296, more than any choice (at most 4294967295)']);
    // Choices past the run's end are said to be unused, not dropped without a word.
    const long = await here('replay', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--choices', Array(40).fill('0').join(','));
    expect(long.stdout.split('\n')[0]).toMatch(/^v2\.6\.20 x self-mmap-write \(pct\), (\d+) choices \(of 40 given: the run ended before the other \d+\)$/);
    // And a list shorter than the run: the run's count, with how many were given and what came after them.
    const short = await here('replay', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--choices', '0,0,0');
    expect(short.stdout.split('\n')[0]).toMatch(/^v2\.6\.20 x self-mmap-write \(pct\), \d+ choices \(3 given, each choice past them 0\)$/);
  });

  it('an unknown command lists the commands', async () => {
    const r = await here('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command "frobnicate"; commands: fuzz, replay, minimize, .*list, help/);
  });
});

const SIGNATURE_SELF = 'deadlock in v2.6.20: self; lock_page page_lock in filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user <- filemap_copy_from_user <- generic_file_buffered_write, held from __grab_cache_page <- generic_file_buffered_write';

describe('signatures and reproducers in fuzz and replay', () => {
  it('fuzz prints the signature, the minimize command and a reproducer that replays to the same failure', async () => {
    const r = await selfFirstFailure();
    expect(r.stdout).toContain(`  signature: ${SIGNATURE_SELF}`);
    const seed = /seed=(\d+)/.exec(r.stdout)![1];
    expect(r.stdout).toContain(`minimize: ./pcfarm minimize --strategy v2.6.20 --scenario self-mmap-write --seed ${seed}`);
    const reproducer = /reproducer: (pcfarm1:\S+)/.exec(r.stdout)![1]!;
    const a = await pcfarm('replay', reproducer);
    const b = await pcfarm('replay', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--seed', seed!);
    expect(a.status).toBe(1);
    expect(a.stdout).toContain(`signature: ${SIGNATURE_SELF}`);
    expect(/^trace hash: (\w+)$/m.exec(a.stdout)![1]).toBe(/^trace hash: (\w+)$/m.exec(b.stdout)![1]);
    expect(b.stdout).toContain(`reproducer: ${reproducer}`);
  });

  it('replay rejects a cut or mistyped reproducer with exit 2, saying what is wrong', async () => {
    const reproducer = /reproducer: (pcfarm1:\S+)/.exec((await selfFirstFailure()).stdout)![1]!;
    const cut = await here('replay', reproducer.slice(0, -6));
    expect(cut.status).toBe(2);
    expect(cut.stderr).toMatch(/^pcfarm: bad reproducer: truncated: /);
    const typo = await here('replay', reproducer.slice(0, 20) + (reproducer[20] === 'x' ? 'y' : 'x') + reproducer.slice(21));
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain('pcfarm: bad reproducer: checksum mismatch: the string was altered or mistyped');
  });

  it('replay takes a reproducer or --strategy/--scenario/--seed, not both', async () => {
    const reproducer = /reproducer: (pcfarm1:\S+)/.exec((await selfFirstFailure()).stdout)![1]!;
    const r = await here('replay', reproducer, '--seed', '3');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('a reproducer says what to run: drop --seed');
  });
});

describe('pcfarm minimize', () => {
  it('shrinks a failing seed, reports the sizes before and after, and prints a reproducer that replays to the same signature', async () => {
    const r = await pcfarm('minimize', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--seed', '1');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`signature: ${SIGNATURE_SELF}`);
    const before = /^before: (\d+) choices \(\d+ not 0\), (\d+) context switches, \d+ steps$/m.exec(r.stdout)!;
    const after = /^after: {2}(\d+) choices \(\d+ not 0\), (\d+) context switches, \d+ steps$/m.exec(r.stdout)!;
    expect(Number(after[1])).toBeLessThan(Number(before[1]));
    expect(r.stdout).toMatch(/^\d+ runs in [\d.]+ s, at a fixpoint: minimizing it again changes nothing$/m);
    const reproducer = /^reproducer: (pcfarm1:\S+)$/m.exec(r.stdout)![1]!;
    expect(r.stdout).toContain(`replay: ./pcfarm replay ${reproducer}`);
    const replayed = await pcfarm('replay', reproducer);
    expect(replayed.status).toBe(1);
    expect(replayed.stdout).toMatch(/^v2\.6\.20 x self-mmap-write \(pct\), reproducer of model core-\d+, \d+ choices$/m);
    expect(replayed.stdout).toContain(`signature: ${SIGNATURE_SELF}`);
    // Minimizing the reproducer again changes nothing.
    const again = await pcfarm('minimize', reproducer);
    expect(again.status).toBe(0);
    expect(/^reproducer: (\S+)$/m.exec(again.stdout)![1]).toBe(reproducer);
  });

  it('stops at --runs-max and says so', async () => {
    // Seed 2 is v2.6.20's first failure in generated (a bad return).
    const r = await pcfarm('minimize', '--strategy', 'v2.6.20', '--scenario', 'generated', '--seed', '2', '--runs-max', '3');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^3 runs in [\d.]+ s, stopped by the run budget \(--runs-max 3\): minimizing it again may shrink it further$/m);
  });

  it('refuses a seed that passes, and an incomplete command, with exit 2', async () => {
    const clean = await here('minimize', '--strategy', 'write-begin-end', '--scenario', 'self-mmap-write', '--seed', '1');
    expect(clean.status).toBe(2);
    expect(clean.stderr).toContain('pcfarm: nothing to minimize: seed 1 of write-begin-end x self-mmap-write passes');
    const partial = await here('minimize', '--strategy', 'v2.6.20', '--seed', '1');
    expect(partial.status).toBe(2);
    expect(partial.stderr).toContain('minimize needs --strategy S --scenario X --seed N, or a reproducer');
  });
});

/** The arguments of a printed `./pcfarm ...` command, to run it as the user would paste it. */
function argsOf(command: string): string[] {
  expect(command).toMatch(/^\.\/pcfarm /);
  return command.replace(/^\.\/pcfarm /, '').split(' ');
}

describe('warnings', () => {
  const WITNESS = './pcfarm fuzz --first-failure --strategy v2.6.20 --scenario hole-fill-vs-read-same-mm';

  it('fuzz --first-failure says a cell that only warned is "clean, with warnings:", prints the warning and its witness, and exits 0; the witness fails', async () => {
    const r = await holeFillFirstFailure();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}clean, with warnings: 1000 runs in [\d.]+ s \([\d,]+ runs\/s\), \d+ of them warned; the first:$/m);
    expect(r.stdout).toMatch(/^WARN lock-order at step \d+ in \w+ \(a warning, not a failure\)$/m);
    expect(r.stdout).toContain('  signature: lock-order in v2.6.20: cycle page_lock -> mmap_sem -> page_lock; class only');
    expect(r.stdout).toContain(`  witness: ${WITNESS}`);
    expect(r.stdout).not.toMatch(/^FAIL/m);
    // The witness, pasted: there the lock instances meet, and the run fails.
    const w = await pcfarm(...argsOf(WITNESS));
    expect(w.status).toBe(1);
    expect(w.stdout).toMatch(/^FAIL (lock-order|deadlock) at step/m);
    expect(w.stdout).toMatch(/^ {2}signature: (lock-order in v2\.6\.20: cycle page_lock -> mmap_sem -> page_lock; instances meet|deadlock in v2\.6\.20: )/m);
  });

  it('replay prints the warnings of a run that passed, and exits 0', async () => {
    const seed = /^ {2}seed=(\d+)$/m.exec((await holeFillFirstFailure()).stdout)![1]!;
    const r = await pcfarm('replay', '--strategy', 'v2.6.20', '--scenario', 'hole-fill-vs-read', '--seed', seed);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ok: every task finished and every oracle passed, in \d+ steps, with 1 warning\(s\):$/m);
    expect(r.stdout).toMatch(/^WARN lock-order at step \d+/m);
    expect(r.stdout).toContain(`  witness: ${WITNESS}`);
  });
});

describe('blocks per page', () => {
  it('fuzz --first-failure --blocks-per-page 4 runs that cell, and its replay and minimize commands keep it', async () => {
    const r = await pcfarm('fuzz', '--first-failure', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--blocks-per-page', '4');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^v2\.6\.20 x self-mmap-write \(pct, 4 blocks per page, seeds 0\.\.999\)$/m);
    const replay = /^ {2}replay: (.*)$/m.exec(r.stdout)![1]!;
    expect(replay).toMatch(/^\.\/pcfarm replay --strategy v2\.6\.20 --scenario self-mmap-write --blocks-per-page 4 --seed \d+$/);
    expect(r.stdout).toMatch(/^ {2}minimize: \.\/pcfarm minimize --strategy v2\.6\.20 --scenario self-mmap-write --blocks-per-page 4 --seed \d+$/m);
    const signature = /^ {2}signature: (.*)$/m.exec(r.stdout)![1]!;
    const again = await pcfarm(...argsOf(replay));
    expect(again.stdout).toMatch(/^v2\.6\.20 x self-mmap-write \(pct, 4 blocks per page\), seed \d+$/m);
    expect(again.stdout).toContain(`signature: ${signature}`);
    // The reproducer carries the blocks per page too.
    const reproducer = /reproducer: (pcfarm1:\S+)/.exec(r.stdout)![1]!;
    expect((await pcfarm('replay', reproducer)).stdout).toMatch(/^v2\.6\.20 x self-mmap-write \(pct, 4 blocks per page\), reproducer of model/m);
  });

  it('rejects a number of blocks per page the model does not take, with exit 2', async () => {
    for (const args of [
      ['replay', '--strategy', 'v2.6.20', '--scenario', 'generated', '--seed', '1', '--blocks-per-page', '3'],
      ['fuzz', '--first-failure', '--blocks-per-page', '1,8'],
      ['matrix', '--blocks-per-page', 'x'],
      ['fuzz', '--blocks-per-page', '2,2', '--seeds', '5'],
    ]) {
      const r = await here(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/pcfarm: --blocks-per-page (must be 1, 2, 4 \(disk blocks per page\), not "(3|8|x)"|lists one twice: 2,2)/);
    }
  });
});

describe('pcfarm matrix', () => {
  const KEYS = ['strategy', 'scenario', 'blocksPerPage', 'runs', 'verdict', 'kinds', 'warnings', 'first', 'firstWarning', 'message', 'witness'];

  it('--json gives {runs, strategyFiles, cells, costs} (no strategy files here), each cell a MatrixCell over every seed: runs is N and its counts are the runs that failed', async () => {
    const r = await pcfarm('matrix', '--runs', '5', '--blocks-per-page', '1,4', '--json');
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout) as { runs: number; cells: MatrixCell[]; costs: unknown[] };
    expect(Object.keys(m).sort()).toEqual(['cells', 'costs', 'runs', 'strategyFiles']);
    expect((m as unknown as { strategyFiles: unknown[] }).strategyFiles).toEqual([]);
    expect(m.runs).toBe(5);
    expect(m.cells.length).toBe(STRATEGIES.length * SCENARIOS.length * 2);
    for (const c of m.cells) {
      expect(Object.keys(c).sort()).toEqual([...KEYS].sort());
      expect(c.runs).toBe(5);
      expect([1, 4]).toContain(c.blocksPerPage);
      const failed = Object.values(c.kinds).reduce((a, b) => a + b, 0);
      expect(failed).toBeLessThanOrEqual(5);
      // The verdict is the most severe kind any run failed with.
      expect(c.verdict).toBe(FAILURE_KINDS.find((k) => c.kinds[k] !== undefined) ?? 'clean');
    }
    // Every seed of a cell ran, not only those up to its first failure: its counts are the model's, run by run.
    for (const [strategy, scenario] of [['v2.6.20', 'self-mmap-write'], ['zero-retry', 'multi-segment'], ['v2.6.20', 'overwrite-vs-read']] as const) {
      const kinds: Record<string, number> = {};
      const warnings: Record<string, number> = {};
      for (let seed = 0; seed < 5; seed++) {
        const o = runOne({ strategy, scenario, blocksPerPage: 4 }, { seed });
        if (o.failure !== null) kinds[o.failure.kind] = (kinds[o.failure.kind] ?? 0) + 1;
        for (const w of o.warnings) warnings[w.kind] = (warnings[w.kind] ?? 0) + 1;
      }
      const cell = m.cells.find((c) => c.strategy === strategy && c.scenario === scenario && c.blocksPerPage === 4)!;
      expect({ kinds: cell.kinds, warnings: cell.warnings }, `${strategy} x ${scenario}`).toEqual({ kinds, warnings });
    }
  });

  it('prints a legend, then a row per scenario and blocks per page (merged where they say the same) and a column per strategy, each cell its verdict and count and its warnings; then the costs', async () => {
    const r = await pcfarm('matrix', '--runs', '20', '--blocks-per-page', '1,2');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^Each cell: clean, or VERDICT ×COUNT: the most severe kind any of its 20 runs \(every seed 0\.\.19\) failed with, and how many runs failed with it; then "; warns lock-order ×N" when N runs warned/);
    expect(lines[1]).toBe(`Most severe first: ${FAILURE_KINDS.join(', ')}.`);
    const header = lines.find((l) => l.startsWith('| scenario'))!;
    expect(header.split('|').map((x) => x.trim()).filter((x) => x !== '')).toEqual(['scenario', 'bpp', ...STRATEGIES]);
    const rows = lines.filter((l) => /^\| [a-z]/.test(l) && !l.startsWith('| scenario') && !l.startsWith('| strategy') && SCENARIOS.some((s) => l.startsWith(`| ${s} `)));
    expect(lines[2]).toMatch(/^A row per scenario and blocks per page \(bpp\); blocks per page whose cells all say the same share a row\.$/);
    // Every scenario has a row for 1 and 2 blocks a page, alone or shared ("1,2").
    for (const scenario of SCENARIOS) {
      const bpps = rows.filter((l) => l.startsWith(`| ${scenario} `)).flatMap((l) => l.split('|')[2]!.trim().split(','));
      expect(bpps, scenario).toEqual(['1', '2']);
    }
    const cell = (scenario: string, bpp: number, strategy: string): string => {
      const row = rows.find((l) => l.startsWith(`| ${scenario} `) && l.split('|')[2]!.trim().split(',').includes(String(bpp)))!;
      return row.split('|')[2 + STRATEGIES.indexOf(strategy) + 1]!.trim();
    };
    expect(cell('self-mmap-write', 2, 'v2.6.20')).toMatch(/^deadlock ×\d+$/);
    expect(cell('self-mmap-write', 1, 'two-copy')).toBe('clean');
    expect(cell('overwrite-vs-read', 1, 'v2.6.20')).toMatch(/^clean; warns lock-order ×\d+$/);
    expect(r.stdout).toContain('Fault-free cost per page written');
  });
});

/** What a help prints, as one line: help wraps at 100 columns. */
const flat = (text: string): string => text.replace(/\s+/g, ' ');

describe('help and usage errors', () => {
  // Each command, and each mode of one, by the arguments that reach its option check.
  const MODES: [topic: string, args: string[]][] = [
    ['fuzz', ['fuzz']],
    ['fuzz', ['fuzz', '--first-failure']],
    ['replay', ['replay']],
    ['minimize', ['minimize']],
    ['verify', ['verify']],
    ['matrix', ['matrix']],
    ['strategy', ['strategy', 'new', 'x']],
    ['diff', ['diff']],
    ['export-test', ['export-test']],
    ['bench', ['bench']],
    ['bench', ['bench', '--farm']],
    ['dashboard', ['dashboard']],
    ['coordinator', ['coordinator']],
    ['worker', ['worker']],
    ['campaign', ['campaign', 'start']],
    ['campaign', ['campaign', 'show', 'x']],
    ['campaign', ['campaign', 'stop', 'x']],
    ['campaign', ['campaign', 'export', 'x']],
    ['campaign', ['campaign', 'import', 'f']],
  ];

  it("lists every option each command takes in that command's help, and its exit statuses", async () => {
    // `pcfarm help TOPIC` prints commandHelp(TOPIC), no more: read in this process, once a topic, not a process each.
    const help = await helpFuzz();
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(commandHelp('fuzz'));
    for (const [topic, args] of MODES) {
      // The options it takes, as the command itself says them when given one it does not.
      const refused = await here(...args, '--no-such-option');
      expect(refused.status, args.join(' ')).toBe(2);
      const taken = /it takes (.*)$/m.exec(refused.stderr)![1]!.split(', ');
      expect(taken.length, args.join(' ')).toBeGreaterThan(0);
      const text = commandHelp(topic as Command);
      for (const option of taken) expect(text, `${option} of ${args.join(' ')}`).toMatch(new RegExp(`${option}(?![\\w-])`));
      expect(flat(text), topic).toMatch(/ Exit \d+\b/);
    }
    expect(flat(help.stdout)).toContain('Exit 0 when every run passed or only warned, 1 when it found failures, 2 on bad usage or a results directory it cannot use, 130 when stopped by Ctrl-C.');
  });

  it('help prints every command and what each exit status means; COMMAND --help is help COMMAND', async () => {
    const all = await pcfarm('help');
    expect(all.status).toBe(0);
    for (const command of ['fuzz', 'replay', 'minimize', 'verify', 'matrix', 'strategy new', 'diff', 'export-test', 'bench', 'list', 'dashboard', 'coordinator', 'worker', 'campaign']) expect(all.stdout).toContain(`./pcfarm ${command}`);
    expect(flat(all.stdout)).toContain('Exit statuses, the same in every command: 0 done, nothing failed; 1 a failure found (by fuzz, replay, verify or diff; matrix, minimize, campaign show and export-test report, and exit 0); 2 bad usage or input it cannot use; 3');
    expect((await pcfarm('fuzz', '--help')).stdout).toBe((await helpFuzz()).stdout);
    // -h is --help, as other tools take it.
    expect((await pcfarm('fuzz', '-h')).stdout).toBe((await helpFuzz()).stdout);
    expect((await pcfarm('campaign', 'start', '--seeds', 'x', '--help')).stdout).toBe((await pcfarm('help', 'campaign')).stdout);
  });

  it("the defaults help names are the farm's and the dashboard's own", async () => {
    // What `pcfarm help TOPIC` prints: commandHelp(TOPIC), as the first test of these checks, read in this process.
    expect(flat(commandHelp('coordinator'))).toContain(`keeps N batches (default ${COORDINATOR_DEFAULTS.queuedPerWorker}) queued per worker slot, and reruns 1 batch in N (default ${AUDIT_ONE_IN_DEFAULT}; 0 never)`);
    expect(flat(commandHelp('coordinator'))).toContain(`REDIS_URL (default ${REDIS_URL_DEFAULT})`);
    expect(flat(commandHelp('dashboard'))).toContain(`(default http://127.0.0.1:${DASHBOARD_PORT_DEFAULT}/)`);
    expect(flat(commandHelp('fuzz'))).toContain(`(default ${DASHBOARD_PORT_DEFAULT}, or any free port when that one is taken)`);
  });

  it("minimize's help offers the schedulers a seed runs under, not replay, which runs a choice list minimize does not take", async () => {
    const help = await pcfarm('help', 'minimize');
    expect(help.stdout.split('\n')[0]).toMatch(/--seed N \[--scheduler pct\|random\|pos\|surw\]$/);
    const replay = await pcfarm('minimize', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--seed', '1', '--scheduler', 'replay');
    expect([replay.status, replay.stderr]).toEqual([2, 'pcfarm: the replay scheduler runs a choice list, not a seed\n']);
  });

  it('a usage error is one line saying what was wrong, then where the help is; exit 2', async () => {
    const r = await pcfarm('fuzz', '--seeds', 'x');
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')).toEqual(['pcfarm: --seeds must be a whole number, not "x"', 'see: ./pcfarm help fuzz', '']);
    expect(r.stdout).toBe('');
    const unknown = await pcfarm('frobnicate');
    expect(unknown.stderr.split('\n').slice(1)).toEqual(['see: ./pcfarm help', '']);
  });

  it('refuses fuzz --port with --no-dashboard: one of the two was not meant', async () => {
    const r = await here('fuzz', '--port', '8080', '--no-dashboard');
    expect([r.status, r.stderr.split('\n')[0]]).toEqual([2, 'pcfarm: --port is where the dashboard listens, and --no-dashboard serves none: give one of them']);
  });

  it('refuses a first-failure hunt whose seeds run past the largest before running any, as a campaign does', async () => {
    const past = await here('fuzz', '--first-failure', '--strategy', 'two-copy', '--scenario', 'self-mmap-write', '--seed-start', '9007199254740990', '--runs', '5');
    expect([past.status, past.stdout]).toEqual([2, '']);
    expect(past.stderr).toMatch(/^pcfarm: seeds 9007199254740990\.\.9007199254740994 run past the largest seed, 9007199254740991: give --seed-start 9007199254740987 at most, or fewer --runs\n/);
    const last = await here('fuzz', '--first-failure', '--strategy', 'two-copy', '--scenario', 'self-mmap-write', '--seed-start', '9007199254740987', '--runs', '5');
    expect(last.stdout).toMatch(/^two-copy x self-mmap-write \(pct, seeds 9007199254740987\.\.9007199254740991\)\n {2}clean: 5 runs/);
  });

  it('calls a misspelt option unknown wherever it stands, and a known one given last without a value short of one', async () => {
    const last = await here('fuzz', '--seeds', '5', '--bogus-opt');
    expect(last.status).toBe(2);
    expect(last.stderr).toMatch(/^pcfarm: unknown option --bogus-opt for 'fuzz'; it takes --strategy/);
    const valueless = await here('replay', '--strategy', 'v2.6.20', '--seed');
    expect(valueless.status).toBe(2);
    expect(valueless.stderr).toMatch(/^pcfarm: --seed needs a value\n/);
    // An option is not another option's value.
    const next = await here('replay', '--seed', '--strategy', 'v2.6.20');
    expect(next.stderr).toMatch(/^pcfarm: --seed needs a value\n/);
  });

  it('input it cannot use is one line, without the help: a reproducer that does not decode', async () => {
    const r = await here('replay', 'pcfarm1:hello');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^pcfarm: bad reproducer: [^\n]*\n$/);
  });
});
