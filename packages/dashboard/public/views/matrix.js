// #/matrix: every strategy x scenario x blocks per page over every seed,
// as `pcfarm matrix` prints it, and the fault-free cost of each write path.
// The choices are kept in the address; a new choice abandons the request
// for the old one, and the server cancels a computation nobody waits for.
import { clear, fmtDuration, fmtInt, fmtNum, fmtTime, h } from '../dom.js';
import { live, shell } from '../shell.js';
import { checkboxes, errorBox, keepInAddress } from '../ui.js';

export async function matrixView(el, query) {
  const info = shell.info;
  const asked = new URLSearchParams(query ?? '');
  const askedBpp = (asked.get('bpp') ?? '').split(',').map(Number).filter((b) => info.blocksPerPage.includes(b));
  const askedRuns = Number(asked.get('runs'));
  const runs = h('input', { type: 'number', name: 'runs', min: 1, max: info.limits.matrixRunsMax, value: Number.isInteger(askedRuns) && askedRuns >= 1 ? askedRuns : info.limits.matrixRunsDefault });
  const out = h('div', { id: 'matrix' });
  const verify = h('input', { type: 'checkbox', name: 'verify', checked: asked.get('verify') === '1' });
  const form = h(
    'form',
    { class: 'row' },
    h('label', {}, 'Seeds per cell ', runs),
    checkboxes('bpp', 'Blocks per page', info.blocksPerPage, askedBpp.length ? askedBpp : info.blocksPerPage),
    h('label', { title: 'Every schedule of each cell up to a bound: the smallest bound where one fails, or the highest where all pass' }, verify, ' with bounds'),
    h('button', { type: 'submit' }, 'Show'),
  );
  el.append(
    h('h1', {}, 'Verdict matrix'),
    h('p', { class: 'muted' }, 'Every strategy against every scenario at each number of blocks per page, every seed 0..N-1 of each: its verdict, the runs that failed with it and the runs that warned. Then what each write path costs per page in the fault-free case.'),
    form,
    out,
  );
  const chosen = () => [...form.querySelectorAll('input[name=bpp]:checked')].map((x) => Number(x.value));
  let inFlight = null;
  async function load() {
    const n = Number(runs.value);
    const bpps = chosen();
    if (!Number.isInteger(n) || n < 1 || n > info.limits.matrixRunsMax) {
      clear(out).append(errorBox({ message: `Seeds per cell must be a whole number from 1 to ${fmtInt(info.limits.matrixRunsMax)}.` }));
      return;
    }
    if (bpps.length === 0) {
      clear(out).append(errorBox({ message: 'Choose at least one number of blocks per page.' }));
      return;
    }
    // The matrix shown before is no longer wanted: the server may stop computing it.
    inFlight?.abort();
    const mine = new window.AbortController();
    inFlight = mine;
    const bounds = verify.checked;
    clear(out).append(h('p', { class: 'muted' }, `Computing ${fmtInt(n)} seeds of every cell at ${bpps.join(', ')} blocks per page${bounds ? ', and each cell\'s bound' : ''}… the first time takes a while (minutes for 1,000 seeds at all three${bounds ? ', a few more for the bounds' : ''}); after that it is kept.`));
    try {
      const res = await fetch(`/api/matrix?runs=${n}&${bpps.map((b) => `blocksPerPage=${b}`).join('&')}${bounds ? '&verify=true' : ''}`, { signal: mine.signal });
      const m = await res.json();
      if (!res.ok) throw new Error(m.message);
      clear(out).append(matrixTable(m), costTable(m), h('p', { class: 'muted small' }, `Computed in ${fmtDuration(m.computeMs)} at ${fmtTime(m.computedAt)}.`));
    } catch (e) {
      if (e.name !== 'AbortError') clear(out).append(errorBox(e));
    }
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    // The address says which matrix: a link shows the same one.
    keepInAddress({ runs: Number(runs.value), bpp: chosen().join(','), verify: verify.checked ? '1' : '' });
    void load();
  });
  void load();
  const stop = live(null, {});
  return () => {
    inFlight?.abort();
    stop();
  };
}

/** `deadlock ×34`, each kind a cell saw in severity order, as the CLI's matrix prints them. */
function kindCounts(order, counts) {
  return order.filter((k) => counts[k] !== undefined).map((k) => `${k} ×${fmtInt(counts[k])}`);
}

/** A cell's bound in a few words, as `pcfarm matrix --verify` prints it: p preemptions, d delays; a generated scenario's parameter bound, which limits the programs a certificate covers. */
function boundText(b) {
  const unit = b.delays !== undefined && b.delays !== null ? 'd' : 'p';
  const k = b.delays ?? b.preemptions;
  if (b.kind === 'fails') return `fails at ${k}${unit} (${b.failure})`;
  if (b.kind === 'none') return 'not verified';
  const params = b.params === null || b.params === undefined ? '' : `, params <= ${b.params}`;
  return k === b.asked ? `verified to ${k}${unit}${params}` : `verified to ${k}${unit} of ${b.asked}${params}`;
}

/** What pcfarm verify kept of a cell, in a few words: p preemptions, d delays, r reclaim actions, and the parameter bound where it limited the programs. */
function keptText(m, k) {
  const params = k.paramsMax > 0 || (m.paramScenarios ?? []).includes(k.scenario) ? `, params <= ${k.paramsMax}` : '';
  return `${k.result === 'clean' ? 'verified to' : 'fails at'} ${k.bound}${k.unit === 'delays' ? 'd' : 'p'} (${k.reclaimActionsMax}r${params})`;
}

/** A cell: its verdict and count, its warnings marked, its bound when asked, what verify kept of it; on hover every kind with its first seed, the message and the witness. */
function verdictCell(m, c, kept) {
  const warns = kindCounts(m.severityOrder, c.warnings);
  const b = c.bound;
  const hover = [
    c.verdict === 'clean' ? `clean: none of ${c.runs} runs failed` : `verdict ${c.verdict}: the most severe kind of ${c.runs} runs`,
    ...m.severityOrder.filter((k) => c.kinds[k] !== undefined).map((k) => `failed ${k} ×${c.kinds[k]} (first seed ${c.first[k]})`),
    ...m.severityOrder.filter((k) => c.warnings[k] !== undefined).map((k) => `warned ${k} ×${c.warnings[k]} (first seed ${c.firstWarning[k]})`),
    c.witness ? `witness: ${c.witness}` : null,
    c.message,
    b ? `bound: ${boundText(b)}, ${fmtInt(b.schedules)} schedules${b.hash ? `, certificate ${b.hash}` : ''}` : null,
    ...kept.map((k) => `kept by pcfarm verify: ${keptText(m, k)}, ${fmtInt(k.schedules)} schedules${k.hash ? `, certificate ${k.hash}` : ''}`),
  ].filter((x) => x !== null);
  return h(
    'td',
    { class: `verdict kind ${c.verdict}${warns.length ? ' warned' : ''}`, title: hover.join('\n') },
    c.verdict === 'clean' ? 'clean' : h('span', {}, c.verdict, h('small', {}, ` ×${fmtInt(c.kinds[c.verdict])}`)),
    warns.length ? h('div', { class: 'warns' }, `⚠ warns ${warns.join(', ')}`) : null,
    b ? h('div', { class: `bound ${b.kind}` }, boundText(b)) : null,
    ...kept.map((k) => h('div', { class: `kept ${k.result}` }, `kept: ${keptText(m, k)}`)),
  );
}

function matrixTable(m) {
  const info = shell.info;
  const cell = new Map(m.cells.map((c) => [`${c.strategy}\u0000${c.scenario}\u0000${c.blocksPerPage}`, c]));
  const keptOf = new Map();
  for (const k of m.kept ?? []) {
    const key = `${k.strategy}\u0000${k.scenario}\u0000${k.blocksPerPage}`;
    keptOf.set(key, [...(keptOf.get(key) ?? []), k]);
  }
  return h(
    'div',
    {},
    h(
      'p',
      { class: 'muted small', id: 'matrix-legend' },
      `Each cell: clean, or VERDICT ×COUNT: the most severe kind any of its ${fmtInt(m.runs)} runs (every seed 0..${fmtInt(m.runs - 1)}) failed with, and how many runs failed with it; ⚠ warns lock-order ×N: N runs warned (a class-only lock-order cycle: not a failure). Hover a cell for every kind and its first seed. Most severe first: ${m.severityOrder.join(', ')}.${
        m.verifyLimits
          ? ` Then the cell's bound, every schedule explored up to ${m.verifyLimits.boundMax} preemption${m.verifyLimits.boundMax === 1 ? '' : 's'} with at most ${m.verifyLimits.reclaimActionsMax} reclaim action(s), ${fmtInt(m.verifyLimits.cellMs)} ms${m.verifyLimits.cellSchedulesMax ? ` or ${fmtInt(m.verifyLimits.cellSchedulesMax)} schedules` : ''} a cell: "fails at Kp", the smallest number of preemptions where one fails; "verified to Kp", every schedule up to K passed ("of N" when the time ran out before N); "not verified" when it ran out before 0.`
          : ''
      }`,
    ),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'matrix' },
        h('thead', {}, h('tr', {}, h('th', { class: 'sticky' }, 'scenario \\ strategy'), h('th', { title: 'disk blocks per page' }, 'bpp'), ...m.strategies.map((s) => h('th', { title: info.descriptions[s] ?? '' }, s)))),
        h(
          'tbody',
          {},
          ...m.scenarios.flatMap((sc) =>
            m.blocksPerPage.map((bpp) =>
              h(
                'tr',
                {},
                h('th', { class: 'sticky', title: info.descriptions[sc] ?? '' }, sc),
                h('th', { class: 'num' }, String(bpp)),
                ...m.strategies.map((st) => verdictCell(m, cell.get(`${st}\u0000${sc}\u0000${bpp}`), keptOf.get(`${st}\u0000${sc}\u0000${bpp}`) ?? [])),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

function costTable(m) {
  const cols = [
    ['pageTableWalks', 'page-table walks'],
    ['mmapSemAcquisitions', 'mmap_sem'],
    ['pageLockRoundTrips', 'page locks'],
    ['kmaps', 'kmaps'],
    ['cellsCopied', 'cells copied'],
  ];
  return h(
    'section',
    { class: 'card', id: 'costs' },
    h('h2', {}, 'Fault-free cost per page written'),
    h('p', { class: 'muted small' }, 'append: new pages, not uptodate; overwrite: cached, uptodate.'),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'list compact' },
        h('thead', {}, h('tr', {}, h('th', {}, 'strategy'), h('th', {}, 'case'), ...cols.map(([, t]) => h('th', { class: 'num' }, t)))),
        h('tbody', {}, ...m.costs.map((c) => h('tr', {}, h('td', {}, c.strategy), h('td', {}, c.case), ...cols.map(([k]) => h('td', { class: 'num' }, fmtNum(+c[k].toFixed(2))))))),
      ),
    ),
  );
}
