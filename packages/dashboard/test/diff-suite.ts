/**
 * GET /api/diff and strategy files on the campaign and bucket routes, on any
 * Store: the walk of issue 15 (Anton's flag, then Piggin's fix of it) made
 * into four small campaigns of strategy files, run here.
 */
import { rmSync } from 'node:fs';
import { encodeReproducer, MODEL_VERSION } from '@pcfarm/core';
import type { Store } from '@pcfarm/farm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, StoreControl } from '../dist/index.js';
import { EXCL_CELLS, exclFlagFiles, runHere, tempDir } from './helpers.js';

type Inject = FastifyInstance['inject'];
interface Side { bucketId: string; title: string; count: number; runs: number; rate: number }
interface BucketDiff { kind: string; severity: string; change: string; a: Side | null; b: Side | null }
interface RetestView { bucketId: string; title: string; against: string; verdict: string; by: string | null; runs: number; outcomes: Record<string, number>; reason: string | null }

export function diffSuite(label: string, open: () => Promise<Store>): void {
  describe(`findings diff and strategy files on the ${label}`, () => {
    const dir = tempDir('pcfarm-dash-files-');
    let store: Store;
    let app: FastifyInstance;
    let slow: FastifyInstance;
    let inject: Inject;
    /** before: the flag; after: the fix; again: the flag on the next 200 seeds; moved: a file deleted since it ran. */
    const ids = { before: '', after: '', again: '', moved: '' };

    beforeAll(async () => {
      store = await open();
      const files = exclFlagFiles(dir);
      files.write('my-excl.ts', 'my-excl', false);
      files.write('my-excl-nopage.ts', 'my-excl-nopage', true);
      files.write('my-excl-moved.ts', 'my-excl-moved', true);
      ids.before = await runHere(store, { name: 'before', strategyFiles: [files.strategyFile('my-excl.ts')], ...EXCL_CELLS });
      ids.after = await runHere(store, { name: 'after', strategyFiles: [files.strategyFile('my-excl-nopage.ts')], ...EXCL_CELLS });
      ids.again = await runHere(store, { name: 'again', strategyFiles: [files.strategyFile('my-excl.ts')], ...EXCL_CELLS, seedStart: 200 });
      ids.moved = await runHere(store, { name: 'moved', strategyFiles: [files.strategyFile('my-excl-moved.ts')], ...EXCL_CELLS });
      rmSync(`${dir}/my-excl-moved.ts`);
      app = await buildApp({ store, control: new StoreControl(store) });
      // Re-tests given no time at all: every bucket is past the limit.
      slow = await buildApp({ store, control: new StoreControl(store), retestTimeMs: 0 });
      inject = app.inject.bind(app) as Inject;
    });

    afterAll(async () => {
      await app?.close();
      await slow?.close();
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('GET /api/diff: excluding filemap_nopage makes the stale data go and a self deadlock come, and the re-test finds the stale data fixed', async () => {
      const r = await inject({ url: `/api/diff?a=${ids.before}&b=${ids.after}` });
      expect(r.statusCode).toBe(200);
      const d = r.json();
      expect(d.a).toMatchObject({ id: ids.before, name: 'before', strategies: ['my-excl'], strategyFiles: [{ id: 'my-excl', file: 'my-excl.ts', sourceHash: expect.stringMatching(/^[0-9a-f]{16}$/) }] });
      expect(d.b.strategyFiles).toEqual([expect.objectContaining({ id: 'my-excl-nopage', file: 'my-excl-nopage.ts' })]);
      expect(d.pairs).toEqual([['my-excl', 'my-excl-nopage']]);
      expect(d.notes).toEqual(['strategy my-excl of A is compared with my-excl-nopage of B']);
      const buckets = d.buckets as BucketDiff[];
      const gone = buckets.filter((b) => b.change === 'gone');
      const fresh = buckets.filter((b) => b.change === 'new');
      expect(gone.map((b) => b.kind)).toContain('stale-data');
      expect(fresh.find((b) => b.kind === 'deadlock' && b.severity === 'failure')!.b!.title).toMatch(/^deadlock in my-excl-nopage: self; wait_on_bit PG_writing in filemap_nopage <- /);
      // Each side names its own campaign's bucket (what the page links to) and its rate over the runs both campaigns made.
      const before = new Set((await store.buckets(ids.before)).map((b) => b.id));
      const after = new Set((await store.buckets(ids.after)).map((b) => b.id));
      for (const b of buckets) {
        if (b.a !== null) expect(before.has(b.a.bucketId)).toBe(true);
        if (b.b !== null) expect(after.has(b.b.bucketId)).toBe(true);
        for (const s of [b.a, b.b]) if (s !== null) expect(s.rate).toBeCloseTo(s.count / s.runs, 12);
      }
      // Every failure bucket of A re-tested against B: the stale data is fixed, having run the reproducer and example seeds.
      const failures = (await store.buckets(ids.before)).filter((b) => b.severity === 'failure');
      const retests = d.retests as RetestView[];
      expect(retests.map((x) => x.bucketId).sort()).toEqual(failures.map((b) => b.id).sort());
      const stale = retests.find((x) => x.title.startsWith('stale-data'))!;
      expect(stale).toMatchObject({ against: 'my-excl-nopage', verdict: 'fixed', by: null, reason: null });
      expect(stale.runs).toBeGreaterThan(1);
      expect(Object.values(stale.outcomes).reduce((x, y) => x + y, 0)).toBe(stale.runs);
      expect(d.retestMs).toBeGreaterThan(0);
      expect(d.limits).toMatchObject({ rateZMin: 3, rateRatioMin: 2, retestTimeMs: 20_000 });
      // The operator's directories never leave the server.
      expect(r.body).not.toContain(dir);
    });

    it('GET /api/diff re-tests against the same design and finds its buckets still failing, by their minimized reproducers', async () => {
      const d = (await inject({ url: `/api/diff?a=${ids.before}&b=${ids.again}` })).json();
      expect(d.pairs).toEqual([['my-excl', 'my-excl']]);
      expect(d.retests.length).toBeGreaterThan(0);
      for (const x of d.retests as RetestView[]) expect(x).toMatchObject({ verdict: 'still-failing', by: 'reproducer', runs: 1, reason: null });
      // The same design on other seeds: no bucket changed its rate that much.
      expect((d.buckets as BucketDiff[]).filter((b) => b.change === 'more' || b.change === 'fewer')).toEqual([]);
    });

    it("GET /api/diff answers when B's strategy file is no longer here, each re-test saying so and what to do", async () => {
      const r = await inject({ url: `/api/diff?a=${ids.before}&b=${ids.moved}` });
      expect(r.statusCode).toBe(200);
      const d = r.json();
      expect(d.buckets.length).toBeGreaterThan(0);
      expect(d.retests.length).toBeGreaterThan(0);
      for (const x of d.retests as RetestView[]) {
        expect(x).toMatchObject({ verdict: 'not-run', by: null, runs: 0 });
        expect(x.reason).toMatch(/^B's strategy file my-excl-moved\.ts \(my-excl-moved, source [0-9a-f]{16}\) is not on the dashboard's machine as B ran it: .* Put that version back/);
      }
      expect(r.body).not.toContain(dir);
    });

    it('GET /api/diff answers the diff when its re-tests run out of time, each bucket past the limit saying so', async () => {
      const d = (await slow.inject({ url: `/api/diff?a=${ids.before}&b=${ids.after}` })).json();
      expect(d.buckets.some((b: BucketDiff) => b.change === 'gone')).toBe(true);
      expect(d.retests.length).toBeGreaterThan(0);
      for (const x of d.retests as RetestView[]) expect(x).toMatchObject({ verdict: 'not-run', reason: expect.stringMatching(/ran past their 0 s before reaching it/) });
    });

    it.each([
      ['the same campaign twice', () => `a=${ids.before}&b=${ids.before}`, 400, 'ESAMECAMPAIGN', /a and b are both campaign .*: compare two campaigns/],
      ['no b', () => `a=${ids.before}`, 400, 'EBADREQUEST', /querystring needs the field "b"/],
      ['a malformed id', () => `a=${ids.before}&b=a%24b`, 400, 'EBADREQUEST', /querystring\/b must match pattern/],
      ['an unknown parameter', () => `a=${ids.before}&b=${ids.after}&c=x`, 400, 'EBADREQUEST', /querystring has an unknown field "c"/],
      ['an unknown campaign', () => `a=${ids.before}&b=nosuch`, 404, 'ENOCAMPAIGN', /nosuch/],
    ])('GET /api/diff refuses %s, saying so', async (_what, query, status, code, message) => {
      const r = await inject({ url: `/api/diff?${query()}` });
      expect(r.statusCode).toBe(status);
      expect(r.json()).toEqual({ error: code, message: expect.stringMatching(message) });
    });

    it('campaign and bucket routes name a file strategy by its id, file name and source hash, never its path', async () => {
      const v = await inject({ url: `/api/campaigns/${ids.after}` });
      expect(v.json().campaign.spec.strategyFiles).toEqual([{ id: 'my-excl-nopage', file: 'my-excl-nopage.ts', sourceHash: expect.stringMatching(/^[0-9a-f]{16}$/) }]);
      expect(v.body).not.toContain(dir);
      const deadlock = (await store.buckets(ids.after)).find((b) => b.kind === 'deadlock' && b.severity === 'failure')!;
      const d = await inject({ url: `/api/campaigns/${ids.after}/buckets/${deadlock.id}` });
      expect(d.json().strategyFile).toEqual(v.json().campaign.spec.strategyFiles[0]);
      // Its commands give the file by name: pasted where the file is, they run it.
      expect(d.json().replayCommand).toMatch(/^\.\/pcfarm replay pcfarm1:\S+ --strategy-file my-excl-nopage\.ts$/);
      expect(d.json().examples[0].replayCommand).toMatch(/^\.\/pcfarm replay --strategy-file my-excl-nopage\.ts --strategy my-excl-nopage /);
      expect(d.body).not.toContain(dir);
      // Its trace runs the file this server has, by its source hash.
      const t = await inject({ url: `/api/campaigns/${ids.after}/buckets/${deadlock.id}/trace` });
      expect(t.statusCode).toBe(200);
      expect(t.json()).toMatchObject({ source: 'minimized', strategy: 'my-excl-nopage', matchesBucket: true, signature: deadlock.title });
      // A built-in strategy's bucket has no file.
      const filter = await inject({ url: `/api/campaigns/${ids.after}/buckets?strategy=my-excl-nopage` });
      expect(filter.json().total).toBe((await store.buckets(ids.after)).length);
    });

    it("a bucket's trace whose strategy file is no longer here is a 409 naming the file and what to do", async () => {
      const b = (await store.buckets(ids.moved)).find((x) => x.severity === 'failure')!;
      const r = await inject({ url: `/api/campaigns/${ids.moved}/buckets/${b.id}/trace` });
      expect(r.statusCode).toBe(409);
      expect(r.json()).toEqual({ error: 'ENOSTRATEGYFILE', message: expect.stringMatching(/ran strategy file my-excl-moved\.ts \(my-excl-moved, source [0-9a-f]{16}\), which is not on the dashboard's machine .* or run pcfarm replay REPRODUCER --strategy-file FILE where it is$/) });
      expect(r.body).not.toContain(dir);
    });

    it("POST /api/replay replays a strategy file's reproducer with the file a campaign ran, and says what to do when this machine lacks it", async () => {
      const replay = (reproducer: string) => inject({ method: 'POST', url: '/api/replay', payload: { reproducer } });
      const minimized = async (id: string) => (await store.buckets(id)).find((b) => b.minimized !== null)!.minimized!.reproducer;
      const ok = await replay(await minimized(ids.after));
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ source: 'reproducer', strategy: 'my-excl-nopage', ok: false, replayCommand: expect.stringMatching(/ --strategy-file my-excl-nopage\.ts$/) });
      const moved = await replay(await minimized(ids.moved));
      expect(moved.statusCode).toBe(409);
      expect(moved.json()).toEqual({ error: 'ENOSTRATEGYFILE', message: expect.stringMatching(/^campaign \S+ ran strategy file my-excl-moved\.ts .* or run pcfarm replay REPRODUCER --strategy-file FILE where it is$/) });
      const stranger = await replay(encodeReproducer({ modelVersion: MODEL_VERSION, config: { strategy: 'nobodys', scenario: 'self-mmap-write' }, choices: [1], strategyHash: '0123456789abcdef' }));
      expect(stranger.statusCode).toBe(409);
      expect(stranger.json().message).toBe('this reproducer runs strategy file nobodys (source 0123456789abcdef), which no campaign of this dashboard ran, and the page takes no code: run pcfarm replay REPRODUCER --strategy-file FILE where the file is');
      for (const r of [ok, moved]) expect(r.body).not.toContain(dir);
    });
  });
}
