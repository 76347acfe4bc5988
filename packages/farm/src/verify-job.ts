/**
 * A bounded search's work as jobs for a thread: cutting the search into
 * subtrees (splitSearch), or exploring one subtree (verify with its prefix
 * and the sleep sets the whole search has there). Pure CPU work, like a
 * batch: the pool's threads run it, and a farm worker could.
 */
import { MODEL_VERSION, splitSearch, verify, verifyModel, type Model, type Subtree, type VerifyBounds, type VerifyResult } from '@pcfarm/core';
import { PayloadReader } from './payload.js';
import type { StrategyResolver } from './strategy-files.js';
import type { StrategyFileRef } from './strategy-ref.js';

/** The most any bound of a job may be: far beyond what a search finishes, so only nonsense is refused. */
export const VERIFY_JOB_BOUND_MAX = 1000;

export interface VerifyJob {
  /** `split`: cut the search into subtrees; `subtree`: explore `subtree`. */
  kind: 'split' | 'subtree';
  strategy: string;
  /** The strategy's file, when it is not a built-in (as a batch's). */
  strategyFile: StrategyFileRef | null;
  scenario: string;
  blocksPerPage: number;
  bounds: VerifyBounds;
  /** For `subtree`: which. */
  subtree: Subtree | null;
  /** For `split`: how many subtrees to cut at least (splitSearch's subtreesMin). */
  subtreesMin: number;
  /** Epoch milliseconds at which a subtree's search stops unfinished (the caller's time budget), or null. */
  deadline: number | null;
  /** A word the caller sets to non-zero to stop the search (an earlier subtree failed: this one's result is not needed). */
  cancel: SharedArrayBuffer | null;
  modelVersion: string;
}

/** What a job gives back: a split's subtrees, or a subtree's result. */
export type VerifyJobResult = { kind: 'split'; subtrees: Subtree[] } | { kind: 'subtree'; result: VerifyResult };

function wholeList(r: PayloadReader, v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => Number.isSafeInteger(x) && (x as number) >= 0)) r.bad(`${what} must be a list of whole numbers`);
  return v as number[];
}

/** A verify job from a payload that crossed a thread (or queue) boundary, checked field by field. */
export function checkVerifyJob(payload: unknown): VerifyJob {
  const r = new PayloadReader(payload, 'verify job');
  const p = payload as Record<string, unknown>;
  const modelVersion = r.modelVersion();
  const kind = p.kind === 'split' || p.kind === 'subtree' ? p.kind : r.bad(`kind must be split or subtree, not ${JSON.stringify(p.kind)}`);
  const { strategy, strategyFile } = r.strategy();
  const b = new PayloadReader(p.bounds, 'verify job bounds');
  const bounds: VerifyBounds = { preemptionsMax: b.whole('preemptionsMax', 0, VERIFY_JOB_BOUND_MAX), reclaimActionsMax: b.whole('reclaimActionsMax', 0, VERIFY_JOB_BOUND_MAX), paramsMax: b.whole('paramsMax', 0, VERIFY_JOB_BOUND_MAX) };
  if ((p.bounds as Record<string, unknown>).delaysMax !== undefined) bounds.delaysMax = b.whole('delaysMax', 0, VERIFY_JOB_BOUND_MAX);
  let subtree: Subtree | null = null;
  if (kind === 'subtree') {
    const s = new PayloadReader(p.subtree, 'verify job subtree');
    const t = p.subtree as Record<string, unknown>;
    if (!Array.isArray(t.sleeping)) s.bad('sleeping must be a list');
    subtree = {
      prefix: wholeList(s, t.prefix, 'prefix'),
      sleeping: (t.sleeping as unknown[]).map((x) => {
        const z = new PayloadReader(x, 'verify job sleep set');
        return { at: z.whole('at', 0, Number.MAX_SAFE_INTEGER), ids: wholeList(z, (x as Record<string, unknown>).ids, 'ids'), fps: wholeList(z, (x as Record<string, unknown>).fps, 'fps') };
      }),
    };
  }
  const deadline = p.deadline === null ? null : r.whole('deadline', 0, Number.MAX_SAFE_INTEGER);
  const cancel = p.cancel === null || p.cancel instanceof SharedArrayBuffer ? p.cancel : r.bad('cancel must be a SharedArrayBuffer or null');
  return { kind, strategy, strategyFile, scenario: r.scenario(), blocksPerPage: r.blocksPerPage(), bounds, subtree, subtreesMin: r.whole('subtreesMin', 1, 1_000_000), deadline, cancel, modelVersion };
}

/** Run a checked job; `now` is the epoch-millisecond clock the deadline is read against. */
export function runVerifyJob(job: VerifyJob, resolve: StrategyResolver, now: () => number): VerifyJobResult {
  const config = { strategy: job.strategy, scenario: job.scenario, blocksPerPage: job.blocksPerPage };
  const model = job.strategyFile === null ? {} : { strategies: [resolve(job.strategyFile)] };
  if (job.kind === 'split') return { kind: 'split', subtrees: splitSearch(config, job.bounds, { subtreesMin: job.subtreesMin, model }) };
  const cancel = job.cancel === null ? null : new Int32Array(job.cancel);
  const deadline = job.deadline;
  const shouldStop = (): boolean => (cancel !== null && Atomics.load(cancel, 0) !== 0) || (deadline !== null && now() >= deadline);
  return { kind: 'subtree', result: verify(config, job.bounds, { instance: modelOf(job, model), prefix: job.subtree!.prefix, sleeping: job.subtree!.sleeping, shouldStop }) };
}

/** Models kept across a thread's subtree jobs, the newest few: a kernel's memory allocated once per search, not once per subtree. */
const models = new Map<string, Model>();
const MODELS_KEPT = 8;

function modelOf(job: VerifyJob, options: Parameters<typeof verifyModel>[2]): Model {
  const key = JSON.stringify([job.strategy, job.strategyFile?.sourceHash ?? null, job.scenario, job.blocksPerPage, job.bounds.reclaimActionsMax]);
  let m = models.get(key);
  if (m === undefined) {
    m = verifyModel({ strategy: job.strategy, scenario: job.scenario, blocksPerPage: job.blocksPerPage }, job.bounds, options);
    if (models.size >= MODELS_KEPT) models.delete(models.keys().next().value!);
    models.set(key, m);
  }
  return m;
}

/** A job's fields but the search's own, for a cell: what a caller fills in. */
export function verifyJobOf(cell: Pick<VerifyJob, 'strategy' | 'strategyFile' | 'scenario' | 'blocksPerPage'>, bounds: VerifyBounds): Omit<VerifyJob, 'kind' | 'subtree' | 'deadline' | 'cancel' | 'subtreesMin'> {
  return { strategy: cell.strategy, strategyFile: cell.strategyFile, scenario: cell.scenario, blocksPerPage: cell.blocksPerPage, bounds, modelVersion: MODEL_VERSION };
}
