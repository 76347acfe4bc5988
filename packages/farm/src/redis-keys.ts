/**
 * Every Redis key the farm writes, named in one place. Under the farm's
 * prefix: `campaigns` (zset id -> createdAt) and `campaigns:rev` (a counter
 * bumped when one is created, imported, deleted or changes state); per
 * campaign `c:ID` (hash: meta, state, runningMs, runs, steps, failures,
 * warnings, warningBuckets, rev, cursor, doneBelow, audit counts, and a
 * steered campaign's deal and plans),
 * `c:ID:done` (set: the done batch indexes at or above doneBelow, every
 * one below it being done; see lua/includes/done.lua) and `c:ID:cov` (set:
 * coverage hashes), `c:ID:buckets` and
 * `c:ID:min` (hashes bucket id -> JSON; a minimized reproducer kept apart),
 * `c:ID:samples` (list), and the coordinator's `c:ID:queued` (batches
 * handed out, not yet recorded), `c:ID:audit` (pending audits),
 * `c:ID:minfail` (minimizations given up) and `c:ID:bugs` (farm bugs);
 * a guided campaign's `c:ID:corpus:CELL` (hash round -> JSON: the states
 * each batch of the cell added to its corpus, guide.ts);
 * `certificates` (hash claim -> JSON: what verify proved or found of a
 * cell, the strongest of each claim, certificates.ts);
 * `workers` (set) and `w:ID` (JSON with a TTL: a dead worker disappears by
 * itself); `coordinator` (the lease); `inbox` (finished jobs' results, for
 * the coordinator) and the channel `inbox:posted` that wakes it. BullMQ's
 * queues live beside them under `bull:${prefix}-batches` and
 * `bull:${prefix}-minimize` (farm-queues.ts).
 */
import { FarmError } from './errors.js';

/** The key prefix (and queue name prefix) of a farm when none is given. */
export const REDIS_PREFIX_DEFAULT = 'pcfarm';

/** What a prefix may be: it is part of every key and queue name. */
const PREFIX_PATTERN = /^[\w.-]+$/;

export class FarmKeys {
  constructor(readonly prefix: string = REDIS_PREFIX_DEFAULT) {
    if (!PREFIX_PATTERN.test(prefix)) throw new FarmError('EREDIS', `the prefix must be letters, digits, '.', '_' or '-', not ${JSON.stringify(prefix)}`);
  }

  private key(...parts: (string | number)[]): string {
    return [this.prefix, ...parts].join(':');
  }

  get campaigns(): string {
    return this.key('campaigns');
  }
  get campaignsRev(): string {
    return this.key('campaigns', 'rev');
  }
  campaign(id: string): string {
    return this.key('c', id);
  }
  done(id: string): string {
    return this.key('c', id, 'done');
  }
  queued(id: string): string {
    return this.key('c', id, 'queued');
  }
  coverage(id: string): string {
    return this.key('c', id, 'cov');
  }
  /** The coverage hashes exactly one run reached, each with its cell (Good-Turing's singletons, risk.ts). */
  once(id: string): string {
    return this.key('c', id, 'once');
  }
  /** The coverage hashes exactly two runs reached, each with its cell (the doubletons of Chao's extrapolation, risk.ts). */
  twice(id: string): string {
    return this.key('c', id, 'twice');
  }
  buckets(id: string): string {
    return this.key('c', id, 'buckets');
  }
  minimized(id: string): string {
    return this.key('c', id, 'min');
  }
  samples(id: string): string {
    return this.key('c', id, 'samples');
  }
  audits(id: string): string {
    return this.key('c', id, 'audit');
  }
  minimizeFailures(id: string): string {
    return this.key('c', id, 'minfail');
  }
  bugs(id: string): string {
    return this.key('c', id, 'bugs');
  }
  /** A guided campaign's corpus of one cell (cellAt's order): round -> the states that batch added. */
  corpus(id: string, cell: number): string {
    return this.key('c', id, 'corpus', cell);
  }
  /** Every key of a campaign of `cells` cells. */
  campaignKeys(id: string, cells = 0): string[] {
    const corpus = Array.from({ length: cells }, (_, c) => this.corpus(id, c));
    return [this.campaign(id), this.done(id), this.queued(id), this.coverage(id), this.once(id), this.twice(id), this.buckets(id), this.minimized(id), this.samples(id), this.audits(id), this.minimizeFailures(id), this.bugs(id), ...corpus];
  }
  /** What verify proved or found of each cell: certificateKey -> certificate JSON, the strongest kept (record-certificate.lua). */
  get certificates(): string {
    return this.key('certificates');
  }
  get workers(): string {
    return this.key('workers');
  }
  worker(id: string): string {
    return this.key('w', id);
  }
  get lease(): string {
    return this.key('coordinator');
  }
  get inbox(): string {
    return this.key('inbox');
  }
  /** The pub/sub channel a posted result is announced on. */
  get inboxChannel(): string {
    return this.key('inbox', 'posted');
  }
}
