// Runs per second of two builds of packages/core side by side, cell by cell,
// in one process: for each strategy x scenario (pct, seeds from 0), after a
// warm-up, five windows of 15 ms of each build in turn; each build's figure
// is its median window, and what is printed is the median cell of each and
// the median over cells of B / A. Drift and other load hit both builds alike.
//
//   node scripts/ab-cells.mjs ROOT_A ROOT_B      (each built: npx tsc -p packages/core)
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

const [rootA, rootB] = process.argv.slice(2);
if (rootB === undefined) throw new Error('usage: node scripts/ab-cells.mjs ROOT_A ROOT_B');
const load = (root) => import(pathToFileURL(path.join(path.resolve(root), 'packages/core/dist/index.js')).href);
const A = await load(rootA);
const B = await load(rootB);
const now = () => performance.now();
const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
const rows = [];
for (const strategy of A.STRATEGIES) {
  for (const scenario of A.SCENARIOS) {
    const models = [new A.Model({ strategy, scenario }), new B.Model({ strategy, scenario })];
    const seeds = [0, 0];
    const window = (j) => {
      const t0 = now();
      let runs = 0;
      while (now() - t0 < 15) models[j].run({ seed: seeds[j] + runs++ });
      seeds[j] += runs;
      return (runs / (now() - t0)) * 1000;
    };
    window(0);
    window(1);
    const rates = [[], []];
    for (let w = 0; w < 5; w++) for (const j of [0, 1]) rates[j].push(window(j));
    rows.push({ a: median(rates[0]), b: median(rates[1]) });
  }
}
const ratios = rows.map((r) => r.b / r.a);
process.stdout.write(`median cell: A ${Math.round(median(rows.map((r) => r.a)))} runs/s, B ${Math.round(median(rows.map((r) => r.b)))} runs/s; B/A cell by cell: median ${median(ratios).toFixed(2)}\n`);
