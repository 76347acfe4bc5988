/**
 * Live numbers for server-sent events. Both stores are polled the same way:
 * while anyone listens, once a tick (a second by default) the hub reads the
 * campaigns its listeners care about and hands each listener the events of
 * its campaigns. One poll serves every listener, so ten open pages cost the
 * store what one does.
 *
 * The events are deltas: a page loads a campaign's buckets and samples once,
 * and from then on each `stats` event carries the campaign's newest sample
 * and each `bucket` event a bucket that is new or changed (its count, last
 * sighting, scenarios or minimization), so a page never fetches the lists
 * again.
 */
import { campaignRisk, canariesOf, canaryChecks, FarmError, WORKER_SILENT_MS, type Bucket, type CampaignRisk, type CampaignSummary, type CanaryCheck, type Sample, type Store, type WorkerInfo } from '@pcfarm/farm/local';
import type { CampaignActivity } from './control.js';

/** Cells of a campaign's residual risk a page is sent, riskiest first: a campaign of every cell has hundreds, and a tick's event stays small. */
export const RISK_CELLS_MAX = 12;

/**
 * A campaign's residual risk with RISK_CELLS_MAX of its cells: the riskiest;
 * for a steered campaign, half of them the riskiest and half those that got
 * the fewest runs (what steering gave least), still riskiest first.
 */
export function riskiest(r: CampaignRisk | null, steered = false): CampaignRisk | null {
  if (r === null) return null;
  if (!steered || r.cells.length <= RISK_CELLS_MAX) return { ...r, cells: r.cells.slice(0, RISK_CELLS_MAX) };
  const fewest = new Set([...r.cells].sort((a, b) => a.runs - b.runs).slice(0, RISK_CELLS_MAX / 2));
  const top = new Set(r.cells.filter((c) => !fewest.has(c)).slice(0, RISK_CELLS_MAX - fewest.size));
  return { ...r, cells: r.cells.filter((c) => fewest.has(c) || top.has(c)) };
}

/** A worker quiet for longer than this is shown as late; after WORKER_SILENT_MS it is gone. */
export const WORKER_LATE_MS = 5000;
/** The span of running time runs per second is averaged over. */
export const RATE_WINDOW_MS = 5000;

export interface WorkerView extends WorkerInfo {
  ageMs: number;
  health: 'ok' | 'late';
}

export interface StatsEvent {
  type: 'stats';
  campaign: string;
  state: string;
  activity: CampaignActivity | null;
  runs: number;
  /**
   * Runs per second of running time over the last RATE_WINDOW_MS of it;
   * null before the campaign has recorded any run (there is no rate yet,
   * and 0 would say it is stuck).
   */
  runsPerSec: number | null;
  failures: number;
  warnings: number;
  coverage: number;
  /** Failure buckets, and warning buckets apart. */
  buckets: number;
  warningBuckets: number;
  minimized: number;
  batchesDone: number;
  batchesTotal: number | null;
  runningMs: number;
  at: number;
  /**
   * The campaign's totals now as a sample, for its charts to end with, so
   * the charts and the numbers beside them agree; null before its first run.
   */
  sample: Sample | null;
  /** Its canaries (a known bug each, which it must find): read with its buckets, when they changed. */
  canaries: CanaryCheck[];
  /** What it has likely left to find (null where the store does not count singletons): with its buckets too. */
  risk: CampaignRisk | null;
}

/** A bucket that is new to this stream: the whole bucket. */
export interface BucketEvent {
  type: 'bucket';
  campaign: string;
  bucket: Bucket;
}

/** What of a bucket a batch or a minimization changes; the rest (its title, sites, examples) stays as first sent. */
export type BucketChange = Pick<Bucket, 'id' | 'count' | 'lastSeenAt' | 'scenarios' | 'blocksPerPage' | 'minimized' | 'witness'>;

/** A bucket the stream has sent that changed since: only what changed can change. */
export interface BucketUpdateEvent {
  type: 'bucket-update';
  campaign: string;
  bucket: BucketChange;
}

export interface WorkersEvent {
  type: 'workers';
  at: number;
  workers: WorkerView[];
}

/** A campaign the hub had sent news of is gone (deleted): its page stops showing it as live. */
export interface DeletedEvent {
  type: 'deleted';
  campaign: string;
}

export type LiveEvent = StatsEvent | BucketEvent | BucketUpdateEvent | WorkersEvent | DeletedEvent;

/** Which campaigns a listener follows: one, or every running one ('*'). */
export type LiveFilter = string;

export interface HubOptions {
  pollMs?: number;
  now?: () => number;
  activity?: (id: string) => CampaignActivity | null;
  /** Told about a poll that failed (the store is down); the hub keeps polling. */
  onError?: (e: unknown) => void;
}

interface Tracked {
  /** (running time, runs) over the last RATE_WINDOW_MS of running time, for the rate. */
  history: { runningMs: number; runs: number }[];
  /** Each bucket's version as last read: what changed is sent. */
  known: Map<string, string>;
  state: string;
  /** What the buckets looked like at the last read: no change, no read. */
  bucketsAt: string;
  /** The canaries and the residual risk as of that read. */
  canaries: CanaryCheck[];
  risk: CampaignRisk | null;
}

/** One campaign's news of a tick. */
interface CampaignNews {
  stats: StatsEvent;
  /** The stats but for the time: what a listener has heard already is not sent again. */
  statsKey: string;
  /** Buckets new (whole) or changed (what changed) since the last tick. */
  changed: (BucketEvent | BucketUpdateEvent)[];
  /** Every bucket, when a fresh listener needs them. */
  all: BucketEvent[] | null;
}

/** What of a bucket a page shows and a batch can change: when this differs, its change is sent. */
function bucketVersion(b: Bucket): string {
  return `${b.count}/${b.lastSeenAt}/${b.scenarios.length}/${b.blocksPerPage.length}/${b.minimized === null ? 0 : 1}/${b.witness ?? ''}`;
}

function changeOf(b: Bucket): BucketChange {
  return { id: b.id, count: b.count, lastSeenAt: b.lastSeenAt, scenarios: b.scenarios, blocksPerPage: b.blocksPerPage, minimized: b.minimized, witness: b.witness };
}

/** Runs per second of running time between the oldest and newest points of the history. */
function rateOf(history: readonly { runningMs: number; runs: number }[]): number | null {
  const first = history[0];
  const last = history[history.length - 1];
  if (first === undefined || last === undefined || last.runs === 0 || last.runningMs <= first.runningMs) return null;
  return ((last.runs - first.runs) * 1000) / (last.runningMs - first.runningMs);
}

interface Listener {
  filter: LiveFilter;
  send(e: LiveEvent): void;
  /** The workers as this listener last heard them: an unchanged list is not sent again. */
  workersSent: string;
  /** Each campaign's numbers as this listener last heard them (but for the time). */
  statsSent: Map<string, string>;
  /**
   * Not yet sent its campaign's buckets: its page loaded them before it
   * subscribed, and one may have come in between, so its first tick sends
   * them all (the page keeps each once, by id).
   */
  fresh: boolean;
}

/** Workers as the dashboard shows them: how long since each reported, and whether that is late. */
export function workerViews(workers: readonly WorkerInfo[], now: number): WorkerView[] {
  return workers
    .map((w) => {
      const ageMs = Math.max(0, now - w.seenAt);
      return { ...w, ageMs, health: ageMs < WORKER_LATE_MS ? ('ok' as const) : ('late' as const) };
    })
    .filter((w) => w.ageMs < WORKER_SILENT_MS)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export class LiveHub {
  private readonly listeners = new Set<Listener>();
  private readonly tracked = new Map<string, Tracked>();
  private timer: NodeJS.Timeout | null = null;
  private readonly pollMs: number;
  private readonly now: () => number;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly options: HubOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** Follow `filter`; returns the function that stops following. */
  subscribe(filter: LiveFilter, send: (e: LiveEvent) => void): () => void {
    const l: Listener = { filter, send, workersSent: '', statsSent: new Map(), fresh: filter !== '*' };
    this.listeners.add(l);
    this.schedule();
    return () => {
      this.listeners.delete(l);
      if (this.listeners.size === 0) this.stop();
    };
  }

  get listening(): number {
    return this.listeners.size;
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.stop();
  }

  private stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    // Rates and known buckets start afresh with the next listener: it loads the lists itself.
    this.tracked.clear();
  }

  private schedule(): void {
    if (this.timer !== null || this.closed || this.listeners.size === 0) return;
    this.timer = setTimeout(() => {
      void this.tick()
        .catch((e: unknown) => this.options.onError?.(e))
        .finally(() => {
          this.timer = null;
          this.schedule();
        });
    }, this.pollMs);
  }

  /** One poll: read what the listeners follow and send it. Public for tests. */
  async tick(): Promise<void> {
    const at = this.now();
    const workers = workerViews(await this.store.workers(), at);
    const wanted = new Set<string>();
    const fresh = new Set<string>();
    let everyRunning = false;
    for (const l of this.listeners) {
      if (l.filter === '*') everyRunning = true;
      else wanted.add(l.filter);
      if (l.fresh) fresh.add(l.filter);
    }
    if (everyRunning) {
      for (const c of await this.store.listCampaigns()) {
        // Running ones change; a stopped or finished one is sent once more, when its state changes.
        const t = this.tracked.get(c.id);
        if (c.state === 'running' || t === undefined || t.state !== c.state) wanted.add(c.id);
      }
    }
    const workersEvent: WorkersEvent = { type: 'workers', at, workers };
    // What a page shows of them; their age goes on growing without being news.
    const workersKey = JSON.stringify(workers.map(({ ageMs: _age, ...w }) => w));
    const news = new Map<string, CampaignNews>();
    const deleted: string[] = [];
    for (const id of wanted) {
      let summary: CampaignSummary;
      try {
        summary = await this.store.summary(id);
      } catch (e) {
        // Deleted while a page had it open: said once, or the page would go on showing it running; one that never was: nothing.
        if (e instanceof FarmError && e.code === 'ENOCAMPAIGN' && this.tracked.delete(id)) deleted.push(id);
        continue;
      }
      news.set(id, await this.campaignNews(summary, at, fresh.has(id)));
    }
    for (const l of [...this.listeners]) {
      for (const id of deleted) if (l.filter === '*' || l.filter === id) l.send({ type: 'deleted', campaign: id });
      if (l.workersSent !== workersKey) {
        l.workersSent = workersKey;
        l.send(workersEvent);
      }
      for (const [id, n] of news) {
        if (l.filter !== '*' && l.filter !== id) continue;
        if (l.statsSent.get(id) !== n.statsKey) {
          l.statsSent.set(id, n.statsKey);
          l.send(n.stats);
        }
        // The list page has no bucket table.
        if (l.filter === '*') continue;
        const buckets = l.fresh ? n.all : n.changed;
        l.fresh = false;
        for (const e of buckets ?? []) l.send(e);
      }
    }
  }

  private async campaignNews(s: CampaignSummary, at: number, wantAll: boolean): Promise<CampaignNews> {
    const id = s.campaign.id;
    let t = this.tracked.get(id);
    const changed: (BucketEvent | BucketUpdateEvent)[] = [];
    let all: BucketEvent[] | null = null;
    const bucketsAt = `${s.buckets}/${s.warningBuckets}/${s.runs}/${s.minimized}`;
    if (t === undefined || bucketsAt !== t.bucketsAt || wantAll) {
      const buckets = await this.store.buckets(id);
      all = buckets.map((bucket) => ({ type: 'bucket', campaign: id, bucket }));
      // Only a campaign with a canary cell, or whose store counts singletons, has its batches read.
      const done = canariesOf(s.campaign.spec).length === 0 && s.coverageOnce === null ? [] : await this.store.doneBatches(id);
      const canaries = canaryChecks(s.campaign, done, buckets);
      const risk = riskiest(campaignRisk(s.campaign, s, done, buckets), s.campaign.spec.steer !== null);
      if (t === undefined) {
        const samples = await this.store.samples(id);
        // Every campaign started at no runs in no running time: the first second has a rate too.
        const history = [{ runningMs: 0, runs: 0 }, ...samples.map((x) => ({ runningMs: x.runningMs, runs: x.runs }))];
        t = { history, known: new Map(buckets.map((b) => [b.id, bucketVersion(b)])), state: s.campaign.state, bucketsAt, canaries, risk };
        this.tracked.set(id, t);
      } else {
        t.bucketsAt = bucketsAt;
        t.canaries = canaries;
        t.risk = risk;
        for (const b of buckets) {
          const v = bucketVersion(b);
          const was = t.known.get(b.id);
          if (was === v) continue;
          t.known.set(b.id, v);
          changed.push(was === undefined ? { type: 'bucket', campaign: id, bucket: b } : { type: 'bucket-update', campaign: id, bucket: changeOf(b) });
        }
      }
    }
    t.state = s.campaign.state;
    const point = { runningMs: s.campaign.runningMs, runs: s.runs };
    const newest = t.history[t.history.length - 1]!;
    if (point.runningMs > newest.runningMs) t.history.push(point);
    else if (point.runningMs === newest.runningMs && point.runs > newest.runs) t.history[t.history.length - 1] = point;
    while (t.history.length > 2 && point.runningMs - t.history[1]!.runningMs >= RATE_WINDOW_MS) t.history.shift();
    const stats: StatsEvent = {
      type: 'stats',
      campaign: id,
      state: s.campaign.state,
      activity: this.options.activity?.(id) ?? null,
      runs: s.runs,
      runsPerSec: rateOf(t.history),
      failures: s.failures,
      warnings: s.warnings,
      coverage: s.coverage,
      buckets: s.buckets,
      warningBuckets: s.warningBuckets,
      minimized: s.minimized,
      batchesDone: s.batchesDone,
      batchesTotal: s.batchesTotal,
      runningMs: s.campaign.runningMs,
      at,
      sample: s.runs === 0 ? null : { at, runningMs: s.campaign.runningMs, runs: s.runs, failures: s.failures, coverage: s.coverage, buckets: s.buckets },
      canaries: t.canaries,
      risk: t.risk,
    };
    return { stats, statsKey: JSON.stringify({ ...stats, at: 0, sample: null }), changed, all };
  }
}
