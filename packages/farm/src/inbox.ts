/**
 * The inbox: where a worker posts what a job came to, for the coordinator
 * to record. A batch result or a minimized reproducer goes into one Redis
 * list (post-result.lua, which also wakes the coordinator through pub/sub)
 * before its job completes, and the job is removed on completion: the
 * coordinator reads the results a page at a time and never reads, parses
 * or removes a finished BullMQ job, which is most of what a batch cost it.
 *
 * Anyone who can write to Redis can write here, so an entry is checked: its
 * shape here, and a batch result's identity against its campaign's batch by
 * the coordinator.
 */
import type { Redis } from 'ioredis';
import type { BatchResult } from './batch.js';
import { LUA } from './lua-script.js';
import type { Minimized } from './minimize-job.js';
import type { FarmKeys } from './redis-keys.js';
import { contributionShapeWrong } from './guide.js';

export type InboxEntry =
  | { kind: 'batch' | 'audit'; jobId: string; worker: string; result: BatchResult }
  | { kind: 'minimize'; jobId: string; worker: string; campaignId: string; bucketId: string; result: Minimized };

/** Post an entry and wake the coordinator. */
export async function postResult(redis: Redis, keys: FarmKeys, entry: InboxEntry): Promise<void> {
  await LUA.postResult.run(redis, [keys.inbox], [JSON.stringify(entry), keys.inboxChannel]);
}

const isWhole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function hitShapeWrong(h: unknown): string | null {
  if (!isObj(h)) return 'a bucket hit is not an object';
  if (!isStr(h.title) || !isStr(h.kind) || (h.severity !== 'failure' && h.severity !== 'warning') || !isStr(h.strategy) || !isStr(h.scenario)) return 'a bucket hit lacks its title, kind, severity, strategy or scenario';
  if (!isWhole(h.count) || !Array.isArray(h.examples) || !h.examples.every(isWhole) || !Array.isArray(h.sites) || !h.sites.every(isStr)) return 'a bucket hit lacks its count, examples or sites';
  if (h.witness !== null && !isStr(h.witness)) return 'a bucket hit has a witness that is not a string';
  if (h.reproducers !== undefined && (!Array.isArray(h.reproducers) || !h.reproducers.every(isStr) || h.reproducers.length !== h.examples.length)) return "a bucket hit's reproducers are not a string per example";
  return null;
}

/** Why a batch result is not shaped as BatchRunner.run makes one, or null. */
function batchResultShapeWrong(r: unknown): string | null {
  if (!isObj(r)) return 'the result is not an object';
  for (const f of ['campaignId', 'strategy', 'scenario', 'batch'] as const) if (!isStr(r[f])) return `the result's ${f} is not a string`;
  for (const f of ['index', 'blocksPerPage', 'seedStart', 'runs', 'steps', 'warningRuns'] as const) if (!isWhole(r[f])) return `the result's ${f} is not a whole number`;
  if (!Array.isArray(r.coverage) || !r.coverage.every(isWhole)) return "the result's coverage is not a list of whole numbers";
  for (const f of ['coverageSingles', 'coverageDoubles'] as const) if (r[f] !== undefined && (!Array.isArray(r[f]) || !r[f].every(isWhole))) return `the result's ${f} is not a list of whole numbers`;
  if (r.corpus !== undefined) {
    const wrong = contributionShapeWrong(r.corpus);
    if (wrong !== null) return `the result's corpus: ${wrong}`;
  }
  for (const f of ['failures', 'warnings'] as const) {
    if (!Array.isArray(r[f])) return `the result's ${f} is not a list`;
    for (const h of r[f] as unknown[]) {
      const wrong = hitShapeWrong(h);
      if (wrong !== null) return wrong;
    }
  }
  return null;
}

/** An inbox entry from its text, or why it is not one. */
export function readInboxEntry(text: string): InboxEntry | { wrong: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { wrong: `not JSON (${(e as Error).message})` };
  }
  if (!isObj(v) || !isStr(v.jobId) || !isStr(v.worker)) return { wrong: 'not an object with a jobId and a worker' };
  if (v.kind === 'batch' || v.kind === 'audit') {
    const wrong = batchResultShapeWrong(v.result);
    return wrong === null ? (v as InboxEntry) : { wrong };
  }
  if (v.kind === 'minimize') {
    const m = v.result;
    if (!isStr(v.campaignId) || !isStr(v.bucketId)) return { wrong: 'a minimization without its campaignId and bucketId' };
    if (!isObj(m) || !isStr(m.reproducer) || !isWhole(m.seed) || !isStr(m.scenario) || !isWhole(m.blocksPerPage) || !isWhole(m.choices) || !isWhole(m.switches)) {
      return { wrong: 'a minimized reproducer without its reproducer, seed, scenario, blocks per page, choices or switches' };
    }
    return v as InboxEntry;
  }
  return { wrong: `kind ${JSON.stringify(v.kind)} is none of batch, audit, minimize` };
}
