/**
 * Live numbers for server-sent events. Both stores are polled the same way:
 * while anyone listens, once a tick (a second by default) the hub reads the
 * campaigns its listeners care about and hands each listener the events of
 * its campaigns. One poll serves every listener, so ten open pages cost the
 * store what one does.
 */
import { WORKER_SILENT_MS, type Bucket, type CampaignSummary, type Store, type WorkerInfo } from '@pcfarm/farm';
import type { CampaignActivity } from './control.js';

/** A worker quiet for longer than this is shown as late; after WORKER_SILENT_MS it is gone. */
export const WORKER_LATE_MS = 5000;
/** The window runs per second is averaged over. */
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
  runsPerSec: number;
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
  workers: WorkerView[];
}

export interface BucketEvent {
  type: 'bucket';
  campaign: string;
  bucket: Bucket;
}

export interface WorkersEvent {
  type: 'workers';
  at: number;
  workers: WorkerView[];
}

export type LiveEvent = StatsEvent | BucketEvent | WorkersEvent;

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
  /** (time, runs) of recent ticks, for the rate. */
  history: { at: number; runs: number }[];
  known: Set<string>;
  state: string;
}

interface Listener {
  filter: LiveFilter;
  send(e: LiveEvent): void;
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
    const l: Listener = { filter, send };
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
    let everyRunning = false;
    for (const l of this.listeners) {
      if (l.filter === '*') everyRunning = true;
      else wanted.add(l.filter);
    }
    if (everyRunning) {
      for (const c of await this.store.listCampaigns()) {
        // Running ones change; a stopped or finished one is sent once more, when its state changes.
        const t = this.tracked.get(c.id);
        if (c.state === 'running' || t === undefined || t.state !== c.state) wanted.add(c.id);
      }
    }
    const events: LiveEvent[] = [{ type: 'workers', at, workers }];
    for (const id of wanted) {
      let summary: CampaignSummary;
      try {
        summary = await this.store.summary(id);
      } catch {
        continue; // deleted, or never was: its listeners just hear nothing
      }
      events.push(...(await this.campaignEvents(summary, at, workers)));
    }
    for (const l of [...this.listeners]) {
      for (const e of events) {
        if (e.type !== 'workers' && l.filter !== '*' && l.filter !== e.campaign) continue;
        if (e.type !== 'workers' && l.filter === '*' && e.type === 'bucket') continue; // the list page has no bucket table
        l.send(e);
      }
    }
  }

  private async campaignEvents(s: CampaignSummary, at: number, workers: WorkerView[]): Promise<LiveEvent[]> {
    const id = s.campaign.id;
    let t = this.tracked.get(id);
    const events: LiveEvent[] = [];
    if (t === undefined) {
      const known = new Set((await this.store.buckets(id)).map((b) => b.id));
      t = { history: [], known, state: s.campaign.state };
      this.tracked.set(id, t);
    } else if (s.buckets + s.warningBuckets > t.known.size) {
      for (const b of await this.store.buckets(id)) {
        if (t.known.has(b.id)) continue;
        t.known.add(b.id);
        events.push({ type: 'bucket', campaign: id, bucket: b });
      }
    }
    t.state = s.campaign.state;
    t.history.push({ at, runs: s.runs });
    while (t.history.length > 2 && at - t.history[0]!.at > RATE_WINDOW_MS) t.history.shift();
    const first = t.history[0]!;
    const runsPerSec = s.campaign.state === 'running' && at > first.at ? ((s.runs - first.runs) * 1000) / (at - first.at) : 0;
    events.unshift({
      type: 'stats',
      campaign: id,
      state: s.campaign.state,
      activity: this.options.activity?.(id) ?? null,
      runs: s.runs,
      runsPerSec,
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
      workers,
    });
    return events;
  }
}
