import { describe, expect, it } from 'vitest';
import { findingSignature, Model, SCENARIOS, signatureOf, signatureTitle, STRATEGIES, type Failure, type Outcome, type Signature } from '../src/index.js';
import { STRATEGY_TABLE } from '../src/strategies/index.js';

/** The first `count` failures of `kind` in seeds from 0. */
function failures(strategy: string, scenario: string, kind: string, count: number, seedsMax = 5000): Outcome[] {
  const model = new Model({ strategy, scenario });
  const out: Outcome[] = [];
  for (let seed = 0; seed < seedsMax && out.length < count; seed++) {
    const o = model.run({ seed });
    if (!o.ok && o.failure!.kind === kind) out.push(o);
  }
  return out;
}

describe('signatures', () => {
  it('the same self deadlock from 50 seeds has one signature, though the seeds, steps and choices differ', () => {
    const found = failures('v2.6.20', 'self-mmap-write', 'deadlock', 50);
    expect(found).toHaveLength(50);
    expect(new Set(found.map((o) => o.steps)).size).toBeGreaterThan(1);
    expect(new Set(found.map((o) => o.choices.join())).size).toBe(50);
    const titles = new Set(found.map((o) => signatureOf(o)!.title));
    expect([...titles]).toEqual([
      'deadlock in v2.6.20: self; lock_page page_lock in filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user <- filemap_copy_from_user <- generic_file_buffered_write, held from __grab_cache_page <- generic_file_buffered_write',
    ]);
  });

  it('the same class-only lock-order warning from 50 seeds of cross-mmap-write has one signature, whichever writer and page it caught', () => {
    const model = new Model({ strategy: 'v2.6.20', scenario: 'cross-mmap-write' });
    const found: Failure[] = [];
    for (let seed = 0; seed < 4000 && found.length < 50; seed++) found.push(...model.run({ seed }).warnings.filter((w) => w.sites[0]!.split(' -> ').length === 3));
    expect(found).toHaveLength(50);
    expect(new Set(found.map((w) => w.message + w.details.join())).size).toBeGreaterThan(1);
    const titles = new Set(found.map((w) => findingSignature('v2.6.20', w).title));
    expect(titles).toEqual(new Set(['lock-order in v2.6.20: cycle page_lock -> mmap_sem -> page_lock; class only']));
  });

  it('a lock-order failure and a warning of the same class cycle never share a title', () => {
    const failing = failures('v2.6.20', 'mmap-sem-inversion', 'lock-order', 1)[0]!;
    expect(failing.failure!.severity).toBe('failure');
    const model = new Model({ strategy: 'v2.6.20', scenario: 'hole-fill-vs-read' });
    let warning: Failure | undefined;
    for (let seed = 0; seed < 1000 && warning === undefined; seed++) warning = model.run({ seed }).warnings[0];
    expect(warning!.severity).toBe('warning');
    expect(signatureOf(failing)!.title).toBe('lock-order in v2.6.20: cycle page_lock -> mmap_sem -> page_lock; instances meet');
    expect(findingSignature('v2.6.20', warning!).title).toBe('lock-order in v2.6.20: cycle page_lock -> mmap_sem -> page_lock; class only');
  });

  it('a signature holds no seed, step or task name: only its kind, strategy and sites', () => {
    const [o] = failures('v2.6.20', 'self-mmap-write', 'deadlock', 1);
    const s = signatureOf(o!)!;
    expect(s).toEqual({ kind: 'deadlock', severity: 'failure', strategy: 'v2.6.20', sites: o!.failure!.sites, title: s.title });
    expect(s.title).not.toContain(`step ${o!.failure!.step}`);
    expect(s.title).not.toContain(o!.failure!.task);
  });

  it('the same bug in two strategies has two signatures', () => {
    // v2.6.20 under a second name: the same choices fail the same way, so only the strategy tells them apart.
    const copy = { ...STRATEGY_TABLE.get('v2.6.20')!, id: 'v2.6.20-copy' };
    const original = failures('v2.6.20', 'self-mmap-write', 'deadlock', 1)[0]!;
    const again = new Model({ strategy: 'v2.6.20-copy', scenario: 'self-mmap-write' }, { strategies: [copy] }).run({ choices: original.choices });
    expect(again.failure!.sites).toEqual(original.failure!.sites);
    expect(signatureOf(again)!.title).not.toBe(signatureOf(original)!.title);
    expect(signatureOf(again)!.title).toMatch(/^deadlock in v2\.6\.20-copy: self; /);
  });

  it('across the whole matrix, different (kind, strategy, sites) never share a title and each has one', () => {
    const byTitle = new Map<string, string>();
    const kinds = new Set<string>();
    const strategies = new Set<string>();
    for (const strategy of STRATEGIES) {
      for (const scenario of SCENARIOS) {
        const model = new Model({ strategy, scenario });
        for (let seed = 0; seed < 100; seed++) {
          const s: Signature | null = signatureOf(model.run({ seed }));
          if (s === null) continue;
          const key = JSON.stringify([s.kind, s.strategy, s.sites]);
          expect(byTitle.get(s.title) ?? key).toBe(key);
          byTitle.set(s.title, key);
          kinds.add(s.kind);
          strategies.add(s.strategy);
        }
      }
    }
    expect(new Set(byTitle.values()).size).toBe(byTitle.size);
    // v2.6.20 alone deadlocks, breaks lock order and returns bad counts; other strategies fail too.
    expect(kinds.size).toBeGreaterThanOrEqual(3);
    expect(strategies.size).toBeGreaterThanOrEqual(2);
  });

  it('a site or strategy holding a separator is quoted, so titles stay apart', () => {
    expect(signatureTitle('deadlock', 's', ['a; b'])).not.toBe(signatureTitle('deadlock', 's', ['a', 'b']));
    expect(signatureTitle('deadlock', 's', ['a; b'])).toBe('deadlock in s: "a; b"');
    expect(signatureTitle('deadlock', 'x: y', ['z'])).not.toBe(signatureTitle('deadlock', 'x', ['y: z']));
    expect(signatureTitle('deadlock', 's', [''])).not.toBe(signatureTitle('deadlock', 's', []));
    expect(signatureTitle('deadlock', 's', ['"a"'])).not.toBe(signatureTitle('deadlock', 's', ['a']));
    expect(signatureTitle('lock-order', 'v2.6.20', ['recursive page_lock: taken in f while held from g'])).toBe('lock-order in v2.6.20: recursive page_lock: taken in f while held from g');
  });

  it('a run that passes has no signature', () => {
    expect(signatureOf(new Model({ strategy: 'write-begin-end', scenario: 'self-mmap-write' }).run({ seed: 1 }))).toBeNull();
  });
});
