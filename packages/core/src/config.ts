/**
 * What a run is asked to do, its limits (units last) and their defaults, and
 * the operational error a caller gets for a config it cannot run.
 */

export type SchedulerId = 'pct' | 'random' | 'pos' | 'surw' | 'replay' | 'systematic';

export interface RunConfig {
  /** Write-path strategy id (see STRATEGIES). */
  strategy: string;
  /** Scenario id (see SCENARIOS). */
  scenario: string;
  /** Scheduler; default `pct`. */
  scheduler?: SchedulerId;
  /** PCT bug depth d: d-1 priority change points; default 4. */
  pctDepth?: number;
  /** PCT's guess at a run's length in user-task steps, the range its change points are drawn from; default: the scenario's estimate. */
  pctStepsEstimate?: number;
  /** PCT: at each step, one chance in this many that a runnable kernel thread (reclaim) preempts; default 2. */
  pctDaemonOneIn?: number;
  /** Steps (preemption points) a run may take in all before it is a livelock; default 20000. */
  stepsMax?: number;
  /** Steps a user task may take without forward progress (cells written or read, an operation finished) before it is a livelock; default 2000. */
  stallStepsMax?: number;
  /** Iterations of the reclaim thread, each taking at most one action, in scenarios whose reclaim stops; default 12. */
  reclaimActionsMax?: number;
  /** Disk blocks per page: 1, 2 or 4 (sub-page buffers); default 1. */
  blocksPerPage?: number;
  /** Cells per page (a cell models a byte); default 4096. */
  pageCells?: number;
  /** Record a trace of events (replay mode); default false. */
  trace?: boolean;
}

export interface ResolvedConfig {
  strategy: string;
  scenario: string;
  scheduler: SchedulerId;
  pctDepth: number;
  pctStepsEstimate: number;
  pctDaemonOneIn: number;
  stepsMax: number;
  stallStepsMax: number;
  reclaimActionsMax: number;
  blocksPerPage: number;
  pageCells: number;
  trace: boolean;
}

export const DEFAULTS: Omit<ResolvedConfig, 'strategy' | 'scenario'> = {
  scheduler: 'pct',
  pctDepth: 4,
  pctStepsEstimate: 0,
  pctDaemonOneIn: 2,
  stepsMax: 20_000,
  stallStepsMax: 2_000,
  reclaimActionsMax: 12,
  blocksPerPage: 1,
  pageCells: 4096,
  trace: false,
};

/** Fixed sizes of the model's memory, chosen once per model instance. */
export const LIMITS = {
  /** Physical page frames. */
  framesMax: 96,
  /** Disk blocks (per page size of 1 block; scaled by blocksPerPage). */
  diskPagesMax: 96,
  /** Swap slots, each one page. */
  swapSlotsMax: 32,
  /** Pages a file may have. */
  filePagesMax: 8,
  /** Virtual pages of one process's address space. */
  vpagesMax: 24,
  /** Files in a scenario. */
  inodesMax: 4,
  /** Tasks in a scenario, reclaim included. */
  tasksMax: 8,
  /** Locks one task may hold at once. */
  heldLocksMax: 8,
  /** Calls deep a task's kernel stack may be. */
  stackDepthMax: 24,
  /** Operations a file's history may record in one run. */
  historyEventsMax: 256,
  /** PCT's bug depth, at most: a run draws depth - 1 priority change points. */
  pctDepthMax: 16,
} as const;

/** The schedulers a user picks for seeds or a choice list. */
export const SCHEDULERS: readonly SchedulerId[] = ['pct', 'random', 'pos', 'surw', 'replay'];
/** Every scheduler a configuration may name: `systematic` is the bounded search's (verify.ts), in its reproducers. */
const ALL_SCHEDULERS: readonly SchedulerId[] = [...SCHEDULERS, 'systematic'];

/** An operational error: a stable code and a message a user can act on. */
export class ConfigError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ConfigError';
    this.code = code;
  }
}

function positiveInt(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError('EBADCONFIG', `${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`);
  }
  return v;
}

/** Fill in defaults and check every field; names are checked by the caller's registries. */
export function resolveConfig(config: RunConfig, strategies: readonly string[], scenarios: readonly string[]): ResolvedConfig {
  if (!strategies.includes(config.strategy)) {
    throw new ConfigError('EUNKNOWNSTRATEGY', `unknown strategy ${JSON.stringify(config.strategy)}; valid strategies: ${strategies.join(', ')}`);
  }
  if (!scenarios.includes(config.scenario)) {
    throw new ConfigError('EUNKNOWNSCENARIO', `unknown scenario ${JSON.stringify(config.scenario)}; valid scenarios: ${scenarios.join(', ')}`);
  }
  const scheduler = config.scheduler ?? DEFAULTS.scheduler;
  if (!ALL_SCHEDULERS.includes(scheduler)) {
    throw new ConfigError('EUNKNOWNSCHEDULER', `unknown scheduler ${JSON.stringify(scheduler)}; valid schedulers: ${SCHEDULERS.join(', ')}`);
  }
  const blocksPerPage = positiveInt('blocksPerPage', config.blocksPerPage ?? DEFAULTS.blocksPerPage, 1, 4);
  if (blocksPerPage === 3) throw new ConfigError('EBADCONFIG', 'blocksPerPage must be 1, 2 or 4, not 3');
  const pageCells = positiveInt('pageCells', config.pageCells ?? DEFAULTS.pageCells, 16, 65536);
  if ((pageCells & (pageCells - 1)) !== 0) throw new ConfigError('EBADCONFIG', `pageCells must be a power of two, not ${pageCells}`);
  return {
    strategy: config.strategy,
    scenario: config.scenario,
    scheduler,
    pctDepth: positiveInt('pctDepth', config.pctDepth ?? DEFAULTS.pctDepth, 1, LIMITS.pctDepthMax),
    // 0 until the model fills in the scenario's own estimate.
    pctStepsEstimate: config.pctStepsEstimate === undefined ? 0 : positiveInt('pctStepsEstimate', config.pctStepsEstimate, 1, 1_000_000),
    pctDaemonOneIn: positiveInt('pctDaemonOneIn', config.pctDaemonOneIn ?? DEFAULTS.pctDaemonOneIn, 2, 1_000_000),
    stepsMax: positiveInt('stepsMax', config.stepsMax ?? DEFAULTS.stepsMax, 1, 100_000_000),
    stallStepsMax: positiveInt('stallStepsMax', config.stallStepsMax ?? DEFAULTS.stallStepsMax, 1, 100_000_000),
    reclaimActionsMax: positiveInt('reclaimActionsMax', config.reclaimActionsMax ?? DEFAULTS.reclaimActionsMax, 0, 1_000_000),
    blocksPerPage,
    pageCells,
    trace: config.trace ?? DEFAULTS.trace,
  };
}
