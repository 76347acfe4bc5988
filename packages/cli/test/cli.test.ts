import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/pcfarm.mjs', import.meta.url));

function pcfarm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('pcfarm fuzz', () => {
  it('finds the v2.6.20 self deadlock, prints its kind, seed and replay command, and exits 1', () => {
    const r = pcfarm('fuzz', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--runs', '1000');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL deadlock at step \d+ in writer/);
    const seed = /seed=(\d+)/.exec(r.stdout)![1];
    expect(r.stdout).toContain(`replay: npx pnpm@10 pcfarm replay --strategy v2.6.20 --scenario self-mmap-write --seed ${seed}`);
    expect(r.stdout).toMatch(/runs\/s\)/);
  });

  it('prints a replay command that keeps a non-default PCT depth, so the seed replays the same run', () => {
    const r = pcfarm('fuzz', '--first-failure', '--strategy', 'v2.6.20', '--scenario', 'cross-mmap-write', '--pct-depth', '2');
    expect(r.status).toBe(1);
    const command = /replay: npx pnpm@10 pcfarm replay (.*--pct-depth 2 --seed \d+)$/m.exec(r.stdout)![1]!;
    const signature = /signature: (.*)$/m.exec(r.stdout)![1]!;
    const replay = pcfarm('replay', ...command.split(' '));
    expect(replay.stdout).toContain(`signature: ${signature}`);
  });

  it('is clean on write-begin-end, prints runs per second and exits 0', () => {
    const r = pcfarm('fuzz', '--strategy', 'write-begin-end', '--scenario', 'hole-fill-vs-read', '--runs', '300');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/clean: 300 runs in [\d.]+ s \([\d,]+ runs\/s\)/);
  });

  it('rejects an unknown strategy with exit 2, listing the valid ones', () => {
    const r = pcfarm('fuzz', '--strategy', 'v2.6.2');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown strategy "v2.6.2"; valid strategies: v2.6.20, gup-pin, temp-page, zero-retry, zero-retry-not-uptodate, excl-flag, two-copy, write-begin-end');
  });

  it('rejects a malformed number and an unknown option with exit 2', () => {
    expect(pcfarm('fuzz', '--runs', '12x').stderr).toContain('--runs must be a whole number, not "12x"');
    const r = pcfarm('fuzz', '--first-failure', '--seeds', '5');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option --seeds for 'fuzz'; it takes --first-failure, --strategy, --scenario, --runs/);
    const c = pcfarm('fuzz', '--seeds', '5', '--frobs', '2');
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/unknown option --frobs for 'fuzz'; it takes --strategy, --scenario, --seeds/);
  });
});

describe('pcfarm replay', () => {
  it('prints a trace line per event and the verdict, and replays the seed fuzz found bit for bit', () => {
    const seed = /seed=(\d+)/.exec(pcfarm('fuzz', '--first-failure', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write').stdout)![1]!;
    const a = pcfarm('replay', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--seed', seed);
    const b = pcfarm('replay', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--seed', seed);
    expect(a.status).toBe(1);
    expect(a.stdout).toEqual(b.stdout);
    expect(a.stdout).toMatch(/^\s+\d+\s+writer\s+lock_page\(f0:\d\)\s+@ __grab_cache_page <- generic_file_buffered_write <- sys_write\s+\[holds i_mutex\(f0\), page_lock\(f0:\d\)\]$/m);
    expect(a.stdout).toMatch(/FAIL deadlock/);
    const choices = /^choices: (.*)$/m.exec(a.stdout)![1]!;
    const c = pcfarm('replay', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--choices', choices);
    expect(/^trace hash: (\w+)$/m.exec(c.stdout)![1]).toBe(/^trace hash: (\w+)$/m.exec(a.stdout)![1]);
  });

  it('says ok and exits 0 for a clean run', () => {
    const r = pcfarm('replay', '--strategy', 'write-begin-end', '--scenario', 'self-mmap-write', '--seed', '1');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ok: every task finished and every oracle passed/);
  });

  it('needs exactly one of --seed and --choices, and a well-formed choice list', () => {
    expect(pcfarm('replay', '--strategy', 'v2.6.20', '--scenario', 'generated').stderr).toContain('exactly one of --seed N or --choices LIST');
    const r = pcfarm('replay', '--strategy', 'v2.6.20', '--scenario', 'generated', '--choices', '1,x,3');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--choices: item 2 is "x", not a whole number');
  });

  it('an unknown command lists the commands', () => {
    const r = pcfarm('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command "frobnicate"; commands: fuzz, replay, minimize, .*list, help/);
  });
});

const SIGNATURE_SELF = 'deadlock in v2.6.20: self; lock_page page_lock in filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user <- filemap_copy_from_user <- generic_file_buffered_write, held from __grab_cache_page <- generic_file_buffered_write';

describe('signatures and reproducers in fuzz and replay', () => {
  it('fuzz prints the signature, the minimize command and a reproducer that replays to the same failure', () => {
    const r = pcfarm('fuzz', '--first-failure', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write');
    expect(r.stdout).toContain(`  signature: ${SIGNATURE_SELF}`);
    const seed = /seed=(\d+)/.exec(r.stdout)![1];
    expect(r.stdout).toContain(`minimize: npx pnpm@10 pcfarm minimize --strategy v2.6.20 --scenario self-mmap-write --seed ${seed}`);
    const reproducer = /reproducer: (pcfarm1:\S+)/.exec(r.stdout)![1]!;
    const a = pcfarm('replay', reproducer);
    const b = pcfarm('replay', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--seed', seed!);
    expect(a.status).toBe(1);
    expect(a.stdout).toContain(`signature: ${SIGNATURE_SELF}`);
    expect(/^trace hash: (\w+)$/m.exec(a.stdout)![1]).toBe(/^trace hash: (\w+)$/m.exec(b.stdout)![1]);
    expect(b.stdout).toContain(`reproducer: ${reproducer}`);
  });

  it('replay rejects a cut or mistyped reproducer with exit 2, saying what is wrong', () => {
    const reproducer = /reproducer: (pcfarm1:\S+)/.exec(pcfarm('fuzz', '--first-failure', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write').stdout)![1]!;
    const cut = pcfarm('replay', reproducer.slice(0, -6));
    expect(cut.status).toBe(2);
    expect(cut.stderr).toMatch(/^pcfarm: bad reproducer: truncated: /);
    const typo = pcfarm('replay', reproducer.slice(0, 20) + (reproducer[20] === 'x' ? 'y' : 'x') + reproducer.slice(21));
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain('pcfarm: bad reproducer: checksum mismatch: the string was altered or mistyped');
  });

  it('replay takes a reproducer or --strategy/--scenario/--seed, not both', () => {
    const reproducer = /reproducer: (pcfarm1:\S+)/.exec(pcfarm('fuzz', '--first-failure', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write').stdout)![1]!;
    const r = pcfarm('replay', reproducer, '--seed', '3');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('a reproducer says what to run: drop --seed');
  });
});

describe('pcfarm minimize', () => {
  it('shrinks a failing seed, reports the sizes before and after, and prints a reproducer that replays to the same signature', () => {
    const r = pcfarm('minimize', '--strategy', 'v2.6.20', '--scenario', 'self-mmap-write', '--seed', '1');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`signature: ${SIGNATURE_SELF}`);
    const before = /^before: (\d+) choices \(\d+ not 0\), (\d+) context switches, \d+ steps$/m.exec(r.stdout)!;
    const after = /^after: {2}(\d+) choices \(\d+ not 0\), (\d+) context switches, \d+ steps$/m.exec(r.stdout)!;
    expect(Number(after[1])).toBeLessThan(Number(before[1]));
    expect(r.stdout).toMatch(/^\d+ runs in [\d.]+ s, at a fixpoint: minimizing it again changes nothing$/m);
    const reproducer = /^reproducer: (pcfarm1:\S+)$/m.exec(r.stdout)![1]!;
    expect(r.stdout).toContain(`replay: npx pnpm@10 pcfarm replay ${reproducer}`);
    const replayed = pcfarm('replay', reproducer);
    expect(replayed.status).toBe(1);
    expect(replayed.stdout).toMatch(/^v2\.6\.20 x self-mmap-write \(pct\), reproducer of model core-\d+, \d+ choices$/m);
    expect(replayed.stdout).toContain(`signature: ${SIGNATURE_SELF}`);
    // Minimizing the reproducer again changes nothing.
    const again = pcfarm('minimize', reproducer);
    expect(again.status).toBe(0);
    expect(/^reproducer: (\S+)$/m.exec(again.stdout)![1]).toBe(reproducer);
  });

  it('stops at --runs-max and says so', () => {
    const r = pcfarm('minimize', '--strategy', 'v2.6.20', '--scenario', 'generated', '--seed', '1', '--runs-max', '3');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^3 runs in [\d.]+ s, stopped by the run budget \(--runs-max 3\): minimizing it again may shrink it further$/m);
  });

  it('refuses a seed that passes, and an incomplete command, with exit 2', () => {
    const clean = pcfarm('minimize', '--strategy', 'write-begin-end', '--scenario', 'self-mmap-write', '--seed', '1');
    expect(clean.status).toBe(2);
    expect(clean.stderr).toContain('pcfarm: nothing to minimize: seed 1 of write-begin-end x self-mmap-write passes');
    const partial = pcfarm('minimize', '--strategy', 'v2.6.20', '--seed', '1');
    expect(partial.status).toBe(2);
    expect(partial.stderr).toContain('minimize needs --strategy S --scenario X --seed N, or a reproducer');
  });
});
