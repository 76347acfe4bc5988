// #/campaigns/ID: one campaign, live. Its numbers, charts and bucket table
// are loaded once; from then on the event stream carries what changed: the
// totals with their newest sample (the charts' last point, so a tile and
// its chart always agree) and each new or changed bucket.
import { api } from '../api.js';
import { lineChart } from '../charts.js';
import { clear, fmtAgo, fmtAsOf, fmtDuration, fmtInt, fmtRate, fmtSpan, fmtTime, h } from '../dom.js';
import { live, shell } from '../shell.js';
import { errorBox, progressBar, stateBadge } from '../ui.js';
import { bucketTable } from './buckets.js';
import { strategyLabel } from './compare.js';

/** The store's sampling (SAMPLE_LIMITS in packages/farm): at most a sample a second, the last one kept current. */
const SAMPLE_INTERVAL_MS = 1000;
const SAMPLES_MAX = 2000;
/** How often a running campaign's cells are read again (each read folds every cell's batches and the store's certificates). */
const CELLS_EVERY_MS = 10_000;
/** The workers table's columns a phone leaves out: host, PID, last report. */
const WORKER_WIDE_ONLY = [1, 2, 6];
/** A canary's line, as the CLI's summary says it (farm's canaryText). */
function canaryLine(k) {
  const cell = `${k.strategy} x ${k.scenario} (${k.blocksPerPage} bpp)`;
  if (k.found) return h('div', { class: 'canary found' }, `✓ canary ${cell}: its ${k.kind} found, as expected`);
  if (k.alarm) {
    return h(
      'div',
      { class: 'canary alarm', role: 'alert' },
      `CANARY ALARM: ${cell} ran ${fmtInt(k.runs)} runs without its known ${k.kind} (found in ${k.meanRuns} runs on average; a working farm misses it once in 10^${Math.floor(-k.missLog10)}): the farm itself is broken, so a clean result means nothing.`,
    );
  }
  return h('div', { class: 'canary' }, `canary ${cell}: ${fmtInt(k.runs)} runs so far, its ${k.kind} not found yet`);
}

/** A cell as the page names it: its strategy (a file's by name), scenario, and blocks per page when not 1. */
function cellLabel(c, spec) {
  return `${strategyLabel(c.strategy, spec.strategyFiles)} × ${c.scenario}${c.blocksPerPage === 1 ? '' : ` (bpp ${c.blocksPerPage})`}`;
}

/** Add the newest sample as the store does: within a second of the last, it replaces it. */
function addSample(samples, s) {
  const last = samples[samples.length - 1];
  // No new runs, no new point: the running time a stop adds after the last batch is no slowdown.
  if (last !== undefined && s.runs === last.runs) return;
  if (last !== undefined && s.at - last.at < SAMPLE_INTERVAL_MS) samples[samples.length - 1] = { ...s, at: last.at };
  else samples.push(s);
  if (samples.length > SAMPLES_MAX) samples.splice(0, samples.length >> 1, ...samples.slice(0, samples.length >> 1).filter((_, i) => i % 2 === 0));
}

/** Runs per second of running time between samples, as the API's sampleViews: the first against the start. */
function rates(samples) {
  return samples.map((s, i) => {
    const prev = i === 0 ? { runs: 0, runningMs: 0 } : samples[i - 1];
    const ms = s.runningMs - prev.runningMs;
    return { x: s.runningMs, y: ms > 0 ? ((s.runs - prev.runs) * 1000) / ms : 0 };
  });
}

export async function campaignView(el, id, query) {
  const info = shell.info;
  const [first, firstCells] = await Promise.all([api.get(`/api/campaigns/${id}/stats`), api.get(`/api/campaigns/${id}/cells`)]);
  let cur = first.campaign;
  const c = cur.campaign;
  const spec = c.spec;
  const samples = first.samples.map(({ runsPerSec: _rate, ...s }) => s);

  const title = h('h1', {}, spec.name, ' ');
  const stateEl = h('span');
  title.append(stateEl);
  const actions = h('span', { class: 'action-buttons' });
  // Compare with another campaign: the one next to it in time is offered first.
  const compareLink = h('a', { href: `#/compare?b=${encodeURIComponent(c.id)}`, id: 'compare-with', class: 'button-link' }, 'Compare with…');
  const message = h('div', { class: 'form-message' });
  const canaries = h('div', { id: 'canaries' });
  const bar = progressBar();
  const tiles = {};
  const tile = (key, label) => h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, label), (tiles[key] = h('div', { class: 'tile-value', id: `tile-${key}` }, '–')));
  const charts = { rate: h('div', { class: 'chart-box' }), coverage: h('div', { class: 'chart-box' }) };
  const workersBody = h('tbody');
  const riskBody = h('tbody');
  const cellsBody = h('tbody');
  const cellsNote = h('p', { class: 'muted small' });
  // The cells are read again only now and then (CELLS_EVERY_MS), where the rest of the page is live: say how fresh they are.
  const cellsAsOf = h('span', { class: 'muted small', id: 'cells-as-of' });
  el.append(
    h('div', { class: 'crumbs' }, h('a', { href: '#/campaigns' }, 'Campaigns'), ' / ', c.id),
    h('div', { class: 'title-row' }, title, h('div', { class: 'actions' }, compareLink, actions)),
    h(
      'p',
      { class: 'muted spec' },
      `${spec.strategies.map((s) => strategyLabel(s, spec.strategyFiles)).join(', ')} × ${spec.scenarios.join(', ')} × blocks per page ${spec.blocksPerPage.join(', ')} · ${spec.scheduler}${spec.scheduler === 'pct' ? ` depth ${spec.pctDepth}` : ''} · `,
      spec.seedsPerCell === null ? '' : `seeds ${fmtInt(spec.seedStart)}..${fmtInt(spec.seedStart + spec.seedsPerCell - 1)} per cell · `,
      spec.timeBudgetMs === null ? '' : `budget ${fmtDuration(spec.timeBudgetMs)} · `,
      spec.steer == null ? '' : `steered by residual risk (floor ${spec.steer.floorPct}% of an even share) · `,
      `${fmtInt(spec.batchSeeds)} seeds a batch · model ${c.modelVersion} · created ${fmtTime(c.createdAt)}`,
    ),
    message,
    canaries,
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
      tile('risk', 'Residual risk'),
      tile('time', 'Running time'),
    ),
    h('div', { class: 'charts' }, h('section', { class: 'card' }, h('h2', {}, 'Runs per second'), charts.rate), h('section', { class: 'card' }, h('h2', {}, 'Coverage'), charts.coverage)),
    h(
      'section',
      { class: 'card', id: 'risk' },
      h('h2', {}, 'What is likely left'),
      h(
        'p',
        { class: 'muted small' },
        `Good-Turing (Böhme's STADS): a cell's residual risk is the chance its next run reaches something no run has, the things exactly one of its runs reached over its runs. Chao's extrapolation, from the things two runs reached too: the new things each of as many runs again should reach. Both say what the coverage can see, not what is there. ${spec.scheduler === 'pct' ? `Under pct, the runs after which a bug of depth ${spec.pctDepth}, if the cell has one, is found with 95% confidence.` : ''} ${
          spec.steer == null
            ? 'The riskiest cells:'
            : `This campaign is steered: every cell got ${spec.steer.firstBatchesPerCell} batches first, then each cell's share of the batches follows its residual risk, never below ${spec.steer.floorPct}% of an even share, so a cell that stopped finding things runs less. The riskiest cells, and those that got the fewest runs:`
        }`,
      ),
      h(
        'div',
        { class: 'table-scroll' },
        h('table', { class: 'list compact' }, h('thead', {}, h('tr', {}, ...['Cell', 'Runs', 'Share', 'Reached once', 'Reached twice', 'Residual risk', 'New a run ahead', 'pct: runs for 95%'].map((t, i) => h('th', { class: i > 0 ? 'num' : null }, t)))), riskBody),
      ),
    ),
    h(
      'section',
      { class: 'card', id: 'cells' },
      h('h2', {}, 'Fuzzed and verified, cell by cell ', cellsAsOf),
      cellsNote,
      h(
        'div',
        { class: 'table-scroll' },
        h('table', { class: 'list compact' }, h('thead', {}, h('tr', {}, ...['Cell', 'Runs', 'Failure buckets', 'Verified (pcfarm verify)'].map((t, i) => h('th', { class: i === 1 || i === 2 ? 'num' : null }, t)))), cellsBody),
      ),
    ),
    searchCard(spec, cur.search ?? []),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Workers'),
      h(
        'div',
        { class: 'table-scroll' },
        h('table', { class: 'list compact', id: 'workers' }, h('thead', {}, h('tr', {}, ...['Worker', 'Host', 'PID', 'Threads', 'Runs', 'Runs/s', 'Last report', 'Health'].map((t, i) => h('th', { class: WORKER_WIDE_ONLY.includes(i) ? 'wide-only' : null }, t)))), workersBody),
      ),
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
            showNumbers(await api.post(`/api/campaigns/${id}/${path}`));
          } catch (e) {
            message.append(errorBox(e));
          }
        },
      }, label);
    if (state === 'running' && cur.activity !== 'idle') actions.append(act('Stop', 'stop'));
    if (state === 'stopped' || (state === 'running' && cur.activity === 'idle')) actions.append(act('Resume', 'resume'));
  }

  /** The tiles; `rate` is the stream's (null: no rate yet), undefined: keep what is shown. */
  function showNumbers(v, rate) {
    cur = v;
    tiles.runs.textContent = fmtInt(v.runs);
    if (v.campaign.state !== 'running') tiles.rate.textContent = '–';
    else if (rate !== undefined) tiles.rate.textContent = fmtRate(rate);
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

  /** The residual risk (from the view, then the stream): its tile, and the riskiest cells. */
  function showRisk(r) {
    if (r === undefined) return;
    const pct = (x) => (x === null ? '–' : `${(x * 100).toFixed(x >= 0.001 ? 2 : 4)}%`);
    tiles.risk.textContent = r === null ? 'unknown' : pct(r.risk);
    tiles.risk.title =
      r === null
        ? 'this store does not count what one run alone reached'
        : `${fmtInt(r.singletons)} things reached by one run of ${fmtInt(r.runs)}${r.aheadThings == null ? '' : `; about ${r.aheadThings.toFixed(1)} new things in the next ${fmtInt(r.runs)} runs (Chao)`}`;
    clear(riskBody).append(
      ...(r === null || r.cells.length === 0
        ? [h('tr', { class: 'empty' }, h('td', { colspan: 8 }, r === null ? 'Unknown: this store does not count what one run alone reached.' : 'No run yet.'))]
        : r.cells.map((c) =>
            h(
              'tr',
              {},
              h('td', {}, cellLabel(c, spec)),
              h('td', { class: 'num' }, fmtInt(c.runs)),
              h('td', { class: 'num', title: 'its runs, of the campaign\'s' }, r.runs === 0 ? '–' : `${((c.runs * 100) / r.runs).toFixed(1)}%`),
              h('td', { class: 'num' }, fmtInt(c.singletons)),
              h('td', { class: 'num', title: c.doubletons == null ? 'not counted: some of its batches were recorded by a pcfarm that did not' : null }, c.doubletons == null ? '–' : fmtInt(c.doubletons)),
              h('td', { class: 'num' }, pct(c.risk)),
              h('td', { class: 'num', title: "Chao's extrapolation: new things each of as many runs again should reach" }, c.ahead == null ? '–' : c.ahead.toFixed(c.ahead >= 0.01 ? 3 : 5)),
              h('td', { class: 'num' }, c.pctRuns95 === null ? '–' : fmtInt(c.pctRuns95)),
            ),
          )),
    );
  }

  /**
   * Each cell's fuzzing beside what verify proved or found of it, as the
   * CLI's summary says it ("clean in 2,000,000 seeds; verified to 3
   * preemptions"): loaded with the page, then fetched again (a campaign of
   * every cell has hundreds: too many for each tick of the stream).
   */
  function showCells(v, at, state) {
    cellsAsOf.textContent = fmtAsOf(at, state === 'running' ? CELLS_EVERY_MS : null);
    const verified = v.cells.filter((e) => e.certificates.some((k) => k.result === 'clean')).length;
    const failing = v.cells.filter((e) => e.certificates.some((k) => k.result === 'fail')).length;
    cellsNote.textContent = `A cell's certificate is a claim about every schedule up to a bound, where its runs are a sample; record one with pcfarm verify --results DIR or --redis URL (only those of model ${v.modelVersion}, and of the very strategy file the campaign runs, count here). ${fmtInt(verified)} of ${fmtInt(v.cells.length)} cells verified to some bound, ${fmtInt(failing)} with a counterexample.`;
    clear(cellsBody).append(
      ...v.cells.map((e) =>
        h(
          'tr',
          { class: e.failureBuckets > 0 ? 'failure-row' : null },
          h('td', {}, cellLabel(e, spec)),
          h('td', { class: 'num' }, fmtInt(e.runs)),
          h('td', { class: 'num' }, fmtInt(e.failureBuckets)),
          h(
            'td',
            { class: 'small', title: e.text },
            e.certificates.length === 0
              ? h('span', { class: 'muted' }, 'not verified')
              : e.certificates.map((k) =>
                  h(
                    'div',
                    { title: k.result === 'clean' ? `${fmtInt(k.schedules)} schedules, ${fmtInt(k.classes)} classes, hash ${k.hash}, ${k.seconds.toFixed(1)} s` : `${k.signature}\n${k.reproducer}` },
                    k.result === 'clean' ? 'verified to ' : h('a', { href: `#/replay?r=${encodeURIComponent(k.reproducer)}`, title: 'replay the counterexample verify found, minimized' }, 'fails at'),
                    `${k.result === 'clean' ? '' : ' '}${k.bound} ${k.bound === 1 ? k.unit.slice(0, -1) : k.unit} (reclaim actions ≤ ${k.reclaimActionsMax}${k.paramsMax === 0 ? '' : `, parameters ≤ ${k.paramsMax}`})`,
                  ),
                ),
          ),
        ),
      ),
    );
  }
  let cellsAt = Date.now();
  let cellsState = cur.campaign.state;
  /** Read the cells again: every CELLS_EVERY_MS while the campaign runs, and once more when it stops (its last figures). */
  async function refreshCells(state) {
    const stopped = cellsState === 'running' && state !== 'running';
    cellsState = state;
    if (!stopped && (state !== 'running' || Date.now() - cellsAt < CELLS_EVERY_MS)) return;
    cellsAt = Date.now();
    try {
      showCells(await api.get(`/api/campaigns/${id}/cells`), Date.now(), state);
    } catch {
      // The next tick tries again; the figures shown, and the time they were read, stay until then.
    }
  }

  /** The campaign's canaries: from its view as the page loads, then from the stream. */
  function showCanaries(list) {
    clear(canaries).append(...(list ?? []).map(canaryLine));
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
          h('td', { class: 'wide-only' }, w.host),
          h('td', { class: 'num wide-only' }, w.pid),
          h('td', { class: 'num' }, w.concurrency),
          h('td', { class: 'num' }, fmtInt(w.runs)),
          h('td', { class: 'num' }, fmtRate(w.runsPerSec)),
          h('td', { class: 'wide-only' }, fmtAgo(w.seenAt)),
          h('td', {}, h('i', { class: `dot ${w.health}` }), w.health),
        ),
      );
    }
  }

  function showCharts() {
    const xFormat = fmtSpan;
    clear(charts.rate).append(lineChart(rates(samples), { label: 'runs per second over running time', xFormat }));
    // Coverage starts from nothing: the origin makes its first rise visible.
    const coverage = samples.length ? [{ x: 0, y: 0 }, ...samples.map((p) => ({ x: p.runningMs, y: p.coverage }))] : [];
    clear(charts.coverage).append(lineChart(coverage, { label: 'coverage over running time', xFormat, color: '#16a34a' }));
  }

  // Before the stream's first rate, one from the samples: the last second's, or the first's since the start.
  const known = rates(samples);
  showNumbers(cur, known.length ? known[known.length - 1].y : null);
  showWorkers(first.workers);
  showCanaries(cur.canaries);
  showRisk(cur.risk);
  showCells(firstCells, Date.now(), cur.campaign.state);
  showCharts();
  const table = await bucketTable(el, id, query, spec.strategies);

  return live(id, {
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
      showCanaries(e.canaries);
      showRisk(e.risk);
      void refreshCells(e.state);
      if (e.sample) {
        addSample(samples, e.sample);
        showCharts();
      }
    },
    workers: (e) => showWorkers(e.workers),
    bucket: (e) => table.upsert(e.bucket),
    'bucket-update': (e) => table.update(e.bucket),
    // Deleted while open (from the command line, another page): no more news will come, and no button can act on it.
    deleted: () => {
      clear(actions);
      clear(stateEl).append(h('span', { class: 'badge deleted' }, 'deleted'));
      clear(message).append(errorBox({ message: 'This campaign was deleted: the page shows what it held before; the campaigns list no longer has it.' }));
    },
  });
}

/**
 * What a guided or portfolio campaign's search has learnt, cell by cell, as
 * the page loads: the states each guided cell keeps for its next epochs, or
 * the runs each portfolio arm got and the states a run it reached.
 * Nothing for any other campaign.
 */
/** What the campaign was given to replay first (its pollen), or nothing when it had none. */
function pollenNote(spec) {
  const n = (spec.guide.pollen ?? []).length;
  if (n === 0) return '';
  return h('p', { class: 'muted small', id: 'pollen' }, `Pollen: ${fmtInt(n)} ${n === 1 ? 'failure' : 'failures'} the store held on these scenarios when the campaign was made; each cell replays those of other strategies as its first runs.`);
}

function searchCard(spec, cells) {
  if (spec.guide == null) return '';
  const empty = (n) => h('tr', { class: 'empty' }, h('td', { colspan: n }, 'No batch recorded yet.'));
  if (spec.scheduler === 'guided') {
    return h(
      'section',
      { class: 'card', id: 'search' },
      h('h2', {}, 'What the search keeps'),
      h('p', { class: 'muted small' }, `Each batch runs a coverage-guided search that returns to rare abstract states; a cell's batches go in epochs, each starting from the states the earlier ones found (at most ${fmtInt(spec.guide.corpusMax)} a cell).`),
      pollenNote(spec),
      h(
        'div',
        { class: 'table-scroll' },
        h('table', { class: 'list compact' }, h('thead', {}, h('tr', {}, h('th', {}, 'Cell'), h('th', { class: 'num' }, 'States kept'))), h('tbody', {}, ...(cells.length === 0 ? [empty(2)] : cells.map((c) => h('tr', {}, h('td', {}, cellLabel(c, spec)), h('td', { class: 'num' }, fmtInt(c.states))))))),
      ),
    );
  }
  const arms = [...new Set(cells.flatMap((c) => c.arms.map((a) => a.arm)))];
  const armCell = (c, arm) => {
    const a = c.arms.find((x) => x.arm === arm);
    return h('td', { class: 'num', title: a === undefined ? 'no run' : `${(a.states / Math.max(a.runs, 1)).toFixed(2)} states a run` }, a === undefined ? '–' : fmtInt(a.runs));
  };
  return h(
    'section',
    { class: 'card', id: 'search' },
    h('h2', {}, 'How the portfolio shares the runs'),
    h('p', { class: 'muted small' }, "Each cell's runs by scheduler, in plays of 4: a bandit (UCB1) tries each once, then gives most of an epoch's plays to the one whose plays reached most abstract states lately (the last two epochs), the others some."),
    pollenNote(spec),
    h(
      'div',
      { class: 'table-scroll' },
      h('table', { class: 'list compact' }, h('thead', {}, h('tr', {}, h('th', {}, 'Cell'), ...arms.map((a) => h('th', { class: 'num' }, a)))), h('tbody', {}, ...(cells.length === 0 ? [empty(1)] : cells.map((c) => h('tr', {}, h('td', {}, cellLabel(c, spec)), ...arms.map((a) => armCell(c, a))))))),
    ),
  );
}
