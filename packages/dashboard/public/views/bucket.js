// #/campaigns/ID/buckets/BID: one bucket: its facts, its minimized
// reproducer and replay command (or a warning's witness), and its run
// replayed on the server, drawn as a timeline.
import { api } from '../api.js';
import { clear, commandBox, fmtInt, fmtTime, h } from '../dom.js';
import { live } from '../shell.js';
import { badge, errorBox } from '../ui.js';
import { renderReplay } from './replay.js';

/** `reload` draws the page again (a minimization that landed while it was open). */
export async function bucketView(el, id, bid, reload) {
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
        ['Strategy', d.strategyFile ? h('span', { id: 'strategy-file' }, b.strategy, ' ', badge('file', 'file'), ' ', h('code', {}, d.strategyFile.file), h('span', { class: 'muted' }, ` · source ${d.strategyFile.sourceHash}`)) : b.strategy],
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
  // Minimization finishes in the background: the stream sends this bucket again when it lands (a warning has none coming).
  if (b.minimized || b.severity === 'warning') return live(null, {});
  const landed = (e) => {
    if (e.bucket.id === bid && e.bucket.minimized) reload();
  };
  return live(id, { bucket: landed, 'bucket-update': landed });
}
