import type { TraceEvent } from './kernel.js';

/** One trace line: step, task, site, what happened, locks held. */
export function formatEvent(e: TraceEvent): string {
  const locks = e.locks === '' ? '' : `  [holds ${e.locks}]`;
  return `${String(e.step).padStart(5)}  ${e.task.padEnd(8)} ${e.what}  @ ${e.site}${locks}`;
}
