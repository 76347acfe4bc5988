// One hash over what every run of the model says: each strategy x scenario x
// {1, 4} blocks per page x {pct, random}, seeds 0..N-1 (default 100), traced:
// its verdict, steps, schedule and trace hashes, signature, warnings and
// message. Run it on two builds of packages/core (after `pnpm run build`): a
// change meant to be only faster must print the same hash.
//
//   node scripts/outcome-fingerprint.mjs [N]
import { createHash } from 'node:crypto';
import process from 'node:process';
import { Model, SCENARIOS, signatureOf, STRATEGIES } from '../packages/core/dist/index.js';

const seeds = Number(process.argv[2] ?? 100);
const hash = createHash('sha256');
let runs = 0;
for (const scheduler of ['pct', 'random']) {
  for (const strategy of STRATEGIES) {
    for (const scenario of SCENARIOS) {
      for (const blocksPerPage of [1, 4]) {
        const model = new Model({ strategy, scenario, scheduler, blocksPerPage, trace: true });
        for (let seed = 0; seed < seeds; seed++) {
          const o = model.run({ seed });
          const warnings = o.warnings.map((w) => w.sites.join(';'));
          hash.update(JSON.stringify([strategy, scenario, blocksPerPage, seed, o.ok, o.steps, o.scheduleHash, o.traceHash, signatureOf(o)?.title ?? null, warnings, o.failure?.message ?? null]));
          runs++;
        }
      }
    }
  }
}
process.stdout.write(`${runs} runs: ${hash.digest('hex')}\n`);
