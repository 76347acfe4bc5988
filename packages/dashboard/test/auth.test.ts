import { EmbeddedStore } from '@pcfarm/farm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, DashboardError, isLoopback, startDashboard, StoreControl } from '../dist/index.js';
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

  it('refuses changes without the token, or with a wrong one, with a 401', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'Basic czNjcmV0' }, { authorization: 'Bearer s3cret extra' }]) {
      const r = await app.inject({ method: 'POST', url: '/api/campaigns', payload: spec, headers });
      expect(r.statusCode, JSON.stringify(headers)).toBe(401);
      expect(r.json().error).toBe('EAUTH');
    }
    expect((await app.inject({ method: 'POST', url: `/api/campaigns/${id}/stop` })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: `/api/campaigns/${id}/resume?token=nope` })).statusCode).toBe(401);
    expect((await store.getCampaign(id)).state).toBe('running');
  });

  it('makes changes with the token, in a header or in the query', async () => {
    const a = await app.inject({ method: 'POST', url: '/api/campaigns', payload: spec, headers: { authorization: 'Bearer s3cret' } });
    expect(a.statusCode).toBe(201);
    const b = await app.inject({ method: 'POST', url: `/api/campaigns/${id}/stop?token=s3cret` });
    expect(b.statusCode).toBe(200);
    expect(b.json().campaign.state).toBe('stopped');
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
    await expect(startDashboard({ store, control: new StoreControl(store), host: '0.0.0.0', token: '' })).rejects.toThrow(/--token or PCFARM_TOKEN/);
    await store.close();
  });

  it('listens on a free loopback port by default, and beyond loopback with a token', async () => {
    const store = EmbeddedStore.open(tempDir());
    const local = await startDashboard({ store, control: new StoreControl(store) });
    expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(((await (await fetch(`${local.url}api/info`)).json()) as { store: string }).store).toBe('embedded');
    await local.close();
    const wide = await startDashboard({ store, control: new StoreControl(store), host: '0.0.0.0', token: 't' });
    const r = await fetch(`${wide.url}api/campaigns`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
    expect(r.status).toBe(401);
    await wide.close();
    await store.close();
  });
});
