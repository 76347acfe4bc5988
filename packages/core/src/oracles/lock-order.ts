import { CLASS_PAGE_LOCK, LOCK_CLASSES, type HeldLock } from '../locks.js';
import type { Task } from '../task.js';

const N = LOCK_CLASSES.length;

/**
 * lock-order: lock-class ordering, as lockdep does it: every blocking acquisition of
 * class B while holding class A records A -> B; a new edge that closes a
 * cycle, or a nesting within one class, is a `lock-order` finding even when
 * this run did not deadlock. Trylocks add no edge (they cannot wait).
 */
export class Lockdep {
  private readonly edge = new Uint8Array(N * N);
  private readonly edgeSite: string[] = new Array<string>(N * N).fill('');

  reset(): void {
    this.edge.fill(0);
  }

  /** Record taking `cls` in task `t`; returns a report when the order is unsafe, else null. */
  acquire(t: Task, cls: number): { message: string; details: string[]; sites: string[] } | null {
    for (let i = 0; i < t.nrHeld; i++) {
      const h = t.held[i]!;
      const a = h.cls;
      if (a === cls) {
        // Page locks nest only through a bug: nothing orders two pages.
        const what = cls === CLASS_PAGE_LOCK ? 'page lock taken while holding another page lock' : `${LOCK_CLASSES[cls]} taken while holding ${LOCK_CLASSES[cls]}`;
        return { message: `possible recursive locking: ${what}`, details: [`${t.name}: ${describeEdge(t, h, cls)}`], sites: [`recursive ${LOCK_CLASSES[cls]}: taken in ${t.where(3)} while held from ${h.fn}`] };
      }
      if (this.edge[a * N + cls] === 1) continue;
      const path = this.path(cls, a);
      if (path !== null) {
        const details = [`${t.name}: ${describeEdge(t, h, cls)}`];
        for (let j = 0; j + 1 < path.length; j++) details.push(`earlier: ${this.edgeSite[path[j]! * N + path[j + 1]!]}`);
        const classes = [a, ...path];
        const cycle = classes.map((c) => LOCK_CLASSES[c]).join(' -> ');
        return { message: `possible circular locking dependency: ${cycle}`, details, sites: [`cycle ${canonicalCycle(classes)}`] };
      }
      this.edge[a * N + cls] = 1;
      this.edgeSite[a * N + cls] = `${t.name}: ${describeEdge(t, h, cls)}`;
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

/** `page_lock (taken in f <- g) -> mmap_sem (in …)`: built only for a report or a new edge, at most N*N a run. */
function describeEdge(t: Task, h: HeldLock, cls: number): string {
  return `${LOCK_CLASSES[h.cls]} (taken in ${h.fn} <- ${h.caller}) -> ${LOCK_CLASSES[cls]} (in ${t.where(4)})`;
}
