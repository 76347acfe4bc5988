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
    h(
      'td',
      { class: 'num', title: `${c.spec.strategies.join(', ')}\n×\n${c.spec.scenarios.join(', ')}\n×\nblocks per page ${c.spec.blocksPerPage.join(', ')}` },
      `${c.spec.strategies.length} × ${c.spec.scenarios.length} × ${c.spec.blocksPerPage.length}`,
    ),
    h('td', {}, bar.el),
    runs,
    rate,
    buckets,
    h('td', { class: 'small' }, fmtTime(c.createdAt)),
  );
  const update = (s) => {
    clear(state).append(stateBadge(s.state ?? s.campaign.state, s.activity));
    runs.textContent = fmtInt(s.runs);
    // Failure buckets; warnings (which fail nothing) beside them.
    clear(buckets).append(fmtInt(s.buckets), s.warningBuckets ? h('span', { class: 'muted small', title: 'warning buckets: class-only lock-order cycles' }, ` + ${fmtInt(s.warningBuckets)} warn`) : null);
    if (s.runsPerSec !== undefined) rate.textContent = s.state === 'running' && s.activity !== 'queued' ? fmtRate(s.runsPerSec) : '–';
    bar.set(c.spec, { batchesDone: s.batchesDone, batchesTotal: s.batchesTotal, runningMs: s.runningMs ?? s.campaign.runningMs });
  };
  update(v);
  return { tr, update };
}

function checkboxes(name, legend, values, checked) {
  const boxes = values.map((v) =>
    h('label', { class: 'check', title: info.descriptions[v] ?? '' }, h('input', { type: 'checkbox', name, value: v, checked: checked.includes(v) }), String(v)),
  );
  const set = (on) => () => boxes.forEach((b) => (b.querySelector('input').checked = on));
  return h(
    'fieldset',
    { class: 'checks' },
    h('legend', {}, legend, ' ', h('button', { type: 'button', class: 'link', onclick: set(true) }, 'all'), ' ', h('button', { type: 'button', class: 'link', 'data-none': name, onclick: set(false) }, 'none')),
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
    checkboxes('strategy', 'Strategies', info.strategies, info.strategies),
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
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Start campaign'), message),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
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
  [null, 'Severity'],
  ['kind', 'Kind'],
  ['strategy', 'Strategy'],
  [null, 'Scenarios'],
  [null, 'BPP'],
  ['count', 'Runs'],
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
      `${spec.strategies.join(', ')} × ${spec.scenarios.join(', ')} × blocks per page ${spec.blocksPerPage.join(', ')} · ${spec.scheduler}${spec.scheduler === 'pct' ? ` depth ${spec.pctDepth}` : ''} · `,
      spec.seedsPerCell === null ? '' : `seeds ${fmtInt(spec.seedStart)}..${fmtInt(spec.seedStart + spec.seedsPerCell - 1)} per cell · `,
      spec.timeBudgetMs === null ? '' : `budget ${fmtDuration(spec.timeBudgetMs)} · `,
      `${fmtInt(spec.batchSeeds)} seeds a batch · model ${c.modelVersion} · created ${fmtTime(c.createdAt)}`,
    ),
    message,
    bar.el,
    h(
      'div',
      { class: 'tiles' },
      tile('runs', 'Runs'),
      tile('rate', 'Runs/s'),
      tile('failures', 'Failing runs'),
      tile('coverage', 'Coverage'),
      tile('buckets', 'Failure buckets'),
      tile('minimized', 'Minimized'),
      tile('warnings', 'Warning buckets'),
      tile('time', 'Running time'),
    ),
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
    tiles.warnings.textContent = fmtInt(v.warningBuckets);
    tiles.warnings.title = `${fmtInt(v.warnings)} runs warned: class-only lock-order cycles, which fail no run`;
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
      showNumbers(
        {
          ...cur,
          runs: e.runs,
          failures: e.failures,
          warnings: e.warnings,
          coverage: e.coverage,
          buckets: e.buckets,
          warningBuckets: e.warningBuckets,
          minimized: e.minimized,
          batchesDone: e.batchesDone,
          batchesTotal: e.batchesTotal,
          activity: e.activity,
          campaign: { ...cur.campaign, state: e.state, runningMs: e.runningMs },
        },
        e.runsPerSec,
      );
      showWorkers(e.workers);
      // The table lists failure and warning buckets alike.
      table.sawTotal(e.buckets + e.warningBuckets);
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
  filters.append(
    select('severity', 'severity', ['failure', 'warning']),
    select('kind', 'kind', info.failureKinds),
    select('strategy', 'strategy', info.strategies),
    select('scenario', 'scenario', info.scenarios),
    select('minimized', 'minimization', ['true', 'false']),
    search,
  );

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
    const columns = BUCKET_COLUMNS.length;
    const filtered = query.q || query.severity || query.kind || query.strategy || query.scenario || query.minimized;
    if (r.buckets.length === 0) tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: columns, class: 'muted' }, filtered ? 'No bucket matches.' : 'No bucket yet.')));
    // The API lists failures first: the warnings get a heading of their own.
    let warningsShown = false;
    for (const b of r.buckets) {
      if (b.severity === 'warning' && !warningsShown) {
        warningsShown = true;
        tbody.append(
          h('tr', { class: 'section' }, h('td', { colspan: columns }, h('strong', {}, 'Warnings (not failures)'), h('span', { class: 'muted small' }, ' · lock-order cycles of lock classes whose instances never meet in these scenarios; each bucket names a witness scenario where they do'))),
        );
      }
      const isNew = !baseline.has(b.id);
      seen.add(b.id);
      const href = `#/campaigns/${id}/buckets/${b.id}`;
      const minimized =
        b.severity === 'warning'
          ? h('span', { class: 'muted', title: 'a warning is not minimized: its witness scenario is the run to look at' }, b.witness ? `witness ${b.witness}` : '—')
          : b.minimized
            ? h('span', { class: 'yes', title: `${b.minimized.choices} choices, ${b.minimized.switches} switches` }, '✓ ', `${b.minimized.choices} choices`)
            : h('span', { class: 'muted' }, 'pending');
      tbody.append(
        h(
          'tr',
          { class: `bucket ${b.severity}${isNew ? ' new' : ''}`, 'data-bucket': b.id, onclick: (ev) => { if (ev.target.tagName !== 'A') location.hash = href; } },
          h('td', { class: 'signature' }, isNew ? badge('new', 'new') : null, h('a', { href, title: b.title }, b.title)),
          h('td', {}, badge(b.severity, `severity ${b.severity}`)),
          h('td', {}, badge(b.kind, `kind ${b.kind}`)),
          h('td', {}, b.strategy),
          h('td', { class: 'small' }, b.scenarios.join(', ')),
          h('td', { class: 'small' }, b.blocksPerPage.join(', ')),
          h('td', { class: 'num' }, fmtInt(b.count)),
          h('td', { class: 'small' }, fmtTime(b.firstSeenAt)),
          h('td', { class: 'small' }, fmtTime(b.lastSeenAt)),
          h('td', {}, minimized),
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
    h('h1', { class: 'signature-title' }, badge(b.severity, `severity ${b.severity}`), ' ', badge(b.kind, `kind ${b.kind}`), ' ', b.title),
    h(
      'dl',
      { class: 'facts' },
      ...[
        ['Severity', b.severity === 'warning' ? 'warning: its runs did not fail (a class-only lock-order cycle)' : 'failure'],
        ['Strategy', b.strategy],
        ['Scenarios', b.scenarios.join(', ')],
        ['Blocks per page', b.blocksPerPage.join(', ')],
        [b.severity === 'warning' ? 'Runs that warned' : 'Failing runs', fmtInt(b.count)],
        ['First seen', fmtTime(b.firstSeenAt)],
        ['Last seen', fmtTime(b.lastSeenAt)],
        ['Sites', b.sites.join(' · ')],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
  );
  const repro = h('section', { class: 'card', id: 'reproducer' }, h('h2', {}, b.severity === 'warning' ? 'Witness' : 'Reproducer'));
  if (b.severity === 'warning') {
    // A warning's run passed: nothing to minimize. Its witness is where the lock instances meet.
    repro.append(
      h('p', { class: 'muted', id: 'witness' }, b.witness ? `These lock classes form a cycle, but in ${b.scenarios.join(', ')} their instances never meet. In ${b.witness} they do: run it to its first failure to see them meet.` : 'No scenario it was seen in names a witness where these lock instances meet.'),
      d.witnessCommand ? commandBox(d.witnessCommand, 'Copy witness command') : null,
    );
  } else if (b.minimized) {
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
    h('details', {}, h('summary', {}, `Example seeds (${d.examples.length})`), h('ul', { class: 'examples' }, ...d.examples.map((e) => h('li', {}, h('span', { class: 'muted' }, `seed ${e.seed} · ${e.scenario} · ${e.blocksPerPage} blocks per page · batch ${e.batch}`), commandBox(e.replayCommand))))),
  );
  const trace = h('section', { class: 'card', id: 'trace' }, h('h2', {}, 'Interleaving'), h('p', { class: 'muted' }, 'replaying…'));
  el.append(repro, trace);
  try {
    const r = await api.get(`/api/campaigns/${id}/buckets/${bid}/trace`);
    clear(trace).append(h('h2', {}, 'Interleaving'));
    if (!b.minimized && b.severity === 'failure' && r.replayCommand) repro.insertBefore(commandBox(r.replayCommand, 'Copy replay command'), repro.querySelector('details'));
    if (r.matchesBucket === false) trace.append(errorBox({ message: `This replay ${b.severity === 'warning' ? 'does not warn' : 'fails'} as this bucket: it ${r.signature ? `fails as “${r.signature}”` : 'passes'}.` }));
    renderReplay(trace, r);
  } catch (e) {
    clear(trace).append(h('h2', {}, 'Interleaving'), errorBox(e));
  }
  // Minimization finishes in the background: show its reproducer when it lands (a warning has none coming).
  if (b.minimized || b.severity === 'warning') return () => {};
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
  // Warnings never fail a run: each after the verdict, with the command that runs its witness.
  const warnings = r.warnings.map((w) =>
    h(
      'div',
      { class: 'warning-box' },
      h('div', {}, badge('warning', 'severity warning'), ' ', badge(w.kind, `kind ${w.kind}`), ` at step ${w.step} in ${w.task}`),
      h('p', {}, w.message),
      ...w.details.map((x) => h('p', { class: 'small mono' }, x)),
      h('p', { class: 'small mono' }, w.signature),
      w.witnessCommand ? commandBox(w.witnessCommand, 'Copy witness command') : h('p', { class: 'muted small' }, 'No witness scenario named.'),
    ),
  );
  el.append(
    verdict,
    ...warnings,
    h('p', { class: 'muted small' }, `${r.strategy} × ${r.scenario} (${r.scheduler}${r.blocksPerPage === 1 ? '' : `, ${r.blocksPerPage} blocks per page`})${r.seed === null ? '' : `, seed ${r.seed}`} · ${r.steps} steps · ${r.switches} context switches · ${r.choices} choices · trace hash ${r.traceHash}`),
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

async function matrixView(el, query) {
  const asked = new URLSearchParams(query ?? '');
  const askedBpp = (asked.get('bpp') ?? '').split(',').map(Number).filter((b) => info.blocksPerPage.includes(b));
  const runs = h('input', { type: 'number', name: 'runs', min: 1, max: info.limits.matrixRunsMax, value: asked.get('runs') ?? info.limits.matrixRunsDefault });
  const out = h('div', { id: 'matrix' });
  const form = h('form', { class: 'row' }, h('label', {}, 'Seeds per cell ', runs), checkboxes('bpp', 'Blocks per page', info.blocksPerPage, askedBpp.length ? askedBpp : info.blocksPerPage), h('button', { type: 'submit' }, 'Show'));
  el.append(
    h('h1', {}, 'Verdict matrix'),
    h('p', { class: 'muted' }, 'Every strategy against every scenario at each number of blocks per page, every seed 0..N-1 of each: its verdict, the runs that failed with it and the runs that warned. Then what each write path costs per page in the fault-free case.'),
    form,
    out,
  );
  const chosen = () => [...form.querySelectorAll('input[name=bpp]:checked')].map((x) => Number(x.value));
  async function load() {
    const n = Number(runs.value);
    const bpps = chosen();
    if (bpps.length === 0) {
      clear(out).append(errorBox({ message: 'Choose at least one number of blocks per page.' }));
      return;
    }
    clear(out).append(h('p', { class: 'muted' }, `Computing ${n} seeds of every cell at ${bpps.join(', ')} blocks per page… the first time takes a while (minutes for 1000 seeds at all three); after that it is kept.`));
    try {
      const m = await api.get(`/api/matrix?runs=${n}&${bpps.map((b) => `blocksPerPage=${b}`).join('&')}`);
      clear(out).append(matrixTable(m), costTable(m), h('p', { class: 'muted small' }, `Computed in ${fmtDuration(m.computeMs)} at ${fmtTime(m.computedAt)}.`));
    } catch (e) {
      clear(out).append(errorBox(e));
    }
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    // The address says which matrix: a link shows the same one.
    history.replaceState(null, '', `#/matrix?runs=${Number(runs.value)}&bpp=${chosen().join(',')}`);
    void load();
  });
  await load();
  return live(null, {});
}

/** `deadlock ×34`, each kind a cell saw in severity order, as the CLI's matrix prints them. */
function kindCounts(order, counts) {
  return order.filter((k) => counts[k] !== undefined).map((k) => `${k} ×${counts[k]}`);
}

/** A cell: its verdict and count, its warnings marked; on hover every kind with its first seed, the message and the witness. */
function verdictCell(m, c) {
  const warns = kindCounts(m.severityOrder, c.warnings);
  const hover = [
    c.verdict === 'clean' ? `clean: none of ${c.runs} runs failed` : `verdict ${c.verdict}: the most severe kind of ${c.runs} runs`,
    ...m.severityOrder.filter((k) => c.kinds[k] !== undefined).map((k) => `failed ${k} ×${c.kinds[k]} (first seed ${c.first[k]})`),
    ...m.severityOrder.filter((k) => c.warnings[k] !== undefined).map((k) => `warned ${k} ×${c.warnings[k]} (first seed ${c.firstWarning[k]})`),
    c.witness ? `witness: ${c.witness}` : null,
    c.message,
  ].filter((x) => x !== null);
  return h(
    'td',
    { class: `verdict kind ${c.verdict}${warns.length ? ' warned' : ''}`, title: hover.join('\n') },
    c.verdict === 'clean' ? 'clean' : h('span', {}, c.verdict, h('small', {}, ` ×${fmtInt(c.kinds[c.verdict])}`)),
    warns.length ? h('div', { class: 'warns' }, `⚠ warns ${warns.join(', ')}`) : null,
  );
}

function matrixTable(m) {
  const cell = new Map(m.cells.map((c) => [`${c.strategy}\u0000${c.scenario}\u0000${c.blocksPerPage}`, c]));
  return h(
    'div',
    { class: 'scroll' },
    h(
      'p',
      { class: 'muted small', id: 'matrix-legend' },
      `Each cell: clean, or VERDICT ×COUNT: the most severe kind any of its ${fmtInt(m.runs)} runs (every seed 0..${fmtInt(m.runs - 1)}) failed with, and how many runs failed with it; ⚠ warns lock-order ×N: N runs warned (a class-only lock-order cycle: not a failure). Hover a cell for every kind and its first seed. Most severe first: ${m.severityOrder.join(', ')}.`,
    ),
    h(
      'table',
      { class: 'matrix' },
      h('thead', {}, h('tr', {}, h('th', {}, 'scenario \\ strategy'), h('th', { title: 'disk blocks per page' }, 'bpp'), ...m.strategies.map((s) => h('th', { title: info.descriptions[s] ?? '' }, s)))),
      h(
        'tbody',
        {},
        ...m.scenarios.flatMap((sc) =>
          m.blocksPerPage.map((bpp) =>
            h(
              'tr',
              {},
              h('th', { title: info.descriptions[sc] ?? '' }, sc),
              h('th', { class: 'num' }, String(bpp)),
              ...m.strategies.map((st) => verdictCell(m, cell.get(`${st}\u0000${sc}\u0000${bpp}`))),
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
  [/^#\/matrix\/?(?:\?(.*))?$/, (el, query) => matrixView(el, query)],
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
