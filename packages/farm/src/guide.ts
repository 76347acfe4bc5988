/**
 * A guided campaign (scheduler `guided`): every batch runs the core's
 * GuidedSearch, and the abstract states its runs reach are shared with the
 * cell's later batches through the store, so a farm of any size learns as
 * one search does and a resumed campaign goes on from what it had.
 *
 * Determinism is kept by epochs (as a bulk-synchronous fuzzer's rounds):
 * a cell's rounds (its batches, in seed order) are cut into epochs, and a
 * batch starts from the guide of its epoch, the states the cell's rounds
 * before that epoch found, folded in round order. Within its batch the
 * search goes on learning, from its own runs only. So a batch's runs depend
 * on its seeds and the rounds before its epoch, never on which worker ran
 * what first: the same seeds in the same batch order give the same buckets
 * on one thread, on the pool, on the farm, and after a resume. The price is
 * a wait: no batch of an epoch starts until the cell's earlier epochs are
 * recorded (the engine and the coordinator hand out other cells' batches
 * meanwhile).
 */
import type { ArchivedState } from '@pcfarm/core';
import { batchPlace, type Campaign } from './campaign.js';
import type { DoneSet } from './results.js';

export type { ArchivedState };

/** How a guided campaign shares its states (CampaignSpec.guide; GUIDE_DEFAULTS says what each field means). */
export interface GuideSpec {
  epochRounds: number;
  corpusMax: number;
  batchStatesMax: number;
}

/** What a batch of a guided campaign starts from: its epoch's first round, and the states the rounds before it found. */
export interface Guide {
  epochStart: number;
  states: ArchivedState[];
}

/** The states one batch added to its cell's corpus (BatchResult.corpus): its round, and the states in the order its runs reached them. */
export interface Contribution {
  round: number;
  states: ArchivedState[];
}

/**
 * The round where round `round`'s epoch starts. Epochs double up to
 * epochRounds, then stay that long: rounds 0-1, 2-3, 4-7, 8-15, 16-31,
 * 32-47, ... for 16. Early epochs are short, so what the first batches find
 * guides the next ones soon; later ones are long, so a cell's batches seldom
 * wait.
 */
export function epochStart(round: number, epochRounds: number): number {
  if (round < 2) return 0;
  if (round >= epochRounds) return Math.floor(round / epochRounds) * epochRounds;
  let p = 2;
  while (p * 2 <= round) p *= 2;
  return p;
}

/**
 * A cell's guide for epoch start `start`: the states of its rounds before
 * `start`, in round order, each state once (its first prefix, the runs of
 * every round that reported it), at most corpusMax.
 */
export function buildGuide(contributions: readonly Contribution[], start: number, corpusMax: number): Guide {
  const byState = new Map<number, ArchivedState>();
  const rounds = contributions.filter((c) => c.round < start).sort((a, b) => a.round - b.round);
  for (const c of rounds) {
    for (const s of c.states) {
      const known = byState.get(s.state);
      if (known !== undefined) known.seen += s.seen;
      else if (byState.size < corpusMax) byState.set(s.state, { state: s.state, seen: s.seen, choices: s.choices });
    }
  }
  return { epochStart: start, states: [...byState.values()] };
}

/** How many states a batch that started from `guide` may add to its cell's corpus: what keeps the stored corpus bounded. */
export function statesToAdd(guide: Guide, spec: GuideSpec): number {
  return Math.max(0, Math.min(spec.batchStatesMax, spec.corpusMax - guide.states.length));
}

/**
 * The first index in [from, from + count) whose batch must wait for its
 * epoch (a round of its cell before its epoch is not recorded), or
 * from + count when none must: what the engine and the coordinator hand
 * out up to. `done` holds the recorded batches; every index below `from`
 * not in it is handed out and not yet recorded.
 */
export function guideReadyEnd(campaign: Pick<Campaign, 'spec' | 'deal'>, done: DoneSet, from: number, count: number): number {
  const spec = campaign.spec.guide;
  const end = from + count;
  if (spec === null) return end;
  // Each cell's first round not recorded, from the missing indexes in order (a cell's rounds ascend with its indexes).
  const firstMissing = new Map<number, number>();
  for (let i = done.nextMissing(0); i < end; i = done.nextMissing(i + 1)) {
    const place = batchPlace(campaign, i);
    if (place === null) {
      if (i >= from) return end;
      continue;
    }
    const first = firstMissing.get(place.cell);
    if (i >= from && first !== undefined && first < epochStart(place.round, spec.epochRounds)) return i;
    if (first === undefined) firstMissing.set(place.cell, place.round);
  }
  return end;
}

const isWhole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Why `v` is not a Contribution as a batch makes one (a result from a queue, a corpus from Redis), or null. */
export function contributionShapeWrong(v: unknown): string | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'a corpus contribution is not an object';
  const c = v as Partial<Contribution>;
  if (!isWhole(c.round) || !Array.isArray(c.states)) return 'a corpus contribution lacks its round or its states';
  for (const s of c.states as unknown[]) {
    const x = s as Partial<ArchivedState> | null;
    if (x === null || typeof x !== 'object' || !isWhole(x.state) || !isWhole(x.seen) || !Array.isArray(x.choices) || !x.choices.every(isWhole)) {
      return 'a corpus state lacks its state hash, runs seen or choices (whole numbers)';
    }
  }
  return null;
}
