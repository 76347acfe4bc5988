/**
 * A findings diff's re-tests, off the main thread: each failure bucket of A
 * re-run against B's counterpart strategy (retestBuckets, one bucket at a
 * time so the time limit is checked between them). B's strategy files are
 * found here, by the path B recorded and its source hash (or in the
 * dashboard's strategy directories); code never comes in the message.
 */
import { basename } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { FarmError, retestBuckets, strategyResolver } from '@pcfarm/farm/local';
import { plannedRetests, type RetestAnswer, type RetestJob, type RetestView } from './retests.js';

const t0 = Date.now();
const { a, b, pairs, strategyDirs, timeMs } = workerData as RetestJob;
const resolve = strategyResolver(strategyDirs);

// Each of B's strategy files a re-test needs, loaded once: the reason it cannot be, per strategy.
const missing = new Map<string, string>();
for (const [, y] of pairs) {
  const ref = b.campaign.spec.strategyFiles.find((r) => r.id === y);
  if (ref === undefined || missing.has(y)) continue;
  try {
    resolve(ref);
  } catch (e) {
    if (!(e instanceof FarmError)) throw e;
    const where = strategyDirs.length > 0 ? ' (or into one of the dashboard\'s strategy directories)' : '';
    missing.set(
      y,
      `B's strategy file ${basename(ref.path)} (${ref.id}, source ${ref.sourceHash}) is not on the dashboard's machine as B ran it: moved, deleted or edited since. Put that version back where B found it${where}, or run pcfarm diff where it is`,
    );
  }
}

const retests: RetestView[] = [];
for (const planned of plannedRetests(a, pairs)) {
  const notRun = (reason: string): RetestView => ({ ...planned, verdict: 'not-run', by: null, runs: 0, outcomes: {}, reason });
  const reason = missing.get(planned.against);
  if (reason !== undefined) retests.push(notRun(reason));
  else if (Date.now() - t0 >= timeMs) retests.push(notRun(`not re-tested: this diff's re-tests ran past their ${timeMs / 1000} s before reaching it; pcfarm diff re-tests every bucket`));
  else {
    const bucket = a.buckets.find((x) => x.id === planned.bucketId)!;
    const pair = pairs.find(([x]) => x === bucket.strategy)!;
    for (const r of retestBuckets({ ...a, buckets: [bucket] }, b, [pair], resolve)) retests.push({ ...r, reason: null });
  }
}
parentPort!.postMessage({ retests, ms: Date.now() - t0 } satisfies RetestAnswer);
