// Pieces more than one view draws: badges, the progress bar, an error box,
// checkbox groups, and the query string a view keeps its choices in.
import { fmtDuration, fmtInt, h } from './dom.js';
import { shell } from './shell.js';

export function badge(text, cls = text) {
  return h('span', { class: `badge ${cls}` }, text);
}

export function errorBox(e) {
  return h('div', { class: 'error', role: 'alert' }, e.message ?? String(e));
}

export function stateBadge(state, activity) {
  const text = activity === 'queued' ? 'queued' : state === 'running' && activity === 'idle' ? 'running (not here)' : state;
  return badge(text, state);
}

function progressOf(spec, c) {
  if (c.batchesTotal) return { frac: c.batchesDone / c.batchesTotal, text: `${fmtInt(c.batchesDone)} of ${fmtInt(c.batchesTotal)} batches` };
  if (spec.timeBudgetMs) {
    // A campaign of days says when it will end: what is left of its budget, running.
    const left = spec.timeBudgetMs - c.runningMs;
    return { frac: Math.min(1, c.runningMs / spec.timeBudgetMs), text: `${fmtDuration(c.runningMs)} of ${fmtDuration(spec.timeBudgetMs)}${left > 0 ? `, ${fmtDuration(left)} left` : ''}` };
  }
  return { frac: 0, text: '' };
}

export function progressBar() {
  const fill = h('div', { class: 'fill' });
  const label = h('span', { class: 'label' });
  const el = h('div', { class: 'progress' }, fill, label);
  return {
    el,
    set(spec, c) {
      const p = progressOf(spec, c);
      fill.style.width = `${(p.frac * 100).toFixed(1)}%`;
      label.textContent = `${Math.floor(p.frac * 100)}%${p.text ? ` · ${p.text}` : ''}`;
    },
  };
}

/** A group of checkboxes with "all" and "none". */
export function checkboxes(name, legend, values, checked) {
  const boxes = values.map((v) =>
    h('label', { class: 'check', title: shell.info.descriptions[v] ?? '' }, h('input', { type: 'checkbox', name, value: v, checked: checked.includes(v) }), String(v)),
  );
  const set = (on) => () => boxes.forEach((b) => (b.querySelector('input').checked = on));
  return h(
    'fieldset',
    { class: 'checks' },
    h('legend', {}, legend, ' ', h('button', { type: 'button', class: 'link', onclick: set(true) }, 'all'), ' ', h('button', { type: 'button', class: 'link', 'data-none': name, onclick: set(false) }, 'none')),
    ...boxes,
  );
}

/**
 * Keep a view's choices in its address (`#/campaigns/ID?kind=deadlock`), so
 * a reload or a shared link shows the same; replaceState, so choosing is not
 * a step of the back button.
 */
export function keepInAddress(params) {
  const path = location.hash.split('?')[0];
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const text = q.toString();
  history.replaceState(null, '', `${location.pathname}${location.search}${path}${text ? `?${text}` : ''}`);
}
