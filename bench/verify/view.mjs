// A schedule's "view" (views.mjs, class-check.mjs): what each task did and saw
// (its trace events in order; reclaim's actions as a multiset), what each
// process's anonymous memory holds at the end (the data its reads copied
// out), and the verdict; frames, pages and swap slots renamed. Kept as two
// 32-bit hashes of it, not its text: millions of schedules may have hundreds
// of thousands of views.
import { Model } from '../../packages/core/dist/index.js';

const renamed = (s) => s.replace(/page#\d+/g, 'page#').replace(/frame \d+/g, 'frame').replace(/slot \d+/g, 'slot');

/** A function from a run's outcome (its choices) to its view, replaying it traced on one model of the cell. */
export function viewer(strategy, scenario, reclaimActionsMax) {
  const traced = new Model({ strategy, scenario, scheduler: 'systematic', reclaimActionsMax, trace: true });
  return (o) => {
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
    return `${a >>> 0}:${b >>> 0}`;
  };
}
