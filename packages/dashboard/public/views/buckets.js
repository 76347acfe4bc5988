// A campaign's bucket table: loaded once, then kept current by the events of
// the stream (a new bucket whole, a changed one as what changed). Filters and
// sorting are done here, by the rules of GET /api/campaigns/ID/buckets
// (failures first; counts and times largest first, text A to Z; ties by
// title), and kept in the address, so a reload or a link shows the same.
import { api } from '../api.js';
import { clear, fmtInt, fmtTime, h } from '../dom.js';
import { shell } from '../shell.js';
import { badge, keepInAddress } from '../ui.js';

/** [sort key or null, heading, shown on a phone]. */
const COLUMNS = [
  ['title', 'Signature', true],
  [null, 'Severity', false],
  ['kind', 'Kind', true],
  ['strategy', 'Strategy', false],
  [null, 'Scenarios', false],
  [null, 'BPP', false],
  ['count', 'Runs', true],
  ['firstSeenAt', 'First seen', false],
  ['lastSeenAt', 'Last seen', false],
  [null, 'Minimized', true],
];
const SORTS = COLUMNS.map(([k]) => k).filter((k) => k !== null);
const FILTERS = ['severity', 'kind', 'strategy', 'scenario', 'minimized', 'q'];
const numeric = (key) => key === 'count' || key.endsWith('At');

/** The table's choices from the address, each checked: a hand-edited link cannot break the page. */
function choicesOf(query, strategies) {
  const p = new URLSearchParams(query ?? '');
  const info = shell.info;
  const allowed = { severity: ['failure', 'warning'], kind: info.failureKinds, strategy: strategies, scenario: info.scenarios, minimized: ['true', 'false'] };
  const q = { sort: SORTS.includes(p.get('sort')) ? p.get('sort') : 'count' };
  q.order = ['asc', 'desc'].includes(p.get('order')) ? p.get('order') : numeric(q.sort) ? 'desc' : 'asc';
  for (const k of FILTERS) {
    const v = p.get(k);
    if (v && (k === 'q' || allowed[k].includes(v))) q[k] = v;
  }
  return q;
}

function matches(b, q) {
  return (
    (!q.severity || b.severity === q.severity) &&
    (!q.kind || b.kind === q.kind) &&
    (!q.strategy || b.strategy === q.strategy) &&
    (!q.scenario || b.scenarios.includes(q.scenario)) &&
    (!q.minimized || (b.minimized !== null) === (q.minimized === 'true')) &&
    (!q.q || b.title.toLowerCase().includes(q.q.toLowerCase()))
  );
}

function compare(q) {
  const dir = q.order === 'asc' ? 1 : -1;
  const rank = (b) => (b.severity === 'failure' ? 0 : 1);
  return (a, b) => {
    if (rank(a) !== rank(b)) return rank(a) - rank(b);
    const x = a[q.sort];
    const y = b[q.sort];
    const c = x < y ? -1 : x > y ? 1 : 0;
    return c * dir || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0);
  };
}

/** Every bucket of a campaign: one answer holds at most bucketPageMax, and a campaign may have more. */
async function everyBucket(id) {
  const pageMax = shell.info.limits.bucketPageMax;
  const all = [];
  for (;;) {
    const page = await api.get(`/api/campaigns/${id}/buckets?limit=${pageMax}&offset=${all.length}`);
    all.push(...page.buckets);
    if (page.buckets.length === 0 || all.length >= page.total) return all;
  }
}

/** `strategies`: the campaign's, built-in and strategy files alike (what the strategy filter offers). */
export async function bucketTable(el, id, query, strategies) {
  const seenKey = `pcfarm.seen.${id}`;
  const stored = JSON.parse(localStorage.getItem(seenKey) ?? 'null');
  const q = choicesOf(query, strategies);
  const filters = h('div', { class: 'filters' });
  const tbody = h('tbody');
  const count = h('span', { class: 'muted' });
  const head = h('tr');
  el.append(h('section', { class: 'card' }, h('h2', {}, 'Buckets ', count), filters, h('div', { class: 'table-scroll' }, h('table', { class: 'list', id: 'buckets' }, h('thead', {}, head), tbody))));

  // Every bucket, once, a page of the API's most at a time; the stream keeps them current.
  const all = await everyBucket(id);
  const buckets = new Map(all.map((b) => [b.id, b]));
  // On a first visit nothing is "new" but what arrives while the page is open.
  const baseline = new Set(stored ?? all.map((b) => b.id));
  const seen = new Set([...baseline]);

  const changed = () => {
    keepInAddress(q);
    render();
  };
  const select = (key, label, values) => {
    const sel = h('select', { name: key, 'aria-label': label }, h('option', { value: '' }, `any ${label}`), ...values.map((v) => h('option', { value: v, selected: q[key] === v }, v)));
    sel.addEventListener('change', () => {
      if (sel.value === '') delete q[key];
      else q[key] = sel.value;
      changed();
    });
    return sel;
  };
  const search = h('input', { type: 'search', placeholder: 'signature contains…', name: 'q', value: q.q ?? '', 'aria-label': 'signature contains' });
  search.addEventListener('input', () => {
    if (search.value.trim() === '') delete q.q;
    else q.q = search.value.trim();
    changed();
  });
  const info = shell.info;
  filters.append(
    select('severity', 'severity', ['failure', 'warning']),
    select('kind', 'kind', info.failureKinds),
    select('strategy', 'strategy', strategies),
    select('scenario', 'scenario', info.scenarios),
    select('minimized', 'minimization', ['true', 'false']),
    search,
  );

  function renderHead() {
    clear(head);
    for (const [key, label, phone] of COLUMNS) {
      const cls = phone ? null : 'wide-only';
      if (key === null) {
        head.append(h('th', { class: cls }, label));
        continue;
      }
      const arrow = q.sort === key ? (q.order === 'asc' ? ' ▲' : ' ▼') : '';
      head.append(
        h('th', { class: `sortable${cls ? ` ${cls}` : ''}`, 'data-sort': key, onclick: () => {
          if (q.sort === key) q.order = q.order === 'asc' ? 'desc' : 'asc';
          else {
            q.sort = key;
            q.order = numeric(key) ? 'desc' : 'asc';
          }
          changed();
        } }, label + arrow),
      );
    }
  }

  function row(b) {
    const isNew = !baseline.has(b.id);
    seen.add(b.id);
    const href = `#/campaigns/${id}/buckets/${b.id}`;
    const minimized =
      b.severity === 'warning'
        ? h('span', { class: 'muted', title: 'a warning is not minimized: its witness scenario is the run to look at' }, b.witness ? `witness ${b.witness}` : '—')
        : b.minimized
          ? h('span', { class: 'yes', title: `${b.minimized.choices} choices, ${b.minimized.switches} switches` }, '✓ ', `${b.minimized.choices} choices`)
          : h('span', { class: 'muted' }, 'pending');
    return h(
      'tr',
      { class: `bucket ${b.severity}${isNew ? ' new' : ''}`, 'data-bucket': b.id, onclick: (ev) => { if (ev.target.tagName !== 'A') location.hash = href; } },
      h('td', { class: 'signature' }, isNew ? badge('new', 'new') : null, h('a', { href, title: b.title }, b.title)),
      h('td', { class: 'wide-only' }, badge(b.severity, `severity ${b.severity}`)),
      h('td', {}, badge(b.kind, `kind ${b.kind}`)),
      h('td', { class: 'wide-only' }, b.strategy),
      h('td', { class: 'small wide-only' }, b.scenarios.join(', ')),
      h('td', { class: 'small wide-only' }, b.blocksPerPage.join(', ')),
      h('td', { class: 'num' }, fmtInt(b.count)),
      h('td', { class: 'small wide-only' }, fmtTime(b.firstSeenAt)),
      h('td', { class: 'small wide-only' }, fmtTime(b.lastSeenAt)),
      h('td', {}, minimized),
    );
  }

  function render() {
    renderHead();
    const shown = [...buckets.values()].filter((b) => matches(b, q)).sort(compare(q));
    clear(tbody);
    const columns = COLUMNS.length;
    const filtered = FILTERS.some((k) => q[k]);
    if (shown.length === 0) tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: columns, class: 'muted' }, filtered ? 'No bucket matches.' : 'No bucket yet.')));
    // Failures come first: the warnings get a heading of their own.
    let warningsShown = false;
    for (const b of shown) {
      if (b.severity === 'warning' && !warningsShown) {
        warningsShown = true;
        tbody.append(
          h('tr', { class: 'section' }, h('td', { colspan: columns }, h('strong', {}, 'Warnings (not failures)'), h('span', { class: 'muted small' }, ' · lock-order cycles of lock classes whose instances never meet in these scenarios; each bucket names a witness scenario where they do'))),
        );
      }
      tbody.append(row(b));
    }
    count.textContent = `${fmtInt(shown.length)}${shown.length !== buckets.size ? ` of ${fmtInt(buckets.size)}` : ''}`;
    localStorage.setItem(seenKey, JSON.stringify([...seen]));
  }

  render();
  let pending = false;
  // Several buckets often change in one tick: one redraw for them all.
  const later = () => {
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      render();
    }, 50);
  };
  return {
    /** A bucket from the stream, whole. */
    upsert(b) {
      buckets.set(b.id, b);
      later();
    },
    /** What changed of a bucket the table has (its count, last sighting, minimization…). */
    update(change) {
      const b = buckets.get(change.id);
      if (b === undefined) return;
      buckets.set(change.id, { ...b, ...change });
      later();
    },
  };
}
