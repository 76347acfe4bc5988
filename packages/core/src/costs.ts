/**
 * What each strategy's write path costs in the fault-free common case
 * (Andrew Morton's objection to gup-pin): per page written, with nothing
 * else running and no reclaim, appending new pages (not uptodate) and
 * overwriting cached ones (uptodate).
 */
import { Model, type ModelOptions } from './model.js';
import type { Op } from './program.js';
import type { Scenario } from './scenarios/scenario.js';
import { createFile, mapAnon, userAddr, userTask } from './scenarios/setup.js';

const PAGES = 4;

export interface CostProfile {
  strategy: string;
  /** `append`: new pages (not uptodate); `overwrite`: pages already cached (uptodate). */
  case: 'append' | 'overwrite';
  /** Per page written. */
  pageTableWalks: number;
  mmapSemAcquisitions: number;
  pageLockRoundTrips: number;
  kmaps: number;
  cellsCopied: number;
}

function workload(id: string, ops: (file: ReturnType<typeof createFile>, src: number, len: number) => Op[], cached: boolean): Scenario {
  return {
    id,
    description: `fault-free cost workload: ${id}`,
    stepsEstimate: 8,
    setup(k) {
      const file = createFile(k, cached ? new Array<'data'>(PAGES).fill('data') : []);
      const mm = k.createMm();
      mapAnon(k, mm, 0, PAGES);
      mapAnon(k, mm, PAGES, PAGES);
      userTask(k, 'writer', mm, ops(file, userAddr(k, 0), PAGES * k.pageCells));
    },
  };
}

// Overwrite pays for reading the pages in first; a read-only twin measures that, to subtract.
const append = workload('cost-append', (file, src, len) => [{ op: 'write', file, pos: 0, iov: [src, len] }], false);
const readOnly = workload('cost-read', (file, src, len) => [{ op: 'read', file, pos: 0, len, dst: src + len }], true);
const overwrite = workload('cost-overwrite', (file, src, len) => [{ op: 'read', file, pos: 0, len, dst: src + len }, { op: 'write', file, pos: 0, iov: [src, len] }], true);

function run(strategy: string, scenario: Scenario, options: ModelOptions): Model['run'] extends (i: never) => infer O ? O : never {
  const model = new Model({ strategy, scenario: scenario.id, reclaimActionsMax: 0 }, { ...options, scenarios: [...(options.scenarios ?? []), scenario] });
  const o = model.run({ choices: [] });
  if (!o.ok) throw new Error(`cost workload ${scenario.id} failed for ${strategy}: ${o.failure!.message}`);
  return o;
}

/** The fault-free costs of one strategy, per page written, for both cases; `options` brings strategies loaded from files. */
export function costProfiles(strategy: string, options: ModelOptions = {}): CostProfile[] {
  const a = run(strategy, append, options).costs;
  const base = run(strategy, readOnly, options).costs;
  const o = run(strategy, overwrite, options).costs;
  const per = (n: number): number => n / PAGES;
  return [
    { strategy, case: 'append', pageTableWalks: per(a.pageTableWalks), mmapSemAcquisitions: per(a.mmapSemAcquisitions), pageLockRoundTrips: per(a.pageLockRoundTrips), kmaps: per(a.kmaps), cellsCopied: per(a.cellsCopied) },
    {
      strategy,
      case: 'overwrite',
      pageTableWalks: per(o.pageTableWalks - base.pageTableWalks),
      mmapSemAcquisitions: per(o.mmapSemAcquisitions - base.mmapSemAcquisitions),
      pageLockRoundTrips: per(o.pageLockRoundTrips - base.pageLockRoundTrips),
      kmaps: per(o.kmaps - base.kmaps),
      cellsCopied: per(o.cellsCopied - base.cellsCopied),
    },
  ];
}
