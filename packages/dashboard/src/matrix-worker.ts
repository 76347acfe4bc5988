/**
 * The verdict matrix computed off the main thread: it runs every seed of
 * every strategy x scenario x blocks per page (minutes for the default 1000
 * runs on one core), and the server must keep answering meanwhile.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { costProfiles, STRATEGIES, verdictMatrix, type MatrixVerify } from '@pcfarm/core';
import type { VerifyLimits } from './matrix.js';

const { runs, blocksPerPage, verify } = workerData as { runs: number; blocksPerPage: number[]; verify: VerifyLimits | null };
// The core has no clock: each cell's stop test reads this thread's against the cell's start.
const bounds: MatrixVerify | undefined =
  verify === null
    ? undefined
    : {
        bounds: { preemptionsMax: verify.boundMax, reclaimActionsMax: verify.reclaimActionsMax, paramsMax: 0 },
        budget: () => {
          const t0 = performance.now();
          // Asked before each schedule: counting the asks counts the schedules.
          let schedules = 0;
          return () => performance.now() - t0 >= verify.cellMs || (verify.cellSchedulesMax !== undefined && schedules++ >= verify.cellSchedulesMax);
        },
        now: () => performance.now(),
      };
const cells = verdictMatrix(runs, blocksPerPage, STRATEGIES, {}, bounds);
const costs = STRATEGIES.flatMap((s) => costProfiles(s));
parentPort!.postMessage({ cells, costs });
