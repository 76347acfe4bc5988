// Whether a cell's class forms keep apart what its tasks saw: runs the plain
// enumeration (its first SCHEDULES_MAX schedules), replays each traced, and
// counts the schedules that share a class with an earlier one whose view
// differs (views.mjs's view: each task's trace events in order, reclaim's
// as a multiset, each process's anonymous memory at the end, and the
// verdict). A sound independence leaves none; the classes against the views
// say how far it is from the floor.
//
//   node bench/verify/class-check.mjs STRATEGY SCENARIO PREEMPTIONS RECLAIM_ACTIONS [SCHEDULES_MAX] [--loosen pages,history,isize]
//
// --loosen records what the relation would leave if some writes were reads
// (unsound: a bound on what refining them could gain, not a relation to use):
// pages, every file-page access a read; history, the events a write or
// truncate records; isize, i_size's writes.
import { verify } from '../../packages/core/dist/index.js';
import { viewer } from './view.mjs';
import { Access } from '../../packages/core/dist/access.js';

const args = process.argv.slice(2);
const li = args.indexOf('--loosen');
const loosen = li >= 0 ? args.splice(li, 2)[1].split(',') : [];
const [strategy, scenario, pre, rec] = [args[0], args[1], Number(args[2]), Number(args[3])];
const schedulesMax = args[4] !== undefined ? Number(args[4]) : undefined;
if (!strategy || !scenario || !Number.isInteger(pre) || !Number.isInteger(rec)) {
  console.error('usage: node bench/verify/class-check.mjs STRATEGY SCENARIO PREEMPTIONS RECLAIM_ACTIONS [SCHEDULES_MAX] [--loosen pages,history,isize]');
  process.exit(2);
}
const P = Access.prototype;
for (const l of loosen) {
  if (l === 'isize') P.writeIsize = P.readIsize;
  else if (l === 'history') P.writeHistory = P.readHistory;
  else if (l === 'pages') {
    // Words 2 and 3 are the file pages (access.ts): what a step holds or touches there goes to its read set.
    const set = P.set;
    P.set = function (a, word, bit) { set.call(this, word === 2 || word === 3 ? this.r : a, word, bit); };
    const begin = P.begin;
    P.begin = function (id, mm) { begin.call(this, id, mm); for (const w of [2, 3]) { this.r[w] |= this.w[w]; this.w[w] = 0; } };
  } else throw new Error(`--loosen: no ${l}`);
}
const viewOf = viewer(strategy, scenario, rec);
const formView = new Map();
const views = new Set();
let conflicts = 0;
const t0 = Date.now();
const r = verify({ strategy, scenario }, { preemptionsMax: pre, reclaimActionsMax: rec, paramsMax: 0 }, {
  exhaustive: true,
  reduction: false,
  schedulesMax,
  onRun: (o, form) => {
    const view = viewOf(o);
    views.add(view);
    const had = formView.get(form);
    if (had === undefined) formView.set(form, view);
    else if (had !== view) conflicts++;
  },
});
console.log(JSON.stringify({ strategy, scenario, preemptions: pre, reclaimActions: rec, loosen, schedules: r.schedules, classes: r.classes, views: views.size, sharedWithAnotherView: conflicts, seconds: (Date.now() - t0) / 1000 }));
