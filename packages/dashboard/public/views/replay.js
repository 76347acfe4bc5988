// #/replay: replay any reproducer on the server; and how a replayed run is
// drawn (its verdict, warnings, timeline and trace), which a bucket's page
// shows too.
import { api } from '../api.js';
import { clear, commandBox, h } from '../dom.js';
import { live } from '../shell.js';
import { timeline } from '../timeline.js';
import { badge, errorBox } from '../ui.js';

/** A replay's verdict, timeline and trace. */
export function renderReplay(el, r) {
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
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'list compact mono' },
          h('thead', {}, h('tr', {}, ...['Step', 'Task', 'Event', 'Site', 'Holds'].map((t) => h('th', {}, t)))),
          h('tbody', {}, ...r.events.map((e) => h('tr', { class: e.i === r.failureEvent ? 'failure-row' : '' }, h('td', { class: 'num' }, e.step), h('td', {}, e.task), h('td', {}, e.what), h('td', { class: 'small' }, e.site), h('td', { class: 'small' }, e.locks.join(', '))))),
        ),
      ),
    ),
  );
}

/**
 * The reproducer in what was pasted: the string itself, or the replay
 * command a bucket page copies (`./pcfarm replay pcfarm1:… --strategy-file
 * F`), whose reproducer is the one word starting pcfarm followed by a digit.
 */
function reproducerIn(text) {
  const command = /^\s*(?:\S*\/)?pcfarm\s+replay\s+(pcfarm\d+:\S+)/.exec(text);
  return command === null ? text : command[1];
}

/** `query`: r=REPRODUCER replays it as the page opens (a campaign page's link to verify's counterexample). */
export async function replayView(el, query) {
  const input = h('textarea', { rows: 3, placeholder: 'pcfarm1:…', name: 'reproducer', spellcheck: 'false', 'aria-label': 'reproducer' });
  const out = h('div');
  const form = h('form', { class: 'card', id: 'replay-form' }, h('h2', {}, 'Replay a reproducer'), input, h('button', { type: 'submit', class: 'primary' }, 'Replay'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (input.value.trim() === '') {
      clear(out).append(errorBox({ message: 'Paste a reproducer first: the pcfarm1:… string that pcfarm minimize, fuzz or a bucket page prints.' }));
      return;
    }
    clear(out).append(h('p', { class: 'muted' }, 'replaying…'));
    try {
      const r = await api.post('/api/replay', { reproducer: reproducerIn(input.value) });
      clear(out);
      if (r.replayCommand) out.append(commandBox(r.replayCommand, 'Copy replay command'));
      renderReplay(out, r);
    } catch (e) {
      clear(out).append(errorBox(e));
    }
  });
  el.append(h('h1', {}, 'Replay'), form, h('section', { class: 'card', id: 'replay-out' }, out));
  const given = new URLSearchParams(query ?? '').get('r');
  if (given) {
    input.value = given;
    form.requestSubmit();
  }
  return live(null, {});
}
