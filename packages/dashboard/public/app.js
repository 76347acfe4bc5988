// The pcfarm dashboard's page: hash routes, one view each, fed by the JSON
// API and kept live by server-sent events. No framework: each view builds
// its DOM once and updates the few numbers that change in place.
import { api, follow, setToken, token } from './api.js';
import { lineChart } from './charts.js';
import { clear, commandBox, fmtAgo, fmtDuration, fmtInt, fmtRate, fmtSpan, fmtTime, h } from './dom.js';
import { timeline } from './timeline.js';

const main = document.getElementById('main');
const statusEl = document.getElementById('status');
let info = null;
let leave = () => {};
let liveState = 'connecting';
let workers = [];

// ---- the header: store, workers, live connection ----

function renderStatus() {
  clear(statusEl);
  if (info) statusEl.append(h('span', { class: 'pill' }, `${info.store} store`));
  const late = workers.filter((w) => w.health !== 'ok').length;
  const threads = workers.reduce((n, w) => n + w.concurrency, 0);
  statusEl.append(
    h(
      'span',
      { class: 'pill', id: 'workers-status', title: workers.map((w) => `${w.id}: ${w.health}, seen ${fmtAgo(w.seenAt)}`).join('\n') || 'no worker has reported lately' },
      h('i', { class: `dot ${workers.length === 0 ? 'idle' : late ? 'late' : 'ok'}` }),
      `${workers.length} worker${workers.length === 1 ? '' : 's'}${threads ? ` · ${threads} thread${threads === 1 ? '' : 's'}` : ''}${late ? ` · ${late} late` : ''}`,
    ),
    h('span', { class: 'pill', id: 'live-status' }, h('i', { class: `dot ${liveState === 'live' ? 'ok' : 'late'}` }), liveState),
  );
  if (info?.tokenRequired && !token()) {
    const input = h('input', { type: 'password', placeholder: 'token to make changes', size: 18 });
    input.addEventListener('change', () => {
      setToken(input.value.trim());
      renderStatus();
    });
    statusEl.append(input);
  }
}

/** Follow live events for a view; the header's worker count comes along with every stream. */
function live(campaign, handlers) {
  return follow(
    campaign,
    {
      ...handlers,
      workers: (e) => {
        workers = e.workers;
        renderStatus();
        handlers.workers?.(e);
      },
    },
    (state) => {
      liveState = state;
      renderStatus();
    },
  );
}

// ---- small pieces ----

function badge(text, cls = text) {
  return h('span', { class: `badge ${cls}` }, text);
}

function progressOf(spec, c) {
  if (c.batchesTotal) return { frac: c.batchesDone / c.batchesTotal, text: `${fmtInt(c.batchesDone)} of ${fmtInt(c.batchesTotal)} batches` };
  if (spec.timeBudgetMs) return { frac: Math.min(1, c.runningMs / spec.timeBudgetMs), text: `${fmtDuration(c.runningMs)} of ${fmtDuration(spec.timeBudgetMs)}` };
  return { frac: 0, text: '' };
}

function progressBar() {
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

function errorBox(e) {
  return h('div', { class: 'error', role: 'alert' }, e.message ?? String(e));
}

function stateBadge(state, activity) {
  const text = activity === 'queued' ? 'queued' : state === 'running' && activity === 'idle' ? 'running (not here)' : state;
  return badge(text, state);
}

// ---- #/campaigns ----

async function campaignsView(el) {
  const tbody = h('tbody');
  el.append(
    h('h1', {}, 'Campaigns'),
    h(
      'table',
      { class: 'list', id: 'campaigns' },
      h('thead', {}, h('tr', {}, ...['Campaign', 'State', 'Cells', 'Progress', 'Runs', 'Runs/s', 'Buckets', 'Created'].map((t) => h('th', {}, t)))),
      tbody,
    ),
    info.readOnly ? h('p', { class: 'card muted' }, 'Read-only: another process writes these results and runs their campaigns; start and stop them there.') : newCampaignForm(),
  );
  const rows = new Map();
  let loading = null;
  async function load() {
    const { campaigns } = await api.get('/api/campaigns');
    clear(tbody);
    rows.clear();
    if (campaigns.length === 0) tbody.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No campaign yet: start one below.')));
    for (const c of campaigns) {
      const row = campaignRow(c);
      rows.set(c.campaign.id, row);
      tbody.append(row.tr);
    }
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
    h('td', { class: 'num', title: `${c.spec.strategies.join(', ')}\n×\n${c.spec.scenarios.join(', ')}` }, `${c.spec.strategies.length} × ${c.spec.scenarios.length}`),
    h('td', {}, bar.el),
    runs,
    rate,
    buckets,
    h('td', { class: 'small' }, fmtTime(c.createdAt)),
  );
  const update = (s) => {
    clear(state).append(stateBadge(s.state ?? s.campaign.state, s.activity));
    runs.textContent = fmtInt(s.runs);
    buckets.textContent = fmtInt(s.buckets);
    if (s.runsPerSec !== undefined) rate.textContent = s.state === 'running' && s.activity !== 'queued' ? fmtRate(s.runsPerSec) : '–';
    bar.set(c.spec, { batchesDone: s.batchesDone, batchesTotal: s.batchesTotal, runningMs: s.runningMs ?? s.campaign.runningMs });
  };
  update(v);
  return { tr, update };
}

function checkboxes(name, values, checked) {
  const boxes = values.map((v) =>
    h('label', { class: 'check', title: info.descriptions[v] ?? '' }, h('input', { type: 'checkbox', name, value: v, checked: checked.includes(v) }), v),
  );
  const set = (on) => () => boxes.forEach((b) => (b.querySelector('input').checked = on));
  return h(
    'fieldset',
    { class: 'checks' },
    h('legend', {}, name === 'strategy' ? 'Strategies' : 'Scenarios', ' ', h('button', { type: 'button', class: 'link', onclick: set(true) }, 'all'), ' ', h('button', { type: 'button', class: 'link', 'data-none': name, onclick: set(false) }, 'none')),
    ...boxes,
  );
}

function newCampaignForm() {
  const d = info.defaults;
  const num = (name, label, value, attrs = {}) => h('label', {}, label, h('input', { type: 'number', name, value, min: attrs.min ?? 0, ...attrs }));
  const message = h('div', { class: 'form-message' });
  const form = h(
    'form',
    { id: 'new-campaign', class: 'card' },
    h('h2', {}, 'New campaign'),
    h('label', {}, 'Name', h('input', { type: 'text', name: 'name', placeholder: 'campaign', maxlength: info.limits.nameLengthMax })),
    checkboxes('strategy', info.strategies, info.strategies),
    checkboxes('scenario', info.scenarios, info.scenarios),
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
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Start campaign'), message),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const int = (k) => (f.get(k) === '' ? null : Number(f.get(k)));
    const body = {
      strategies: f.getAll('strategy'),
      scenarios: f.getAll('scenario'),
      scheduler: f.get('scheduler'),
      pctDepth: int('pctDepth'),
      seedsPerCell: int('seedsPerCell'),
      timeBudgetMs: int('timeBudgetS') === null ? null : int('timeBudgetS') * 1000,
      batchSeeds: int('batchSeeds'),
      seedStart: int('seedStart'),
    };
    if (f.get('name')) body.name = f.get('name');
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

// ---- #/campaigns/ID ----

const BUCKET_COLUMNS = [
  ['title', 'Signature'],
  ['kind', 'Kind'],
  ['strategy', 'Strategy'],
  [null, 'Scenarios'],
  ['count', 'Count'],
  ['firstSeenAt', 'First seen'],
  ['lastSeenAt', 'Last seen'],
  [null, 'Minimized'],
];

async function campaignView(el, id) {
  const first = await api.get(`/api/campaigns/${id}/stats`);
  let cur = first.campaign;
  const c = cur.campaign;
  const spec = c.spec;

  const title = h('h1', {}, spec.name, ' ');
  const stateEl = h('span');
  title.append(stateEl);
  const actions = h('div', { class: 'actions' });
  const message = h('div', { class: 'form-message' });
  const bar = progressBar();
  const tiles = {};
  const tile = (key, label) => h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, label), (tiles[key] = h('div', { class: 'tile-value', id: `tile-${key}` }, '–')));
  const charts = { rate: h('div', { class: 'chart-box' }), coverage: h('div', { class: 'chart-box' }) };
  const workersBody = h('tbody');
  el.append(
    h('div', { class: 'crumbs' }, h('a', { href: '#/campaigns' }, 'Campaigns'), ' / ', c.id),
    h('div', { class: 'title-row' }, title, actions),
    h(
      'p',
      { class: 'muted' },
      `${spec.strategies.join(', ')} × ${spec.scenarios.join(', ')} · ${spec.scheduler}${spec.scheduler === 'pct' ? ` depth ${spec.pctDepth}` : ''} · `,
      spec.seedsPerCell === null ? '' : `seeds ${fmtInt(spec.seedStart)}..${fmtInt(spec.seedStart + spec.seedsPerCell - 1)} per cell · `,
      spec.timeBudgetMs === null ? '' : `budget ${fmtDuration(spec.timeBudgetMs)} · `,
      `${fmtInt(spec.batchSeeds)} seeds a batch · model ${c.modelVersion} · created ${fmtTime(c.createdAt)}`,
    ),
    message,
    bar.el,
    h('div', { class: 'tiles' }, tile('runs', 'Runs'), tile('rate', 'Runs/s'), tile('failures', 'Failures'), tile('coverage', 'Coverage'), tile('buckets', 'Buckets'), tile('minimized', 'Minimized'), tile('time', 'Running time')),
    h('div', { class: 'charts' }, h('section', { class: 'card' }, h('h2', {}, 'Runs per second'), charts.rate), h('section', { class: 'card' }, h('h2', {}, 'Coverage'), charts.coverage)),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Workers'),
      h('table', { class: 'list compact', id: 'workers' }, h('thead', {}, h('tr', {}, ...['Worker', 'Host', 'PID', 'Threads', 'Runs', 'Runs/s', 'Last report', 'Health'].map((t) => h('th', {}, t)))), workersBody),
    ),
  );

  function renderActions() {
    clear(actions);
    clear(stateEl).append(stateBadge(cur.campaign.state, cur.activity));
    const state = cur.campaign.state;
    if (info.readOnly) return;
    const act = (label, path) =>
      h('button', {
        type: 'button',
        id: `${path}-campaign`,
        onclick: async () => {
          clear(message);
          try {
            cur = await api.post(`/api/campaigns/${id}/${path}`);
            showNumbers(cur);
          } catch (e) {
            message.append(errorBox(e));
          }
        },
      }, label);
    if (state === 'running' && cur.activity !== 'idle') actions.append(act('Stop', 'stop'));
    if (state === 'stopped' || (state === 'running' && cur.activity === 'idle')) actions.append(act('Resume', 'resume'));
  }

  function showNumbers(v, rate) {
    cur = v;
    tiles.runs.textContent = fmtInt(v.runs);
    if (rate !== undefined) tiles.rate.textContent = v.campaign.state === 'running' ? fmtRate(rate) : '–';
    tiles.failures.textContent = fmtInt(v.failures);
    tiles.coverage.textContent = fmtInt(v.coverage);
    tiles.buckets.textContent = fmtInt(v.buckets);
    tiles.minimized.textContent = `${fmtInt(v.minimized)} of ${fmtInt(v.buckets)}`;
    tiles.time.textContent = fmtDuration(v.campaign.runningMs);
    bar.set(spec, { batchesDone: v.batchesDone, batchesTotal: v.batchesTotal, runningMs: v.campaign.runningMs });
    renderActions();
  }

  function showWorkers(list) {
    clear(workersBody);
    if (list.length === 0) workersBody.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No worker has reported in the last 15 s.')));
    for (const w of list) {
      workersBody.append(
        h(
          'tr',
          {},
          h('td', { class: 'mono small' }, w.id),
          h('td', {}, w.host),
          h('td', { class: 'num' }, w.pid),
          h('td', { class: 'num' }, w.concurrency),
          h('td', { class: 'num' }, fmtInt(w.runs)),
          h('td', { class: 'num' }, fmtRate(w.runsPerSec)),
          h('td', {}, fmtAgo(w.seenAt)),
          h('td', {}, h('i', { class: `dot ${w.health}` }), w.health),
        ),
      );
    }
  }

  function showCharts(samples) {
    const xFormat = fmtSpan;
    clear(charts.rate).append(lineChart(samples.map((p) => ({ x: p.runningMs, y: p.runsPerSec })), { label: 'runs per second over running time', xFormat }));
    // Coverage starts from nothing: the origin makes its first rise visible.
    const coverage = samples.length ? [{ x: 0, y: 0 }, ...samples.map((p) => ({ x: p.runningMs, y: p.coverage }))] : [];
    clear(charts.coverage).append(lineChart(coverage, { label: 'coverage over running time', xFormat, color: '#16a34a' }));
  }

  showNumbers(cur);
  showWorkers(first.workers);
  showCharts(first.samples);
  const table = await bucketTable(el, id);

  // Charts come from the stored samples: refetch them as runs grow, at most every 2 s, and once more after the last change.
  let chartsAt = Date.now();
  let chartRuns = cur.runs;
  let chartTimer = null;
  const refreshCharts = () => {
    chartTimer ??= setTimeout(
      () => {
        chartTimer = null;
        chartsAt = Date.now();
        api.get(`/api/campaigns/${id}/stats`).then((s) => showCharts(s.samples), () => {});
      },
      Math.max(0, 2000 - (Date.now() - chartsAt)),
    );
  };
  let shownMinimized = cur.minimized;
  const stop = live(id, {
    stats: (e) => {
      showNumbers({ ...cur, runs: e.runs, failures: e.failures, coverage: e.coverage, buckets: e.buckets, minimized: e.minimized, batchesDone: e.batchesDone, batchesTotal: e.batchesTotal, activity: e.activity, campaign: { ...cur.campaign, state: e.state, runningMs: e.runningMs } }, e.runsPerSec);
      showWorkers(e.workers);
      table.sawTotal(e.buckets);
      // A minimization landed: its row's "pending" becomes its size.
      if (e.minimized !== shownMinimized) {
        shownMinimized = e.minimized;
        table.reload();
      }
      if (e.runs !== chartRuns) {
        chartRuns = e.runs;
        refreshCharts();
        table.refresh();
      }
    },
    bucket: () => table.reload(),
  });
  return () => {
    stop();
    clearTimeout(chartTimer);
  };
}

/** The bucket table of a campaign: filters, sorting, and which buckets are new since the last visit. */
async function bucketTable(el, id) {
  const seenKey = `pcfarm.seen.${id}`;
  const stored = JSON.parse(localStorage.getItem(seenKey) ?? 'null');
  const query = { sort: 'count', order: 'desc' };
  const filters = h('div', { class: 'filters' });
  const tbody = h('tbody');
  const count = h('span', { class: 'muted' });
  const head = h('tr');
  el.append(h('section', { class: 'card' }, h('h2', {}, 'Buckets ', count), filters, h('table', { class: 'list', id: 'buckets' }, h('thead', {}, head), tbody)));

  // On a first visit nothing is "new" but what arrives while the page is open.
  const all = await api.get(`/api/campaigns/${id}/buckets?limit=1000`);
  const baseline = new Set(stored ?? all.buckets.map((b) => b.id));
  const seen = new Set([...baseline]);
  let total = all.total;

  const select = (key, label, values) => {
    const sel = h('select', { name: key }, h('option', { value: '' }, `any ${label}`), ...values.map((v) => h('option', { value: v }, v)));
    sel.addEventListener('change', () => {
      if (sel.value === '') delete query[key];
      else query[key] = sel.value;
      void reload();
    });
    return sel;
  };
  const search = h('input', { type: 'search', placeholder: 'signature contains…', name: 'q' });
  search.addEventListener('input', () => {
    if (search.value.trim() === '') delete query.q;
    else query.q = search.value.trim();
    void reload();
  });
  filters.append(select('kind', 'kind', info.failureKinds), select('strategy', 'strategy', info.strategies), select('scenario', 'scenario', info.scenarios), select('minimized', 'minimization', ['true', 'false']), search);

  function renderHead() {
    clear(head);
    for (const [key, label] of BUCKET_COLUMNS) {
      if (key === null) {
        head.append(h('th', {}, label));
        continue;
      }
      const arrow = query.sort === key ? (query.order === 'asc' ? ' ▲' : ' ▼') : '';
      head.append(
        h('th', { class: 'sortable', onclick: () => {
          if (query.sort === key) query.order = query.order === 'asc' ? 'desc' : 'asc';
          else {
            query.sort = key;
            query.order = key === 'count' || key.endsWith('At') ? 'desc' : 'asc';
          }
          void reload();
        } }, label + arrow),
      );
    }
  }

  let pending = null;
  async function reload() {
    renderHead();
    const q = new URLSearchParams({ ...query, limit: 500 });
    const r = await api.get(`/api/campaigns/${id}/buckets?${q}`);
    clear(tbody);
    if (r.buckets.length === 0) tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: 8, class: 'muted' }, query.q || query.kind || query.strategy || query.scenario || query.minimized ? 'No bucket matches.' : 'No bucket yet.')));
    for (const b of r.buckets) {
      const isNew = !baseline.has(b.id);
      seen.add(b.id);
      const href = `#/campaigns/${id}/buckets/${b.id}`;
      tbody.append(
        h(
          'tr',
          { class: isNew ? 'bucket new' : 'bucket', 'data-bucket': b.id, onclick: (ev) => { if (ev.target.tagName !== 'A') location.hash = href; } },
          h('td', { class: 'signature' }, isNew ? badge('new', 'new') : null, h('a', { href, title: b.title }, b.title)),
          h('td', {}, badge(b.kind, `kind ${b.kind}`)),
          h('td', {}, b.strategy),
          h('td', { class: 'small' }, b.scenarios.join(', ')),
          h('td', { class: 'num' }, fmtInt(b.count)),
          h('td', { class: 'small' }, fmtTime(b.firstSeenAt)),
          h('td', { class: 'small' }, fmtTime(b.lastSeenAt)),
          h('td', {}, b.minimized ? h('span', { class: 'yes', title: `${b.minimized.choices} choices, ${b.minimized.switches} switches` }, '✓ ', `${b.minimized.choices} choices`) : h('span', { class: 'muted' }, 'pending')),
        ),
      );
    }
    count.textContent = `${fmtInt(r.total)}${r.total !== total ? ` of ${fmtInt(total)}` : ''}`;
    localStorage.setItem(seenKey, JSON.stringify([...seen]));
  }

  await reload();
  let refreshedAt = Date.now();
  let refreshTimer = null;
  return {
    /** Counts and last-seen times change with every batch: reload at most every 2 s while runs grow, and once after. */
    refresh() {
      refreshTimer ??= setTimeout(
        () => {
          refreshTimer = null;
          refreshedAt = Date.now();
          void reload();
        },
        Math.max(0, 2000 - (Date.now() - refreshedAt)),
      );
    },
    reload() {
      // Several buckets often come in one tick: one reload for them all.
      pending ??= setTimeout(() => {
        pending = null;
        api.get(`/api/campaigns/${id}/buckets?limit=1`).then((r) => (total = r.total), () => {});
        void reload();
      }, 200);
    },
    sawTotal(n) {
      if (n !== total) {
        total = n;
        this.reload();
      }
    },
  };
}

// ---- #/campaigns/ID/buckets/BID ----

async function bucketView(el, id, bid) {
  const d = await api.get(`/api/campaigns/${id}/buckets/${bid}`);
  const b = d.bucket;
  el.append(
    h('div', { class: 'crumbs' }, h('a', { href: '#/campaigns' }, 'Campaigns'), ' / ', h('a', { href: `#/campaigns/${id}` }, d.campaign.name), ' / bucket ', b.id),
    h('h1', { class: 'signature-title' }, badge(b.kind, `kind ${b.kind}`), ' ', b.title),
    h(
      'dl',
      { class: 'facts' },
      ...[
        ['Strategy', b.strategy],
        ['Scenarios', b.scenarios.join(', ')],
        ['Failures', fmtInt(b.count)],
        ['First seen', fmtTime(b.firstSeenAt)],
        ['Last seen', fmtTime(b.lastSeenAt)],
        ['Sites', b.sites.join(' · ')],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
  );
  const repro = h('section', { class: 'card', id: 'reproducer' }, h('h2', {}, 'Reproducer'));
  if (b.minimized) {
    const m = b.minimized;
    repro.append(
      h('p', { class: 'muted' }, `Minimized from seed ${m.seed} of ${m.scenario}: ${m.choices} choices, ${m.switches} context switches, ${m.steps} steps (${fmtInt(m.runs)} runs, stopped by ${m.stoppedBy}).`),
      h('pre', { class: 'reproducer' }, m.reproducer),
      commandBox(d.replayCommand, 'Copy replay command'),
    );
  } else {
    repro.append(h('p', { class: 'muted', id: 'not-minimized' }, 'Not minimized yet: the minimizer runs in the background. The timeline below replays the first example seed.'));
  }
  repro.append(
    h('details', {}, h('summary', {}, `Example seeds (${d.examples.length})`), h('ul', { class: 'examples' }, ...d.examples.map((e) => h('li', {}, h('span', { class: 'muted' }, `seed ${e.seed} · ${e.scenario} · batch ${e.batch}`), commandBox(e.replayCommand))))),
  );
  const trace = h('section', { class: 'card', id: 'trace' }, h('h2', {}, 'Interleaving'), h('p', { class: 'muted' }, 'replaying…'));
  el.append(repro, trace);
  try {
    const r = await api.get(`/api/campaigns/${id}/buckets/${bid}/trace`);
    clear(trace).append(h('h2', {}, 'Interleaving'));
    if (!b.minimized && r.replayCommand) repro.insertBefore(commandBox(r.replayCommand, 'Copy replay command'), repro.querySelector('details'));
    if (r.matchesBucket === false) trace.append(errorBox({ message: `This replay fails as “${r.signature ?? 'nothing: it passed'}”, not as this bucket.` }));
    renderReplay(trace, r);
  } catch (e) {
    clear(trace).append(h('h2', {}, 'Interleaving'), errorBox(e));
  }
  // Minimization finishes in the background: show its reproducer when it lands.
  if (b.minimized) return () => {};
  let minimized = null;
  return live(id, {
    stats: (e) => {
      minimized ??= e.minimized;
      if (e.minimized > minimized) {
        minimized = e.minimized;
        api.get(`/api/campaigns/${id}/buckets/${bid}`).then((x) => x.bucket.minimized && route(), () => {});
      }
    },
  });
}

/** A replay's verdict, timeline and trace. */
function renderReplay(el, r) {
  const verdict = r.ok
    ? h('p', { class: 'ok' }, `ok: every task finished and every oracle passed, in ${r.steps} steps`)
    : h(
        'div',
        { class: 'failure-box' },
        h('div', {}, badge(r.failure.kind, `kind ${r.failure.kind}`), ` at step ${r.failure.step} in ${r.failure.task}`),
        h('p', {}, r.failure.message),
        ...r.failure.details.map((x) => h('p', { class: 'small mono' }, x)),
      );
  el.append(
    verdict,
    h('p', { class: 'muted small' }, `${r.strategy} × ${r.scenario} (${r.scheduler})${r.seed === null ? '' : `, seed ${r.seed}`} · ${r.steps} steps · ${r.switches} context switches · ${r.choices} choices · trace hash ${r.traceHash}`),
    timeline(r),
    h(
      'details',
      { class: 'trace' },
      h('summary', {}, `Trace (${r.eventsTotal} events)`),
      h(
        'table',
        { class: 'list compact mono' },
        h('thead', {}, h('tr', {}, ...['Step', 'Task', 'Event', 'Site', 'Holds'].map((t) => h('th', {}, t)))),
        h('tbody', {}, ...r.events.map((e) => h('tr', { class: e.i === r.failureEvent ? 'failure-row' : '' }, h('td', { class: 'num' }, e.step), h('td', {}, e.task), h('td', {}, e.what), h('td', { class: 'small' }, e.site), h('td', { class: 'small' }, e.locks.join(', '))))),
      ),
    ),
  );
}

// ---- #/replay ----

async function replayView(el) {
  const input = h('textarea', { rows: 3, placeholder: 'pcfarm1:…', name: 'reproducer', spellcheck: 'false' });
  const out = h('div');
  const form = h('form', { class: 'card', id: 'replay-form' }, h('h2', {}, 'Replay a reproducer'), input, h('button', { type: 'submit', class: 'primary' }, 'Replay'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(out).append(h('p', { class: 'muted' }, 'replaying…'));
    try {
      const r = await api.post('/api/replay', { reproducer: input.value });
      clear(out);
      if (r.replayCommand) out.append(commandBox(r.replayCommand, 'Copy replay command'));
      renderReplay(out, r);
    } catch (e) {
      clear(out).append(errorBox(e));
    }
  });
  el.append(h('h1', {}, 'Replay'), form, h('section', { class: 'card' }, out));
  return live(null, {});
}

// ---- #/matrix ----

async function matrixView(el, asked) {
  const runs = h('input', { type: 'number', name: 'runs', min: 1, max: info.limits.matrixRunsMax, value: asked ?? info.limits.matrixRunsDefault });
  const out = h('div', { id: 'matrix' });
  const form = h('form', { class: 'row' }, h('label', {}, 'Seeds per cell ', runs), h('button', { type: 'submit' }, 'Show'));
  el.append(h('h1', {}, 'Verdict matrix'), h('p', { class: 'muted' }, 'Every strategy against every scenario: the first failure in seeds 0..N-1 and the runs it took to find it, or clean. Then what each write path costs per page in the fault-free case.'), form, out);
  async function load() {
    const n = Number(runs.value);
    clear(out).append(h('p', { class: 'muted' }, `Computing ${n} seeds of every cell… the first time takes a while (about 14 s for 1000 on one core); after that it is kept.`));
    try {
      const m = await api.get(`/api/matrix?runs=${n}`);
      clear(out).append(matrixTable(m), costTable(m), h('p', { class: 'muted small' }, `Computed in ${fmtDuration(m.computeMs)} at ${fmtTime(m.computedAt)}.`));
    } catch (e) {
      clear(out).append(errorBox(e));
    }
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    // The address says which matrix: a link shows the same one.
    history.replaceState(null, '', `#/matrix?runs=${Number(runs.value)}`);
    void load();
  });
  await load();
  return live(null, {});
}

function matrixTable(m) {
  const cell = new Map(m.cells.map((c) => [`${c.strategy}\u0000${c.scenario}`, c]));
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      { class: 'matrix' },
      h('thead', {}, h('tr', {}, h('th', {}, 'scenario \\ strategy'), ...m.strategies.map((s) => h('th', { title: info.descriptions[s] ?? '' }, s)))),
      h(
        'tbody',
        {},
        ...m.scenarios.map((sc) =>
          h(
            'tr',
            {},
            h('th', { title: info.descriptions[sc] ?? '' }, sc),
            ...m.strategies.map((st) => {
              const c = cell.get(`${st}\u0000${sc}`);
              return h('td', { class: `verdict kind ${c.kind}`, title: c.message ?? `clean in ${c.runs} runs` }, c.kind === 'clean' ? `clean (${fmtInt(c.runs)})` : h('span', {}, c.kind, h('small', {}, ` @${c.runs}`)));
            }),
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
    { class: 'card' },
    h('h2', {}, 'Fault-free cost per page written'),
    h('p', { class: 'muted small' }, 'append: new pages, not uptodate; overwrite: cached, uptodate.'),
    h(
      'table',
      { class: 'list compact' },
      h('thead', {}, h('tr', {}, h('th', {}, 'strategy'), h('th', {}, 'case'), ...cols.map(([, t]) => h('th', { class: 'num' }, t)))),
      h('tbody', {}, ...m.costs.map((c) => h('tr', {}, h('td', {}, c.strategy), h('td', {}, c.case), ...cols.map(([k]) => h('td', { class: 'num' }, String(+c[k].toFixed(2))))))),
    ),
  );
}

// ---- routing ----

const ROUTES = [
  [/^#?\/?(campaigns)?\/?$/, (el) => campaignsView(el)],
  [/^#\/campaigns\/([\w.-]+)\/?$/, (el, id) => campaignView(el, id)],
  [/^#\/campaigns\/([\w.-]+)\/buckets\/([\w.-]+)\/?$/, (el, id, bid) => bucketView(el, id, bid)],
  [/^#\/matrix\/?(?:\?runs=(\d+))?$/, (el, runs) => matrixView(el, runs)],
  [/^#\/replay\/?$/, (el) => replayView(el)],
];

let generation = 0;

async function route() {
  leave();
  leave = () => {};
  const mine = ++generation;
  const hash = location.hash || '#/campaigns';
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', hash.startsWith(a.getAttribute('href')));
  const el = h('div', { class: 'view' });
  clear(main).append(el);
  try {
    info ??= await api.get('/api/info');
    renderStatus();
    const found = ROUTES.find(([re]) => re.test(hash));
    if (!found) {
      el.append(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/campaigns' }, 'Back to the campaigns')));
      return;
    }
    const stop = await found[1](el, ...hash.match(found[0]).slice(1));
    // The user may have moved on while this view loaded: its stream is not wanted.
    if (mine !== generation) stop?.();
    else leave = stop ?? (() => {});
  } catch (e) {
    if (mine === generation) el.append(errorBox(e));
  }
}

window.addEventListener('hashchange', route);
void route();
