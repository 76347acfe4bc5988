// The pcfarm dashboard's page: hash routes, one view module each (views/,
// as the API's routes are in src/routes/), fed by the JSON API and kept live
// by server-sent events. No framework: each view builds its DOM once and
// updates what changes in place. A view returns the function that stops
// its live stream, called when the page moves to another view.
import { clear, h } from './dom.js';
import { loadShell } from './shell.js';
import { errorBox } from './ui.js';
import { bucketView } from './views/bucket.js';
import { campaignView } from './views/campaign.js';
import { campaignsView } from './views/campaigns.js';
import { compareView } from './views/compare.js';
import { matrixView } from './views/matrix.js';
import { replayView } from './views/replay.js';

const main = document.getElementById('main');
let leave = () => {};

// Each: the address (with an optional ?query the view keeps its choices in) and its view.
const ROUTES = [
  [/^#?\/?(campaigns)?\/?$/, (el) => campaignsView(el)],
  [/^#\/campaigns\/([\w.-]+)\/?(?:\?(.*))?$/, (el, id, query) => campaignView(el, id, query)],
  [/^#\/campaigns\/([\w.-]+)\/buckets\/([\w.-]+)\/?$/, (el, id, bid) => bucketView(el, id, bid, route)],
  [/^#\/matrix\/?(?:\?(.*))?$/, (el, query) => matrixView(el, query)],
  [/^#\/compare\/?(?:\?(.*))?$/, (el, query) => compareView(el, query)],
  [/^#\/replay\/?(?:\?(.*))?$/, (el, query) => replayView(el, query)],
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
    await loadShell();
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
