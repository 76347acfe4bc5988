/**
 * Who runs campaigns when the dashboard starts, stops or resumes one. In the
 * farm a coordinator elsewhere watches the store, so the dashboard only
 * changes the campaign's state (StoreControl). On a laptop the dashboard's
 * own process runs them (LocalControl): the campaign engine on one pool of
 * worker threads.
 */
import { FarmError, runCampaign, ThreadPool, type EngineOptions, type EngineResult, type Executor, type Store } from '@pcfarm/farm/local';

/** What this process is doing with a campaign. */
export type CampaignActivity = 'running' | 'queued' | 'idle';

/** How the dashboard starts and stops campaigns; the routes know nothing else of it. */
export interface CampaignControl {
  /** `local`: this process runs campaigns; `store`: a coordinator elsewhere does. */
  readonly kind: 'local' | 'store';
  /** Run a new campaign, or resume a stopped one. ESTATE for a finished one. */
  start(id: string): Promise<void>;
  /** Stop a campaign: resolves when it has stopped (local) or has been told to (store). */
  stop(id: string): Promise<void>;
  /** What this process does with the campaign, or null when it cannot know (the farm's). */
  activity(id: string): CampaignActivity | null;
  /** Stop whatever this control runs and let go of its threads. */
  close(): Promise<void>;
}

async function startable(store: Store, id: string): Promise<void> {
  const c = await store.getCampaign(id);
  if (c.state === 'done') throw new FarmError('ESTATE', `campaign ${id} is done: its seed range or time budget is used up, so there is nothing to resume`);
}

/**
 * The farm's control: starting or stopping a campaign is setting its state;
 * the coordinator reacts to that.
 */
export class StoreControl implements CampaignControl {
  readonly kind = 'store';

  constructor(private readonly store: Store) {}

  async start(id: string): Promise<void> {
    await startable(this.store, id);
    // The farm's resume also retries the minimizations that had failed, as a local resume does.
    if (this.store.resume !== undefined) await this.store.resume(id);
    else await this.store.setState(id, 'running');
  }

  async stop(id: string): Promise<void> {
    const c = await this.store.getCampaign(id);
    if (c.state === 'running') await this.store.setState(id, 'stopped');
  }

  activity(): null {
    return null;
  }

  async close(): Promise<void> {}
}

export interface LocalControlOptions {
  /**
   * The executor campaigns run on; when not given, a ThreadPool of `threads`
   * threads is made on the first start and closed by close().
   */
  executor?: Executor;
  threads?: number;
  /** Options every campaign session runs with (the signal is the control's). */
  engine?: Omit<EngineOptions, 'signal'>;
  /** A session that ended in an error (the campaign is left stopped, resumable). */
  onError?(id: string, e: Error): void;
}

interface Session {
  id: string;
  abort: AbortController;
  done: Promise<void>;
}

/**
 * The embedded control: runs campaigns in this process, one at a time, on
 * one executor, the others queued in the order they were started. One at a
 * time because a time budget counts running time: two campaigns sharing the
 * threads would each get half the runs for the same budget.
 */
export class LocalControl implements CampaignControl {
  readonly kind = 'local';
  private executor: Executor | null;
  private readonly ownsExecutor: boolean;
  private current: Session | null = null;
  private readonly queue: string[] = [];
  private readonly waiters = new Map<string, ((r: EngineResult | null) => void)[]>();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly options: LocalControlOptions = {},
  ) {
    this.executor = options.executor ?? null;
    this.ownsExecutor = options.executor === undefined;
  }

  async start(id: string): Promise<void> {
    if (this.closed) throw new FarmError('ESTATE', 'the dashboard is shutting down');
    await startable(this.store, id);
    if (this.current?.id === id || this.queue.includes(id)) return;
    if (this.current === null) this.launch(id);
    else this.queue.push(id);
  }

  /**
   * Start a campaign and wait for its session to end: how `pcfarm fuzz` runs
   * its campaign while the dashboard may stop and resume it. Resolves with
   * the engine's result, or null when it was stopped while queued.
   */
  async run(id: string): Promise<EngineResult | null> {
    const ended = new Promise<EngineResult | null>((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
    await this.start(id);
    return ended;
  }

  async stop(id: string): Promise<void> {
    const q = this.queue.indexOf(id);
    if (q >= 0) {
      this.queue.splice(q, 1);
      this.settle(id, null);
    }
    if (this.current?.id === id) {
      const s = this.current;
      s.abort.abort();
      await s.done;
      return;
    }
    // Not running here: a campaign created or left running by a process that is gone.
    const c = await this.store.getCampaign(id);
    if (c.state === 'running') await this.store.setState(id, 'stopped');
  }

  activity(id: string): CampaignActivity {
    if (this.current?.id === id) return 'running';
    return this.queue.includes(id) ? 'queued' : 'idle';
  }

  /** Resolves when nothing runs or waits. */
  async idle(): Promise<void> {
    while (this.current !== null) await this.current.done;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const id of this.queue.splice(0)) this.settle(id, null);
    const s = this.current;
    if (s !== null) {
      s.abort.abort();
      await s.done;
    }
    if (this.ownsExecutor && this.executor !== null) await this.executor.close();
    this.executor = null;
  }

  private launch(id: string): void {
    this.executor ??= new ThreadPool(this.options.threads === undefined ? {} : { threads: this.options.threads });
    const abort = new AbortController();
    const session: Session = {
      id,
      abort,
      done: runCampaign(this.store, id, this.executor, { ...this.options.engine, signal: abort.signal }).then(
        (r) => this.settle(id, r),
        (e: unknown) => {
          this.settle(id, null);
          this.options.onError?.(id, e instanceof Error ? e : new Error(String(e)));
        },
      ),
    };
    this.current = session;
    void session.done.then(() => {
      this.current = null;
      const next = this.queue.shift();
      if (next !== undefined && !this.closed) this.launch(next);
    });
  }

  private settle(id: string, r: EngineResult | null): void {
    const list = this.waiters.get(id);
    this.waiters.delete(id);
    for (const w of list ?? []) w(r);
  }
}
