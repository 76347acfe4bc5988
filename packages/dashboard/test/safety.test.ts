/**
 * What a dashboard on a shared network must do whoever asks: headers that
 * keep it out of frames and sniffing, answers compressed and revalidated
 * with ETags, limits on what one client may make it do, and errors that
 * say what to do without naming the server's files.
 */
import { EmbeddedStore, FarmError } from '@pcfarm/farm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, errorAnswer, RATE_LIMITS, StoreControl } from '../dist/index.js';
import { seedCampaign, tempDir } from './helpers.js';

describe('a dashboard on a shared network', () => {
  let store: EmbeddedStore;
  let app: FastifyInstance;
  let id: string;

  beforeAll(async () => {
    store = EmbeddedStore.open(tempDir());
    id = (await seedCampaign(store)).id;
    app = await buildApp({ store, control: new StoreControl(store) });
  });

  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('forbids framing, sniffing and referrers on the page, its files and the API alike, refusals included', async () => {
    for (const url of ['/', '/app.js', '/style.css', '/api/info', '/api/nope']) {
      const r = await app.inject({ url });
      const csp = String(r.headers['content-security-policy']);
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).toContain("script-src 'self'");
      expect(csp, url).not.toContain('unsafe-inline');
      expect(r.headers['x-frame-options'], url).toBe('DENY');
      expect(r.headers['x-content-type-options'], url).toBe('nosniff');
      expect(r.headers['referrer-policy'], url).toBe('no-referrer');
    }
  });

  it('compresses what is worth it, and answers an unchanged file or list with a 304 for its ETag', async () => {
    const js = await app.inject({ url: '/style.css', headers: { 'accept-encoding': 'gzip' } });
    expect(js.headers['content-encoding']).toBe('gzip');
    expect(js.rawPayload.length).toBeLessThan(Number((await app.inject({ url: '/style.css' })).rawPayload.length));
    for (const url of ['/style.css', `/api/campaigns/${id}/buckets?limit=1000`]) {
      const first = await app.inject({ url });
      const etag = first.headers.etag;
      expect(etag, url).toMatch(/^(W\/)?"/);
      const again = await app.inject({ url, headers: { 'if-none-match': String(etag) } });
      expect(again.statusCode, url).toBe(304);
      expect(again.body, url).toBe('');
    }
    expect((await app.inject({ url: '/api/info' })).headers['cache-control']).toBe('no-cache');
  });

  it('limits replays a client may ask for, with a 429 saying when to try again', async () => {
    const codes: number[] = [];
    // Malformed reproducers: refused at once, but counted all the same.
    for (let i = 0; i <= RATE_LIMITS.replaysPerMinute; i++) codes.push((await app.inject({ method: 'POST', url: '/api/replay', payload: { reproducer: 'hello' } })).statusCode);
    expect(codes.slice(0, RATE_LIMITS.replaysPerMinute).every((c) => c === 400)).toBe(true);
    const last = await app.inject({ method: 'POST', url: '/api/replay', payload: { reproducer: 'hello' } });
    expect(last.statusCode).toBe(429);
    expect(last.json()).toMatchObject({ error: 'ERATELIMIT', message: expect.stringMatching(/a minute\): try again in/) });
  });

  it('refuses seeds past the largest one a run takes with a 400, by the farm\'s own check', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/campaigns', payload: { strategies: ['v2.6.20'], scenarios: ['self-mmap-write'], seedStart: Number.MAX_SAFE_INTEGER, seedsPerCell: 10 } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ error: 'EBADCAMPAIGN', message: expect.stringMatching(/run past the largest seed, 9007199254740991: start at 9007199254740982 at most/) });
    const edge = await app.inject({ method: 'POST', url: '/api/campaigns', payload: { strategies: ['v2.6.20'], scenarios: ['self-mmap-write'], seedStart: Number.MAX_SAFE_INTEGER - 9, seedsPerCell: 10 } });
    expect(edge.statusCode).toBe(201);
  });

  it('says what is wrong with a body in words a person can act on', async () => {
    const proto = await app.inject({ method: 'POST', url: '/api/campaigns', payload: '{"__proto__": {"x": 1}}', headers: { 'content-type': 'application/json' } });
    expect(proto.statusCode).toBe(400);
    expect(proto.json()).toMatchObject({ error: 'EBADJSON', message: expect.stringMatching(/"__proto__".*remove it/) });
    const broken = await app.inject({ method: 'POST', url: '/api/campaigns', payload: '{"strategies": [', headers: { 'content-type': 'application/json' } });
    expect(broken.json()).toMatchObject({ error: 'EBADJSON', message: expect.stringMatching(/^the body is not valid JSON/) });
    const none = await app.inject({ method: 'POST', url: '/api/campaigns', payload: { strategies: [] } });
    expect(none.json().message).toBe('body/strategies is empty: choose at least one strategy');
  });

  it("never names the server's files in an answer: the farm's messages keep only the file's name", () => {
    const e = new FarmError('EBADRESULTS', '/home/alice/secret-project/pcfarm-results/results.jsonl line 7 is corrupt: not JSON. The file was left as it is; move it away or use another results directory.');
    const { status, body } = errorAnswer(e);
    expect(status).toBe(500);
    expect(body.message).toBe('results.jsonl line 7 is corrupt: not JSON. The file was left as it is; move it away or use another results directory.');
  });
});
