import type { SchedulerId } from '../config.js';
import { PctScheduler } from './pct.js';
import { RandomScheduler } from './random.js';
import { ReplayScheduler } from './replay.js';
import { SystematicScheduler } from './systematic.js';
import { PosScheduler } from './pos.js';
import { SurwScheduler } from './surw.js';
import type { Scheduler } from './scheduler.js';

export type { Scheduler } from './scheduler.js';

export function createScheduler(id: SchedulerId): Scheduler {
  switch (id) {
    case 'pct':
      return new PctScheduler();
    case 'random':
      return new RandomScheduler();
    case 'replay':
      return new ReplayScheduler();
    case 'systematic':
      return new SystematicScheduler();
    case 'pos':
      return new PosScheduler();
    case 'surw':
      return new SurwScheduler();
  }
}
