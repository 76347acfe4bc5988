/**
 * Steering a time-budgeted campaign (issue 20): it spends its time where it
 * still finds things. A campaign bounded by seeds gives every cell the same
 * seeds, round the cells; one bounded only by its time budget (spec.steer)
 * goes round the cells for its first batches, and then deals its batches
 * in plans (Campaign.deal), each plan made when the batches dealt before it
 * are handed out: a cell's share follows its residual risk (Good-Turing's
 * chance that its next run reaches coverage or a bucket no run has,
 * risk.ts), never below a floor, so a cell that stopped finding things
 * keeps running, fewer batches, and gets more again when it finds.
 *
 * What stays: a batch index, once dealt, names one cell and one seed range
 * for good (its plan is stored before it runs, by whichever of the engine
 * or the coordinator deals it, and a plan another dealer stored first
 * stands), so the same batch finds the same buckets, counts once, and a
 * resumed campaign continues its deal. What a time budget changes: which
 * batches run depends on what the earlier ones found, and on which had
 * ended when a plan was made.
 */
import { dealtEnd, cellCount, type Campaign } from './campaign.js';
import { STEER_LIMITS } from './limits.js';
import { cellFindings, cellRiskOf } from './risk.js';
import type { Store } from './store.js';

/**
 * The next plan of a steered campaign: batches per cell (cellAt's order).
 * `runs` and `singletons` are each cell's so far (cellFindings). Each cell
 * gets the floor (floorPct of an even share); the rest goes by residual
 * risk, by largest remainder (ties to the lower cell), so the same figures
 * give the same plan. A cell with no run recorded yet counts as the mean of
 * the others; when no cell has any risk left, the rest is dealt evenly.
 */
export function nextPlan(campaign: Pick<Campaign, 'spec' | 'deal'>, runs: readonly number[], singletons: readonly number[]): number[] {
  const spec = campaign.spec;
  if (spec.steer === null) throw new Error('nextPlan: the campaign is not steered');
  const cells = cellCount(spec);
  const size = Math.max(cells * STEER_LIMITS.planBatchesPerCellMin, Math.ceil((dealtEnd(campaign) * STEER_LIMITS.planGrowthPct) / 100));
  const floor = Math.floor((size * spec.steer.floorPct) / 100 / cells);
  const risks = runs.map((n, c) => cellRiskOf(n, singletons[c] ?? 0));
  const known = risks.filter((r): r is number => r !== null);
  const unknown = known.length === 0 ? 1 : known.reduce((a, b) => a + b, 0) / known.length;
  let weights = risks.map((r) => r ?? unknown);
  let sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) {
    weights = weights.map(() => 1);
    sum = cells;
  }
  const rest = size - floor * cells;
  const exact = weights.map((w) => (rest * w) / sum);
  const plan = exact.map((x) => floor + Math.floor(x));
  let left = size - plan.reduce((a, b) => a + b, 0);
  const order = exact.map((x, c) => ({ c, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.c - b.c);
  for (let i = 0; left > 0; i = (i + 1) % cells, left--) plan[order[i]!.c]! += 1;
  return plan;
}

/**
 * Deal a steered campaign's next plan from what its store has found so far,
 * and keep it. Returns the campaign as stored: its deal grown by this plan,
 * or by another dealer's that came first.
 */
export async function dealNextPlan(store: Store, campaign: Campaign): Promise<Campaign> {
  const [summary, done, buckets] = await Promise.all([store.summary(campaign.id), store.doneBatches(campaign.id), store.buckets(campaign.id)]);
  // A store that does not count singletons (none does today) steers nothing: an even plan.
  const found = cellFindings(campaign, summary, done, buckets) ?? { runs: new Array<number>(cellCount(campaign.spec)).fill(0), singletons: new Array<number>(cellCount(campaign.spec)).fill(0) };
  return store.addPlan(campaign.id, campaign.deal.length, nextPlan(campaign, found.runs, found.singletons));
}
