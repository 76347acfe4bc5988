import { EmbeddedStore } from '@pcfarm/farm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, DashboardError, isLoopback, SESSION_COOKIE, startDashboard, StoreControl } from '../dist/index.js';
import { seedCampaign, tempDir } from './helpers.js';

const spec = { strategies: ['gup-pin'], scenarios: ['generated'], seedsPerCell: 10 };

describe('with a token (a dashboard bound beyond loopback)', () => {
  let store: EmbeddedStore;
  let app: FastifyInstance;
  let id: string;
  let reproducer: string;

  beforeAll(async () => {
    store = EmbeddedStore.open(tempDir());
    const seeded = await seedCampaign(store);
    id = seeded.id;
    reproducer = seeded.minimized.minimized!.reproducer;
    app = await buildApp({ store, control: new StoreControl(store), token: 's3cret', loopbackOnly: false });
  });

  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('refuses changes without the token, or with a wrong one, with a 401 saying where to give it', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'Basic czNjcmV0' }, { authorization: 'Bearer s3cret extra' }, { cookie: `${SESSION_COOKIE}=forged` }]) {
      const r = await app.inject({ method: 'POST', url: '/api/campaigns', payload: spec, headers });
      expect(r.statusCode, JSON.stringify(headers)).toBe(401);
      expect(r.json().error).toBe('EAUTH');
    }
    const bare = await app.inject({ method: 'POST', url: `/api/campaigns/${id}/stop` });
    expect(bare.statusCode).toBe(401);
    // A person at the page is told where to type it; a program, which header to send.
    expect(bare.json().message).toMatch(/type it into the page's token field \(a program sends the header Authorization: Bearer <token>\)/);
    expect((await store.getCampaign(id)).state).toBe('running');
  });

  it('refuses a token in any API address with a 400 saying how to send it instead', async () => {
    for (const [method, url] of [['POST', `/api/campaigns/${id}/resume?token=s3cret`], ['GET', '/api/campaigns?token=s3cret'], ['GET', `/api/events?campaign=${id}&token=s3cret`]] as const) {
      const r = await app.inject({ method, url });
      expect(r.statusCode, url).toBe(400);
      expect(r.json()).toMatchObject({ error: 'ETOKENINURL', message: expect.stringMatching(/Authorization: Bearer <token>.*token field/) });
    }
  });

  it('makes changes with the token in the Authorization header', async () => {
    const a = await app.inject({ method: 'POST', url: '/api/campaigns', payload: spec, headers: { authorization: 'Bearer s3cret' } });
    expect(a.statusCode).toBe(201);
  });

  it('exchanges the token typed into the page for an HttpOnly, SameSite=Strict cookie holding no token, which then makes changes', async () => {
    const wrong = await app.inject({ method: 'POST', url: '/api/session', payload: { token: 'nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect((await app.inject({ url: '/api/session' })).json()).toEqual({ tokenRequired: true, signedIn: false });

    const ok = await app.inject({ method: 'POST', url: '/api/session', payload: { token: 's3cret' } });
    expect(ok.statusCode).toBe(200);
    const cookie = String(ok.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[^;]+; Max-Age=\\d+; Path=/; HttpOnly; SameSite=Strict$`));
    expect(cookie).not.toContain('s3cret');
    const session = cookie.split(';')[0]!;
    expect((await app.inject({ url: '/api/session', headers: { cookie: session } })).json()).toEqual({ tokenRequired: true, signedIn: true });

    const stopped = await app.inject({ method: 'POST', url: `/api/campaigns/${id}/stop`, headers: { cookie: session } });
    expect(stopped.statusCode).toBe(200);
    expect(stopped.json().campaign.state).toBe('stopped');

    const out = await app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie: session } });
    expect(String(out.headers['set-cookie'])).toMatch(new RegExp(`^${SESSION_COOKIE}=; Max-Age=0`));
  });

  it('answers a ?token= link with the cookie and a redirect to the page without it; a wrong link with a page saying what to do', async () => {
    const r = await app.inject({ url: '/?token=s3cret&x=1' });
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/?x=1');
    expect(String(r.headers['set-cookie'])).toMatch(new RegExp(`^${SESSION_COOKIE}=`));
    // The page itself is never served with the token in its address, so no Referer can carry it.
    expect(r.body).toBe('');
    const wrong = await app.inject({ url: '/?token=nope' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect(wrong.body).toMatch(/type the token into its token field/);
  });

  it('leaves reading open, replays included', async () => {
    expect((await app.inject({ url: '/api/campaigns' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/info' })).json().tokenRequired).toBe(true);
    expect((await app.inject({ method: 'POST', url: '/api/replay', payload: { reproducer } })).statusCode).toBe(200);
  });
});

describe('any dashboard', () => {
  let store: EmbeddedStore;
  let app: FastifyInstance;

  beforeAll(async () => {
    store = EmbeddedStore.open(tempDir());
    app = await buildApp({ store, control: new StoreControl(store) });
  });

  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it("refuses a change asked by another site's page (its Origin), even on loopback", async () => {
    for (const origin of ['http://evil.example', 'null', 'http://localhost:9999']) {
      const r = await app.inject({ method: 'POST', url: '/api/campaigns', payload: spec, headers: { origin, host: 'localhost:8080' } });
      expect(r.statusCode, origin).toBe(403);
      expect(r.json().error).toBe('EORIGIN');
    }
    const same = await app.inject({ method: 'POST', url: '/api/campaigns', payload: spec, headers: { origin: 'http://localhost:8080', host: 'localhost:8080' } });
    expect(same.statusCode).toBe(201);
  });

  it('on loopback, answers only requests addressed to loopback (DNS rebinding)', async () => {
    for (const host of ['127.0.0.1:8080', 'localhost', '[::1]:8080', '127.0.0.2']) expect((await app.inject({ url: '/api/info', headers: { host } })).statusCode, host).toBe(200);
    for (const host of ['evil.example:8080', '10.0.0.1', 'localhost.evil.example']) {
      const r = await app.inject({ url: '/api/info', headers: { host } });
      expect(r.statusCode, host).toBe(403);
      expect(r.json().error).toBe('EHOST');
    }
  });

  it('read-only (following results another process writes) refuses changes with a 409 saying where to make them', async () => {
    const ro = await buildApp({ store, control: new StoreControl(store), readOnly: true });
    try {
      expect((await ro.inject({ url: '/api/info' })).json().readOnly).toBe(true);
      const r = await ro.inject({ method: 'POST', url: '/api/campaigns', payload: spec });
      expect(r.statusCode).toBe(409);
      expect(r.json()).toMatchObject({ error: 'EREADONLY', message: expect.stringMatching(/another process/) });
    } finally {
      await ro.close();
    }
  });
});

describe('startDashboard', () => {
  it('knows loopback', () => {
    for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) expect(isLoopback(h), h).toBe(false);
  });

  it('refuses to listen beyond loopback without a token, saying how to give one', async () => {
    const store = EmbeddedStore.open(tempDir());
    await expect(startDashboard({ store, control: new StoreControl(store), host: '0.0.0.0' })).rejects.toThrow(DashboardError);
    await expect(startDashboard({ store, control: new StoreControl(store), host: '0.0.0.0', token: '' })).rejects.toThrow(/PCFARM_TOKEN=\$\(openssl rand -hex 16\) or --token-file FILE/);
    // A token a script guesses is no guard beyond this machine; on loopback any will do.
    await expect(startDashboard({ store, control: new StoreControl(store), host: '0.0.0.0', token: 'fifteen-chars!!' })).rejects.toThrow(/with a token of 15 character\(s\), which a script guesses over the network: give one of at least 16/);
    const local = await startDashboard({ store, control: new StoreControl(store), token: 't' });
    await local.close();
    await store.close();
  });

  it('listens on a free loopback port by default, and beyond loopback with a token', async () => {
    const store = EmbeddedStore.open(tempDir());
    const local = await startDashboard({ store, control: new StoreControl(store) });
    expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(((await (await fetch(`${local.url}api/info`)).json()) as { store: string }).store).toBe('embedded');
    await local.close();
    const wide = await startDashboard({ store, control: new StoreControl(store), host: '0.0.0.0', token: 'sixteen-chars!!!' });
    const r = await fetch(`${wide.url}api/campaigns`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
    expect(r.status).toBe(401);
    await wide.close();
    await store.close();
  });
});
