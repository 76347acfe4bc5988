import { describe, expect, it } from 'vitest';
import { lockPage } from '../src/mm/filemap.js';
import { Model, SCENARIOS, signatureOf, STRATEGIES, type Outcome } from '../src/index.js';
import { PG_locked } from '../src/page.js';
import type { Scenario } from '../src/scenarios/scenario.js';

/**
 * The fast paths against the slow ones they replace. The scheduler loop keeps
 * its runnable set (and pct its pick) between steps instead of walking every
 * task at each, and runs pct's streaks without asking it; the whole-file
 * oracle scans a segment instead of looping over its cells. With checkFast
 * the walk is made, the scheduler asked at every step and the cell loop run
 * beside the scan, and a difference throws or shows in the outcome.
 */
const outcome = (o: Outcome) => ({ ok: o.ok, title: signatureOf(o)?.title ?? null, steps: o.steps, switches: o.switches, scheduleHash: o.scheduleHash, choices: o.choices.join(',') });

describe('the fast paths', () => {
  it('agree with the slow paths at every use, on every strategy x scenario under the sampling schedulers', () => {
    for (const scheduler of ['pct', 'random', 'pos', 'surw'] as const) {
      for (const strategy of STRATEGIES) {
        SCENARIOS.forEach((scenario, i) => {
          const blocksPerPage = i % 2 === 0 ? 1 : 4;
          const checked = new Model({ strategy, scenario, scheduler, blocksPerPage }, { checkFast: true });
          const plain = new Model({ strategy, scenario, scheduler, blocksPerPage });
          for (let seed = 0; seed < 10; seed++) expect(outcome(checked.run({ seed })), `${scheduler} ${strategy} ${scenario} ${blocksPerPage} ${seed}`).toEqual(outcome(plain.run({ seed })));
        });
      }
    }
  });

  it("run pct's streaks (a task run on without asking while nothing can change the pick) run the schedule asking at every step does, to the step a budget runs out", () => {
    // Without reclaim, or with a short one, streaks are most of a run; a checked model asks at every step.
    const variants = [{ reclaimActionsMax: 0 }, { reclaimActionsMax: 0, stepsMax: 25 }, { reclaimActionsMax: 0, stallStepsMax: 6 }, { reclaimActionsMax: 2, pctDepth: 8, pctStepsEstimate: 20 }];
    for (const v of variants) {
      for (const strategy of ['v2.6.20', 'excl-flag', 'write-begin-end']) {
        for (const scenario of SCENARIOS) {
          const checked = new Model({ strategy, scenario, ...v }, { checkFast: true });
          const plain = new Model({ strategy, scenario, ...v });
          for (let seed = 0; seed < 6; seed++) expect(outcome(plain.run({ seed })), `${JSON.stringify(v)} ${strategy} ${scenario} ${seed}`).toEqual(outcome(checked.run({ seed })));
        }
      }
    }
  });

  it('catch a kept runnable set gone stale when a lock word changes behind the loop', () => {
    // A page lock cleared by hand, not by unlock_page: its sleeper can run, but nothing told the loop.
    const scenario: Scenario = {
      id: 'lock-behind-the-loop',
      description: 'test: a page lock cleared without unlock_page',
      stepsEstimate: 10,
      setup(k) {
        const page = k.allocPage();
        k.createTask('holder', k.createMm(), function* (t) {
          yield* lockPage(k, t, page);
          yield;
          yield;
          page.flags &= ~PG_locked;
          page.lockOwner?.release(page);
          page.lockOwner = null;
          yield;
          yield;
        });
        k.createTask('sleeper', k.createMm(), function* (t) {
          yield;
          yield* lockPage(k, t, page);
        });
      },
    };
    const model = new Model({ strategy: 'v2.6.20', scenario: scenario.id, reclaimActionsMax: 0 }, { scenarios: [scenario], checkFast: true });
    expect(() => {
      for (let seed = 0; seed < 50; seed++) model.run({ seed });
    }).toThrow(/kept runnable set is stale/);
  });
});
