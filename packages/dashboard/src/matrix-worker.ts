/**
 * The verdict matrix computed off the main thread: it runs up to `runs`
 * seeds of every strategy x scenario (about 14 s for the default 1000 on
 * one core), and the server must keep answering meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { costProfiles, STRATEGIES, verdictMatrix } from '@pcfarm/core';

const { runs } = workerData as { runs: number };
const cells = verdictMatrix(runs);
const costs = STRATEGIES.flatMap((s) => costProfiles(s));
parentPort!.postMessage({ cells, costs });
