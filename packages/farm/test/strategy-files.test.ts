import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Model, SCENARIOS, STRATEGIES } from '@pcfarm/core';
import { findStrategyFile, loadStrategyFile, loadStrategyFiles, scanStrategyDirs, strategySourceHash, strategyTemplate } from '../src/strategy-files.js';

const builtIns = new URL('../../core/src/strategies/', import.meta.url);
const readBuiltIn = (file: string): string => readFileSync(new URL(file, builtIns), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'pcfarm-strategy-files-'));

/** Write a strategy file and return its path. */
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The FarmError a load throws. */
function refusal(path: string): { code: string; message: string } {
  try {
    loadStrategyFile(path);
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error(`${path} loaded`);
}

const MINIMAL = (body: string, extra = ''): string => `import { PATHS_2_6_20, grabCachePage, unlockPage, pageCacheRelease, type Strategy } from 'pcfarm:strategy-api';
export const apiVersion = 1;
${extra}
export default {
  id: 'minimal',
  description: 'a write path that only looks the page up',
  paths: PATHS_2_6_20,
  *performWrite(k, t, inode, pos, it) {
    const page = yield* grabCachePage(k, t, inode, pos >>> k.pageShift);
${body}
    unlockPage(k, t, page);
    pageCacheRelease(k, t, page);
    return 0;
  },
} satisfies Strategy;
`;

describe('strategy files: pcfarm strategy new', () => {
  for (const from of STRATEGIES) {
    it(`a copy of ${from} loads and runs every scenario exactly as the built-in, schedule for schedule`, () => {
      const path = file(`copy-of-${from}.ts`, strategyTemplate(`copy-of-${from}`, from, readBuiltIn));
      const f = loadStrategyFile(path);
      expect(f.id).toBe(`copy-of-${from}`);
      expect(f.strategy.sourceHash).toBe(f.sourceHash);
      for (const scenario of SCENARIOS) {
        const builtIn = new Model({ strategy: from, scenario });
        const copy = new Model({ strategy: f.id, scenario }, { strategies: [f.strategy] });
        for (let seed = 0; seed < 25; seed++) {
          const a = builtIn.run({ seed });
          const b = copy.run({ seed });
          expect([b.ok, b.failure?.kind, b.scheduleHash], `${scenario} seed ${seed}`).toEqual([a.ok, a.failure?.kind, a.scheduleHash]);
        }
      }
    });
  }

  it('refuses a name that is a built-in, is not an id, or a strategy to copy that does not exist', () => {
    expect(() => strategyTemplate('excl-flag', 'excl-flag', readBuiltIn)).toThrow(/is a built-in strategy's id/);
    expect(() => strategyTemplate('My Excl', 'excl-flag', readBuiltIn)).toThrow(/is not a strategy id/);
    expect(() => strategyTemplate('mine', 'excl-flags', readBuiltIn)).toThrow(/unknown strategy "excl-flags" to copy; valid strategies: v2\.6\.20, /);
  });
});

describe('strategy files: what does not load says where and why', () => {
  it('a syntax error names file:line:column', () => {
    const e = refusal(file('syntax.ts', MINIMAL('    const x: = 1;')));
    expect(e.code).toBe('ESTRATEGYFILE');
    expect(e.message).toMatch(/^strategy file .*syntax\.ts:10:\d+: does not compile: Unexpected token/);
  });

  it('an import of anything but the strategy API is refused, naming it and its line', () => {
    const e = refusal(file('imports.ts', MINIMAL('', "import { readFileSync } from 'node:fs';\nvoid readFileSync;")));
    expect(e.message).toMatch(/imports\.ts:3: imports "node:fs": a strategy imports only pcfarm:strategy-api/);
    const relative = refusal(file('relative.ts', MINIMAL('', "import { tempPageWrite } from './temp-page.js';\nvoid tempPageWrite;")));
    expect(relative.message).toMatch(/relative\.ts:3: imports "\.\/temp-page\.js"/);
  });

  it('an API version other than this pcfarm\'s, or none, is refused', () => {
    expect(refusal(file('v2.ts', MINIMAL('').replace('apiVersion = 1', 'apiVersion = 2'))).message).toMatch(/written for strategy API version 2; this pcfarm's is 1/);
    expect(refusal(file('v0.ts', MINIMAL('').replace('export const apiVersion = 1;', ''))).message).toMatch(/exports no apiVersion/);
  });

  it('a built-in id, a non-generator write path, or kernel paths that are not, are each named', () => {
    expect(refusal(file('builtin.ts', MINIMAL('').replace("id: 'minimal'", "id: 'excl-flag'"))).message).toMatch(/its id "excl-flag" is a built-in strategy's/);
    expect(refusal(file('plain.ts', MINIMAL('').replace('*performWrite', 'performWrite').replace(/yield\* /g, ''))).message).toMatch(/performWrite is not a generator function/);
    expect(refusal(file('paths.ts', MINIMAL('').replace('paths: PATHS_2_6_20', 'paths: {}'))).message).toMatch(/its paths are not kernel paths/);
    expect(refusal(file('none.js', 'export const apiVersion = 1;\n')).message).toMatch(/has no default export/);
    expect(refusal(join(dir, 'missing.ts')).message).toMatch(/missing\.ts: cannot be read: ENOENT/);
    expect(refusal(file('notes.txt', 'hello')).message).toMatch(/a strategy file is \.ts, \.mts, \.js, \.mjs, not "\.txt"/);
  });

  it('two files with one id are refused together', () => {
    const a = file('one-a.ts', MINIMAL(''));
    const b = file('one-b.ts', MINIMAL(''));
    expect(() => loadStrategyFiles([a, b])).toThrow(/one-b\.ts: its strategy id "minimal" is also that of .*one-a\.ts/);
  });
});

describe('strategy files: running one', () => {
  it('a TypeError in the write path is an oops: a kernel-bug naming the file and line', () => {
    const f = loadStrategyFile(file('oops.ts', MINIMAL('    const gone = null as unknown as { flags: number };\n    if (gone.flags) return 1;')));
    const o = new Model({ strategy: f.id, scenario: 'self-mmap-write' }, { strategies: [f.strategy] }).run({ seed: 0 });
    expect(o.failure?.kind).toBe('kernel-bug');
    expect(o.failure?.message).toMatch(/^BUG: TypeError: Cannot read properties of null \(reading 'flags'\) at oops\.ts:11:\d+$/);
  });

  it('Math.random or a clock in a write path is refused at its first use, since the run would not replay', () => {
    const f = loadStrategyFile(file('random.ts', MINIMAL('    if (Math.random() < 0.5) return 1;')));
    const o = new Model({ strategy: f.id, scenario: 'self-mmap-write' }, { strategies: [f.strategy] }).run({ seed: 0 });
    expect(o.failure?.message).toMatch(/Math\.random in a strategy: a run would no longer replay from its seed .* at random\.ts:10:\d+$/);
    const g = loadStrategyFile(file('clock.js', MINIMAL('    if (Date.now() > 0) return 1;').replace(/ satisfies Strategy/, '').replace(/, type Strategy/, '')));
    expect(new Model({ strategy: g.id, scenario: 'self-mmap-write' }, { strategies: [g.strategy] }).run({ seed: 0 }).failure?.message).toMatch(/a clock \(Date\) in a strategy/);
  });

  it('the source hash pins the bytes: the same file anywhere hashes alike, one changed byte does not', () => {
    const text = strategyTemplate('pinned', 'two-copy', readBuiltIn);
    expect(loadStrategyFile(file('pinned.ts', text)).sourceHash).toBe(strategySourceHash(text));
    mkdirSync(join(dir, 'elsewhere'), { recursive: true });
    expect(loadStrategyFile(file('elsewhere/pinned.ts', text)).sourceHash).toBe(strategySourceHash(text));
    expect(strategySourceHash(text.replace('yield;', 'yield ;'))).not.toBe(strategySourceHash(text));
  });

  it('a worker finds a job\'s file by hash in its strategy directories, or at the recorded path, and nothing else', () => {
    const shelf = join(dir, 'shelf');
    mkdirSync(shelf, { recursive: true });
    const text = strategyTemplate('shelved', 'gup-pin', readBuiltIn);
    writeFileSync(join(shelf, 'shelved.ts'), text);
    writeFileSync(join(shelf, 'broken.ts'), 'this is not a strategy');
    const { byHash, skipped } = scanStrategyDirs([shelf]);
    expect(skipped).toEqual([expect.stringMatching(/broken\.ts:1:\d+: does not compile/)]);
    const ref = { id: 'shelved', sourceHash: strategySourceHash(text), path: '/nowhere/shelved.ts' };
    expect(findStrategyFile(ref, byHash, new Map())?.id).toBe('shelved');
    expect(findStrategyFile({ ...ref, sourceHash: '0000000000000000' }, byHash, new Map())).toBeNull();
    const here = file('here.ts', strategyTemplate('here', 'gup-pin', readBuiltIn));
    expect(findStrategyFile({ id: 'here', sourceHash: loadStrategyFile(here).sourceHash, path: here }, new Map(), new Map())?.path).toBe(here);
  });
});
