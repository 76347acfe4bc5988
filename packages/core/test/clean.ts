import { describe, expect, it } from 'vitest';
import { BLOCKS_PER_PAGE, SCENARIOS } from '../src/index.js';
import { firstFailure } from './helpers.js';

/**
 * Seeds each (scenario, blocks per page) cell runs in the test suite: enough
 * to reach every verdict of MODEL.md §8 (the deepest, cross-mmap-write's
 * ABBA, first fails at seed 28), small enough for CI. Long soaks are a
 * campaign's job (`pcfarm fuzz --strategy S --seeds N`).
 */
export const CLEAN_SEEDS = 2000;

/**
 * A correct strategy: no failure of any kind in CLEAN_SEEDS seeds of every
 * scenario (but those in `except`, each with why), at 1, 2 and 4 blocks a page.
 */
export function staysClean(strategy: string, except: Readonly<Record<string, string>> = {}, runs = CLEAN_SEEDS): void {
  describe(`${strategy} is correct`, () => {
    for (const scenario of SCENARIOS) {
      if (scenario in except) continue;
      it(`${strategy} has no failure of any kind in ${runs.toLocaleString('en-US')} seeds of ${scenario} at ${BLOCKS_PER_PAGE.join(', ')} blocks a page`, () => {
        for (const blocksPerPage of BLOCKS_PER_PAGE) {
          const o = firstFailure({ strategy, scenario, blocksPerPage }, runs);
          expect(o === null ? null : { blocksPerPage, seed: o.seed, ...o.failure }).toBeNull();
        }
      });
    }
  });
}
