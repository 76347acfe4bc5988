/**
 * The verdict matrix computed off the main thread: it runs every seed of
 * every strategy x scenario x blocks per page (minutes for the default 1000
 * runs on one core), and the server must keep answering meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { costProfiles, STRATEGIES, verdictMatrix } from '@pcfarm/core';

const { runs, blocksPerPage } = workerData as { runs: number; blocksPerPage: number[] };
const cells = verdictMatrix(runs, blocksPerPage);
const costs = STRATEGIES.flatMap((s) => costProfiles(s));
parentPort!.postMessage({ cells, costs });
