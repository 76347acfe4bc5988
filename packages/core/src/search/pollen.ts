/**
 * Pollination: a cell's search starts by replaying the runs that failed on
 * other strategies of the same scenario and blocks per page, each on this
 * cell's strategy, before it draws runs of its own. ClusterFuzz shares
 * corpora between fuzz targets this way ("corpus pollination"), syzkaller
 * between kernel builds. Here it is the scenario that is shared: its tasks,
 * operations and choice points are the same whatever the write path, so a
 * schedule that broke one write path often breaks its neighbour (on 18 of
 * the 20 cells where pct needs 13 runs or more, a failure of another
 * strategy replayed here fails too: BENCHMARKS.md, "Pollination").
 *
 * A donor keeps its own scheduler and limits, so its choices mean what
 * they meant where it failed; only the strategy is this cell's. A choice
 * list that runs past or short of this strategy's steps is taken as any
 * replay takes it (choice.ts: the largest that fits, zeros after the end).
 */
import type { RunConfig } from '../config.js';
import type { Reproducer } from '../reproducer.js';

/** One run to replay on a cell: the donor's config with the cell's strategy, and the donor's choices. */
export interface PollenRun {
  config: RunConfig;
  choices: readonly number[];
  /** The strategy it failed on. */
  from: string;
}

/** A cell a search runs: what pollen must match. */
export interface PollenCell {
  strategy: string;
  scenario: string;
  blocksPerPage?: number;
}

/**
 * The runs of `pollen` (reproducers of failures, any cells) that cell `cell`
 * replays first, in pollen's order: those of its scenario and blocks per
 * page failing on another strategy, each choice list once.
 */
export function pollenFor(pollen: readonly Reproducer[], cell: PollenCell): PollenRun[] {
  const bpp = cell.blocksPerPage ?? 1;
  const seen = new Set<string>();
  const out: PollenRun[] = [];
  for (const r of pollen) {
    if (r.config.scenario !== cell.scenario || (r.config.blocksPerPage ?? 1) !== bpp || r.config.strategy === cell.strategy) continue;
    const config: RunConfig = { ...r.config, strategy: cell.strategy };
    const key = `${JSON.stringify({ ...config, strategy: '' })}:${r.choices.join(',')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ config, choices: r.choices, from: r.config.strategy });
  }
  return out;
}
