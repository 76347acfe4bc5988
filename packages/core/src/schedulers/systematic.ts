import { CHOICE_SCHED } from '../choice.js';
import type { Kernel } from '../kernel.js';
import { reclaimCandidates } from '../mm/vmscan.js';
import type { Task } from '../task.js';
import type { Scheduler } from './scheduler.js';

/** markLast bits of a systematic scheduling choice: what its values mean to a preemption bound. */
export const SCHED_CURRENT_RUNNABLE = 1;
export const SCHED_RECLAIM_OFFERED = 2;

/** Reclaim actions asleep at a choice (their ids, and what each touches). */
export interface Sleeping {
  ids: number[];
  fps: number[];
}

/**
 * systematic: the schedule of a bounded exhaustive search (verify.ts), read
 * from a choice list like `replay`. The values of a choice are, in order: the
 * user task that ran last (when it can go on), the other runnable user tasks
 * in task order, then reclaim. Running the last user task (0) is no
 * preemption, nor is switching when it blocks or ends (CHESS's rule);
 * reclaim is a daemon, as in pct: letting it act, and going back to the user
 * task after, costs no preemption (its actions are bounded apart).
 *
 * For the search it keeps, at every choice where reclaim may run, the
 * actions reclaim could take (ids and footprints), and the reclaim actions
 * asleep there (Godefroid's sleep sets): an action the search already took at
 * an earlier point of this schedule, on a sibling, stays asleep while every
 * step since touched nothing it touches, because taking it later reorders
 * independent steps into a schedule already explored.
 */
export class SystematicScheduler implements Scheduler {
  readonly id = 'systematic' as const;
  private lastUser: Task | null = null;
  private readonly order: Task[] = [];
  /** Set by the search before a run: actions to put to sleep at a choice (by choice index). */
  inject: ((choice: number) => Sleeping | undefined) | null = null;
  /** Per scheduling choice where reclaim was offered: its candidates, and the ids asleep on entry. */
  readonly candidates = new Map<number, Sleeping>();
  readonly asleep = new Map<number, number[]>();
  /** The objects those two maps hold, by choice index, kept from run to run: a search runs millions of schedules, and allocating them anew was a fifth of its time in the collector. */
  private readonly candidatesPool: Sleeping[] = [];
  private readonly asleepPool: number[][] = [];
  private readonly sleepIds: number[] = [];
  private readonly sleepFps: number[] = [];

  start(): void {
    this.lastUser = null;
    this.candidates.clear();
    this.asleep.clear();
    this.sleepIds.length = 0;
    this.sleepFps.length = 0;
  }

  next(k: Kernel, runnable: readonly Task[], n: number, _current: Task | null): Task {
    const order = this.order;
    let m = 0;
    let flags = 0;
    const last = this.lastUser;
    let daemon: Task | null = null;
    for (let i = 0; i < n; i++) {
      if (runnable[i] !== last) continue;
      order[m++] = last;
      flags |= SCHED_CURRENT_RUNNABLE;
    }
    for (let i = 0; i < n; i++) {
      const t = runnable[i]!;
      if (t.kthread) daemon ??= t;
      else if (t !== last) order[m++] = t;
    }
    // Reclaim is offered only when it has something to do: its step is then always one action.
    let reclaim: Sleeping | null = null;
    if (daemon !== null && (k.reclaimForever || k.cfg.reclaimActionsMax > 0)) {
      reclaim = this.candidatesPool[k.choice.count] ??= { ids: [], fps: [] };
      reclaimCandidates(k, reclaim.ids, reclaim.fps);
      if (reclaim.ids.length > 0 || m === 0) {
        order[m++] = daemon;
        flags |= SCHED_RECLAIM_OFFERED;
      } else {
        reclaim = null;
      }
    }
    if (m > 1) {
      const at = k.choice.count;
      const injected = this.inject?.(at);
      if (injected) for (let i = 0; i < injected.ids.length; i++) this.sleep(injected.ids[i]!, injected.fps[i]!);
      if (reclaim !== null) {
        this.candidates.set(at, reclaim);
        const asleep = (this.asleepPool[at] ??= []);
        asleep.length = 0;
        for (const id of this.sleepIds) asleep.push(id);
        this.asleep.set(at, asleep);
      }
    }
    const c = k.choice.choose(m, CHOICE_SCHED);
    if (m > 1) k.choice.markLast(flags);
    const t = order[c]!;
    if (!t.kthread) this.lastUser = t;
    return t;
  }

  /** After each step: a sleeping action the step touched what it touches wakes. */
  stepped(_k: Kernel, _t: Task, fp: number): void {
    let j = 0;
    for (let i = 0; i < this.sleepIds.length; i++) {
      if ((this.sleepFps[i]! & fp) !== 0) continue;
      this.sleepIds[j] = this.sleepIds[i]!;
      this.sleepFps[j++] = this.sleepFps[i]!;
    }
    this.sleepIds.length = j;
    this.sleepFps.length = j;
  }

  private sleep(id: number, fp: number): void {
    if (!this.sleepIds.includes(id)) {
      this.sleepIds.push(id);
      this.sleepFps.push(fp);
    }
  }
}

/** Whether taking value `v` of a systematic choice of arity `n` marked `flags` preempts the last user task. */
export function preempts(flags: number, n: number, v: number): boolean {
  return (flags & SCHED_CURRENT_RUNNABLE) !== 0 && delays(flags, n, v);
}

/**
 * Whether taking value `v` delays the deterministic schedule (run the last
 * user task while it can go on, then the next in task order): any user task
 * but the first in line, at any choice (Emmi, Qadeer & Rakamarić's delay
 * bounding; unlike a preemption, a switch where the task blocks or ends to
 * any but the next one counts too).
 */
export function delays(flags: number, n: number, v: number): boolean {
  return v !== 0 && !((flags & SCHED_RECLAIM_OFFERED) !== 0 && v === n - 1);
}
