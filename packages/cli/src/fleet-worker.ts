/**
 * A process of `pcfarm bench --farm --fleet`: many FarmWorkers on one
 * Redis, each with an executor that answers a batch at once (or after
 * --batch-ms of waiting, as a real batch takes time) with an empty but
 * valid result (every seed run, nothing found, no coverage). What is
 * left is the farm's own machinery: BullMQ's job life, the inbox, the
 * coordinator's recording and refilling. Started by farm-fleet.ts with an
 * IPC channel: it is told what to start, says when its workers have
 * reported, and closes them when told to stop.
 */
import { BatchRunner, connectRedis, emptyResult, FarmWorker, type Batch, type BatchResult, type Executor, type Minimized, type MinimizeJob } from '@pcfarm/farm';

/** What the bench tells a fleet process to start. */
export interface FleetProcessInit {
  type: 'start';
  url: string;
  prefix: string;
  /** FarmWorkers in this process, one Redis client each (as separate machines would have). */
  workers: number;
  /** Each one's concurrency (its worker slots). */
  concurrency: number;
  /** What a batch comes to: nothing found, or what the first batch of its cell really found (see InstantExecutor). */
  results: FleetResults;
  /** With real results, a batch of each cell of the campaign to come, run before the workers start. */
  warm: Batch[];
  /** How long a batch takes, in ms, spent waiting (no CPU): 0 answers at once. */
  batchMs: number;
}

/** empty: every batch finds nothing; real: every batch finds what a real batch of its cell found (its buckets and coverage). */
export type FleetResults = 'empty' | 'real';

export type ToFleetProcess = FleetProcessInit | { type: 'stop' };
export type FromFleetProcess = { type: 'ready' } | { type: 'error'; message: string };

/** The result of a batch whose seeds all ran and found nothing: what a fleet worker answers at once. */
export { emptyResult };

const runner = new BatchRunner();
/** Each cell's real result, shared by the process's executors. */
const realByCell = new Map<string, BatchResult>();

/** What the cell of `b` really finds in its first seeds (run once per process, whatever batch came first, so every process and an audit's rerun answer alike). */
function realOf(b: Batch): BatchResult {
  const cell = `${b.strategy}\0${b.scenario}\0${b.blocksPerPage}`;
  let real = realByCell.get(cell);
  if (real === undefined) {
    real = runner.run({ ...b, seedStart: 0 }, () => 0);
    realByCell.set(cell, real);
  }
  return real;
}

/**
 * An executor that does no model work: the farm's cost alone is what
 * remains. With real results, every batch of a cell answers with the
 * findings and coverage of the cell's first seeds (its examples moved into
 * its own seeds): a result of a real result's size, as a campaign whose
 * coverage has stopped growing records it.
 */
export class InstantExecutor implements Executor {
  constructor(
    readonly concurrency: number,
    private readonly results: FleetResults = 'empty',
    private readonly batchMs = 0,
  ) {}

  async runBatch(b: Batch): Promise<BatchResult> {
    // A real worker's batch takes its time: its job stays active and the queue stays stocked meanwhile, as in a farm.
    if (this.batchMs > 0) await new Promise((resolve) => setTimeout(resolve, this.batchMs));
    return this.resultOf(b);
  }

  private resultOf(b: Batch): BatchResult {
    if (this.results === 'empty') return emptyResult(b);
    const real = realOf(b);
    const shift = b.seedStart - real.seedStart;
    const moved = (hs: BatchResult['failures']) => hs.map((h) => ({ ...h, examples: h.examples.map((seed) => seed + shift) }));
    return { ...real, ...emptyResult(b), steps: real.steps, failures: moved(real.failures), warnings: moved(real.warnings), warningRuns: real.warningRuns, coverage: real.coverage };
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
  for (const b of init.warm) realOf(b);
  for (let i = 0; i < init.workers; i++) {
    const redis = await connectRedis(init.url);
    clients.push(redis);
    workers.push(await FarmWorker.start(redis, { prefix: init.prefix, concurrency: init.concurrency, executor: new InstantExecutor(init.concurrency, init.results, init.batchMs), id: `fleet-${process.pid}-${i}`, log: (line) => process.stderr.write(`${line}\n`) }));
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
