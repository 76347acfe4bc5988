// The page around the views: the header's pills (store, workers, live
// connection), the token field where changes need one, and what every view
// shares: the server's /api/info and live events that keep the header's
// worker count current.
import { api, follow } from './api.js';
import { clear, fmtAgo, h } from './dom.js';

const statusEl = document.getElementById('status');
// Two parts: the pills change with every live event; the token field must not be rebuilt under the user's typing.
const pillsEl = document.createElement('span');
const tokenEl = document.createElement('span');
pillsEl.className = 'pills';
tokenEl.className = 'token-area';
statusEl.append(pillsEl, tokenEl);
let liveState = 'connecting';
let workers = [];
let signedIn = false;
let signInMessage = '';

/** What the server said of itself (GET /api/info): set before any view runs. */
export const shell = { info: null };

/** Load /api/info and whether this browser may make changes; once per page load. */
export async function loadShell() {
  if (shell.info === null) {
    shell.info = await api.get('/api/info');
    if (shell.info.tokenRequired) signedIn = (await api.get('/api/session')).signedIn;
    renderToken();
  }
  renderStatus();
}

function tokenForm() {
  const input = h('input', { type: 'password', name: 'token', placeholder: 'token', autocomplete: 'current-password', 'aria-label': 'token to make changes' });
  const form = h('form', { class: 'token-form', id: 'token-form' }, input, h('button', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api.post('/api/session', { token: input.value });
      signedIn = true;
      signInMessage = '';
    } catch (e) {
      signInMessage = e.message;
    }
    renderToken();
  });
  return form;
}

/** The token field, or "signed in" once the server has set its cookie. */
function renderToken() {
  clear(tokenEl);
  if (!shell.info?.tokenRequired) return;
  if (signedIn) {
    tokenEl.append(
      h('span', { class: 'pill', id: 'signed-in' }, 'signed in ', h('button', { type: 'button', class: 'link', onclick: async () => {
        await api.delete('/api/session').catch(() => {});
        signedIn = false;
        renderToken();
      } }, 'sign out')),
    );
  } else {
    tokenEl.append(tokenForm());
    if (signInMessage) tokenEl.append(h('div', { class: 'token-message', role: 'alert' }, signInMessage));
  }
}

/** The pills: the store, the workers, the live connection. */
export function renderStatus() {
  clear(pillsEl);
  const info = shell.info;
  if (info) pillsEl.append(h('span', { class: 'pill' }, `${info.store} store`));
  const late = workers.filter((w) => w.health !== 'ok').length;
  const threads = workers.reduce((n, w) => n + w.concurrency, 0);
  pillsEl.append(
    h(
      'span',
      { class: 'pill', id: 'workers-status', title: workers.map((w) => `${w.id}: ${w.health}, seen ${fmtAgo(w.seenAt)}`).join('\n') || 'no worker has reported lately' },
      h('i', { class: `dot ${workers.length === 0 ? 'idle' : late ? 'late' : 'ok'}` }),
      `${workers.length} worker${workers.length === 1 ? '' : 's'}${threads ? ` · ${threads} thread${threads === 1 ? '' : 's'}` : ''}${late ? ` · ${late} late` : ''}`,
    ),
    h('span', { class: 'pill', id: 'live-status' }, h('i', { class: `dot ${liveState === 'live' ? 'ok' : 'late'}` }), liveState),
  );
}

/** Follow live events for a view; the header's worker count comes along with every stream. */
export function live(campaign, handlers) {
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
