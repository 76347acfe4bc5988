import { describe, expect, it } from 'vitest';
import { SCENARIOS } from '../src/index.js';
import { firstFailure } from './helpers.js';

/** A correct strategy: no failure of any kind in 20,000 seeds of every scenario. */
export function staysClean(strategy: string, runs = 20_000): void {
  describe(`${strategy} is correct`, () => {
    for (const scenario of SCENARIOS) {
      it(`${strategy} has no failure of any kind in ${runs.toLocaleString('en-US')} seeds of ${scenario}`, () => {
        const o = firstFailure({ strategy, scenario }, runs);
        expect(o === null ? null : { seed: o.seed, ...o.failure }).toBeNull();
      });
    }
  });
}
