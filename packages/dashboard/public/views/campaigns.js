// #/campaigns: every campaign with its progress, live; two of them picked
// to compare; and the form that starts one.
import { api } from '../api.js';
import { clear, fmtInt, fmtRate, fmtTime, h } from '../dom.js';
import { live, shell } from '../shell.js';
import { checkboxes, errorBox, progressBar, stateBadge } from '../ui.js';
import { comparePicker } from './compare.js';

export async function campaignsView(el) {
  const info = shell.info;
  const tbody = h('tbody');
  // Two campaigns or more: pick two to compare.
  const compareSlot = h('div');
  el.append(
    h('h1', {}, 'Campaigns'),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'list', id: 'campaigns' },
        h('thead', {}, h('tr', {}, ...['Campaign', 'State', 'Cells', 'Progress', 'Runs', 'Runs/s', 'Buckets', 'Verified', 'Created'].map((t, i) => h('th', { class: i === 2 || i === 7 || i === 8 ? 'wide-only' : null }, t)))),
        tbody,
      ),
    ),
    compareSlot,
    info.readOnly ? h('p', { class: 'card muted' }, 'Read-only: another process writes these results and runs their campaigns; start and stop them there.') : newCampaignForm(),
  );
  const rows = new Map();
  let loading = null;
  async function load() {
    const { campaigns } = await api.get('/api/campaigns');
    clear(tbody);
    rows.clear();
    if (campaigns.length === 0) tbody.append(h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'No campaign yet: start one below.')));
    for (const c of campaigns) {
      const row = campaignRow(c);
      rows.set(c.campaign.id, row);
      tbody.append(row.tr);
    }
    clear(compareSlot);
    if (campaigns.length >= 2) compareSlot.append(comparePicker(campaigns, null, null));
  }
  await load();
  return live(null, {
    stats: (e) => {
      const row = rows.get(e.campaign);
      if (row) row.update(e);
      else loading ??= load().finally(() => (loading = null));
    },
  });
}

function campaignRow(v) {
  const c = v.campaign;
  const bar = progressBar();
  const state = h('td');
  const runs = h('td', { class: 'num' });
  const rate = h('td', { class: 'num' }, '–');
  const buckets = h('td', { class: 'num' });
  const tr = h(
    'tr',
    { 'data-campaign': c.id },
    h('td', {}, h('a', { href: `#/campaigns/${c.id}` }, c.spec.name), h('div', { class: 'muted small' }, c.id)),
    state,
    h(
      'td',
      { class: 'num wide-only', title: `${c.spec.strategies.join(', ')}\n×\n${c.spec.scenarios.join(', ')}\n×\nblocks per page ${c.spec.blocksPerPage.join(', ')}` },
      `${c.spec.strategies.length} × ${c.spec.scenarios.length} × ${c.spec.blocksPerPage.length}`,
    ),
    h('td', {}, bar.el),
    runs,
    rate,
    buckets,
    verifiedCell(v.verified),
    h('td', { class: 'small wide-only' }, fmtTime(c.createdAt)),
  );
  const update = (s) => {
    clear(state).append(stateBadge(s.state ?? s.campaign.state, s.activity));
    runs.textContent = fmtInt(s.runs);
    // Failure buckets; warnings (which fail nothing) beside them.
    // Element.append writes null as the text "null": append only what there is.
    clear(buckets).append(fmtInt(s.buckets), ...(s.warningBuckets ? [h('span', { class: 'muted small', title: 'warning buckets: class-only lock-order cycles' }, ` + ${fmtInt(s.warningBuckets)} warn`)] : []));
    if (s.runsPerSec !== undefined) rate.textContent = s.state === 'running' && s.activity !== 'queued' ? fmtRate(s.runsPerSec) : '–';
    bar.set(c.spec, { batchesDone: s.batchesDone, batchesTotal: s.batchesTotal, runningMs: s.runningMs ?? s.campaign.runningMs });
  };
  update(v);
  return { tr, update };
}

/** How many of its cells pcfarm verify certified to some bound, and found failing: read with the list, not live. */
function verifiedCell(v) {
  const td = h('td', { class: 'num small wide-only', title: 'cells pcfarm verify certified to some bound (every schedule up to it), of every cell; and cells where it found a counterexample' });
  if (v === undefined || v.certified + v.failing === 0) {
    td.append(h('span', { class: 'muted' }, '–'));
    return td;
  }
  td.append(`${fmtInt(v.certified)} of ${fmtInt(v.cells)}`, v.failing === 0 ? '' : h('span', { class: 'failure-text' }, ` · ${fmtInt(v.failing)} fail`));
  return td;
}

/** What the form asks for, as the API's body; or the first thing to fix, said for a person. */
function formBody(f) {
  const int = (k) => (f.get(k) === '' ? null : Number(f.get(k)));
  const body = {
    strategies: f.getAll('strategy'),
    scenarios: f.getAll('scenario'),
    blocksPerPage: f.getAll('blocksPerPage').map(Number),
    scheduler: f.get('scheduler'),
    pctDepth: int('pctDepth'),
    seedsPerCell: int('seedsPerCell'),
    timeBudgetMs: int('timeBudgetS') === null ? null : int('timeBudgetS') * 1000,
    batchSeeds: int('batchSeeds'),
    seedStart: int('seedStart'),
  };
  if (f.get('name')) body.name = f.get('name');
  // A search left cold replays nothing of the store's (an empty pollen); otherwise the server gathers it.
  if ((body.scheduler === 'guided' || body.scheduler === 'portfolio') && f.get('pollen') === null) body.guide = { pollen: [] };
  if (body.strategies.length === 0) return { problem: 'Choose at least one strategy.' };
  if (body.scenarios.length === 0) return { problem: 'Choose at least one scenario.' };
  if (body.blocksPerPage.length === 0) return { problem: 'Choose at least one number of blocks per page.' };
  if (body.seedsPerCell === null && body.timeBudgetMs === null) return { problem: 'Give seeds per cell, a time budget, or both: a campaign needs an end.' };
  // The server fills in what is left empty.
  for (const k of ['pctDepth', 'batchSeeds', 'seedStart']) if (body[k] === null) delete body[k];
  return { body };
}

function newCampaignForm() {
  const info = shell.info;
  const d = info.defaults;
  const num = (name, label, value, attrs = {}) => h('label', {}, label, h('input', { type: 'number', name, value, min: attrs.min ?? 0, ...attrs }));
  const message = h('div', { class: 'form-message' });
  const form = h(
    'form',
    { id: 'new-campaign', class: 'card' },
    h('h2', {}, 'New campaign'),
    h('label', {}, 'Name', h('input', { type: 'text', name: 'name', placeholder: 'its cells', maxlength: info.limits.nameLengthMax })),
    checkboxes('strategy', 'Strategies', info.strategies, info.strategies),
    h(
      'p',
      { class: 'muted small', id: 'strategy-files-note' },
      'A strategy of your own (a strategy file) starts from the command line, where the file is: ',
      h('code', {}, 'pcfarm campaign start --strategy-file FILE'),
      '. The page sends no code to the server; its campaigns show here like any other, and can be compared.',
    ),
    checkboxes('scenario', 'Scenarios', info.scenarios, info.scenarios),
    checkboxes('blocksPerPage', 'Blocks per page (1: whole-page buffers; 2, 4: sub-page)', info.blocksPerPage, d.blocksPerPage),
    h(
      'div',
      { class: 'row' },
      h('label', {}, 'Scheduler', h('select', { name: 'scheduler' }, ...info.schedulers.map((s) => h('option', { value: s, selected: s === d.scheduler }, s)))),
      num('pctDepth', 'PCT depth', d.pctDepth, { min: 1, max: info.limits.pctDepthMax }),
      num('seedsPerCell', 'Seeds per cell', d.seedsPerCell, { min: 1, placeholder: 'none' }),
      num('timeBudgetS', 'Time budget (s)', '', { min: 1, placeholder: 'none' }),
      num('batchSeeds', 'Seeds per batch', d.batchSeeds, { min: 1, max: info.limits.batchSeedsMax }),
      num('seedStart', 'First seed', d.seedStart),
    ),
    h(
      'label',
      { class: 'check pollen', title: 'guided and portfolio only: each cell first replays the failures other strategies had on its scenario (the pollen)' },
      h('input', { type: 'checkbox', name: 'pollen', checked: true }),
      "Guided and portfolio: replay first the failures the store holds of other strategies on these scenarios",
    ),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Start campaign'), message),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const { body, problem } = formBody(new FormData(form));
    if (problem) {
      clear(message).append(errorBox({ message: problem }));
      return;
    }
    clear(message).append('starting…');
    try {
      const v = await api.post('/api/campaigns', body);
      location.hash = `#/campaigns/${v.campaign.id}`;
    } catch (e) {
      clear(message).append(errorBox(e));
    }
  });
  return form;
}

