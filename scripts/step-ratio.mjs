// stepRatio as `pcfarm bench` defines it (a step of Model.run on tasks that
// only yield over a bare generator resume), measured to hold on a busy
// machine: every cell is run first, as the bench runs them before its step
// figure (so the loop's JIT feedback is a real run's), then 40 windows of two
// step-bench runs, each between two batches of bare resumes; it prints the
// median of the 40 ratios and their quartiles. Give it the roots of one or
// more built checkouts (`npx tsc -p packages/core` in each) to compare.
//
//   node scripts/step-ratio.mjs [ROOT ...]      (default: this checkout)
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const roots = process.argv.length > 2 ? process.argv.slice(2) : [path.join(path.dirname(fileURLToPath(import.meta.url)), '..')];
for (const root of roots) {
  const { Model, SCENARIOS, STRATEGIES, stepBench } = await import(pathToFileURL(path.join(path.resolve(root), 'packages/core/dist/index.js')).href);
  for (const strategy of STRATEGIES) for (const scenario of SCENARIOS) {
    const m = new Model({ strategy, scenario });
    for (let s = 0; s < 150; s++) m.run({ seed: s });
  }
  const sb = stepBench();
  const g = (function* () {
    for (;;) yield;
  })();
  const bare = (n) => {
    let done = 0;
    for (let i = 0; i < n; i++) if (g.next().done) done++;
    return done;
  };
  const now = () => performance.now();
  const ratios = [];
  for (let w = 0, seed = 0; w < 45; w++) {
    let t0 = now();
    bare(200_000);
    const b1 = (now() - t0) / 200_000;
    t0 = now();
    sb.run(seed++);
    sb.run(seed++);
    const step = (now() - t0) / (2 * sb.stepsPerRun);
    t0 = now();
    bare(200_000);
    const b2 = (now() - t0) / 200_000;
    if (w >= 5) ratios.push(step / ((b1 + b2) / 2));
  }
  ratios.sort((a, b) => a - b);
  process.stdout.write(`${root}: stepRatio median ${ratios[20].toFixed(2)} (quartiles ${ratios[10].toFixed(2)} to ${ratios[30].toFixed(2)}, 40 windows)\n`);
}
