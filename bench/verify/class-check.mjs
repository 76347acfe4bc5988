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
import { Model, verify } from '../../packages/core/dist/index.js';
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
const traced = new Model({ strategy, scenario, scheduler: 'systematic', reclaimActionsMax: rec, trace: true });
const renamed = (s) => s.replace(/page#\d+/g, 'page#').replace(/frame \d+/g, 'frame').replace(/slot \d+/g, 'slot');
const viewOf = new Map();
const views = new Set();
let conflicts = 0;
const t0 = Date.now();
const r = verify({ strategy, scenario }, { preemptionsMax: pre, reclaimActionsMax: rec, paramsMax: 0 }, {
  exhaustive: true,
  reduction: false,
  schedulesMax,
  onRun: (o, form) => {
    const events = new Map();
    for (const e of traced.run({ choices: o.choices }).trace) {
      if (e.task === 'sync') continue;
      const list = events.get(e.task) ?? [];
      list.push(renamed(`${e.what} @ ${e.site} [${e.locks}]`));
      events.set(e.task, list);
    }
    // The model's kernel is private to TypeScript; a bench may read it.
    const k = traced.kernel;
    let h = 0x811c9dc5;
    for (let m = 0; m < k.nrMms; m++) {
      const mm = k.mms[m];
      if (mm.kernel) continue;
      for (let i = 0; i < mm.nrVmas; i++) {
        const vma = mm.vmas[i];
        if (vma.kind !== 0) continue; // VMA_ANON
        for (let v = vma.start; v < vma.end; v++) {
          const off = mm.pte[v] >= 0 ? k.mem.frameOff(mm.pte[v]) : mm.swapSlot[v] >= 0 ? k.mem.slotOff(mm.swapSlot[v]) : -1;
          h = Math.imul(h ^ (m * 64 + v), 16777619);
          if (off >= 0) for (let c = 0; c < k.pageCells; c++) h = Math.imul(h ^ k.mem.cells[off + c], 16777619);
        }
      }
    }
    const tasks = [...events.keys()].sort().map((t) => `${t}: ${(t === 'kswapd' ? [...events.get(t)].sort() : events.get(t)).join(' | ')}`);
    const text = `${h >>> 0}\n${tasks.join('\n')}\n${o.ok ? 'ok' : o.failure.kind}`;
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let i = 0; i < text.length; i++) {
      a = Math.imul(a ^ text.charCodeAt(i), 16777619);
      b = Math.imul(b ^ text.charCodeAt(i), 0x5bd1e995);
    }
    const view = `${a >>> 0}:${b >>> 0}`;
    views.add(view);
    const had = viewOf.get(form);
    if (had === undefined) viewOf.set(form, view);
    else if (had !== view) conflicts++;
  },
});
console.log(JSON.stringify({ strategy, scenario, preemptions: pre, reclaimActions: rec, loosen, schedules: r.schedules, classes: r.classes, views: views.size, sharedWithAnotherView: conflicts, seconds: (Date.now() - t0) / 1000 }));
