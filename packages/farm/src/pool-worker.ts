/**
 * A thread of the local pool: one BatchRunner (one Model per cell, reused)
 * running the jobs the main thread posts, one at a time; and the parts of a
 * bounded search (verify-job.ts).
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { BatchRunner, checkBatch } from './batch.js';
import { FarmError } from './errors.js';
import { checkMinimizeJob, runMinimize } from './minimize-job.js';
import { strategyResolver } from './strategy-files.js';
import type { FromPoolWorker, ToPoolWorker } from './thread-pool.js';
import { checkVerifyJob, runVerifyJob } from './verify-job.js';

const port = parentPort!;
const resolve = strategyResolver((workerData as { strategyDirs?: string[] } | null)?.strategyDirs ?? []);
const runner = new BatchRunner(resolve);

port.on('message', (m: ToPoolWorker) => {
  let reply: FromPoolWorker;
  try {
    const result =
      m.type === 'batch' ? runner.run(checkBatch(m.job), () => performance.now(), m.guided) : m.type === 'minimize' ? runMinimize(runner, checkMinimizeJob(m.job), Date.now) : runVerifyJob(checkVerifyJob(m.job), resolve, Date.now);
    reply = { id: m.id, ok: true, result };
  } catch (e) {
    const err = e as Error;
    reply = { id: m.id, ok: false, code: e instanceof FarmError ? e.code : null, message: err.message, stack: err.stack ?? '' };
  }
  port.postMessage(reply);
});
