import { decodeReproducer, encodeReproducer, Model, MODEL_VERSION, reproducerOf, runOne, StateCoverage, verifyDeepening } from '@pcfarm/core';
import { describe, expect, it } from 'vitest';
import {
  batchAt,
  buildGuide,
  campaignSpec,
  DoneSet,
  EmbeddedStore,
  epochStart,
  GUIDE_DEFAULTS,
  guideOf,
  guideReadyEnd,
  newCampaign,
  portfolioArm,
  portfolioArms,
  PORTFOLIO_CAMPAIGN_ARMS,
  readInboxEntry,
  runCampaign,
  ThreadPool,
  type Campaign,
  type CampaignSnapshot,
  type CampaignSpec,
  gatherPollen,
  upgradeCampaign,
  withPollen,
  type Store,
} from '../dist/index.js';
import { comparable, tempDir } from './helpers.js';

/** Two cells that fail (one at once, one after a few dozen runs), one that warns: enough batches for four epochs a cell. */
const SPEC: Partial<CampaignSpec> = {
  scheduler: 'guided',
  strategies: ['v2.6.20'],
  scenarios: ['self-mmap-write', 'cross-mmap-write', 'hole-fill-vs-read'],
  blocksPerPage: [1],
  seedsPerCell: 400,
  batchSeeds: 40,
};

async function run(store: Store, id: string, threads: number, options: { minimize?: boolean; signal?: AbortSignal; stopAfter?: number; abort?: () => void } = {}) {
  const pool = new ThreadPool({ threads });
  try {
    return await runCampaign(store, id, pool, {
      minimize: options.minimize ?? false,
      signal: options.signal,
      onProgress: (p) => {
        if (options.stopAfter !== undefined && p.batchesDone >= options.stopAfter) options.abort?.();
      },
    });
  } finally {
    await pool.close();
  }
}

/** What a guided campaign came to, without its times: counts, buckets with their examples (reproducers too), and its corpus. */
async function outcome(store: Store, id: string) {
  const s: CampaignSnapshot = await store.snapshot(id);
  const examples = s.buckets.map((b) => [b.title, b.examples.map((e) => [e.seed, e.batch, e.reproducer])]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  return { ...(await comparable(store, id)), examples, corpus: s.corpus };
}

/** The same campaign run in two results directories, on one thread and on two: the first store and campaign, and what each came to. */
async function onOneAndTwoThreads(spec: Partial<CampaignSpec>) {
  const [one, two] = [EmbeddedStore.open(tempDir()), EmbeddedStore.open(tempDir())];
  const [a, b] = [await one.createCampaign(campaignSpec(spec)), await two.createCampaign(campaignSpec(spec))];
  await run(one, a.id, 1);
  await run(two, b.id, 2);
  return { one, a, x: await outcome(one, a.id), y: await outcome(two, b.id) };
}

describe('a guided campaign', () => {
  it('cuts each cell into epochs that double up to epochRounds rounds, then stay that long', () => {
    const starts = Array.from({ length: 40 }, (_, r) => epochStart(r, 16));
    expect(starts.slice(0, 16)).toEqual([0, 0, 2, 2, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8]);
    expect(starts.slice(16)).toEqual([...Array(16).fill(16), ...Array(8).fill(32)]);
    expect([0, 1, 2, 3, 4, 7].map((r) => epochStart(r, 3))).toEqual([0, 0, 2, 3, 3, 6]);
  });

  it('starts a batch from its cell\'s rounds before its epoch, in round order, each state once with every round\'s runs, at most corpusMax', () => {
    const contributions = [
      { round: 3, states: [{ state: 7, seen: 1, choices: [3] }] },
      { round: 1, states: [{ state: 5, seen: 2, choices: [1, 1] }, { state: 6, seen: 1, choices: [1] }] },
      { round: 0, states: [{ state: 5, seen: 4, choices: [0] }] },
    ];
    expect(buildGuide(contributions, 2, 10)).toEqual({ epochStart: 2, states: [{ state: 5, seen: 6, choices: [0] }, { state: 6, seen: 1, choices: [1] }] });
    expect(buildGuide(contributions, 4, 2).states.map((s) => s.state)).toEqual([5, 6]);
    expect(buildGuide(contributions, 0, 10).states).toEqual([]);
    // Folding does not touch what it folds: a store's contributions stay as recorded.
    expect(contributions[2]!.states[0]!.seen).toBe(4);
  });

  it('holds back a batch while a round of its cell before its epoch is not recorded, and no other', () => {
    // Two cells, so batch i is cell i % 2, round i / 2.
    const c = newCampaign('g', campaignSpec({ ...SPEC, scenarios: ['self-mmap-write', 'cross-mmap-write'] }), 0);
    const ranges = (done: [number, number][]) => DoneSet.of(done);
    // Rounds 0 and 1 of both cells (indexes 0-3) are epoch 0: none waits.
    expect(guideReadyEnd(c, ranges([]), 0, 4)).toBe(4);
    // Round 2 of cell 0 (index 4) needs rounds 0 and 1 of cell 0 (indexes 0, 2).
    expect(guideReadyEnd(c, ranges([]), 4, 4)).toBe(4);
    expect(guideReadyEnd(c, ranges([[0, 0], [2, 2]]), 4, 4)).toBe(5);
    expect(guideReadyEnd(c, ranges([[0, 3]]), 4, 4)).toBe(8);
    // Round 4 (indexes 8, 9) needs rounds 0-3; cell 1's round 3 (index 7) still running holds back index 9 only.
    expect(guideReadyEnd(c, ranges([[0, 6]]), 8, 2)).toBe(9);
    // A campaign of any other scheduler never waits.
    const pct = newCampaign('p', campaignSpec({ ...SPEC, scheduler: 'pct' }), 0);
    expect(guideReadyEnd(pct, ranges([]), 40, 8)).toBe(48);
  });

  it('is given its guide by campaignSpec, and a guide is refused for any other scheduler', () => {
    expect(campaignSpec(SPEC).guide).toEqual(GUIDE_DEFAULTS);
    expect(campaignSpec({ ...SPEC, guide: { epochRounds: 4, corpusMax: 64, batchStatesMax: 8, pollen: [] } }).guide).toEqual({ epochRounds: 4, corpusMax: 64, batchStatesMax: 8, pollen: [] });
    expect(campaignSpec({ ...SPEC, scheduler: 'random' }).guide).toBeNull();
    expect(() => campaignSpec({ ...SPEC, scheduler: 'random', guide: GUIDE_DEFAULTS })).toThrow(/guide is for the guided and portfolio schedulers, not random/);
    expect(campaignSpec({ ...SPEC, scheduler: 'portfolio' }).guide).toEqual(GUIDE_DEFAULTS);
    expect(() => campaignSpec({ ...SPEC, guide: { epochRounds: 0, corpusMax: 1, batchStatesMax: 1, pollen: [] } })).toThrow(/guide must be a whole number from 1/);
    // Its pollen is reproducers of this model, each named when it is not one.
    expect(() => campaignSpec({ ...SPEC, guide: { ...GUIDE_DEFAULTS, pollen: ['pcfarm1:nonsense'] } })).toThrow(/^guide\.pollen\[0\]: /);
    expect(() => campaignSpec({ ...SPEC, guide: { ...GUIDE_DEFAULTS, pollen: [7 as unknown as string] } })).toThrow(/guide\.pollen\[0\] must be a reproducer/);
    expect(() => campaignSpec({ ...SPEC, guide: null })).toThrow(/for the guided scheduler, not null/);
    expect(() => campaignSpec({ ...SPEC, scheduler: 'portfolio', guide: null })).toThrow(/for the portfolio scheduler, not null/);
  });

  it('a worker\'s result whose corpus or reproducers are malformed is refused, naming what is wrong', () => {
    const result = { campaignId: 'c', strategy: 'v2.6.20', scenario: 'generated', batch: 'b', index: 0, blocksPerPage: 1, seedStart: 0, runs: 1, steps: 1, warningRuns: 0, coverage: [], failures: [], warnings: [] };
    const entry = (r: object) => JSON.stringify({ kind: 'batch', jobId: 'j', worker: 'w', result: { ...result, ...r } });
    expect(readInboxEntry(entry({ corpus: { round: 0, states: [{ state: 1, seen: 1, choices: [0, 1] }] } }))).not.toHaveProperty('wrong');
    expect(readInboxEntry(entry({ corpus: { round: -1, states: [] } }))).toEqual({ wrong: "the result's corpus: a corpus contribution lacks its round or its states" });
    expect(readInboxEntry(entry({ corpus: { round: 0, states: [{ state: 1, seen: 1, choices: ['x'] }] } }))).toEqual({ wrong: "the result's corpus: a corpus state lacks its state hash, runs seen or choices (whole numbers)" });
    const hit = { title: 't', kind: 'deadlock', severity: 'failure', strategy: 'v2.6.20', scenario: 'generated', count: 1, examples: [3], sites: [], witness: null };
    expect(readInboxEntry(entry({ failures: [{ ...hit, reproducers: [] }] }))).toEqual({ wrong: "a bucket hit's reproducers are not a string per example" });
  });

  it('finds the same buckets, examples, counts, coverage and corpus on one thread and on two', async () => {
    const { one, a, x, y } = await onOneAndTwoThreads(SPEC);
    expect(y).toEqual(x);
    expect(x.runs).toBe(3 * 400);
    expect(x.buckets.filter((k) => k.severity === 'failure').length).toBeGreaterThanOrEqual(2);
    // Every cell added states, and the guides the later epochs started from were not empty.
    expect(x.corpus?.map(([cell]) => cell)).toEqual([0, 1, 2]);
    expect((await one.guide(a.id, 1, 9)).states.length).toBeGreaterThan(0);
  });

  it('returns to every state of a guide by replaying its choices', async () => {
    const store = EmbeddedStore.open(tempDir());
    const c = await store.createCampaign(campaignSpec({ ...SPEC, scenarios: ['cross-mmap-write'], seedsPerCell: 160 }));
    await run(store, c.id, 2);
    const guide = await store.guide(c.id, 0, 3);
    expect(guide.states.length).toBeGreaterThan(10);
    const model = new Model({ strategy: 'v2.6.20', scenario: 'cross-mmap-write', scheduler: 'random' });
    const states = new StateCoverage(true);
    model.states = states;
    for (const s of guide.states) {
      states.reset();
      model.run({ choices: s.choices, thenSeed: 0 });
      expect(Array.from(states.hashes.subarray(0, states.n))).toContain(s.state);
    }
  });

  it('stopped after a few batches and run again, from the results directory reopened, ends as one run straight through', async () => {
    const straight = EmbeddedStore.open(tempDir());
    const s = await straight.createCampaign(campaignSpec(SPEC));
    await run(straight, s.id, 2);

    const dir = tempDir();
    const first = EmbeddedStore.open(dir);
    const c = await first.createCampaign(campaignSpec(SPEC));
    const stop = new AbortController();
    const r = await run(first, c.id, 2, { signal: stop.signal, stopAfter: 7, abort: () => stop.abort() });
    expect(r.endedBy).toBe('stopped');
    expect((await first.summary(c.id)).batchesDone).toBeLessThan(30);
    await first.close();
    const again = EmbeddedStore.open(dir);
    await run(again, c.id, 2);
    expect(await outcome(again, c.id)).toEqual(await outcome(straight, s.id));
  });

  it('gives each example its run as a reproducer that fails as its bucket does, and minimizes the bucket from it', async () => {
    const store = EmbeddedStore.open(tempDir());
    const c = await store.createCampaign(campaignSpec({ ...SPEC, scenarios: ['self-mmap-write', 'cross-mmap-write'], seedsPerCell: 200 }));
    await run(store, c.id, 2, { minimize: true });
    const failures = (await store.buckets(c.id)).filter((b) => b.severity === 'failure');
    expect(failures.length).toBeGreaterThanOrEqual(2);
    for (const b of failures) {
      for (const e of b.examples) {
        const r = decodeReproducer(e.reproducer!);
        expect(r.config.scenario).toBe(e.scenario);
        const o = runOne(r.config, { choices: r.choices });
        expect(o.failure?.kind).toBe(b.kind);
      }
      expect(b.minimized).not.toBeNull();
      expect(b.minimized!.seed).toBe(b.examples[0]!.seed);
      const m = decodeReproducer(b.minimized!.reproducer);
      expect(runOne(m.config, { choices: m.choices }).failure?.kind).toBe(b.kind);
    }
    // The batch that found it is the one its example names.
    expect(batchAt(await store.getCampaign(c.id), failures[0]!.examples[0]!.batch)?.scenario).toBe(failures[0]!.examples[0]!.scenario);
  });
});

describe('a pollinated campaign', () => {
  it("replays first, on each cell, the failures the store holds of another strategy on the cell's scenario, and finds them there: the same on one thread and on two", async () => {
    const store = EmbeddedStore.open(tempDir());
    // An earlier campaign of another write path: its buckets are the pollen.
    const donor = await store.createCampaign(campaignSpec({ scheduler: 'pct', strategies: ['temp-page'], scenarios: ['hole-fill-vs-read', 'self-mmap-write'], blocksPerPage: [1, 2], seedsPerCell: 200, batchSeeds: 100 }));
    await run(store, donor.id, 1);
    const spec = await withPollen(store, campaignSpec({ ...SPEC, strategies: ['zero-retry-not-uptodate', 'temp-page'], scenarios: ['hole-fill-vs-read'], seedsPerCell: 40, batchSeeds: 20 }));
    // Only the campaign's own scenarios and blocks per page are gathered.
    const pollen = spec.guide!.pollen.map((r) => decodeReproducer(r).config);
    expect(pollen.length).toBeGreaterThan(0);
    expect(pollen.every((c) => c.strategy === 'temp-page' && c.scenario === 'hole-fill-vs-read' && (c.blocksPerPage ?? 1) === 1 && c.scheduler === undefined)).toBe(true);
    const c = await store.createCampaign(spec);
    await run(store, c.id, 2);
    const found = (await store.buckets(c.id)).filter((b) => b.severity === 'failure' && b.strategy === 'zero-retry-not-uptodate');
    expect(found.length).toBeGreaterThan(0);
    // Its first failure is a replay of the pollen (pct's choices, where the campaign's own runs are random's), on its own strategy, and fails again from its reproducer.
    const first = found.flatMap((b) => b.examples).sort((x, y) => x.seed - y.seed)[0]!;
    expect(first.seed).toBeLessThan(spec.seedStart + pollen.length);
    const r = decodeReproducer(first.reproducer!);
    expect(r.config).toMatchObject({ strategy: 'zero-retry-not-uptodate', scenario: 'hole-fill-vs-read' });
    expect(r.config.scheduler).toBeUndefined();
    expect(runOne(r.config, { choices: r.choices }).ok).toBe(false);
    // temp-page's cell replays none of its own: its first runs are the search's (random's).
    const own = (await store.buckets(c.id)).filter((b) => b.strategy === 'temp-page').flatMap((b) => b.examples);
    expect(own.every((e) => decodeReproducer(e.reproducer!).config.scheduler === 'random')).toBe(true);
    // The pollen is the spec's: another store given the same spec (on one thread) finds the same.
    const again = EmbeddedStore.open(tempDir());
    const d = await again.createCampaign(spec);
    await run(again, d.id, 1);
    expect(await outcome(again, d.id)).toEqual(await outcome(store, c.id));
  });
});

describe('gathering pollen', () => {
  it('reads a guided campaign an earlier pcfarm stored, without pollen, as one with none', () => {
    const c = newCampaign('old', campaignSpec(SPEC), 0);
    const { pollen, ...before } = c.spec.guide!;
    expect(pollen).toEqual([]);
    const stored = { ...c, spec: { ...c.spec, guide: before } } as unknown as Campaign;
    expect(upgradeCampaign(stored).spec.guide).toEqual({ ...before, pollen: [] });
  });

  it('takes at most perCellMax a cell, one strategy at a time, newest campaign first, from the newest campaignsMax campaigns, and only the cells of the spec', async () => {
    const store = EmbeddedStore.open(tempDir());
    // Three write paths' campaigns, oldest first: each deadlocks on self-mmap-write.
    for (const strategy of ['v2.6.20', 'zero-retry', 'excl-flag']) {
      const c = await store.createCampaign(campaignSpec({ scheduler: 'pct', strategies: [strategy], scenarios: ['self-mmap-write', 'cross-mmap-write'], blocksPerPage: [1], seedsPerCell: 60, batchSeeds: 60 }));
      await run(store, c.id, 1);
    }
    const spec = campaignSpec({ ...SPEC, strategies: ['temp-page'], scenarios: ['self-mmap-write'], blocksPerPage: [1] });
    const from = async (limits: { campaignsMax: number; perCellMax: number }) => (await gatherPollen(store, spec, limits)).map((r) => decodeReproducer(r).config);
    const all = await from({ campaignsMax: 64, perCellMax: 8 });
    expect(all.every((c) => c.scenario === 'self-mmap-write' && (c.blocksPerPage ?? 1) === 1)).toBe(true);
    // A strategy at a time, the newest campaign's first: every strategy is heard before any is heard twice.
    expect(all.slice(0, 3).map((c) => c.strategy)).toEqual(['excl-flag', 'zero-retry', 'v2.6.20']);
    expect((await from({ campaignsMax: 64, perCellMax: 2 })).map((c) => c.strategy)).toEqual(['excl-flag', 'zero-retry']);
    expect(new Set((await from({ campaignsMax: 1, perCellMax: 8 })).map((c) => c.strategy))).toEqual(new Set(['excl-flag']));
    // A spec that keeps no guide gathers nothing.
    expect(await gatherPollen(store, campaignSpec({ ...SPEC, scheduler: 'pct' }))).toEqual([]);
  });
});

describe('pollen from verify', () => {
  it("takes verify's counterexamples kept in the store too, and a cell replays them with the systematic scheduler's choices", async () => {
    const store = EmbeddedStore.open(tempDir());
    const cell = { strategy: 'v2.6.20', scenario: 'self-mmap-write' };
    const search = verifyDeepening(cell, { preemptionsMax: 0, reclaimActionsMax: 2, paramsMax: 0 }, 0);
    const reproducer = encodeReproducer(reproducerOf({ ...cell, scheduler: 'systematic', reclaimActionsMax: 2 }, search.last.failure!.choices));
    await store.recordCertificate({ ...cell, result: 'fail', strategyFile: null, blocksPerPage: 1, modelVersion: MODEL_VERSION, unit: 'preemptions', bound: 0, reclaimActionsMax: 2, paramsMax: 0, schedules: search.schedules, classes: null, hash: null, signature: 'deadlock in v2.6.20: self', reproducer, seconds: 0.1, at: 1 });
    const spec = await withPollen(store, campaignSpec({ ...SPEC, strategies: ['excl-flag'], scenarios: ['self-mmap-write'], seedsPerCell: 20, batchSeeds: 20 }));
    expect(spec.guide!.pollen).toEqual([reproducer]);
    const c = await store.createCampaign(spec);
    await run(store, c.id, 1);
    // excl-flag deadlocks on v2.6.20's counterexample: its first example is that replay, with the systematic scheduler's choices.
    const first = (await store.buckets(c.id)).filter((b) => b.severity === 'failure').flatMap((b) => b.examples).find((e) => e.seed === spec.seedStart);
    expect(decodeReproducer(first!.reproducer!).config).toMatchObject({ strategy: 'excl-flag', scheduler: 'systematic' });
  });
});

describe('a portfolio campaign', () => {
  it('tries every arm once, in order, then gives the arm whose plays reach most states the most plays of an epoch, and the others some', () => {
    const fresh = { epochStart: 0, states: [] };
    expect([0, 1, 2, 3, 4].map((p) => portfolioArm(fresh, p))).toEqual(['pct', 'random', 'pos', 'surw', 'pct-sparse']);
    // Epoch 2-3 knows rounds 0 and 1: the arms not tried go first, in the arms' order.
    const early = { epochStart: 2, states: [], arms: [{ arm: 'pct' as const, runs: 8, states: 16 }, { arm: 'random' as const, runs: 8, states: 20 }] };
    expect([0, 1, 2].map((p) => portfolioArm(early, p))).toEqual(['pos', 'surw', 'pct-sparse']);
    // Once each has been tried, the one reaching most states a run gets most of an epoch, the others a play now and then.
    const tallies = PORTFOLIO_CAMPAIGN_ARMS.map((arm, i) => ({ arm, runs: 100, states: arm === 'surw' ? 220 : 200 + i }));
    const picks = Array.from({ length: 64 }, (_, p) => portfolioArm({ epochStart: 16, states: [], arms: tallies }, p));
    const count = (arm: string) => picks.filter((a) => a === arm).length;
    for (const arm of PORTFOLIO_CAMPAIGN_ARMS) if (arm !== 'surw') expect(count('surw'), arm).toBeGreaterThan(count(arm));
    expect(new Set(picks).size).toBeGreaterThan(1);
    // Far behind, an arm gets nothing in an epoch: the bandit is not round robin.
    const behind = tallies.map((t) => (t.arm === 'pct' ? { ...t, states: 100 } : t));
    expect(Array.from({ length: 64 }, (_, p) => portfolioArm({ epochStart: 16, states: [], arms: behind }, p))).not.toContain('pct');
    // What it weighs is what each arm found lately: an arm with no play in the last two epochs' rounds is tried again, first.
    const history = Array.from({ length: 64 }, (_, round) => ({ round, states: [], arms: [round < 32 ? { arm: 'pct' as const, runs: 24, states: 96 } : { arm: PORTFOLIO_CAMPAIGN_ARMS[1 + (round % 4)]!, runs: 24, states: 40 + 10 * (round % 4) }] }));
    const late = guideOf(GUIDE_DEFAULTS, history, 64);
    expect(late.arms!.map((t) => t.arm)).toEqual(['random', 'pos', 'surw', 'pct-sparse']);
    expect(portfolioArm(late, 0)).toBe('pct');
    // Its trial is a few plays of the epoch, not the epoch: after the first it counts as the worst arm known.
    expect(Array.from({ length: 64 }, (_, p) => portfolioArm(late, p)).filter((a) => a === 'pct').length).toBeLessThan(16);
    // The same guide and play, the same arm; a batch's plays dealt together are the plays dealt one by one.
    expect(picks).toEqual(Array.from({ length: 64 }, (_, p) => portfolioArm({ epochStart: 16, states: [], arms: tallies }, p)));
    expect(portfolioArms({ epochStart: 16, states: [], arms: tallies }, 10, 40)).toEqual(picks.slice(10, 50));
  });

  it('finds the same buckets, examples, counts and plays on one thread and on two, and its examples replay from their reproducers', async () => {
    const spec = { ...SPEC, scheduler: 'portfolio' as const, strategies: ['v2.6.20', 'zero-retry-not-uptodate'], scenarios: ['cross-mmap-write', 'mmap-rw-fault'], seedsPerCell: 300, batchSeeds: 25 };
    const { one, a, x, y } = await onOneAndTwoThreads(spec);
    expect(y).toEqual(x);
    // Every batch tallied the arms of its plays, its 25 runs in all, and every arm ran.
    const contributions = x.corpus!.flatMap(([, list]) => list);
    expect(contributions.length).toBe(4 * 12);
    for (const c of contributions) expect(c.arms!.reduce((n, t) => n + t.runs, 0)).toBe(25);
    expect(new Set(contributions.flatMap((c) => c.arms!.map((t) => t.arm)))).toEqual(new Set(PORTFOLIO_CAMPAIGN_ARMS));
    const failures = (await one.buckets(a.id)).filter((k) => k.severity === 'failure');
    expect(failures.length).toBeGreaterThanOrEqual(2);
    for (const k of failures) {
      for (const e of k.examples) {
        const r = decodeReproducer(e.reproducer!);
        expect(PORTFOLIO_CAMPAIGN_ARMS.some((arm) => r.config.scheduler === (arm === 'pct-sparse' ? 'pct' : arm) || r.config.scheduler === undefined)).toBe(true);
        expect(runOne(r.config, { choices: r.choices }).failure?.kind).toBe(k.kind);
      }
    }
  });
});
