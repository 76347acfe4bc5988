import { describe, expect, it } from 'vitest';
import { BLOCKS_PER_PAGE, SCENARIOS, verify } from '../src/index.js';
import { firstFailure } from './helpers.js';

/**
 * What a clean claim of the test suite rests on, per scenario and blocks per
 * page: a certificate (every schedule within CERTIFY_DELAYS delays and one
 * reclaim action, by the bounded search), and a random sample of SAMPLE_SEEDS
 * pct seeds, which reach far deeper schedules than the bound and every
 * generated workload. Longer soaks are a campaign's job
 * (`pcfarm fuzz --strategy S --seeds N`), stronger certificates verify's
 * (`pcfarm verify --strategy S --scenario X --delays K`).
 */
export const SAMPLE_SEEDS = 400;
export const CERTIFY_DELAYS_DEFAULT = 2;
/**
 * Scenarios whose delay-2 space is too big for a test suite: five or six
 * tasks (extend-vs-truncate's has 436,032 schedules, 2 minutes a cell; the
 * -same-mm witnesses' four tasks about 16,000).
 */
export const CERTIFY_DELAYS: Readonly<Record<string, number>> = { 'extend-vs-truncate': 0, 'hole-fill-vs-read-same-mm': 1, 'overwrite-vs-read-same-mm': 1 };
export const CERTIFY_RECLAIM_ACTIONS = 1;

/** A correct strategy: certified and sampled clean on every scenario (but those in `except`, each with why), at 1, 2 and 4 blocks a page. */
export function staysClean(strategy: string, except: Readonly<Record<string, string>> = {}): void {
  describe(`${strategy} is correct`, () => {
    for (const scenario of SCENARIOS) {
      if (scenario in except) continue;
      const delaysMax = CERTIFY_DELAYS[scenario] ?? CERTIFY_DELAYS_DEFAULT;
      it(`${strategy} x ${scenario}: every schedule within ${delaysMax} delays and ${CERTIFY_RECLAIM_ACTIONS} reclaim action passes, and so do ${SAMPLE_SEEDS} pct seeds, at ${BLOCKS_PER_PAGE.join(', ')} blocks a page`, () => {
        for (const blocksPerPage of BLOCKS_PER_PAGE) {
          const r = verify({ strategy, scenario, blocksPerPage }, { preemptionsMax: 0, delaysMax, reclaimActionsMax: CERTIFY_RECLAIM_ACTIONS, paramsMax: 0 });
          expect(r.failure === null ? null : { blocksPerPage, choices: r.failure.choices.join(','), ...r.failure.failure }).toBeNull();
          expect(r.result).toBe('clean');
          const o = firstFailure({ strategy, scenario, blocksPerPage }, SAMPLE_SEEDS);
          expect(o === null ? null : { blocksPerPage, seed: o.seed, ...o.failure }).toBeNull();
        }
      });
    }
  });
}
