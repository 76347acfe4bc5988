/**
 * A `pcfarm bench` worker thread: one Model of one cell, run over its own
 * seed range for the windows the main thread asks for. The embryo of the
 * issue-5 worker pool, kept to what the thread-scaling figure needs.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { Model } from '@pcfarm/core';

/** What the main thread gives a worker. */
export interface WorkerInit {
  strategy: string;
  scenario: string;
  /** Its seeds are seedStart, seedStart + 1, …: disjoint from every other worker's. */
  seedStart: number;
  /** Runs before it says it is ready, so the timed windows find the code compiled. */
  warmupMs: number;
}

/** From the main thread: run for `ms` milliseconds, or stop. */
export type ToWorker = { type: 'go'; ms: number } | { type: 'stop' };

/** This isolate's memory, in bytes (worker threads share the process's RSS, not their heaps). */
export interface WorkerMemory {
  heapUsed: number;
  heapTotal: number;
  /** Memory outside the heap: array buffers and the model's WebAssembly memory (its cell array). */
  external: number;
}

/** To the main thread: warmed up, or a window's count. */
export type FromWorker = { type: 'ready' } | { type: 'done'; runs: number; ms: number; memory: WorkerMemory };

function memory(): WorkerMemory {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
}

const init = workerData as WorkerInit;
const port = parentPort!;
const model = new Model({ strategy: init.strategy, scenario: init.scenario });
let seed = init.seedStart;

/** Run seeds for `ms` milliseconds; returns the runs made and the time they took. */
function runFor(ms: number): { runs: number; ms: number } {
  const t0 = performance.now();
  let runs = 0;
  let t = t0;
  while (t - t0 < ms) {
    model.run({ seed: seed++ });
    runs++;
    t = performance.now();
  }
  return { runs, ms: t - t0 };
}

runFor(init.warmupMs);
port.postMessage({ type: 'ready' } satisfies FromWorker);
port.on('message', (m: ToWorker) => {
  if (m.type === 'stop') {
    port.close();
    return;
  }
  const r = runFor(m.ms);
  port.postMessage({ type: 'done', runs: r.runs, ms: r.ms, memory: memory() } satisfies FromWorker);
});
