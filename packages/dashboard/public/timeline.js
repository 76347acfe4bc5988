// The interleaving timeline of a replayed run: one lane per task, each
// trace event a mark in its task's lane (x is the event's place in the
// trace), each lock held a bar under the marks from the event that took it
// to the event that let it go, and the failure in red. The server has
// already worked out lanes, holds and the failing event (src/timeline.ts);
// this only draws them.
import { h, s } from './dom.js';

const KIND_COLORS = { acquire: '#2563eb', release: '#94a3b8', wait: '#d97706', event: '#334155' };
const LOCK_PALETTE = ['#0ea5e9', '#8b5cf6', '#14b8a6', '#f59e0b', '#ec4899', '#84cc16', '#6366f1', '#f97316'];

/** A lock's class (`page_lock(f0:1)` -> `page_lock`): one color per class. */
function lockClass(lock) {
  const i = lock.indexOf('(');
  return i < 0 ? lock : lock.slice(0, i);
}

function lockColor(lock, classes) {
  const c = lockClass(lock);
  if (!classes.has(c)) classes.set(c, LOCK_PALETTE[classes.size % LOCK_PALETTE.length]);
  return classes.get(c);
}

/** Give each hold of a lane a row so overlapping holds do not cover each other. */
function rows(holds) {
  const ends = [];
  const row = new Map();
  for (const hold of holds) {
    let r = ends.findIndex((end) => end <= hold.from);
    if (r < 0) {
      r = ends.length;
      ends.push(0);
    }
    ends[r] = hold.to;
    row.set(hold, r);
  }
  return { row, count: ends.length };
}

function describe(e) {
  return `step ${e.step} · ${e.task}\n${e.what}\n@ ${e.site}${e.locks.length ? `\nholds ${e.locks.join(', ')}` : ''}`;
}

/**
 * The timeline of a replay result (POST /api/replay or a bucket's trace).
 * Returns an element: the SVG in a scrolling box, a legend, and a line that
 * shows the event clicked.
 */
export function timeline(r) {
  const events = r.events;
  const from = r.eventsFrom;
  const n = events.length;
  const left = 96;
  // Wide enough to click, narrow enough that a long run still fits a screen or two.
  const col = Math.max(5, Math.min(44, 1000 / Math.max(n, 1)));
  const axis = 28;
  const classes = new Map();
  const lanes = r.tasks.map((task) => {
    const holds = r.holds.filter((x) => x.task === task);
    const { row, count } = rows(holds);
    return { task, holds, row, height: 32 + count * 15 };
  });
  let y = axis;
  for (const lane of lanes) {
    lane.top = y;
    y += lane.height;
  }
  const width = left + n * col + 24;
  const height = y + 20;
  const X = (i) => left + (i - from) * col;
  const svg = s('svg', { class: 'timeline', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'interleaving timeline' });

  // The step axis: a tick where the step changes, labelled when there is room.
  let lastLabel = -Infinity;
  events.forEach((e, k) => {
    if (k > 0 && events[k - 1].step === e.step) return;
    const x = X(e.i) + col / 2;
    svg.append(s('line', { x1: x, x2: x, y1: axis - 6, y2: axis, class: 'axis-tick' }));
    if (x - lastLabel >= 30) {
      svg.append(s('text', { x, y: axis - 9, class: 'tick', 'text-anchor': 'middle' }, String(e.step)));
      lastLabel = x;
    }
  });
  svg.append(s('text', { x: 4, y: axis - 9, class: 'tick' }, 'step'));

  const detail = h('div', { class: 'event-detail' }, 'Click a mark to see its event.');
  for (const [k, lane] of lanes.entries()) {
    svg.append(s('rect', { x: 0, y: lane.top, width, height: lane.height, class: k % 2 ? 'lane odd' : 'lane' }));
    svg.append(s('text', { x: 8, y: lane.top + 17, class: 'lane-label' }, lane.task));
    for (const hold of lane.holds) {
      const x0 = X(hold.from) + col / 2;
      const x1 = hold.open ? X(from + n) : X(hold.to) + col / 2;
      const by = lane.top + 26 + lane.row.get(hold) * 15;
      const bw = Math.max(2, x1 - x0);
      const tip = `${hold.lock}${hold.open ? ' (still held at the end)' : ''}`;
      svg.append(
        s('rect', { x: x0, y: by, width: bw, height: 12, rx: 3, fill: lockColor(hold.lock, classes), class: hold.open ? 'hold open' : 'hold' }, s('title', {}, tip)),
      );
      // The lock's name on its bar when it fits (about 5.5 px a character).
      if (bw >= hold.lock.length * 5.5 + 8) svg.append(s('text', { x: x0 + 4, y: by + 9, class: 'hold-label' }, hold.lock, s('title', {}, tip)));
    }
  }

  // Behind the marks, in front of the lanes.
  if (r.failure) {
    const fe = r.failureEvent;
    const x = fe === null ? X(from + n) : X(fe) + col / 2;
    svg.append(s('line', { x1: x, x2: x, y1: axis, y2: height - 18, class: 'failure-line' }));
    svg.append(s('text', { x: Math.max(left, x - 4), y: height - 5, class: 'failure-label', 'text-anchor': 'end' }, `${r.failure.kind} at step ${r.failure.step}`));
  }

  const laneOf = new Map(lanes.map((l) => [l.task, l]));
  for (const e of events) {
    const lane = laneOf.get(e.task);
    const failed = e.i === r.failureEvent;
    const cx = X(e.i) + col / 2;
    const cy = lane.top + 15;
    const mark = failed
      ? s('circle', { cx, cy, r: 6.5, class: 'mark failure', 'data-kind': e.kind })
      : e.kind === 'wait'
        ? s('rect', { x: cx - 4.5, y: cy - 4.5, width: 9, height: 9, transform: `rotate(45 ${cx} ${cy})`, fill: KIND_COLORS.wait, class: 'mark' })
        : s('circle', { cx, cy, r: e.kind === 'event' ? 3.5 : 4.5, fill: KIND_COLORS[e.kind], class: 'mark' });
    mark.append(s('title', {}, describe(e)));
    mark.addEventListener('click', () => {
      detail.textContent = describe(e).replace(/\n/g, '  ·  ');
    });
    svg.append(mark);
  }

  const legend = h(
    'div',
    { class: 'legend' },
    ...Object.entries({ acquire: 'takes a lock', release: 'lets one go', wait: 'sleeps', event: 'other event' }).map(([k, text]) => h('span', {}, h('i', { class: `dot ${k}` }), text)),
    h('span', {}, h('i', { class: 'dot failure' }), 'failure'),
    ...[...classes.entries()].map(([c, color]) => h('span', {}, h('i', { class: 'bar', style: { background: color } }), c)),
  );
  const note = from > 0 ? h('p', { class: 'muted' }, `The last ${n} of ${r.eventsTotal} events.`) : null;
  return h('div', { class: 'timeline-box' }, note, h('div', { class: 'timeline-scroll' }, svg), legend, detail);
}
