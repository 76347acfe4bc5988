/**
 * Certificates (issue 13): what verify proved or found of a cell, kept in a
 * results directory's own file beside the journal: the strongest record of
 * each claim, a line cut short never read, a corrupt one named, and only a
 * campaign's own model version and strategy source shown beside its cells.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_VERSION } from '@pcfarm/core';
import { describe, expect, it } from 'vitest';
import { answeredBy, appendCertificate, campaignCertificates, campaignSpec, CERTIFICATES_FILE, CERTIFICATES_LOCK_FILE, certificateText, checkCertificate, EmbeddedStore, FarmError, newCampaign, readCertificates, recordCertificateIn, type Certificate } from '../dist/index.js';
import { tempDir } from './helpers.js';

const CLEAN: Certificate = {
  result: 'clean',
  strategy: 'two-copy',
  strategyFile: null,
  scenario: 'overwrite-vs-read',
  blocksPerPage: 1,
  modelVersion: MODEL_VERSION,
  unit: 'preemptions',
  bound: 1,
  reclaimActionsMax: 2,
  paramsMax: 0,
  schedules: 23_786,
  classes: 3_831,
  hash: '8f4d6f2d',
  signature: null,
  reproducer: null,
  seconds: 1.4,
  at: 1,
};

const bad = (m: string): never => {
  throw new Error(m);
};

describe('certificates', () => {
  it('a results directory keeps the highest bound certified and the lowest failing, each claim apart', () => {
    const dir = tempDir();
    expect(recordCertificateIn(dir, CLEAN)).toBe(true);
    expect(recordCertificateIn(dir, { ...CLEAN, bound: 0 })).toBe(false);
    expect(recordCertificateIn(dir, { ...CLEAN, bound: 1, schedules: 1 })).toBe(false);
    expect(recordCertificateIn(dir, { ...CLEAN, bound: 2 })).toBe(true);
    const fail = { ...CLEAN, result: 'fail', bound: 2, classes: null, hash: null, signature: 'x', reproducer: 'pcfarm1:x' } as const;
    expect(recordCertificateIn(dir, fail)).toBe(true);
    expect(recordCertificateIn(dir, { ...fail, bound: 3 })).toBe(false);
    expect(recordCertificateIn(dir, { ...fail, bound: 1 })).toBe(true);
    // Delays, another reclaim bound: other claims.
    expect(recordCertificateIn(dir, { ...CLEAN, unit: 'delays' })).toBe(true);
    expect(recordCertificateIn(dir, { ...CLEAN, reclaimActionsMax: 1 })).toBe(true);
    const kept = readCertificates(dir).map((c) => certificateText(c));
    expect(kept.sort()).toEqual(['fails at 1 preemption (reclaim actions <= 2)', 'verified to 1 delay (reclaim actions <= 2)', 'verified to 1 preemption (reclaim actions <= 1)', 'verified to 2 preemptions (reclaim actions <= 2)']);
  });

  it('a certificate of generated says the parameter bound it covers, at 0 too: only the programs within it were verified', () => {
    expect(certificateText({ ...CLEAN, scenario: 'generated', bound: 3 })).toBe('verified to 3 preemptions (reclaim actions <= 2, generated parameters <= 0)');
    expect(certificateText({ ...CLEAN, scenario: 'generated', paramsMax: 2 })).toBe('verified to 1 preemption (reclaim actions <= 2, generated parameters <= 2)');
    // A scenario without parameters: the bound limits nothing, so it is not said.
    expect(certificateText(CLEAN)).toBe('verified to 1 preemption (reclaim actions <= 2)');
  });

  it('a last line cut short is not read, and the next append starts a whole line', () => {
    const dir = tempDir();
    appendCertificate(dir, CLEAN);
    const file = join(dir, CERTIFICATES_FILE);
    appendFileSync(file, '{"result":"clean","strat');
    expect(readCertificates(dir)).toHaveLength(1);
    appendCertificate(dir, { ...CLEAN, bound: 2 });
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(3);
    expect(readCertificates(dir).map((c) => c.bound)).toEqual([2]);
  });

  it('two processes recording at once keep every record whole, each line its own', async () => {
    const dir = tempDir();
    const farm = new URL('../dist/index.js', import.meta.url).href;
    // Each child records 150 claims of its own (by paramsMax), as fast as it can.
    const child = (k: number) =>
      new Promise<number | null>((done) => {
        const script = `const { recordCertificateIn } = await import(${JSON.stringify(farm)}); const c = JSON.parse(process.argv[1]); for (let i = 0; i < 150; i++) recordCertificateIn(process.argv[2], { ...c, paramsMax: ${k * 150} + i });`;
        spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(CLEAN), dir], { stdio: 'inherit' }).on('exit', done);
      });
    expect(await Promise.all([child(0), child(1)])).toEqual([0, 0]);
    const lines = readFileSync(join(dir, CERTIFICATES_FILE), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(300);
    expect(new Set(readCertificates(dir).map((c) => c.paramsMax)).size).toBe(300);
    expect(existsSync(join(dir, CERTIFICATES_LOCK_FILE))).toBe(false);
  });

  it("an appender takes over the lock of a process that is gone", () => {
    const dir = tempDir();
    // A pid no process has (Linux's pid_max is at most 2^22).
    writeFileSync(join(dir, CERTIFICATES_LOCK_FILE), '2147483646');
    expect(recordCertificateIn(dir, CLEAN)).toBe(true);
    expect(existsSync(join(dir, CERTIFICATES_LOCK_FILE))).toBe(false);
  });

  it('a line that is not a certificate is an EBADRESULTS naming the file and line, and the file is left as it is', () => {
    const dir = tempDir();
    appendCertificate(dir, CLEAN);
    const file = join(dir, CERTIFICATES_FILE);
    appendFileSync(file, `${JSON.stringify({ ...CLEAN, bound: -1 })}\n`);
    const before = readFileSync(file, 'utf8');
    let err: unknown;
    try {
      readCertificates(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FarmError);
    expect((err as FarmError).code).toBe('EBADRESULTS');
    expect((err as FarmError).message).toContain(`${file}:2: bound must be a whole number`);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('checkCertificate refuses a record that mixes a failure with a certificate, a bad hash, an unknown unit', () => {
    expect(checkCertificate(JSON.parse(JSON.stringify(CLEAN)), bad)).toEqual(CLEAN);
    expect(() => checkCertificate({ ...CLEAN, signature: 'x' }, bad)).toThrow(/no signature or reproducer/);
    expect(() => checkCertificate({ ...CLEAN, hash: 'xyz' }, bad)).toThrow(/hash must be 8 hex digits/);
    expect(() => checkCertificate({ ...CLEAN, unit: 'switches' }, bad)).toThrow(/unit must be one of preemptions, delays/);
    expect(() => checkCertificate({ ...CLEAN, result: 'fail' }, bad)).toThrow(/a failure has no classes or hash/);
    expect(() => checkCertificate({ ...CLEAN, result: 'fail', classes: null, hash: null }, bad)).toThrow(/signature must be a non-empty string/);
    expect(() => checkCertificate({ ...CLEAN, strategyFile: { id: 'mine', sourceHash: '0123456789abcdef', path: '/x/mine.ts' } }, bad)).toThrow(/is not strategy two-copy's/);
  });

  it("a campaign's cells show only the certificates of its model version and of the strategy file source it runs", () => {
    const file = { id: 'mine', sourceHash: '0123456789abcdef', path: '/x/mine.ts' };
    const spec = campaignSpec({ strategies: ['two-copy', 'mine'], strategyFiles: [file], scenarios: ['overwrite-vs-read'], blocksPerPage: [1], seedsPerCell: 10 });
    const campaign = newCampaign('cert0001', spec, 0);
    const mine = { ...CLEAN, strategy: 'mine', strategyFile: file };
    const byCell = campaignCertificates(campaign, [CLEAN, { ...CLEAN, modelVersion: 'core-0', bound: 9 }, mine, { ...mine, bound: 5, strategyFile: { ...file, sourceHash: 'fedcba9876543210' } }, { ...CLEAN, scenario: 'generated' }]);
    expect(byCell.map((list) => list.map((c) => [c.strategy, c.bound]))).toEqual([[['two-copy', 1]], [['mine', 1]]]);
  });

  it('a search is answered by a failure at or below its bound, or a certificate at or above it, of the same claim only', () => {
    const { result: _r, bound: _b, schedules: _s, classes: _c, hash: _h, signature: _g, reproducer: _p, seconds: _t, at: _a, ...claim } = CLEAN;
    const fail = { ...CLEAN, result: 'fail', bound: 1, classes: null, hash: null, signature: 'x', reproducer: 'pcfarm1:x' } as const;
    expect(answeredBy([{ ...CLEAN, bound: 2 }], claim, 2)?.bound).toBe(2);
    expect(answeredBy([{ ...CLEAN, bound: 2 }], claim, 3)).toBeNull();
    expect(answeredBy([{ ...CLEAN, bound: 0 }, fail], claim, 3)).toBe(fail);
    expect(answeredBy([fail], claim, 0)).toBeNull();
    expect(answeredBy([{ ...CLEAN, bound: 5 }], { ...claim, reclaimActionsMax: 1 }, 1)).toBeNull();
    expect(answeredBy([{ ...CLEAN, bound: 5 }], { ...claim, unit: 'delays' }, 1)).toBeNull();
    const file = { id: 'two-copy', sourceHash: '0123456789abcdef', path: '/x/two-copy.ts' };
    expect(answeredBy([{ ...CLEAN, bound: 5, strategyFile: file }], claim, 1)).toBeNull();
    expect(answeredBy([{ ...CLEAN, bound: 5, strategyFile: file }], { ...claim, strategyFile: { ...file, path: '/elsewhere/two-copy.ts' } }, 1)?.bound).toBe(5);
  });

  it('the embedded store reads and records the same file, and refuses to record when open read-only', async () => {
    const dir = tempDir();
    const store = EmbeddedStore.open(dir);
    expect(await store.recordCertificate(CLEAN)).toBe(true);
    expect(readCertificates(dir)).toEqual([CLEAN]);
    recordCertificateIn(dir, { ...CLEAN, bound: 3 });
    expect((await store.certificates()).map((c) => c.bound)).toEqual([3]);
    await store.close();
    const reader = EmbeddedStore.open(dir, { readOnly: true });
    await expect(reader.recordCertificate(CLEAN)).rejects.toMatchObject({ code: 'ESTATE' });
    expect((await reader.certificates()).map((c) => c.bound)).toEqual([3]);
    await reader.close();
  });
});
