/**
 * deadlock: no task can run and one has not finished. The report is the
 * wait-for cycle, one line per (task, lock, site), or the lost wakeup: a wait
 * that no running task will ever end.
 */
import { lockName, type Kernel } from '../kernel.js';
import { CLASS_I_MUTEX, CLASS_MMAP_SEM, CLASS_PAGE_LOCK, CLASS_PG_EXTRA, LOCK_CLASSES, RwSem } from '../locks.js';
import { WAIT_MUTEX, WAIT_PAGE_EXTRA, WAIT_PAGE_LOCK, WAIT_RWSEM, type Task } from '../task.js';

export function deadlock(k: Kernel): never {
  const first = firstWaiting(k);
  const chain: Task[] = [first];
  for (let t = first; ; ) {
    const owner = ownerOf(t);
    if (owner === null || owner.done) return lostWakeup(k, t, owner);
    const at = chain.indexOf(owner);
    if (at >= 0) return cycle(k, chain.slice(at));
    chain.push(owner);
    t = owner;
  }
}

function firstWaiting(k: Kernel): Task {
  for (let i = 0; i < k.nrTasks; i++) if (!k.tasks[i]!.done) return k.tasks[i]!;
  throw new Error('deadlock oracle called with every task finished');
}

/** Who must act before `t` can go on. */
function ownerOf(t: Task): Task | null {
  switch (t.waitKind) {
    case WAIT_PAGE_LOCK:
      return t.waitPage!.lockOwner;
    case WAIT_PAGE_EXTRA:
      return t.waitPage!.extraOwner;
    case WAIT_MUTEX:
      return (t.waitLock as { owner: Task | null }).owner;
    case WAIT_RWSEM: {
      const sem = t.waitLock as RwSem;
      if (sem.writer !== null) return sem.writer;
      // A reader queued behind a writer waits for that writer; a writer waits for the readers.
      const me = sem.queue.indexOf(t);
      for (let i = 0; i < me; i++) if (sem.queueMode[i] === 1) return sem.queue[i]!;
      return sem.readers[0] ?? null;
    }
    default:
      return null;
  }
}

function waitClass(t: Task): number {
  switch (t.waitKind) {
    case WAIT_PAGE_LOCK:
      return CLASS_PAGE_LOCK;
    case WAIT_PAGE_EXTRA:
      return CLASS_PG_EXTRA;
    case WAIT_MUTEX:
      return CLASS_I_MUTEX;
    default:
      return CLASS_MMAP_SEM;
  }
}

function waitLockObject(t: Task): object {
  if (t.waitKind === WAIT_PAGE_EXTRA) return t.waitPage!.extraBit;
  return t.waitPage ?? t.waitLock!;
}

/** `task waits in lock_page <- filemap_nopage <- … for page_lock(f0:0), held by task (taken in __grab_cache_page <- …)` */
function describeWait(t: Task, owner: Task | null): string {
  const lock = waitLockObject(t);
  const name = lockName(waitClass(t), lock);
  const wants = `${t.name} waits in ${t.waitFn} <- ${t.where()} for ${name}`;
  if (owner === null) return `${wants}, which no task holds`;
  const held = owner.holding(lock);
  const since = held !== null ? ` (taken in ${held.fn} <- ${held.caller})` : t.waitKind === WAIT_PAGE_EXTRA ? ' (its flag set)' : '';
  return `${wants}, held by ${owner === t ? 'itself' : owner.name}${since}${owner.done ? ', which has exited' : ''}`;
}

/** `lock_page in filemap_nopage <- do_page_fault <- copy_from_user, held from __grab_cache_page`: a wait with no names in it. */
function waitSite(t: Task, owner: Task | null): string {
  const held = owner?.holding(waitLockObject(t)) ?? null;
  const from = held !== null ? `, held from ${held.fn} <- ${held.caller}` : '';
  // Deep enough to tell a fault under the write's copy from one in its prefault.
  return `${t.waitFn} ${LOCK_CLASSES[waitClass(t)]} in ${t.where(6)}${from}`;
}

function cycle(k: Kernel, tasks: Task[]): never {
  const details = tasks.map((t) => describeWait(t, ownerOf(t)));
  const sites = [tasks.length === 1 ? 'self' : `cycle of ${tasks.length}`, ...tasks.map((t) => waitSite(t, ownerOf(t))).sort()];
  const head = tasks[0]!;
  const name = lockName(waitClass(head), waitLockObject(head));
  const message =
    tasks.length === 1
      ? `${head.name} waits in ${head.waitFn} <- ${head.where(6)} for ${name}, which it holds itself (self deadlock)`
      : `${tasks.length === 2 ? 'ABBA deadlock' : `deadlock cycle of ${tasks.length} tasks`}: ${tasks.map((t) => `${t.name} waits for ${lockName(waitClass(t), waitLockObject(t))}`).join(', ')}; each held by the next`;
  k.fail('deadlock', head, message, details, sites);
}

function lostWakeup(k: Kernel, t: Task, owner: Task | null): never {
  const name = lockName(waitClass(t), waitLockObject(t));
  const who = owner === null ? 'no task holds it' : `${owner.name} took it and exited`;
  k.fail('deadlock', t, `lost wakeup: ${t.name} waits in ${t.waitFn} for ${name}, but ${who}, so nothing will ever release it`, [describeWait(t, owner)], [owner === null ? 'lost wakeup' : 'owner exited', waitSite(t, owner)]);
}
