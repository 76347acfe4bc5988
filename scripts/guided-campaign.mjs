#!/usr/bin/env node
// Runs to the first failure of a guided (or portfolio) campaign against the
// same campaign under another scheduler, cell by cell, through the farm's own BatchRunner
// and guides (what the engine and the farm run: the epochs, the corpus a
// batch starts from, the states it adds). One thread, batch after batch:
// a guided campaign finds the same runs on any number of threads
// (packages/farm/test/guided-campaign.test.ts), so this is its figure on
// any. Each cell from `--offsets` seed starts (bench --search's stride),
// at most `--runs-max` runs each.
//
//   node scripts/guided-campaign.mjs [--scheduler guided|portfolio] [--offsets 40] [--runs-max 5000] [--batch-seeds 25] [--against pct] [--cells S:X,S:X...]
//   node scripts/guided-campaign.mjs --rate [--schedulers S,S...] [--offsets 4] [--runs-max 2000] ...   # failing runs a campaign of each scheduler has
//
// --pollen gives the search's campaign the pollen a farm's store would hold
// after a pct and a random campaign of 500 seeds of every other strategy on
// the cell's scenario (bench --search's: each bucket's first failing run),
// in an order rotated by the offset, as campaign start would gather it.
//
// Prints a markdown table and the geometric mean of the search over the other.
import process from 'node:process';
import { encodeReproducer } from '../packages/core/dist/index.js';
import { PollenPool, rotated } from '../packages/cli/dist/bench-search.js';
import { batchAt, BatchRunner, campaignSpec, contributes, GUIDE_DEFAULTS, guideOf, newCampaign } from '../packages/farm/dist/index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
};
const offsets = Number(arg('offsets', 40));
const runsMax = Number(arg('runs-max', 5000));
const batchSeeds = Number(arg('batch-seeds', 25));
const against = arg('against', 'pct');
const searchScheduler = arg('scheduler', 'guided');
// bench --search's stride between seed offsets.
const STRIDE = 1_000_003;
// The cells where pct needs 13 runs or more (BENCHMARKS.md, "Search that learns").
const CELLS_DEFAULT =
  'v2.6.20:cross-mmap-write,v2.6.20:hole-fill-vs-read-same-mm,v2.6.20:mmap-rw-fault,temp-page:hole-fill-vs-read,temp-page:hole-fill-vs-read-same-mm,temp-page:extend-vs-truncate,zero-retry:extend-vs-truncate,zero-retry:mmap-rw-fault,zero-retry:generated,zero-retry-not-uptodate:mmap-sem-inversion,zero-retry-not-uptodate:hole-fill-vs-read,zero-retry-not-uptodate:hole-fill-vs-read-same-mm,zero-retry-not-uptodate:extend-vs-truncate,zero-retry-not-uptodate:mmap-rw-fault,zero-retry-not-uptodate:generated,excl-flag:cross-mmap-write,excl-flag:mmap-sem-inversion,excl-flag:hole-fill-vs-read-same-mm,excl-flag:overwrite-vs-read-same-mm,excl-flag:mmap-rw-fault';
const cells = arg('cells', CELLS_DEFAULT)
  .split(',')
  .map((c) => c.split(':'));

const runner = new BatchRunner();
const pollinate = process.argv.includes('--pollen');

// bench --search's pool: one failing run a bucket of a pct and a random campaign of 500 seeds, per strategy.
const pool = new PollenPool(500);
const pollenByCell = new Map();

/**
 * Runs until the first failing run of a one-cell campaign starting at
 * seedStart, as its batches go (guided: each from its epoch's guide); with
 * `whole`, every batch up to runsMax, and the failing runs they had.
 */
function runsToFirstFailure(strategy, scenario, scheduler, seedStart, whole = false) {
  let failing = 0;
  let guide;
  if (pollinate && (scheduler === 'guided' || scheduler === 'portfolio')) {
    const key = `${strategy}:${scenario}`;
    // Every other strategy's: the cell's own would be passed over anyway (pollenFor), and counted in the rotation.
    if (!pollenByCell.has(key)) pollenByCell.set(key, pool.of(scenario).filter((r) => r.config.strategy !== strategy).map(encodeReproducer));
    guide = { ...GUIDE_DEFAULTS, pollen: rotated(pollenByCell.get(key), seedStart / STRIDE) };
  }
  const spec = campaignSpec({ strategies: [strategy], scenarios: [scenario], blocksPerPage: [1], scheduler, seedStart, seedsPerCell: runsMax, batchSeeds, examplesPerBucket: 1, guide });
  // One cell: batch index and round are the same.
  const campaign = newCampaign('bench', spec, 0);
  const contributions = [];
  for (let round = 0; batchAt(campaign, round) !== null; round++) {
    const guided = spec.guide === null ? null : { spec, guide: guideOf(spec.guide, contributions, round) };
    const r = runner.run(batchAt(campaign, round), () => 0, guided);
    // What the stores keep (a portfolio batch's arm tallies as well as a guided batch's states).
    if (contributes(r.corpus)) contributions.push(r.corpus);
    failing += r.failures.reduce((n, h) => n + h.count, 0);
    const first = Math.min(...r.failures.map((h) => h.examples[0]));
    if (!whole && Number.isFinite(first)) return first - seedStart + 1;
  }
  return whole ? failing : runsMax;
}

// --rate: the failing runs of each scheduler's campaign over runsMax runs a cell (what a long campaign finds), not the runs to the first.
if (process.argv.includes('--rate')) {
  const schedulers = arg('schedulers', 'pct,random,pos,surw,guided,portfolio').split(',');
  console.log(`| cell | ${schedulers.join(' | ')} |`);
  console.log(`|---|${schedulers.map(() => '---:').join('|')}|`);
  for (const [strategy, scenario] of cells) {
    const row = schedulers.map((sch) => {
      let total = 0;
      for (let o = 0; o < offsets; o++) total += runsToFirstFailure(strategy, scenario, sch, o * STRIDE, true);
      return ((100 * total) / (offsets * runsMax)).toFixed(1);
    });
    console.log(`| ${strategy} x ${scenario} | ${row.join(' | ')} |`);
  }
  console.log(`\nfailing runs in percent of ${runsMax} runs a cell (${offsets} offsets, batches of ${batchSeeds})`);
  process.exit(0);
}

const rows = [];
let logSum = 0;
for (const [strategy, scenario] of cells) {
  const mean = (scheduler) => {
    let total = 0;
    for (let o = 0; o < offsets; o++) total += runsToFirstFailure(strategy, scenario, scheduler, o * STRIDE);
    return total / offsets;
  };
  const other = mean(against);
  const guided = mean(searchScheduler);
  logSum += Math.log(guided / other);
  rows.push(`| ${strategy} x ${scenario} | ${other.toFixed(1)} | ${guided.toFixed(1)} | ${(guided / other).toFixed(2)} |`);
  process.stderr.write(`${rows.at(-1)}\n`);
}
console.log(`| cell | ${against} | ${pollinate ? 'pollinated ' : ''}${searchScheduler} campaign | ${searchScheduler} / ${against} |`);
console.log('|---|---:|---:|---:|');
for (const r of rows) console.log(r);
console.log(`\ngeometric mean of ${searchScheduler} over ${against}: ${Math.exp(logSum / cells.length).toFixed(2)} (${cells.length} cells, ${offsets} offsets, batches of ${batchSeeds}, at most ${runsMax} runs)`);
