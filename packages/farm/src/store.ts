/**
 * Where campaigns and their results live. Two implementations with one
 * contract: the embedded store (a file under a results directory, for the
 * laptop) and the Redis store (for the farm). Every method is async because
 * one of them talks to a server.
 */
import type { BatchResult } from './batch.js';
import type { Campaign, CampaignSpec, CampaignState } from './campaign.js';
import type { Certificate } from './certificates.js';
import type { Contribution, Guide } from './guide.js';
import type { Minimized } from './minimize-job.js';
import type { Bucket, CampaignSnapshot, CampaignSummary, DoneRanges, RecordOutcome, Sample } from './results.js';

/** A worker as the dashboard shows it. */
export interface WorkerInfo {
  /** Unique per worker process (or the local pool). */
  id: string;
  host: string;
  pid: number;
  /** Batches it runs at once. */
  concurrency: number;
  /** Runs it has made since it started, and its recent rate. */
  runs: number;
  runsPerSec: number;
  /** Epoch milliseconds of its last report: a worker silent for long is dead. */
  seenAt: number;
}

export interface Store {
  readonly kind: 'embedded' | 'redis';
  /** Create a campaign from a checked spec (see campaignSpec). */
  createCampaign(spec: CampaignSpec): Promise<Campaign>;
  /** Every campaign, newest first. */
  listCampaigns(): Promise<Campaign[]>;
  /** A campaign; ENOCAMPAIGN when there is none with that id. */
  getCampaign(id: string): Promise<Campaign>;
  /** Move a campaign to `state`; `runningMs` (when given) is its running time so far. */
  setState(id: string, state: CampaignState, runningMs?: number): Promise<Campaign>;
  /**
   * The farm's resume (RedisStore): running again, and the minimizations that
   * had failed tried again. A store without one is resumed by setState
   * 'running', its engine retrying the minimizations itself.
   */
  resume?(id: string): Promise<Campaign>;
  deleteCampaign(id: string): Promise<void>;
  /** Record a batch's result exactly once per (campaign, batch index). */
  recordBatch(result: BatchResult, runningMs: number): Promise<RecordOutcome>;
  /**
   * Keep plan number `plan` of a steered campaign (Campaign.deal) when it
   * has exactly `plan` plans; leave it as it is when it has more (another
   * dealer came first: its plan stands). Returns the campaign, its deal as
   * stored. ESTATE for a campaign that is not steered.
   */
  addPlan(id: string, plan: number, counts: number[]): Promise<Campaign>;
  /**
   * The guide a guided campaign's batch of cell `cell` (cellAt's order) at
   * round `round` starts from: the states the cell's rounds before its epoch
   * added (guide.ts). ESTATE for a campaign that is not guided.
   */
  guide(id: string, cell: number, round: number): Promise<Guide>;
  /** A guided or portfolio campaign's corpus: each cell's contributions, by cell, in round order (CampaignSnapshot.corpus); empty for any other. */
  corpus(id: string): Promise<[number, Contribution[]][]>;
  /** The batches recorded, as ascending ranges of their indexes. */
  doneBatches(id: string): Promise<DoneRanges>;
  summary(id: string): Promise<CampaignSummary>;
  samples(id: string): Promise<Sample[]>;
  buckets(id: string): Promise<Bucket[]>;
  /** A bucket, or null. */
  bucket(id: string, bucketId: string): Promise<Bucket | null>;
  /**
   * Keep a bucket's minimized reproducer if it is of the bucket's lowest
   * example (ofLowestExample); false when it is not (a lower one was found
   * since its job was queued) or one was kept before.
   */
  recordMinimized(id: string, bucketId: string, m: Minimized): Promise<boolean>;
  /** Everything of one campaign, as export writes it. */
  snapshot(id: string): Promise<CampaignSnapshot>;
  /** Add an exported campaign; an id already present is an ESTATE error. */
  importSnapshot(s: CampaignSnapshot): Promise<Campaign>;
  /**
   * Keep what `pcfarm verify` proved or found of a cell (certificates.ts):
   * true when it says more than what was kept of the same claim (a higher
   * bound certified, a lower one failing), false when it does not.
   */
  recordCertificate(c: Certificate): Promise<boolean>;
  /** Every claim's strongest certificate or counterexample, of every model version. */
  certificates(): Promise<Certificate[]>;
  /** Workers that reported lately. */
  workers(): Promise<WorkerInfo[]>;
  reportWorker(w: WorkerInfo): Promise<void>;
  /**
   * Forget a worker that stopped cleanly, at once: silent, it would be
   * counted (by the coordinator) and shown late (by the dashboard) until
   * WORKER_SILENT_MS.
   */
  dropWorker(id: string): Promise<void>;
  close(): Promise<void>;
}

/** A worker that has not reported for this long is shown as gone. */
export const WORKER_SILENT_MS = 15_000;
