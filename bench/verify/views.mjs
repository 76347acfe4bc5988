// What no sound reduction of one cell's bounded search can go below: the
// number of distinct "views" among its schedules, a view being what each
// task did and saw (its trace events, in order; reclaim's actions as a
// multiset) and what each process's anonymous memory holds at the end (the
// data its reads copied out). Two schedules that only reorder commuting steps
// give every task the same view (frames, pages and swap slots renamed), so
// views <= classes of any sound independence <= schedules.
//
//   node bench/verify/views.mjs STRATEGY SCENARIO PREEMPTIONS RECLAIM_ACTIONS
//
// Runs every schedule twice (the search, then a traced replay): minutes for
// a few hundred thousand schedules.
import { verify } from '../../packages/core/dist/index.js';
import { viewer } from './view.mjs';

const [strategy, scenario, pre, rec] = [process.argv[2], process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
if (!strategy || !scenario || !Number.isInteger(pre) || !Number.isInteger(rec)) {
  console.error('usage: node bench/verify/views.mjs STRATEGY SCENARIO PREEMPTIONS RECLAIM_ACTIONS');
  process.exit(2);
}
const viewOf = viewer(strategy, scenario, rec);
const views = new Set();
const t0 = Date.now();
const r = verify({ strategy, scenario }, { preemptionsMax: pre, reclaimActionsMax: rec, paramsMax: 0 }, {
  exhaustive: true,
  reduction: false,
  onRun: (o) => views.add(viewOf(o)),
});
console.log(JSON.stringify({ strategy, scenario, preemptions: pre, reclaimActions: rec, schedules: r.schedules, classes: r.classes, views: views.size, seconds: (Date.now() - t0) / 1000 }));
