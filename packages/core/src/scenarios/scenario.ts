import type { Kernel } from '../kernel.js';

/** A named workload: files, processes and their programs. Reclaim runs beside every scenario. */
export interface Scenario {
  readonly id: string;
  /** One line: what it does and which hazard it is for. */
  readonly description: string;
  /** User-task steps of a typical run: PCT's default step estimate k for this workload. */
  readonly stepsEstimate: number;
  /** Build the run's files, mms and tasks (drawing any parameters from k.choice). */
  setup(k: Kernel): void;
}
