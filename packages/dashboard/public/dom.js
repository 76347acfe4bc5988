// Tiny DOM helpers: elements from (tag, attributes, children), text always as
// text nodes (a signature or a task name is never parsed as HTML), and the
// number and time formats every view shares.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    // Through the CSSOM: the content security policy refuses style attributes (no 'unsafe-inline').
    else if (k === 'style') Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** An HTML element. */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function fmtInt(n) {
  return Math.round(n).toLocaleString('en-US');
}

/** A count of something, or a figure with a fraction (a cost averaged over pages): separators either way. */
export function fmtNum(n) {
  return Number.isInteger(n) ? fmtInt(n) : n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** Runs per second; null (no rate yet) is a dash, not 0. */
export function fmtRate(n) {
  if (n === null || n === undefined) return '–';
  if (n >= 100) return fmtInt(n);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function fmtDuration(ms) {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  // A campaign of weeks in days; a budget of "as long as it takes" (up to 2^53 ms) in years, not billions of hours.
  const d = Math.floor(h / 24);
  if (d < 730) return `${d} d ${h % 24} h`;
  return `${fmtInt(Math.round(d / 365))} years`;
}

/** A span of time on a chart axis: tenths of a second while it is short. */
export function fmtSpan(ms) {
  return ms < 10_000 ? `${+(ms / 1000).toFixed(1)} s` : fmtDuration(ms);
}

export function fmtAgo(at, now = Date.now()) {
  const d = Math.max(0, now - at);
  if (d < 1500) return 'just now';
  return `${fmtDuration(d)} ago`;
}

/** A moment in the reader's own time zone: its time today, else its date and time (the date local too: UTC's is a day off near midnight). */
export function fmtTime(at, now = Date.now()) {
  const d = new Date(at);
  const time = d.toLocaleTimeString('en-GB', { hour12: false });
  if (d.toDateString() === new Date(now).toDateString()) return time;
  const two = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${time}`;
}

/**
 * How fresh figures read at `at` are, said beside them (the matrix says when
 * it was computed the same way): the time, and how often they are read again
 * while they are (`everyMs`; null when they are final).
 */
export function fmtAsOf(at, everyMs = null) {
  return `as of ${fmtTime(at)}${everyMs === null ? '' : `, read every ${fmtDuration(everyMs)}`}`;
}

/** Copy text, with a fallback for pages served over plain http to another host (no clipboard API there). */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = h('textarea', { style: { position: 'fixed', left: '-9999px', top: '0' }, readonly: true }, text);
    document.body.append(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}

/** A command with its copy button. */
export function commandBox(command, label = 'Copy') {
  const button = h('button', { type: 'button', class: 'copy' }, label);
  button.addEventListener('click', async () => {
    const ok = await copyText(command);
    button.textContent = ok ? 'Copied' : 'Select and copy';
    setTimeout(() => (button.textContent = label), 1500);
  });
  return h('div', { class: 'command' }, h('code', { class: 'command-text' }, command), button);
}
