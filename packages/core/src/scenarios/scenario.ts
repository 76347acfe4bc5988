import type { Kernel } from '../kernel.js';

/** A named workload: files, processes and their programs. Reclaim runs beside every scenario. */
export interface Scenario {
  readonly id: string;
  /** One line: what it does and which hazard it is for. */
  readonly description: string;
  /** User-task steps of a typical run: PCT's default step estimate k for this workload. */
  readonly stepsEstimate: number;
  /**
   * Reclaim that never stops (the retry livelock's adversary): kswapd keeps
   * choosing actions for as long as any user task runs. Default: it stops
   * after reclaimActionsMax iterations.
   */
  readonly reclaimForever?: boolean;
  /**
   * A scenario whose lock instances meet where this one's do not: offered
   * with this scenario's class-only lock-order warnings, as the run that
   * shows the hazard happen.
   */
  readonly witness?: string;
  /**
   * Draws its files, tasks and operations from the choice stream (CHOICE_PARAM
   * choices): a bounded search explores only the programs whose parameters
   * sum to at most its paramsMax, so a certificate of it covers those alone
   * and must say so.
   */
  readonly params?: boolean;
  /** Build the run's files, mms and tasks (drawing any parameters from k.choice). */
  setup(k: Kernel): void;
}
