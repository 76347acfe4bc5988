/**
 * A process of `pcfarm bench --farm --fleet`: many FarmWorkers on one
 * Redis, each with an executor that answers a batch at once with an empty
 * but valid result (every seed run, nothing found, no coverage). What is
 * left is the farm's own machinery: BullMQ's job life, the inbox, the
 * coordinator's recording and refilling. Started by farm-fleet.ts with an
 * IPC channel: it is told what to start, says when its workers have
 * reported, and closes them when told to stop.
 */
import { batchIdentity, connectRedis, FarmWorker, type Batch, type BatchResult, type Executor, type Minimized, type MinimizeJob } from '@pcfarm/farm';

/** What the bench tells a fleet process to start. */
export interface FleetProcessInit {
  type: 'start';
  url: string;
  prefix: string;
  /** FarmWorkers in this process, one Redis client each (as separate machines would have). */
  workers: number;
  /** Each one's concurrency (its worker slots). */
  concurrency: number;
}

export type ToFleetProcess = FleetProcessInit | { type: 'stop' };
export type FromFleetProcess = { type: 'ready' } | { type: 'error'; message: string };

/** The result of a batch whose seeds all ran and found nothing: what a fleet worker answers at once. */
export function emptyResult(b: Batch): BatchResult {
  return {
    batch: batchIdentity(b),
    campaignId: b.campaignId,
    index: b.index,
    strategy: b.strategy,
    scenario: b.scenario,
    blocksPerPage: b.blocksPerPage,
    seedStart: b.seedStart,
    runs: b.seedCount,
    steps: 0,
    failures: [],
    warnings: [],
    warningRuns: 0,
    coverage: [],
    elapsedMs: 0,
  };
}

/** An executor that does no model work: the farm's cost alone is what remains. */
export class InstantExecutor implements Executor {
  constructor(readonly concurrency: number) {}
  runBatch(b: Batch): Promise<BatchResult> {
    return Promise.resolve(emptyResult(b));
  }
  minimize(job: MinimizeJob): Promise<Minimized> {
    // A fleet's batches find nothing, so nothing is ever minimized: a minimization job here is a bug of the bench.
    return Promise.reject(new Error(`the fleet's executor minimizes nothing (bucket ${job.bucketId})`));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const send = (m: FromFleetProcess): void => {
  process.send!(m);
};

let workers: FarmWorker[] = [];
let clients: Awaited<ReturnType<typeof connectRedis>>[] = [];

async function start(init: FleetProcessInit): Promise<void> {
  for (let i = 0; i < init.workers; i++) {
    const redis = await connectRedis(init.url);
    clients.push(redis);
    workers.push(await FarmWorker.start(redis, { prefix: init.prefix, concurrency: init.concurrency, executor: new InstantExecutor(init.concurrency), id: `fleet-${process.pid}-${i}`, log: (line) => process.stderr.write(`${line}\n`) }));
  }
  send({ type: 'ready' });
}

async function stop(): Promise<void> {
  // Forced: the bench stops its campaign first, and jobs in hand need not finish.
  await Promise.all(workers.map((w) => w.close(true)));
  await Promise.all(clients.map((r) => r.quit().catch(() => r.disconnect())));
  workers = [];
  clients = [];
  process.exit(0);
}

process.on('message', (m: ToFleetProcess) => {
  const done = m.type === 'start' ? start(m) : stop();
  done.catch((e: Error) => {
    send({ type: 'error', message: e.message });
    process.exit(1);
  });
});
// The bench gone (killed), this process goes too rather than run on unseen.
process.on('disconnect', () => process.exit(0));
