/**
 * `pcfarm bench --search`: how fast each way of searching finds each failing
 * cell's first failure, and how much it reaches (issue 14). For every cell
 * that fails under some scheduler within the cap, each scheduler (the
 * seeded ones, the guided search and the portfolio) runs from each of
 * `offsets` seed offsets until its first failure; the figure is the mean
 * number of runs. Communication coverage is counted over the same number of
 * runs from seed 0, per scheduler. Deterministic: the same figures on every
 * machine; only the time differs.
 */
import { Discovery, GuidedSearch, Model, pctRunsForConfidence, pollenFor, PORTFOLIO_ARM_CONFIG, PORTFOLIO_ARMS, PortfolioSearch, reproducerOf, SCENARIOS, signatureOf, STRATEGIES, type Outcome, type PollenRun, type PortfolioArm, type Reproducer, type RunConfig } from '@pcfarm/core';

/**
 * The searches compared: the portfolio's arms (every seeded scheduler and
 * the guided search), the portfolio, and the guided search and the
 * portfolio pollinated: each starting with the failures the other
 * strategies' campaigns found on the cell's scenario (core search/pollen.ts).
 */
export const SEARCHES = [...PORTFOLIO_ARMS, 'portfolio', 'pollinated-guided', 'pollinated-portfolio'] as const;
export type Search = (typeof SEARCHES)[number];
type Unpollinated = Exclude<Search, `pollinated-${string}`>;

/** Sizes of a search benchmark. */
export interface SearchSizes {
  /** Seed offsets each search starts from (the issue asks at least 200). */
  offsets: number;
  /** Runs a search may take to a first failure, at most: past it the offset counts as the cap and a miss. */
  runsMax: number;
  /** Runs from seed 0 over which each search's communication coverage is counted. */
  coverageRuns: number;
  /**
   * Runs of each single scheduler, from seeds no offset uses, whose
   * communications, with every search's, make a cell's ceiling: what any
   * search could reach, as far as these samplers tell.
   */
  ceilingRuns: number;
  /** Independent pct campaigns a cell's residual-risk calibration averages: an estimate predicts a mean, and one campaign's next 10 runs are a count of a few. */
  calibrationOffsets: number;
  /**
   * Seeds of the pct and of the random campaign each other strategy runs on
   * a scenario, whose buckets' first failing runs are the pollen a
   * pollinated search starts from: what a farm's store holds of them.
   */
  pollenSeeds: number;
}

export const SEARCH_SIZES: Readonly<Record<'full' | 'quick' | 'smoke', SearchSizes>> = {
  full: { offsets: 200, runsMax: 20_000, coverageRuns: 2_000, ceilingRuns: 20_000, calibrationOffsets: 20, pollenSeeds: 500 },
  quick: { offsets: 40, runsMax: 5_000, coverageRuns: 500, ceilingRuns: 4_000, calibrationOffsets: 10, pollenSeeds: 500 },
  smoke: { offsets: 1, runsMax: 100, coverageRuns: 10, ceilingRuns: 2, calibrationOffsets: 1, pollenSeeds: 20 },
};

/** Seeds between two offsets' starts: far enough apart that no two offsets share a seed. */
const OFFSET_STRIDE = 1_000_003;

export interface SearchFigure {
  strategy: string;
  scenario: string;
  search: Search;
  /** Mean runs to the first failure over the offsets (a miss counts as runsMax). */
  meanRunsToFirstFailure: number;
  offsets: number;
  /** Offsets that reached runsMax without a failure. */
  misses: number;
  /** Distinct communications (task pairs meeting on a page or lock) in coverageRuns runs from seed 0. */
  communications: number;
}

export interface SearchReport {
  sizes: SearchSizes;
  search: SearchFigure[];
  /**
   * Per cell: guided's and portfolio's mean over pct's, each pollinated too,
   * and portfolio's over the best single scheduler's; the pollen it had (the
   * other strategies' failures of its scenario).
   */
  cells: {
    strategy: string;
    scenario: string;
    pctMean: number;
    guidedOverPct: number;
    portfolioOverPct: number;
    pollinatedGuidedOverPct: number;
    pollinatedPortfolioOverPct: number;
    portfolioOverBest: number;
    coverageOverPct: number;
    /**
     * The cell's communication ceiling over pct's coverageRuns: every
     * search's communications and each single scheduler's in ceilingRuns
     * more runs. Under 1.5, no search here could reach 1.5x pct's.
     */
    ceilingOverPct: number;
    pollen: number;
  }[];
  /** PCT's guarantee turned into runs for 95% confidence of a depth-2 bug, per cell, from its tasks and steps. */
  pctBound: { strategy: string; scenario: string; tasks: number; steps: number; runs95: number }[];
  /** The residual risk checked against what follows: per cell and N, Good-Turing's estimate after N pct runs and what the next N runs added, per run. */
  calibration: Calibration[];
}

/** Runs after which the residual risk is checked against the next as many. */
export const CALIBRATION_RUNS = [10, 40, 160] as const;

export interface Calibration {
  strategy: string;
  scenario: string;
  runs: number;
  /** Good-Turing after `runs` runs: what the next run adds that no run reached (coverage or a finding, as a campaign counts them), f1 / n; the mean over the cell's calibration offsets. */
  predicted: number;
  /** Chao's extrapolation after `runs` runs: what each of the next `runs` runs adds, on average (risk.ts chaoNewPerRun); the mean over the offsets. */
  extrapolated: number;
  /** What runs runs+1 .. 2 runs added, per run; the mean over the offsets. */
  observed: number;
}

/**
 * Each estimate at each N in CALIBRATION_RUNS against the discovery rate
 * over the next N runs, pct from `offsets` seed offsets, each a campaign of
 * its own (Böhme et al., FSE 2021, check the estimate this way), averaged:
 * an estimator is calibrated when its mean meets the mean of what follows.
 * Coverage and findings, no communications: what a campaign counts.
 */
export function calibrate(cell: RunConfig, offsets: number): Calibration[] {
  const out: Calibration[] = CALIBRATION_RUNS.map((n) => ({ strategy: cell.strategy, scenario: cell.scenario, runs: n, predicted: 0, extrapolated: 0, observed: 0 }));
  const m = new Model({ ...cell, scheduler: 'pct' });
  const run = new Set<number>();
  m.coverage = run;
  // One pass an offset serves every N: its runs, and what they discover, up to 2N are the same whichever N is checked.
  const end = 2 * Math.max(...CALIBRATION_RUNS);
  for (let offset = 0; offset < offsets; offset++) {
    const d = new Discovery();
    const fresh = out.map(() => 0);
    for (let i = 0; i < end; i++) {
      for (const c of out) {
        if (i === c.runs) {
          c.predicted += d.residualRisk / offsets;
          c.extrapolated += d.newPerRun(c.runs) / offsets;
        }
      }
      run.clear();
      const o = m.run({ seed: offset * OFFSET_STRIDE + i });
      // Things new to every earlier run: incidence data, so f1/n estimates how many a run adds (Chao's Q1/T).
      const added = d.observe(run, [], o);
      out.forEach((c, k) => {
        if (i >= c.runs && i < 2 * c.runs) fresh[k] = fresh[k]! + added;
      });
    }
    out.forEach((c, k) => (c.observed += fresh[k]! / c.runs / offsets));
  }
  return out;
}

/** Of the calibrations where the estimate or the rate is not zero, those within a factor of 2 of each other, for Good-Turing's estimate or Chao's extrapolation. */
export function calibratedWithin2x(c: readonly Calibration[], estimate: 'predicted' | 'extrapolated' = 'predicted'): { within: number; of: number } {
  const some = c.filter((x) => x[estimate] > 0 || x.observed > 0);
  return { within: some.filter((x) => x[estimate] <= 2 * x.observed && x.observed <= 2 * x[estimate]).length, of: some.length };
}

/**
 * The pollen a farm would hold for every scenario: each strategy's buckets
 * (failures by signature) in a pct and a random campaign of `seeds` seeds,
 * the first failing run of each, as a reproducer; built once a scenario.
 */
export class PollenPool {
  private readonly byScenario = new Map<string, Reproducer[]>();

  constructor(private readonly seeds: number) {}

  of(scenario: string): Reproducer[] {
    let pool = this.byScenario.get(scenario);
    if (pool !== undefined) return pool;
    pool = [];
    for (const strategy of STRATEGIES) {
      const titles = new Set<string>();
      for (const scheduler of ['pct', 'random'] as const) {
        const config: RunConfig = { strategy, scenario, scheduler };
        const m = new Model(config);
        for (let seed = 0; seed < this.seeds; seed++) {
          const o = m.run({ seed });
          const title = signatureOf(o)?.title;
          if (title === undefined || titles.has(title)) continue;
          titles.add(title);
          pool.push(reproducerOf(config, o.choices));
        }
      }
    }
    this.byScenario.set(scenario, pool);
    return pool;
  }
}

/**
 * A cell's models, one a config, shared by its searches: a Model allocates
 * its whole kernel, and a run depends on its seed or choices alone (the
 * searches set and clear what a run counts into around each run). Keyed by
 * the whole config: two arms may run one scheduler differently configured
 * (pct-sparse).
 */
class Models {
  private readonly byConfig = new Map<string, Model>();

  of(config: RunConfig): Model {
    const key = JSON.stringify(config);
    let m = this.byConfig.get(key);
    if (m === undefined) this.byConfig.set(key, (m = new Model(config)));
    return m;
  }
}

/** The pollen of a cell rotated by `offset`: a farm replays it in a fixed order, which the offsets average over. */
export function rotated<T>(pollen: readonly T[], offset: number): T[] {
  const k = pollen.length === 0 ? 0 : offset % pollen.length;
  return [...pollen.slice(k), ...pollen.slice(0, k)];
}

/** A source of runs for one search of one cell: a fresh one per offset (a guided search's corpus starts empty). */
function searcher(search: Search, cell: RunConfig, models: Models, pollen: readonly PollenRun[] = []): (offset: number) => (seed: number) => Outcome {
  if (search === 'pollinated-guided' || search === 'pollinated-portfolio') {
    const inner = searcher(search === 'pollinated-guided' ? 'guided' : 'portfolio', cell, models);
    return (offset) => {
      const first = rotated(pollen, offset);
      const rest = inner(offset);
      let n = 0;
      return (seed) => {
        const p = first[n++];
        return p === undefined ? rest(seed) : models.of(p.config).run({ choices: p.choices });
      };
    };
  }
  return unpollinated(search, cell, models);
}

function unpollinated(search: Unpollinated, cell: RunConfig, models: Models): () => (seed: number) => Outcome {
  switch (search) {
    case 'guided':
      return () => {
        const g = new GuidedSearch();
        const m = models.of({ ...cell, scheduler: 'random' });
        return (seed) => g.run(m, seed);
      };
    case 'portfolio':
      return () => {
        const p = new PortfolioSearch(cell, (c) => models.of(c));
        return (seed) => p.run(seed);
      };
    default:
      return () => {
        const m = models.of({ ...cell, ...PORTFOLIO_ARM_CONFIG[search] });
        return (seed) => m.run({ seed });
      };
  }
}

function meanRunsToFirstFailure(make: (offset: number) => (seed: number) => Outcome, s: SearchSizes): { mean: number; misses: number } {
  let total = 0;
  let misses = 0;
  for (let o = 0; o < s.offsets; o++) {
    const run = make(o);
    let runs = 0;
    while (runs < s.runsMax) {
      runs++;
      if (!run(o * OFFSET_STRIDE + runs - 1).ok) break;
      if (runs === s.runsMax) misses++;
    }
    total += runs;
  }
  return { mean: total / s.offsets, misses };
}

function communicationsIn(search: Search, cell: RunConfig, s: SearchSizes, pollen: readonly PollenRun[], models: Models): Set<number> {
  const pairs = new Set<number>();
  /** A run of `config` again with communications counted into `pairs`: a run depends on its choices alone. */
  const replay = (config: RunConfig, choices: readonly number[]): void => {
    const r = models.of(config);
    r.communications = pairs;
    try {
      r.run({ choices });
    } finally {
      r.communications = null;
    }
  };
  let runs = s.coverageRuns;
  let inner: Search = search;
  if (search === 'pollinated-guided' || search === 'pollinated-portfolio') {
    // The pollen's replays, then the search's own runs for the rest.
    const first = pollen.slice(0, s.coverageRuns);
    for (const p of first) replay(p.config, p.choices);
    runs -= first.length;
    inner = search === 'pollinated-guided' ? 'guided' : 'portfolio';
  }
  // The seeded schedulers' runs are counted directly; the searches' are replayed with communications on, counted the same way.
  if (inner === 'guided' || inner === 'portfolio') {
    const m = models.of({ ...cell, scheduler: 'random' });
    const g = inner === 'guided' ? new GuidedSearch() : null;
    const p = inner === 'portfolio' ? new PortfolioSearch(cell, (c) => models.of(c)) : null;
    for (let seed = 0; seed < runs; seed++) {
      const o = g !== null ? g.run(m, seed) : p!.run(seed);
      replay(g !== null ? { ...cell, scheduler: 'random' } : p!.lastConfig, o.choices);
    }
    return pairs;
  }
  const m = models.of({ ...cell, ...PORTFOLIO_ARM_CONFIG[inner as PortfolioArm] });
  m.communications = pairs;
  try {
    for (let seed = 0; seed < runs; seed++) m.run({ seed });
  } finally {
    m.communications = null;
  }
  return pairs;
}

/**
 * `reached` (every search's communications on the cell) with each single
 * scheduler's in s.ceilingRuns runs from seeds past every offset's: how far
 * any search could go past pct, as far as sampling can tell.
 */
function communicationsCeiling(cell: RunConfig, s: SearchSizes, reached: Set<number>, models: Models): number {
  for (const arm of PORTFOLIO_ARMS) {
    if (arm === 'guided') continue;
    const m = models.of({ ...cell, ...PORTFOLIO_ARM_CONFIG[arm] });
    m.communications = reached;
    try {
      for (let i = 0; i < s.ceilingRuns; i++) m.run({ seed: s.offsets * OFFSET_STRIDE + i });
    } finally {
      m.communications = null;
    }
  }
  return reached.size;
}

/** The search benchmark over every cell that fails under pct or random within the cap. */
export function benchSearch(s: SearchSizes, progress: (what: string) => void = () => {}): SearchReport {
  const search: SearchFigure[] = [];
  const cells: SearchReport['cells'] = [];
  const pctBound: SearchReport['pctBound'] = [];
  const calibration: Calibration[] = [];
  const pool = new PollenPool(s.pollenSeeds);
  let i = 0;
  for (const strategy of STRATEGIES) {
    for (const scenario of SCENARIOS) {
      progress(`search ${++i}/${STRATEGIES.length * SCENARIOS.length}`);
      const cell: RunConfig = { strategy, scenario };
      // A cell counts as failing when a seeded scheduler finds it from offset 0 within the cap.
      const models = new Models();
      const probe = ['pct', 'random'].some((sch) => {
        const m = models.of({ ...cell, scheduler: sch as RunConfig['scheduler'] });
        for (let seed = 0; seed < s.runsMax; seed++) if (!m.run({ seed }).ok) return true;
        return false;
      });
      if (!probe) continue;
      // The other strategies' failures of this scenario: never this cell's own, which its campaign has not found yet.
      const pollen = pollenFor(pool.of(scenario), cell);
      const figures = new Map<Search, SearchFigure>();
      const reached = new Set<number>();
      for (const name of SEARCHES) {
        const { mean, misses } = meanRunsToFirstFailure(searcher(name, cell, models, pollen), s);
        const pairs = communicationsIn(name, cell, s, pollen, models);
        for (const p of pairs) reached.add(p);
        const f: SearchFigure = { strategy, scenario, search: name, meanRunsToFirstFailure: Number(mean.toFixed(2)), offsets: s.offsets, misses, communications: pairs.size };
        figures.set(name, f);
        search.push(f);
      }
      const pct = figures.get('pct')!.meanRunsToFirstFailure;
      // The best single search: what the portfolio picks among.
      const best = Math.min(...PORTFOLIO_ARMS.map((n) => figures.get(n)!.meanRunsToFirstFailure));
      const ratio = (x: number, y: number): number => Number((x / y).toFixed(2));
      const pctCommunications = Math.max(1, figures.get('pct')!.communications);
      cells.push({
        strategy,
        scenario,
        pctMean: pct,
        guidedOverPct: ratio(figures.get('guided')!.meanRunsToFirstFailure, pct),
        portfolioOverPct: ratio(figures.get('portfolio')!.meanRunsToFirstFailure, pct),
        pollinatedGuidedOverPct: ratio(figures.get('pollinated-guided')!.meanRunsToFirstFailure, pct),
        pollinatedPortfolioOverPct: ratio(figures.get('pollinated-portfolio')!.meanRunsToFirstFailure, pct),
        pollen: pollen.length,
        portfolioOverBest: ratio(figures.get('portfolio')!.meanRunsToFirstFailure, best),
        coverageOverPct: ratio(Math.max(figures.get('guided')!.communications, figures.get('portfolio')!.communications), pctCommunications),
        ceilingOverPct: ratio(communicationsCeiling(cell, s, reached, models), pctCommunications),
      });
      const first = new Model({ ...cell, trace: true }).run({ seed: 0 });
      const tasks = new Set(first.trace!.map((e) => e.task).filter((t) => t !== 'kswapd' && t !== 'sync')).size;
      pctBound.push({ strategy, scenario, tasks, steps: first.steps, runs95: pctRunsForConfidence(tasks, first.steps, 2) });
      calibration.push(...calibrate(cell, s.calibrationOffsets));
    }
  }
  return { sizes: s, search, cells, pctBound, calibration };
}

/** The report as Markdown, as BENCHMARKS.md records it. */
export function formatSearch(r: SearchReport): string[] {
  const lines: string[] = [];
  lines.push(`Mean runs to the first failure over ${r.sizes.offsets} seed offsets (cap ${r.sizes.runsMax}); communications in ${r.sizes.coverageRuns} runs:`);
  lines.push('');
  lines.push(`Pollinated searches first replay the other strategies' failures of the cell's scenario (pollen: one run a bucket of a pct and a random campaign of ${r.sizes.pollenSeeds} seeds each).`);
  lines.push('');
  lines.push(`| cell | pollen | ${SEARCHES.join(' | ')} | portfolio / best | communications pct -> best of guided, portfolio | ceiling |`);
  lines.push(`|---|---|${SEARCHES.map(() => '---').join('|')}|---|---|---|`);
  for (const c of r.cells) {
    const row = SEARCHES.map((name) => {
      const f = r.search.find((x) => x.strategy === c.strategy && x.scenario === c.scenario && x.search === name)!;
      return `${f.meanRunsToFirstFailure}${f.misses > 0 ? ` (${f.misses} missed)` : ''}`;
    });
    const pctComm = r.search.find((x) => x.strategy === c.strategy && x.scenario === c.scenario && x.search === 'pct')!.communications;
    lines.push(`| ${c.strategy} x ${c.scenario} | ${c.pollen} | ${row.join(' | ')} | ${c.portfolioOverBest} | ${pctComm} -> ${c.coverageOverPct}x | ${c.ceilingOverPct}x |`);
  }
  // Issue 14's third goal, and how many cells could meet it at all: the ceiling is every search's communications and each scheduler's in ceilingRuns more runs.
  lines.push('');
  lines.push(`Guided or portfolio at least 1.5x pct's communications in ${r.sizes.coverageRuns} runs: ${r.cells.filter((c) => c.coverageOverPct >= 1.5).length} of ${r.cells.length} cells; the ceiling (every search's, and each single scheduler's in ${r.sizes.ceilingRuns} more runs) is 1.5x pct's on ${r.cells.filter((c) => c.ceilingOverPct >= 1.5).length}.`);
  // Issue 14's first goal: where pct needs 13 runs or more, guided or portfolio at most a third of pct's.
  const hard = r.cells.filter((c) => c.pctMean >= 13);
  const met = (fields: readonly ('guidedOverPct' | 'portfolioOverPct' | 'pollinatedGuidedOverPct' | 'pollinatedPortfolioOverPct')[]): number => hard.filter((c) => Math.min(...fields.map((f) => c[f])) <= 1 / 3).length;
  lines.push('');
  lines.push(`Where pct needs 13 runs or more (${hard.length} cells), guided or portfolio within a third of pct's runs: ${met(['guidedOverPct', 'portfolioOverPct'])} cold, ${met(['pollinatedGuidedOverPct', 'pollinatedPortfolioOverPct'])} pollinated.`);
  lines.push('');
  lines.push(`Residual risk against what follows: after N pct runs, Good-Turing (f1 / N, the next run) and Chao's extrapolation (each of the next N runs), against the new things the next N runs reached, per run; each cell's means over ${r.sizes.calibrationOffsets} campaigns, the medians over the cells:`);
  lines.push('');
  lines.push('| N | Good-Turing | Chao | observed | Good-Turing within 2x | Chao within 2x |');
  lines.push('|---|---|---|---|---|---|');
  const median = (xs: number[]): number => {
    const a = xs.slice().sort((x, y) => x - y);
    return a.length === 0 ? 0 : a[Math.floor(a.length / 2)]!;
  };
  for (const n of CALIBRATION_RUNS) {
    const at = r.calibration.filter((c) => c.runs === n);
    const gt = calibratedWithin2x(at, 'predicted');
    const chao = calibratedWithin2x(at, 'extrapolated');
    const figure = (k: 'predicted' | 'extrapolated' | 'observed'): string => median(at.map((c) => c[k])).toFixed(3);
    lines.push(`| ${n} | ${figure('predicted')} | ${figure('extrapolated')} | ${figure('observed')} | ${gt.within} of ${gt.of} | ${chao.within} of ${chao.of} |`);
  }
  return lines;
}
