/**
 * The matrix cache bounds what GET /api/matrix can make the server do:
 * computations at once, a computation nobody waits for, and a server told
 * to stop. Each computation here is big enough (the most runs a request may
 * ask for) that it is still running when the test acts on it; a cancelled
 * one stops at once, where one left running would keep its thread for
 * minutes and fail the wait.
 */
import { BLOCKS_PER_PAGE } from '@pcfarm/core';
import { EmbeddedStore } from '@pcfarm/farm';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError, MATRIX_RUNS, MATRIX_WORK, MatrixCache, WorkCancelled, startDashboard, StoreControl } from '../dist/index.js';
import { tempDir, waitFor } from './helpers.js';

const big = MATRIX_RUNS.max;
const idle = (m: MatrixCache) => () => (m.work.computing === 0 && m.work.queued === 0 ? true : undefined);

describe('the matrix cache', () => {
  const caches: MatrixCache[] = [];
  const cache = (): MatrixCache => {
    const m = new MatrixCache();
    caches.push(m);
    return m;
  };
  afterEach(async () => {
    for (const m of caches.splice(0)) await m.close();
  });

  it('cancels a computation when every request for it has gone, and not before', async () => {
    const m = cache();
    const a = new AbortController();
    const b = new AbortController();
    const first = m.get(big, [1], a.signal);
    const second = m.get(big, [1], b.signal);
    await waitFor(() => (m.work.computing === 1 ? true : undefined), 5000, 'the computation to start');
    a.abort();
    await expect(first).rejects.toBeInstanceOf(WorkCancelled);
    // The other request still waits: the computation goes on.
    expect(m.work).toMatchObject({ computing: 1 });
    b.abort();
    await expect(second).rejects.toBeInstanceOf(WorkCancelled);
    await waitFor(idle(m), 5000, 'the computation to be cancelled');
  });

  it(`computes at most ${MATRIX_WORK.computingMax} at once, queues ${MATRIX_WORK.queuedMax} more, and refuses the next with a 503 saying so`, async () => {
    const m = cache();
    const aborts: AbortController[] = [];
    const asked: Promise<unknown>[] = [];
    for (let i = 0; i < MATRIX_WORK.computingMax + MATRIX_WORK.queuedMax; i++) {
      const a = new AbortController();
      aborts.push(a);
      asked.push(m.get(big - i, [1], a.signal).catch((e: unknown) => e));
    }
    await waitFor(() => (m.work.computing === MATRIX_WORK.computingMax ? true : undefined), 5000, 'the computations to start');
    expect(m.work).toMatchObject({ computing: MATRIX_WORK.computingMax, queued: MATRIX_WORK.queuedMax });
    let refused: unknown;
    try {
      await m.get(big - 100, [1]);
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(HttpError);
    expect(refused).toMatchObject({ status: 503, code: 'EBUSY', message: expect.stringMatching(/ask again in a minute/) });
    // A queued one whose requests all went is dropped without ever starting.
    aborts[aborts.length - 1]!.abort();
    expect(m.work).toMatchObject({ queued: MATRIX_WORK.queuedMax - 1 });
    for (const a of aborts) a.abort();
    for (const e of await Promise.all(asked)) expect(e).toBeInstanceOf(WorkCancelled);
    await waitFor(idle(m), 5000, 'every computation to be cancelled');
  });

  it('answers again from memory, and close() stops what still runs', async () => {
    const m = cache();
    const small = await m.get(2, [4]);
    expect(small.blocksPerPage).toEqual([4]);
    expect((await m.get(2, [4])).computedAt).toBe(small.computedAt);
    m.precompute(big, BLOCKS_PER_PAGE);
    await waitFor(() => (m.work.computing === 1 ? true : undefined), 5000, 'the precomputation to start');
    await m.close();
    expect(m.work).toMatchObject({ computing: 0, queued: 0 });
    expect(() => m.get(3, [1])).toThrow(/stopping/);
  });
});

describe('GET /api/matrix', () => {
  it('a dashboard that precomputes starts the default matrix when its page is first served, not before, and only once', async () => {
    const store = EmbeddedStore.open(tempDir());
    const matrix = new MatrixCache();
    const d = await startDashboard({ store, control: new StoreControl(store), matrix, precomputeMatrix: true });
    try {
      // The API alone (a script, a probe) starts nothing.
      expect((await fetch(`${d.url}api/info`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
      expect(matrix.work).toEqual({ computing: 0, queued: 0, cached: 0 });
      expect((await fetch(d.url)).status).toBe(200);
      await waitFor(() => (matrix.work.computing === 1 ? true : undefined), 5000, 'the default matrix to start');
      expect((await fetch(d.url)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
      expect(matrix.work).toEqual({ computing: 1, queued: 0, cached: 0 });
    } finally {
      await d.close();
      await matrix.close();
      await store.close();
    }
  });

  it('cancels the computation of a client that went away before its answer', async () => {
    const store = EmbeddedStore.open(tempDir());
    const matrix = new MatrixCache();
    const d = await startDashboard({ store, control: new StoreControl(store), matrix });
    try {
      const gone = new AbortController();
      const asked = fetch(`${d.url}api/matrix?runs=${big}`, { signal: gone.signal }).catch((e: unknown) => e);
      await waitFor(() => (matrix.work.computing === 1 ? true : undefined), 5000, 'the computation to start');
      gone.abort();
      expect(await asked).toMatchObject({ name: 'AbortError' });
      await waitFor(idle(matrix), 5000, 'the abandoned computation to be cancelled');
    } finally {
      await d.close();
      await matrix.close();
      await store.close();
    }
  });

  it('?verify=true gives each cell its bound beside its seeds (the smallest failing one, or the highest certified), as a computation of its own', async () => {
    const store = EmbeddedStore.open(tempDir());
    // A short search a cell, counted in schedules so that a busy machine gives the same matrix: seconds in all.
    const matrix = new MatrixCache({ boundMax: 1, reclaimActionsMax: 1, cellMs: 60_000, cellSchedulesMax: 100 });
    const d = await startDashboard({ store, control: new StoreControl(store), matrix });
    try {
      const r = await fetch(`${d.url}api/matrix?runs=2&blocksPerPage=1&verify=true`);
      expect(r.status).toBe(200);
      const m = (await r.json()) as { verify: boolean; verifyLimits: object; cells: { strategy: string; scenario: string; bound?: { kind: string; preemptions: number | null; failure: string | null } }[] };
      expect(m).toMatchObject({ verify: true, verifyLimits: { boundMax: 1, reclaimActionsMax: 1, cellMs: 60_000, cellSchedulesMax: 100 } });
      for (const c of m.cells) expect(['fails', 'certified', 'none'], `${c.strategy} x ${c.scenario}`).toContain(c.bound?.kind);
      expect(m.cells.find((c) => c.strategy === 'v2.6.20' && c.scenario === 'self-mmap-write')!.bound).toMatchObject({ kind: 'fails', preemptions: 0, failure: 'deadlock' });
      const plain = (await (await fetch(`${d.url}api/matrix?runs=2&blocksPerPage=1`)).json()) as { verify: boolean; cells: object[] };
      expect(plain.verify).toBe(false);
      for (const c of plain.cells) expect(c).not.toHaveProperty('bound');
      expect((await fetch(`${d.url}api/matrix?runs=2&verify=maybe`)).status).toBe(400);
    } finally {
      await d.close();
      await matrix.close();
      await store.close();
    }
  });
});
