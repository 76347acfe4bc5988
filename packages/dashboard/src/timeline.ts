/**
 * The interleaving timeline of a replayed run, as data the page only has to
 * draw: one lane per task, each event a mark, and each lock a task held a
 * bar from the event that took it to the event that let it go. The core's
 * trace says, at every event, which locks its task holds after it; a hold
 * is the run of a task's events that list the lock, and it spans the other
 * tasks' events in between, since the lock stays held while they run.
 */
import type { Failure, TraceEvent } from '@pcfarm/core';

/** How an event changed what its task holds, or that it went to sleep. */
export type EventKind = 'acquire' | 'release' | 'wait' | 'event';

export interface TimelineEvent {
  /** Its index in the whole trace: the timeline's x axis. */
  i: number;
  step: number;
  task: string;
  site: string;
  what: string;
  /** Locks the task holds after the event. */
  locks: string[];
  kind: EventKind;
}

/** A lock held by a task over events [from, to). */
export interface Hold {
  task: string;
  lock: string;
  from: number;
  /** The event that released it; the trace's length when the run ended with it held. */
  to: number;
  /** Still held when the run ended (a deadlock's locks are). */
  open: boolean;
}

export interface Timeline {
  /** Lanes, in order of each task's first event. */
  tasks: string[];
  eventsTotal: number;
  eventsFrom: number;
  events: TimelineEvent[];
  holds: Hold[];
  /** The failing task's last event at or before the failure's step, when it has one. */
  failureEvent: number | null;
}

/**
 * Split the core's "locks held" text into lock names. Names nest
 * parentheses and may hold ", " themselves (`page_lock(page#0(was index 0,
 * out of the cache))`), so only a comma outside every parenthesis separates.
 */
export function parseLocks(text: string): string[] {
  const locks: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      locks.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  if (last !== '') locks.push(last);
  return locks.filter((l) => l !== '');
}

/**
 * The timeline of a trace. At most `eventsMax` events are kept, the last
 * ones (a failure ends a run, so that is where it is), and holds are cut to
 * the events kept.
 */
export function timelineOf(trace: readonly TraceEvent[], failure: Failure | null, eventsMax = Infinity): Timeline {
  const tasks: string[] = [];
  const open = new Map<string, Map<string, number>>();
  const holds: Hold[] = [];
  const events: TimelineEvent[] = [];
  trace.forEach((e, i) => {
    let held = open.get(e.task);
    if (held === undefined) {
      held = new Map();
      open.set(e.task, held);
      tasks.push(e.task);
    }
    const locks = parseLocks(e.locks);
    const now = new Set(locks);
    let released = false;
    let acquired = false;
    for (const [lock, from] of held) {
      if (now.has(lock)) continue;
      holds.push({ task: e.task, lock, from, to: i, open: false });
      held.delete(lock);
      released = true;
    }
    for (const lock of locks) {
      if (held.has(lock)) continue;
      held.set(lock, i);
      acquired = true;
    }
    // A blocking call is traced as "…: sleeps, held by X" (see the core's lock paths).
    const kind: EventKind = /\bsleeps\b|\bwaits\b/.test(e.what) ? 'wait' : acquired ? 'acquire' : released ? 'release' : 'event';
    events.push({ i, step: e.step, task: e.task, site: e.site, what: e.what, locks, kind });
  });
  for (const [task, held] of open) for (const [lock, from] of held) holds.push({ task, lock, from, to: trace.length, open: true });
  holds.sort((a, b) => a.from - b.from || a.to - b.to);

  let failureEvent: number | null = null;
  if (failure !== null) {
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.task === failure.task && e.step <= failure.step) {
        failureEvent = i;
        break;
      }
    }
  }

  const from = Math.max(0, events.length - eventsMax);
  return {
    tasks,
    eventsTotal: events.length,
    eventsFrom: from,
    events: from === 0 ? events : events.slice(from),
    holds: from === 0 ? holds : holds.filter((h) => h.to > from).map((h) => ({ ...h, from: Math.max(h.from, from) })),
    failureEvent: failureEvent !== null && failureEvent >= from ? failureEvent : null,
  };
}
