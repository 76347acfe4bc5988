// #/compare?a=ID&b=ID: the findings of two campaigns compared, as `pcfarm
// diff A B` prints them: what else differs between them (notes), the
// buckets new in B, gone from B and changed in rate, each linking to its
// bucket's page; then syzbot-style fix tracking: every failure bucket of A
// re-run against B's strategy, fixed or still failing, and by what. The
// choices (which changes, which kind, which verdicts) are kept in the
// address; leaving the view abandons the request, and the server stops
// re-testing for nobody.
import { api } from '../api.js';
import { clear, fmtInt, fmtTime, h } from '../dom.js';
import { live, shell } from '../shell.js';
import { badge, errorBox, keepInAddress } from '../ui.js';

/** The groups of the bucket table, in order: [change, heading, shown unless asked for everything]. */
const GROUPS = [
  ['new', 'New in B', true],
  ['gone', 'Gone from B', true],
  ['more', 'More often in B', true],
  ['fewer', 'Less often in B', true],
  ['same', 'About as often', false],
];
const VERDICTS = { fixed: 'fixed', 'still-failing': 'still failing', 'not-run': 'not re-tested' };

/** A side's rate (`1.75%`) over its count of the runs both campaigns made (`7 of 400`); a dash on the side without it. */
function rateCell(label, side) {
  if (side === null) return h('td', { class: 'num rate', 'data-label': label }, h('span', { class: 'muted' }, '—'));
  const pct = side.rate * 100;
  const text = `${pct >= 10 ? pct.toFixed(1) : pct >= 0.01 ? pct.toFixed(2) : pct === 0 ? '0' : pct.toExponential(1)}%`;
  return h('td', { class: 'num rate', 'data-label': label }, h('div', {}, text), h('div', { class: 'muted small' }, `${fmtInt(side.count)} of ${fmtInt(side.runs)}`));
}

/** A strategy as a campaign ran it: built-in, or a file (its name and source hash; its path is the server's business). */
export function strategyLabel(id, files) {
  const f = (files ?? []).find((x) => x.id === id);
  return f ? `${id} (file ${f.file}, source ${f.sourceHash})` : id;
}

/** The view's choices from the address, each checked: a hand-edited link cannot break the page. */
function choicesOf(query) {
  const p = new URLSearchParams(query ?? '');
  const id = (k) => (/^[\w.-]{1,64}$/.test(p.get(k) ?? '') ? p.get(k) : null);
  const q = { a: id('a'), b: id('b') };
  if (p.get('show') === 'all') q.show = 'all';
  if (shell.info.failureKinds.includes(p.get('kind'))) q.kind = p.get('kind');
  if (Object.keys(VERDICTS).includes(p.get('verdict'))) q.verdict = p.get('verdict');
  return q;
}

/**
 * Two selects and a button: pick A (the earlier) and B (the later) among
 * `campaigns` (the API's list), then go to their comparison.
 */
export function comparePicker(campaigns, a, b) {
  const byAge = [...campaigns].sort((x, y) => x.campaign.createdAt - y.campaign.createdAt);
  const option = (v, chosen) => h('option', { value: v.campaign.id, selected: v.campaign.id === chosen }, `${v.campaign.spec.name} · ${v.campaign.id}`);
  // Only one side given (a campaign page's "compare with…"): the other is the campaign next to it in time.
  const at = (id) => byAge.findIndex((v) => v.campaign.id === id);
  if (a === null && b !== null && at(b) > 0) a = byAge[at(b) - 1].campaign.id;
  if (b === null && a !== null && at(a) >= 0 && at(a) < byAge.length - 1) b = byAge[at(a) + 1].campaign.id;
  if (a === null && b === null && byAge.length >= 2) [a, b] = [byAge[byAge.length - 2].campaign.id, byAge[byAge.length - 1].campaign.id];
  const selA = h('select', { name: 'a', 'aria-label': 'campaign A' }, ...byAge.map((v) => option(v, a)));
  const selB = h('select', { name: 'b', 'aria-label': 'campaign B' }, ...byAge.map((v) => option(v, b)));
  const message = h('div', { class: 'form-message' });
  const swap = h('button', { type: 'button', title: 'swap A and B', onclick: () => ([selA.value, selB.value] = [selB.value, selA.value]) }, '⇄');
  const form = h(
    'form',
    { class: 'card compare-form', id: 'compare-form' },
    h('h2', {}, 'Compare two campaigns'),
    h('p', { class: 'muted small' }, 'A is the earlier design, B the later: what B no longer finds, what it finds anew, and whether each of A\'s failures still happens with B\'s strategy.'),
    h('div', { class: 'row' }, h('label', {}, 'A', selA), swap, h('label', {}, 'B', selB), h('button', { type: 'submit', class: 'primary' }, 'Compare')),
    message,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (selA.value === selB.value) {
      clear(message).append(errorBox({ message: 'Choose two different campaigns.' }));
      return;
    }
    location.hash = `#/compare?a=${encodeURIComponent(selA.value)}&b=${encodeURIComponent(selB.value)}`;
  });
  if (byAge.length < 2) form.append(h('p', { class: 'muted' }, 'It takes two campaigns: start another one (your edited strategy, say) to compare.'));
  return form;
}

export async function compareView(el, query) {
  const q = choicesOf(query);
  const { campaigns } = await api.get('/api/campaigns');
  el.append(h('div', { class: 'crumbs' }, h('a', { href: '#/campaigns' }, 'Campaigns'), ' / compare'), h('h1', {}, 'Compare'), comparePicker(campaigns, q.a, q.b));
  const stop = live(null, {});
  if (q.a === null || q.b === null) return stop;
  const out = h('div', { id: 'diff' }, h('p', { class: 'muted', id: 'diff-loading' }, "Comparing… re-running each of A's failure buckets against B's strategy."));
  el.append(out);
  // Not awaited: the view is in place at once, and leaving it abandons the request (the server stops its re-tests).
  const gone = new window.AbortController();
  void (async () => {
    try {
      const res = await fetch(`/api/diff?a=${encodeURIComponent(q.a)}&b=${encodeURIComponent(q.b)}`, { signal: gone.signal });
      const d = await res.json();
      if (!res.ok) throw new Error(d.message);
      renderDiff(out, d, q);
    } catch (e) {
      if (e.name !== 'AbortError') clear(out).append(errorBox(e));
    }
  })();
  return () => {
    gone.abort();
    stop();
  };
}

function renderDiff(out, d, q) {
  const link = (c) => h('a', { href: `#/campaigns/${c.id}` }, c.name);
  const strategies = (c) => c.strategies.map((s) => strategyLabel(s, c.strategyFiles)).join(', ');
  const bucketsCard = h('section', { class: 'card', id: 'diff-buckets' });
  const fixesCard = h('section', { class: 'card', id: 'fixes' });
  clear(out).append(
    h(
      'dl',
      { class: 'facts compare-sides' },
      h('dt', {}, 'A'),
      h('dd', {}, link(d.a), h('span', { class: 'muted' }, ` · ${d.a.id} · ${strategies(d.a)} · created ${fmtTime(d.a.createdAt)}`)),
      h('dt', {}, 'B'),
      h('dd', {}, link(d.b), h('span', { class: 'muted' }, ` · ${d.b.id} · ${strategies(d.b)} · created ${fmtTime(d.b.createdAt)}`)),
    ),
    h(
      'section',
      { class: 'card', id: 'diff-notes' },
      h('h2', {}, 'Notes'),
      d.notes.length
        ? h('ul', { class: 'notes' }, ...d.notes.map((n) => h('li', {}, n)))
        : h('p', { class: 'muted' }, 'The same scenarios, blocks per page and scheduler, and every strategy has its counterpart: what differs is the strategies.'),
    ),
    bucketsCard,
    fixesCard,
  );

  const changed = () => {
    keepInAddress(q);
    draw();
  };
  const select = (key, label, values) => {
    const sel = h('select', { name: key, 'aria-label': label }, ...values.map(([v, text]) => h('option', { value: v, selected: (q[key] ?? '') === v }, text)));
    sel.addEventListener('change', () => {
      if (sel.value === '') delete q[key];
      else q[key] = sel.value;
      changed();
    });
    return sel;
  };
  const kinds = [...new Set(d.buckets.map((b) => b.kind))].sort();
  const bucketFilters = h(
    'div',
    { class: 'filters' },
    select('show', 'which buckets', [
      ['', 'what changed'],
      ['all', 'every bucket'],
    ]),
    select('kind', 'kind', [['', 'any kind'], ...kinds.map((k) => [k, k])]),
  );
  const fixFilters = h('div', { class: 'filters' }, select('verdict', 'verdict', [['', 'any verdict'], ...Object.entries(VERDICTS)]));
  const bucketsBody = h('tbody');
  const fixesBody = h('tbody');
  const bucketsCount = h('span', { class: 'muted' });
  const z = d.limits;
  bucketsCard.append(
    h('h2', {}, 'Buckets ', bucketsCount),
    h('p', { class: 'muted small' }, `Matched by kind and sites between paired strategies, counted on the cells both campaigns ran. A rate has changed when it differs by ${z.rateZMin} standard errors and a factor of ${z.rateRatioMin}.`),
    bucketFilters,
    h('div', { class: 'table-scroll' }, h('table', { class: 'list', id: 'diff-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'Signature'), h('th', { class: 'wide-only' }, 'Kind'), h('th', { class: 'num' }, 'A'), h('th', { class: 'num' }, 'B'))), bucketsBody)),
  );
  const tally = (v) => d.retests.filter((r) => r.verdict === v).length;
  fixesCard.append(
    h('h2', {}, "Fix tracking: A's failures against B"),
    h(
      'p',
      { class: 'muted small', id: 'fixes-summary' },
      d.retests.length === 0
        ? 'A has no failure bucket of a strategy B has a counterpart of: nothing to re-test.'
        : `${fmtInt(tally('fixed'))} fixed, ${fmtInt(tally('still-failing'))} still failing${tally('not-run') ? `, ${fmtInt(tally('not-run'))} not re-tested` : ''}. Each failure bucket of A is re-run against B's strategy: its minimized reproducer and up to ${z.retestSeedsMax} example seeds${d.retestMs ? `, in ${fmtInt(d.retestMs)} ms` : ''}. Fixed means none of them failed so.`,
    ),
    fixFilters,
    h('div', { class: 'table-scroll' }, h('table', { class: 'list', id: 'fixes-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'Bucket of A'), h('th', { class: 'wide-only' }, 'Against'), h('th', {}, 'Verdict'), h('th', {}, 'By'))), fixesBody)),
  );

  const bucketHref = (c, side) => `#/campaigns/${c.id}/buckets/${side.bucketId}`;
  function bucketRow(b) {
    const side = b.b ?? b.a;
    // The bucket's page: B's when B has it, else A's; a changed rate links both.
    const title = h('a', { href: bucketHref(b.b ? d.b : d.a, side), title: side.title }, side.title);
    const also = b.a && b.b ? h('span', { class: 'small' }, ' (', h('a', { href: bucketHref(d.a, b.a) }, "A's"), ')') : null;
    return h(
      'tr',
      { class: `diff ${b.change} ${b.severity}`, 'data-change': b.change },
      h('td', { class: 'signature' }, b.severity === 'warning' ? badge('warning', 'severity warning') : null, title, also),
      h('td', { class: 'wide-only' }, badge(b.kind, `kind ${b.kind}`)),
      rateCell('A', b.a),
      rateCell('B', b.b),
    );
  }

  function fixRow(r) {
    const by =
      r.verdict === 'not-run'
        ? h('span', { class: 'muted small' }, r.reason)
        : r.verdict === 'still-failing'
          ? h('span', { class: 'small' }, r.by)
          : h('span', { class: 'muted small' }, `${fmtInt(r.runs)} re-run${r.runs === 1 ? '' : 's'}: ${Object.entries(r.outcomes).map(([k, n]) => `${fmtInt(n)} ${k}`).join(', ')}`);
    return h(
      'tr',
      { class: `retest ${r.verdict}`, 'data-verdict': r.verdict },
      h('td', { class: 'signature' }, h('a', { href: `#/campaigns/${d.a.id}/buckets/${r.bucketId}`, title: r.title }, r.title)),
      h('td', { class: 'wide-only mono small' }, r.against),
      h('td', { class: 'verdict-cell' }, badge(VERDICTS[r.verdict], `verdict ${r.verdict}`)),
      h('td', { class: 'by' }, by),
    );
  }

  function draw() {
    clear(bucketsBody);
    const shown = d.buckets.filter((b) => (q.show === 'all' || b.change !== 'same') && (!q.kind || b.kind === q.kind));
    for (const [change, heading, byDefault] of GROUPS) {
      if (!byDefault && q.show !== 'all') continue;
      const rows = shown.filter((b) => b.change === change);
      if (rows.length === 0) continue;
      bucketsBody.append(h('tr', { class: 'section' }, h('td', { colspan: 4 }, h('strong', {}, heading), h('span', { class: 'muted small' }, ` · ${fmtInt(rows.length)}`))), ...rows.map(bucketRow));
    }
    if (shown.length === 0) bucketsBody.append(h('tr', { class: 'empty' }, h('td', { colspan: 4, class: 'muted' }, d.buckets.length === 0 ? 'Neither campaign has a bucket in the cells both ran.' : 'No bucket changed: B finds what A found, about as often.')));
    bucketsCount.textContent = `${fmtInt(shown.length)} of ${fmtInt(d.buckets.length)}`;
    clear(fixesBody);
    const fixes = d.retests.filter((r) => !q.verdict || r.verdict === q.verdict);
    if (fixes.length === 0) fixesBody.append(h('tr', { class: 'empty' }, h('td', { colspan: 4, class: 'muted' }, d.retests.length === 0 ? 'Nothing to re-test.' : 'No re-test has this verdict.')));
    fixesBody.append(...fixes.map(fixRow));
  }
  draw();
}
