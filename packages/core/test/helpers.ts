import { Model, type ModelOptions, type Outcome, type RunConfig } from '../src/index.js';

/** The first failing outcome in seeds [0, runs), or null. */
export function firstFailure(config: RunConfig, runs: number, options?: ModelOptions, kind?: string): Outcome | null {
  const model = new Model(config, options);
  for (let seed = 0; seed < runs; seed++) {
    const o = model.run({ seed });
    if (!o.ok && (kind === undefined || o.failure!.kind === kind)) return o;
  }
  return null;
}

/** How many runs of each failure kind in seeds [0, runs). */
export function kindsIn(config: RunConfig, runs: number, options?: ModelOptions): Record<string, number> {
  const model = new Model(config, options);
  const kinds: Record<string, number> = {};
  for (let seed = 0; seed < runs; seed++) {
    const o = model.run({ seed });
    if (!o.ok) kinds[o.failure!.kind] = (kinds[o.failure!.kind] ?? 0) + 1;
  }
  return kinds;
}

/**
 * What each task of a cell's run did and saw, for checking a bounded search's
 * classes: its trace events in order (frames, pages and swap slots renamed,
 * which only name memory), reclaim's as a multiset (its actions commute when
 * they share nothing), one line a task. Replays each run traced on one model.
 */
export function taskTraces(strategy: string, scenario: string, reclaimActionsMax: number): (o: Outcome) => string {
  const traced = new Model({ strategy, scenario, scheduler: 'systematic', reclaimActionsMax, trace: true });
  const renamed = (s: string): string => s.replace(/page#\d+/g, 'page#').replace(/frame \d+/g, 'frame').replace(/slot \d+/g, 'slot');
  return (o) => {
    const events = new Map<string, string[]>();
    for (const e of traced.run({ choices: o.choices }).trace!) {
      if (e.task === 'sync') continue;
      const list = events.get(e.task) ?? [];
      list.push(renamed(`${e.what} @ ${e.site} [${e.locks}]`));
      events.set(e.task, list);
    }
    return [...events.keys()]
      .sort()
      .map((task) => `${task}: ${(task === 'kswapd' ? [...events.get(task)!].sort() : events.get(task)!).join(' | ')}`)
      .join('\n');
  };
}
