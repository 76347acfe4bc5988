/**
 * lock-order: lockdep, with the lock instances it leaves out.
 *
 * As lockdep does (kernel/lockdep.c), every blocking acquisition of class B
 * while holding class A records the class edge A -> B, and a new edge that
 * closes a cycle (or a nesting within one class) is a finding even when this
 * run did not deadlock. Trylocks add no edge: they cannot wait.
 *
 * Lockdep stops at classes; a kernel developer does not. Beside each class
 * edge the run records the instance edge (which page, which mm, which file)
 * and the task that made it, and at the end of the run the class cycle is
 * judged against the instances: a cycle of instance edges made by distinct
 * tasks is a `lock-order` failure (a deadlock this schedule did not happen to
 * close); a class cycle whose instances never meet is a warning. An mmap_sem
 * taken for reading by both sides of an edge blocks only behind a queued
 * writer, so it closes a cycle only where some task of that mm can take it
 * for writing (munmap).
 *
 * PG_writing (excl-flag's bit) is a lock class of this model only: lockdep
 * never tracked bit waits (wait_on_bit), so no kernel of the time would have
 * reported it.
 */
import type { Kernel } from '../kernel.js';
import { CLASS_MMAP_SEM, CLASS_PAGE_LOCK, LOCK_CLASSES, lockKeyName, MODE_READ, MODE_WRITE, type HeldLock } from '../locks.js';
import type { Task } from '../task.js';

const N = LOCK_CLASSES.length;

/** Instance edges one run may record; past this, lock order is judged on the classes alone. */
const INSTANCE_EDGES_MAX = 64;

/** The first unsafe class order a run met, kept to be judged against its instances when the run ends. */
interface ClassFinding {
  /** The classes of the cycle, the first repeated at the end (a nesting: [c, c]). */
  classes: number[];
  message: string;
  details: string[];
  task: Task;
  site: string;
  step: number;
}

export class Lockdep {
  private readonly edge = new Uint8Array(N * N);
  private readonly edgeSite: string[] = new Array<string>(N * N).fill('');
  private finding: ClassFinding | null = null;
  // Instance edges: lock key -> lock key, the modes, the tasks (a bit each), and where the first was made.
  private readonly eFrom = new Int32Array(INSTANCE_EDGES_MAX);
  private readonly eTo = new Int32Array(INSTANCE_EDGES_MAX);
  private readonly eFromMode = new Uint8Array(INSTANCE_EDGES_MAX);
  private readonly eToMode = new Uint8Array(INSTANCE_EDGES_MAX);
  private readonly eTasks = new Uint8Array(INSTANCE_EDGES_MAX);
  private readonly eTask: (Task | null)[] = new Array<Task | null>(INSTANCE_EDGES_MAX).fill(null);
  private readonly eHeldIn: string[] = new Array<string>(INSTANCE_EDGES_MAX).fill('');
  private readonly eTakenIn: string[] = new Array<string>(INSTANCE_EDGES_MAX).fill('');
  private nEdges = 0;

  reset(): void {
    this.edge.fill(0);
    this.finding = null;
    for (let i = 0; i < this.nEdges; i++) this.eTask[i] = null;
    this.nEdges = 0;
  }

  /** Record that `t` is about to wait for lock `key` of class `cls` in `mode`. */
  acquire(t: Task, cls: number, key: number, mode: number): void {
    for (let i = 0; i < t.nrHeld; i++) {
      const h = t.held[i]!;
      this.instanceEdge(t, h, key, mode);
      const a = h.cls;
      if (this.edge[a * N + cls] === 1) continue;
      if (a === cls) {
        // Page locks nest only through a bug: nothing orders two pages.
        if (this.finding === null) {
          const what = cls === CLASS_PAGE_LOCK ? 'page lock taken while holding another page lock' : `${LOCK_CLASSES[cls]} taken while holding ${LOCK_CLASSES[cls]}`;
          this.finding = { classes: [cls, cls], message: `possible recursive locking: ${what}`, details: [`${t.name}: ${describeEdge(t, h, cls)}`], task: t, site: t.where(), step: -1 };
        }
        continue;
      }
      const path = this.path(cls, a);
      if (path !== null) {
        if (this.finding === null) {
          const details = [`${t.name}: ${describeEdge(t, h, cls)}`];
          for (let j = 0; j + 1 < path.length; j++) details.push(`earlier: ${this.edgeSite[path[j]! * N + path[j + 1]!]}`);
          const classes = [a, ...path];
          this.finding = { classes, message: `possible circular locking dependency: ${classes.map((c) => LOCK_CLASSES[c]).join(' -> ')}`, details, task: t, site: t.where(), step: -1 };
        }
        continue;
      }
      this.edge[a * N + cls] = 1;
      this.edgeSite[a * N + cls] = `${t.name}: ${describeEdge(t, h, cls)}`;
    }
  }

  /** The step of a finding is the kernel's clock, which lockdep does not see: the caller stamps it. */
  stamp(step: number): void {
    if (this.finding !== null && this.finding.step < 0) this.finding.step = step;
  }

  private instanceEdge(t: Task, h: HeldLock, key: number, mode: number): void {
    for (let e = 0; e < this.nEdges; e++) {
      if (this.eFrom[e] === h.key && this.eTo[e] === key && this.eFromMode[e] === h.mode && this.eToMode[e] === mode) {
        this.eTasks[e]! |= 1 << t.id;
        return;
      }
    }
    if (this.nEdges === INSTANCE_EDGES_MAX) return;
    const e = this.nEdges++;
    this.eFrom[e] = h.key;
    this.eTo[e] = key;
    this.eFromMode[e] = h.mode;
    this.eToMode[e] = mode;
    this.eTasks[e] = 1 << t.id;
    this.eTask[e] = t;
    // Names the kernel already holds: nothing is built unless a report needs it.
    this.eHeldIn[e] = h.fn;
    this.eTakenIn[e] = t.fn;
  }

  /**
   * At the end of a run: a class finding whose instances form a cycle made by
   * distinct tasks is a `lock-order` failure (deferred: anything worse in the
   * run wins); one whose instances never meet is a warning, with the
   * scenario's witness where it has one.
   */
  judge(k: Kernel, witness: string | null): void {
    const f = this.finding;
    if (f === null) return;
    const cycle = this.instanceCycle(k);
    if (cycle !== null) {
      const keys = cycle.map((e) => this.eFrom[e]!);
      const classes = keys.map((key) => Math.floor(key / 1024));
      const details = cycle.map((e) => this.describeInstanceEdge(k, e));
      const message = `possible deadlock: ${[...keys, keys[0]!].map((key) => lockKeyName(key)).join(' -> ')}, each edge taken by a different task: these lock instances can meet`;
      k.deferred ??= {
        kind: 'lock-order',
        message,
        task: f.task.name,
        site: f.site,
        step: f.step,
        details: [...details, ...f.details],
        sites: [`cycle ${canonicalCycle([...classes, classes[0]!])}`, 'instances meet'],
        severity: 'failure',
        witness: null,
      };
      return;
    }
    const instances: string[] = [];
    for (let j = 0; j + 1 < f.classes.length; j++) {
      const a = f.classes[j]!;
      const b = f.classes[j + 1]!;
      for (let e = 0; e < this.nEdges; e++) {
        if (Math.floor(this.eFrom[e]! / 1024) === a && Math.floor(this.eTo[e]! / 1024) === b) instances.push(this.describeInstanceEdge(k, e));
      }
    }
    const message = `${f.message}, but its lock instances never meet in this scenario (a class-only cycle)`;
    k.warnings.push({
      kind: 'lock-order',
      message,
      task: f.task.name,
      site: f.site,
      step: f.step,
      details: [...instances, ...f.details],
      sites: [`cycle ${canonicalCycle(f.classes)}`, 'class only'],
      severity: 'warning',
      witness,
    });
  }

  private describeInstanceEdge(k: Kernel, e: number): string {
    const tasks: string[] = [];
    for (let i = 0; i < k.nrTasks; i++) if (this.eTasks[e]! & (1 << i)) tasks.push(k.tasks[i]!.name);
    const mode = (m: number, key: number): string => (Math.floor(key / 1024) === CLASS_MMAP_SEM ? (m === MODE_READ ? ' for reading' : ' for writing') : '');
    return `${tasks.join(', ')}: holds ${lockKeyName(this.eFrom[e]!)}${mode(this.eFromMode[e]!, this.eFrom[e]!)} (taken in ${this.eHeldIn[e]}) and waits for ${lockKeyName(this.eTo[e]!)}${mode(this.eToMode[e]!, this.eTo[e]!)} in ${this.eTakenIn[e]}`;
  }

  /**
   * A cycle of instance edges e1 -> e2 -> … -> e1 (each edge's `to` is the
   * next one's `from`) whose edges can be taken by distinct tasks at once, and
   * whose every mmap_sem blocks: some side wants or holds it for writing, or
   * a task of that mm can queue a writer. Edges are few (tens): a plain search.
   */
  private instanceCycle(k: Kernel): number[] | null {
    const path: number[] = [];
    const used = { tasks: 0 };
    const blocks = (into: number, outOf: number): boolean => {
      const key = this.eTo[into]!;
      if (Math.floor(key / 1024) !== CLASS_MMAP_SEM) return true;
      if (this.eToMode[into] === MODE_WRITE || this.eFromMode[outOf] === MODE_WRITE) return true;
      return k.mms[key % 1024]!.mmapSem.writersPossible > 0;
    };
    const search = (e: number, start: number): boolean => {
      const tasks = this.eTasks[e]! & ~used.tasks;
      if (tasks === 0) return false;
      for (let bit = 0; bit < 8; bit++) {
        if (!(tasks & (1 << bit))) continue;
        used.tasks |= 1 << bit;
        path.push(e);
        if (this.eTo[e] === this.eFrom[start] && blocks(e, start)) return true;
        for (let next = 0; next < this.nEdges; next++) {
          if (next === start || path.includes(next) || this.eFrom[next] !== this.eTo[e] || !blocks(e, next)) continue;
          if (search(next, start)) return true;
        }
        path.pop();
        used.tasks &= ~(1 << bit);
      }
      return false;
    };
    for (let e = 0; e < this.nEdges; e++) {
      path.length = 0;
      used.tasks = 0;
      if (search(e, e)) return path.slice();
    }
    return null;
  }

  /** A path of edges from class `from` to class `to`, as the list of classes on it. */
  private path(from: number, to: number): number[] | null {
    const prev = new Int8Array(N).fill(-1);
    const queue = [from];
    prev[from] = from;
    while (queue.length > 0) {
      const c = queue.shift()!;
      if (c === to) {
        const out = [to];
        for (let x = to; x !== from; x = prev[x]!) out.unshift(prev[x]!);
        return out;
      }
      for (let d = 0; d < N; d++) {
        if (this.edge[c * N + d] === 1 && prev[d] === -1) {
          prev[d] = c;
          queue.push(d);
        }
      }
    }
    return null;
  }
}

/** A cycle a -> b -> … -> a written from its smallest class, so every rotation reads the same. */
function canonicalCycle(classes: number[]): string {
  const ring = classes.slice(0, -1);
  let best = 0;
  for (let i = 1; i < ring.length; i++) if (ring[i]! < ring[best]!) best = i;
  const rotated = [...ring.slice(best), ...ring.slice(0, best)];
  return [...rotated, rotated[0]!].map((c) => LOCK_CLASSES[c]).join(' -> ');
}

/** `page_lock (taken in f <- g) -> mmap_sem (in …)`: built only for a report or a new class edge, at most N*N a run. */
function describeEdge(t: Task, h: HeldLock, cls: number): string {
  return `${LOCK_CLASSES[h.cls]} (taken in ${h.fn} <- ${h.caller}) -> ${LOCK_CLASSES[cls]} (in ${t.where(4)})`;
}
