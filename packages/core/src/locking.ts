import type { Gen } from './gen.js';
import type { Kernel } from './kernel.js';
import { COMM_LOCK } from './communication.js';
import { CLASS_I_MUTEX, CLASS_MMAP_SEM, MODE_READ, MODE_WRITE, type Mutex, type RwSem } from './locks.js';
import { WAIT_MUTEX, WAIT_RWSEM, type Task } from './task.js';

/** Tell lockdep about a blocking acquisition of lock instance `key`; it judges the order when the run ends. */
export function lockdepAcquire(k: Kernel, t: Task, cls: number, key: number, mode: number): void {
  if (t.nrHeld === 0) return;
  k.lockdep.acquire(t, cls, key, mode);
  k.lockdep.stamp(k.step);
}

export function* mutexLock(k: Kernel, t: Task, m: Mutex): Gen {
  lockdepAcquire(k, t, CLASS_I_MUTEX, m.key, MODE_WRITE);
  // The lock word is read where the task finds it held and written where it takes it.
  k.acc.iMutex(m);
  while (m.owner !== null) {
    t.waitOn(WAIT_MUTEX, 'mutex_lock', null, m);
    yield;
  }
  t.clearWait();
  k.acc.iMutex(m);
  if (k.comm.pairs !== null) k.comm.read(COMM_LOCK, m.key, t);
  m.owner = t;
  k.runnableStale = true;
  t.hold(CLASS_I_MUTEX, m, m.key, MODE_WRITE);
  if (k.tracing) k.event(t, `mutex_lock(${m.name})`);
}

export function mutexUnlock(k: Kernel, t: Task, m: Mutex): void {
  if (m.owner !== t) k.bug(t, 'mutex_unlock by a non-owner', `mutex_unlock(${m.name}) by a task that does not hold it`);
  k.acc.iMutex(m);
  m.owner = null;
  k.runnableStale = true;
  if (k.comm.pairs !== null) k.comm.wrote(COMM_LOCK, m.key, t);
  t.release(m);
  if (k.tracing) k.event(t, `mutex_unlock(${m.name})`);
}

export function* downRead(k: Kernel, t: Task, sem: RwSem): Gen {
  lockdepAcquire(k, t, CLASS_MMAP_SEM, sem.key, MODE_READ);
  // mmap_sem's word and queue, read and written by every down and up.
  k.acc.mmapSem(sem);
  k.costs.mmapSemAcquisitions++;
  // A queued writer blocks new readers, as in Linux.
  if (sem.writer === null && sem.queue.length === 0) {
    grantRead(sem, t);
  } else {
    sem.queue.push(t);
    sem.queueMode.push(MODE_READ);
    t.waitOn(WAIT_RWSEM, 'down_read', null, sem);
    while (t.waitKind === WAIT_RWSEM) yield;
    k.acc.mmapSem(sem);
  }
  if (k.comm.pairs !== null) k.comm.read(COMM_LOCK, sem.key, t);
  if (k.tracing) k.event(t, `down_read(${sem.name})`);
}

export function upRead(k: Kernel, t: Task, sem: RwSem): void {
  k.acc.mmapSem(sem);
  const i = sem.readers.indexOf(t);
  if (i < 0) k.bug(t, 'up_read by a non-holder', `up_read(${sem.name}) by a task that does not hold it`);
  sem.readers.splice(i, 1);
  if (k.comm.pairs !== null) k.comm.wrote(COMM_LOCK, sem.key, t);
  t.release(sem);
  if (k.tracing) k.event(t, `up_read(${sem.name})`);
  wake(k, sem);
}

export function* downWrite(k: Kernel, t: Task, sem: RwSem): Gen {
  lockdepAcquire(k, t, CLASS_MMAP_SEM, sem.key, MODE_WRITE);
  k.acc.mmapSem(sem);
  k.costs.mmapSemAcquisitions++;
  if (sem.writer === null && sem.readers.length === 0 && sem.queue.length === 0) {
    sem.writer = t;
    t.hold(CLASS_MMAP_SEM, sem, sem.key, MODE_WRITE);
  } else {
    sem.queue.push(t);
    sem.queueMode.push(MODE_WRITE);
    t.waitOn(WAIT_RWSEM, 'down_write', null, sem);
    while (t.waitKind === WAIT_RWSEM) yield;
    k.acc.mmapSem(sem);
  }
  if (k.comm.pairs !== null) k.comm.read(COMM_LOCK, sem.key, t);
  if (k.tracing) k.event(t, `down_write(${sem.name})`);
}

export function upWrite(k: Kernel, t: Task, sem: RwSem): void {
  if (sem.writer !== t) k.bug(t, 'up_write by a non-owner', `up_write(${sem.name}) by a task that does not hold it`);
  k.acc.mmapSem(sem);
  sem.writer = null;
  if (k.comm.pairs !== null) k.comm.wrote(COMM_LOCK, sem.key, t);
  t.release(sem);
  if (k.tracing) k.event(t, `up_write(${sem.name})`);
  wake(k, sem);
}

function grantRead(sem: RwSem, t: Task): void {
  sem.readers.push(t);
  t.hold(CLASS_MMAP_SEM, sem, sem.key, MODE_READ);
}

/** Hand the semaphore to the head of the queue: one writer, or every reader up to the next writer. */
function wake(k: Kernel, sem: RwSem): void {
  while (sem.queue.length > 0) {
    const head = sem.queue[0]!;
    if (sem.queueMode[0] === MODE_WRITE) {
      if (sem.writer !== null || sem.readers.length > 0) return;
      sem.queue.shift();
      sem.queueMode.shift();
      sem.writer = head;
      head.hold(CLASS_MMAP_SEM, sem, sem.key, MODE_WRITE);
      head.clearWait();
      k.runnableStale = true;
      return;
    }
    if (sem.writer !== null) return;
    sem.queue.shift();
    sem.queueMode.shift();
    grantRead(sem, head);
    head.clearWait();
    k.runnableStale = true;
  }
}
