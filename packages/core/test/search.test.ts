import { describe, expect, it } from 'vitest';
import { chaoNewPerRun, Discovery, goodTuring, GuidedSearch, Model, pctRunsForConfidence, pollenFor, PortfolioSearch, PORTFOLIO_DEFAULTS, reproducerOf, StateCoverage, type Outcome, type RunConfig } from '../src/index.js';

const CELL: RunConfig = { strategy: 'v2.6.20', scenario: 'cross-mmap-write' };

/** The runs a search makes from seeds 0..n-1, as (ok, schedule hash, choices). */
function runsOf(run: (seed: number) => Outcome, n: number): [boolean, string, number[]][] {
  return Array.from({ length: n }, (_, seed) => {
    const o = run(seed);
    return [o.ok, o.scheduleHash, o.choices];
  });
}

describe('guided search', () => {
  it('is deterministic: the same seeds in the same order give the same runs, corpus and all', () => {
    const a = new GuidedSearch();
    const b = new GuidedSearch();
    const ma = new Model({ ...CELL, scheduler: 'random' });
    const mb = new Model({ ...CELL, scheduler: 'random' });
    expect(runsOf((s) => a.run(ma, s), 300)).toEqual(runsOf((s) => b.run(mb, s), 300));
    expect(a.corpusSize).toBeGreaterThan(0);
    expect(a.mutants).toBeGreaterThan(0);
  });

  it('every run it makes, mutants included, replays from its recorded choice list alone', () => {
    const g = new GuidedSearch();
    const m = new Model({ ...CELL, scheduler: 'random' });
    const replay = new Model({ ...CELL, scheduler: 'random' });
    for (let seed = 0; seed < 200; seed++) {
      const o = g.run(m, seed);
      const r = replay.run({ choices: o.choices });
      expect([r.ok, r.failure?.kind, r.scheduleHash], `seed ${seed}`).toEqual([o.ok, o.failure?.kind, o.scheduleHash]);
    }
  });

  it('keeps to its corpus bound, and runs only the random scheduler, whose choices read as switches', () => {
    const g = new GuidedSearch({ corpusMax: 5 });
    const m = new Model({ ...CELL, scheduler: 'random' });
    for (let seed = 0; seed < 300; seed++) g.run(m, seed);
    expect(g.corpusSize).toBeLessThanOrEqual(5);
    expect(() => g.run(new Model(CELL), 0)).toThrow('guided search runs the random scheduler, not pct');
  });

  it('returns to archived states: its mutants replay a prefix of an earlier run', () => {
    const g = new GuidedSearch();
    const m = new Model({ ...CELL, scheduler: 'random' });
    const earlier: number[][] = [];
    let returns = 0;
    for (let seed = 0; seed < 200; seed++) {
      const o = g.run(m, seed);
      // A return's choices start with a prefix of some earlier run's, longer than a few choices.
      if (o.seed === null && earlier.some((e) => e.length >= 8 && o.choices.slice(0, 8).join() === e.slice(0, 8).join())) returns++;
      earlier.push(o.choices);
    }
    expect(g.statesSeen).toBeGreaterThan(100);
    expect(g.returns).toBeGreaterThan(50);
    expect(returns).toBeGreaterThan(50);
    // With every mutant given to the event corpus, none returns.
    const c = new GuidedSearch({ returnPercent: 0 });
    for (let seed = 0; seed < 50; seed++) c.run(m, seed);
    expect([c.returns, c.mutants > 0]).toEqual([0, true]);
  });

  it('finds the v2.6.20 ABBA deadlock on cross-mmap-write', () => {
    const g = new GuidedSearch();
    const m = new Model({ ...CELL, scheduler: 'random' });
    let found: Outcome | null = null;
    for (let seed = 0; seed < 2000 && found === null; seed++) {
      const o = g.run(m, seed);
      if (o.failure?.kind === 'deadlock') found = o;
    }
    expect(found?.failure?.message).toMatch(/^ABBA deadlock: writerA waits for /);
  });
});

describe('abstract states', () => {
  it('a state is reached again by replaying the choices made before it, whatever the seed after', () => {
    const cell: RunConfig = { strategy: 'zero-retry-not-uptodate', scenario: 'mmap-rw-fault', scheduler: 'random' };
    const m = new Model(cell);
    const first = new StateCoverage();
    m.states = first;
    const o = m.run({ seed: 3 });
    expect(first.n).toBeGreaterThan(4);
    const last = first.n - 1;
    const again = new StateCoverage();
    m.states = again;
    m.run({ choices: o.choices.slice(0, first.at[last]), thenSeed: 99 });
    // The same states in the same order up to it, each at the same choice.
    expect(Array.from(again.hashes.subarray(0, last + 1))).toEqual(Array.from(first.hashes.subarray(0, last + 1)));
    expect(Array.from(again.at.subarray(0, last + 1))).toEqual(Array.from(first.at.subarray(0, last + 1)));
  });

  it('tell runs apart that function pairs do not: states keep coming after the pairs stop', () => {
    const m = new Model({ ...CELL, scheduler: 'random' });
    const pairs = new Set<number>();
    const states = new Set<number>();
    const s = new StateCoverage();
    m.coverage = pairs;
    m.states = s;
    const at100 = [0, 0];
    for (let seed = 0; seed < 300; seed++) {
      s.reset();
      m.run({ seed });
      for (let i = 0; i < s.n; i++) states.add(s.hashes[i]!);
      if (seed === 99) [at100[0], at100[1]] = [pairs.size, states.size];
    }
    expect(pairs.size - at100[0]!).toBeLessThan(states.size - at100[1]!);
    expect(states.size).toBeGreaterThan(3 * pairs.size);
  });

  it('plain runs are the same with states collected', () => {
    const a = new Model(CELL);
    const b = new Model(CELL);
    b.states = new StateCoverage();
    for (let seed = 0; seed < 50; seed++) expect(b.run({ seed }).scheduleHash).toBe(a.run({ seed }).scheduleHash);
  });
});

describe('portfolio', () => {
  it('gives every arm rounds, is deterministic, and its runs replay from their choices under their own configuration', () => {
    const make = () => new PortfolioSearch(CELL, (c) => new Model(c), { roundRuns: 3 });
    const p = make();
    const q = make();
    expect(runsOf((s) => p.run(s), 150)).toEqual(runsOf((s) => q.run(s), 150));
    const stats = p.armStats();
    expect(stats.map((a) => a.arm)).toEqual([...PORTFOLIO_DEFAULTS.arms]);
    for (const a of stats) expect(a.rounds, a.arm).toBeGreaterThan(0);
    expect(stats.reduce((s, a) => s + a.runs, 0)).toBe(150);
    // Every arm's runs, pct-sparse's (pct with another daemon rate) among them, replay under lastConfig.
    const r = make();
    for (let seed = 0; seed < 40; seed++) {
      const o = r.run(seed);
      const again = new Model(r.lastConfig).run({ choices: o.choices });
      expect(again.scheduleHash, `seed ${seed}`).toBe(o.scheduleHash);
    }
  });

  it('successive halving cuts to the arm that reaches most states, and gives it most runs: pct-sparse on mmap-rw-fault', () => {
    // Reclaim preempting one step in four, not two, still has actions left for the later writes (BENCHMARKS.md).
    const p = new PortfolioSearch({ strategy: 'write-begin-end-trim', scenario: 'mmap-rw-fault' }, (c) => new Model(c));
    for (let seed = 0; seed < 200; seed++) p.run(seed);
    const stats = p.armStats();
    const most = stats.reduce((a, b) => (b.runs > a.runs ? b : a));
    expect(most.arm).toBe('pct-sparse');
    expect(most.runs).toBeGreaterThan(100);
    expect(most.states).toBe(Math.max(...stats.map((a) => a.states)));
  });
});

describe('a portfolio of one arm', () => {
  it('runs that arm every round, the rounds that would try another included', () => {
    const p = new PortfolioSearch(CELL, (c) => new Model(c), { arms: ['surw'] });
    for (let seed = 0; seed < 4 * PORTFOLIO_DEFAULTS.roundRuns * PORTFOLIO_DEFAULTS.exploreOneIn; seed++) p.run(seed);
    expect(p.armStats().map((a) => [a.arm, a.runs])).toEqual([['surw', 4 * PORTFOLIO_DEFAULTS.roundRuns * PORTFOLIO_DEFAULTS.exploreOneIn]]);
    expect(p.lastConfig.scheduler).toBe('surw');
  });
});

describe('pollen', () => {
  it("gives a cell the failures of other strategies on its scenario and blocks per page, each once, with its own strategy and the donor's scheduler", () => {
    const failing = (config: RunConfig) => {
      const m = new Model(config);
      for (let seed = 0; ; seed++) {
        const o = m.run({ seed });
        if (!o.ok) return reproducerOf(config, o.choices);
      }
    };
    const zero = failing({ strategy: 'zero-retry-not-uptodate', scenario: 'hole-fill-vs-read', scheduler: 'pct' });
    const temp = failing({ strategy: 'temp-page', scenario: 'hole-fill-vs-read', scheduler: 'random' });
    const elsewhere = failing({ strategy: 'temp-page', scenario: 'hole-fill-vs-read', scheduler: 'random', blocksPerPage: 2 });
    const other = failing({ strategy: 'v2.6.20', scenario: 'self-mmap-write' });
    const runs = pollenFor([zero, temp, temp, elsewhere, other], { strategy: 'zero-retry-not-uptodate', scenario: 'hole-fill-vs-read', blocksPerPage: 1 });
    expect(runs.map((r) => [r.from, r.config.strategy, r.config.scheduler ?? 'pct'])).toEqual([['temp-page', 'zero-retry-not-uptodate', 'random']]);
    // The schedule that broke temp-page breaks zero-retry-not-uptodate too (BENCHMARKS.md, "Pollination").
    expect(new Model(runs[0]!.config).run({ choices: runs[0]!.choices }).ok).toBe(false);
  });
});

describe('residual risk', () => {
  it('Good-Turing: the share of runs that reached something seen only once', () => {
    expect(goodTuring(0, 0)).toBe(1);
    expect(goodTuring(3, 100)).toBe(0.03);
    const d = new Discovery();
    const ok = { strategy: 's', failure: null, warnings: [] } as unknown as Outcome;
    d.observe([1, 2], [], ok);
    d.observe([1, 3], [], ok);
    d.observe([1], [7], ok);
    // Seen once: 2, 3 and communication 7; element 1 three times.
    expect([d.runs, d.singletons, d.species]).toEqual([3, 3, 4]);
    expect(d.residualRisk).toBe(1);
    d.observe([2, 3], [7], ok);
    expect([d.singletons, d.residualRisk]).toEqual([0, 0]);
    // 2, 3 and 7 twice now, 1 four times.
    expect(d.doubletons).toBe(3);
    d.observe([2], [], ok);
    expect([d.singletons, d.doubletons]).toEqual([0, 2]);
  });

  it("Chao's extrapolation: Good-Turing shrunk by the doubletons at the next run, less a run the further it looks", () => {
    expect(chaoNewPerRun(0, 0, 0, 10)).toBe(1);
    expect(chaoNewPerRun(0, 5, 40, 10)).toBe(0);
    // T = 10, Q1 = 6, Q2 = 3: Q0 = 0.9 * 36 / 6 = 5.4; next run: 5.4 * 6 / (54 + 6) = 0.54 = 6/10 * 54 / (54 + 6).
    expect(chaoNewPerRun(6, 3, 10, 1)).toBeCloseTo(0.54, 12);
    expect(chaoNewPerRun(6, 3, 10, 1)).toBeCloseTo(goodTuring(6, 10) * (9 * 6) / (9 * 6 + 2 * 3), 12);
    // Over the next 10 runs: 5.4 * (1 - 0.9^10) / 10.
    expect(chaoNewPerRun(6, 3, 10, 10)).toBeCloseTo((5.4 * (1 - 0.9 ** 10)) / 10, 12);
    let last = Infinity;
    for (const t of [1, 2, 10, 100, 1000]) {
      const x = chaoNewPerRun(6, 3, 10, t);
      expect(x).toBeLessThan(last);
      last = x;
    }
    // No species twice: Q0 by the bias-corrected Chao2, Q1 (Q1 - 1) / 2.
    expect(chaoNewPerRun(4, 0, 20, 1)).toBeCloseTo(((19 / 20) * 6 * 4) / (20 * (19 / 20) * 6 + 4), 12);
    const d = new Discovery();
    const ok = { strategy: 's', failure: null, warnings: [] } as unknown as Outcome;
    for (let run = 0; run < 10; run++) d.observe(run < 6 ? [run] : run < 9 ? [100 + (run % 3), 100 + ((run + 1) % 3)] : [], [], ok);
    expect([d.runs, d.singletons, d.doubletons]).toEqual([10, 6, 3]);
    expect(d.newPerRun(10)).toBe(chaoNewPerRun(6, 3, 10, 10));
  });

  it('falls as a cell is explored: a guided search of 2,000 runs leaves less unseen than one of 100', () => {
    const g = new GuidedSearch();
    const m = new Model({ ...CELL, scheduler: 'random' });
    for (let seed = 0; seed < 100; seed++) g.run(m, seed);
    const early = g.discovery.residualRisk;
    for (let seed = 100; seed < 2000; seed++) g.run(m, seed);
    expect(g.discovery.residualRisk).toBeLessThan(early);
  });

  it("PCT's bound: runs for 95% confidence of a depth-d bug among n tasks and k steps", () => {
    // p = 1/(2 * 30) per run: ln(0.05) / ln(1 - 1/60) = 178.2...
    expect(pctRunsForConfidence(2, 30, 2)).toBe(179);
    expect(pctRunsForConfidence(3, 10, 1)).toBe(8);
    expect(pctRunsForConfidence(1, 1, 1)).toBe(1);
  });
});
