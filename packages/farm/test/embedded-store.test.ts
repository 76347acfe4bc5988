import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchRunner, batchAt, campaignSpec, EmbeddedStore, FarmError, LOCK_FILE, RESULTS_FILE } from '../dist/index.js';
import { comparable, tempDir } from './helpers.js';

async function storeWithBatches(dir: string, batches: number) {
  const store = EmbeddedStore.open(dir);
  const c = await store.createCampaign(campaignSpec({ strategies: ['v2.6.20'], scenarios: ['self-mmap-write', 'generated'], seedsPerCell: 200, batchSeeds: 50 }));
  const runner = new BatchRunner();
  for (let i = 0; i < batches; i++) await store.recordBatch(runner.run(batchAt(c, i)!, () => 0), i);
  return { store, id: c.id, runner, campaign: c };
}

function expectCode(f: () => unknown, code: string, message: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FarmError);
    expect((e as FarmError).code).toBe(code);
    expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected a FarmError');
}

describe('the embedded store', () => {
  it('records a batch once: the same result again changes nothing', async () => {
    const { store, id, runner, campaign } = await storeWithBatches(tempDir(), 3);
    const before = await comparable(store, id);
    const again = await store.recordBatch(runner.run(batchAt(campaign, 1)!, () => 0), 5);
    expect(again).toEqual({ recorded: false, newBuckets: [], lowered: [] });
    expect(await comparable(store, id)).toEqual(before);
  });

  it('reopened, holds exactly what it held', async () => {
    const dir = tempDir();
    const { store, id } = await storeWithBatches(dir, 5);
    expect(await comparable(EmbeddedStore.open(dir), id)).toEqual(await comparable(store, id));
  });

  it('reports a corrupt results file with its line, and leaves it untouched', async () => {
    const dir = tempDir();
    await storeWithBatches(dir, 4);
    const file = join(dir, RESULTS_FILE);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[3] = lines[3]!.slice(0, 40);
    const corrupt = lines.join('\n');
    writeFileSync(file, corrupt);
    expectCode(() => EmbeddedStore.open(dir), 'EBADRESULTS', /results\.jsonl line 4 is corrupt: it is not JSON\. The file was left as it is/);
    expect(readFileSync(file, 'utf8')).toBe(corrupt);
  });

  it('refuses a file that is not a pcfarm results file, and leaves it untouched', () => {
    const dir = tempDir();
    writeFileSync(join(dir, RESULTS_FILE), '{"hello":1}\n');
    expectCode(() => EmbeddedStore.open(dir), 'EBADRESULTS', /line 1 is corrupt: it is not a pcfarm results file/);
    expect(readFileSync(join(dir, RESULTS_FILE), 'utf8')).toBe('{"hello":1}\n');
  });

  it('reports a record that does not apply (a batch of an unknown campaign)', async () => {
    const dir = tempDir();
    await storeWithBatches(dir, 1);
    appendFileSync(join(dir, RESULTS_FILE), '{"type":"batch","at":0,"runningMs":0,"result":{"campaignId":"nope","index":0}}\n');
    expectCode(() => EmbeddedStore.open(dir), 'EBADRESULTS', /line 4 is corrupt: its record does not apply \(no campaign "nope"/);
  });

  it('sets aside a last line a kill cut short, keeping its bytes beside the journal, and keeps every whole one', async () => {
    const dir = tempDir();
    const { store, id } = await storeWithBatches(dir, 3);
    const before = await comparable(store, id);
    await store.close();
    const whole = readFileSync(join(dir, RESULTS_FILE), 'utf8');
    appendFileSync(join(dir, RESULTS_FILE), '{"type":"batch","at":0,"runn');
    // A reader leaves it as it is, and says what it did not read.
    const reader = EmbeddedStore.open(dir, { readOnly: true });
    expect(reader.repairs).toEqual([expect.stringMatching(/is unfinished \(28 characters\) and was not read; the next pcfarm that writes here sets it aside$/)]);
    await reader.close();
    const reopened = EmbeddedStore.open(dir);
    const kept = join(dir, `${RESULTS_FILE}.torn-${Buffer.byteLength(whole)}`);
    expect(reopened.repairs).toEqual([`set aside an unfinished last line (28 characters) in ${kept}: a kill during an append leaves one, which never counted; if nothing was killed, the line was damaged, and those are its bytes`]);
    expect(readFileSync(kept, 'utf8')).toBe('{"type":"batch","at":0,"runn');
    expect(await comparable(reopened, id)).toEqual(before);
    expect(readFileSync(join(dir, RESULTS_FILE), 'utf8')).toBe(whole);
  });

  it('read-only, follows what another process appends', async () => {
    const dir = tempDir();
    const { store, id, runner, campaign } = await storeWithBatches(dir, 2);
    const reader = EmbeddedStore.open(dir, { readOnly: true });
    expect((await reader.summary(id)).batchesDone).toBe(2);
    await store.recordBatch(runner.run(batchAt(campaign, 2)!, () => 0), 3);
    expect((await reader.summary(id)).batchesDone).toBe(3);
    await expect(reader.setState(id, 'stopped')).rejects.toThrow(/open read-only/);
  });

  it('refuses a second writer while the first process lives, and takes over the lock of a dead one', async () => {
    const dir = tempDir();
    const { store } = await storeWithBatches(dir, 1);
    await store.close();
    // Our parent (the test runner) is alive and is not us: its lock stands.
    writeFileSync(join(dir, LOCK_FILE), String(process.ppid));
    expectCode(() => EmbeddedStore.open(dir), 'ELOCKED', new RegExp(`open for writing by process ${process.ppid}: stop it, or open the directory read-only`));
    expect(() => EmbeddedStore.open(dir, { readOnly: true })).not.toThrow();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(dir, LOCK_FILE), dead);
    const taken = EmbeddedStore.open(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
    await taken.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('reads a journal of an earlier pcfarm (no severity, no blocks per page) as failures at whole-page buffers', async () => {
    const dir = tempDir();
    const { store, id, campaign } = await storeWithBatches(dir, 0);
    await store.close();
    const runner = new BatchRunner();
    // Batch 0 of a campaign of whole-page buffers, written the way the journal's first version wrote it.
    const { blocksPerPage: _spec, ...oldSpec } = campaign.spec;
    const r = runner.run(batchAt({ ...campaign, spec: { ...campaign.spec, blocksPerPage: [1] } }, 0)!, () => 0);
    expect(r.failures.length).toBeGreaterThan(0);
    const { blocksPerPage: _bpp, warnings: _w, warningRuns: _wr, ...oldResult } = r;
    const oldHits = r.failures.map(({ severity: _s, witness: _x, ...h }) => h);
    const lines = readFileSync(join(dir, RESULTS_FILE), 'utf8').split('\n');
    lines[1] = JSON.stringify({ type: 'campaign', campaign: { ...campaign, spec: oldSpec } });
    lines.splice(2, 0, JSON.stringify({ type: 'batch', at: 1, runningMs: 1, result: { ...oldResult, failures: oldHits } }));
    writeFileSync(join(dir, RESULTS_FILE), lines.join('\n'));
    const old = EmbeddedStore.open(dir);
    const c = await old.getCampaign(id);
    expect(c.spec.blocksPerPage).toEqual([1]);
    const s = await old.summary(id);
    expect({ warnings: s.warnings, warningBuckets: s.warningBuckets, buckets: s.buckets, batchesTotal: s.batchesTotal }).toEqual({ warnings: 0, warningBuckets: 0, buckets: r.failures.length, batchesTotal: 8 });
    for (const b of await old.buckets(id)) {
      expect({ severity: b.severity, blocksPerPage: b.blocksPerPage, witness: b.witness }).toEqual({ severity: 'failure', blocksPerPage: [1], witness: null });
      for (const e of b.examples) expect(e.blocksPerPage).toBe(1);
    }
    await old.close();
  });

  it('names an unknown campaign', async () => {
    const { store } = await storeWithBatches(tempDir(), 0);
    await expect(store.getCampaign('feed')).rejects.toMatchObject({ code: 'ENOCAMPAIGN', message: expect.stringMatching(/no campaign "feed"/) });
  });
});
