// Line charts as inline SVG: one series, nice round ticks, an area under
// the line, the last value written at the end.
import { s } from './dom.js';

/** Round tick values covering [0, max]. */
function ticks(max, count = 4) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw) ?? raw;
  const out = [];
  for (let v = 0; v <= max + step * 0.001; v += step) out.push(v);
  if (out[out.length - 1] < max) out.push(out[out.length - 1] + step);
  return out;
}

function short(v) {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

/**
 * A chart of points {x, y}. `xFormat` labels the x axis (e.g. running time),
 * `label` names the series. Returns the <svg>.
 */
export function lineChart(points, { label, xFormat = short, yFormat = short, width = 560, height = 190, color = '#2563eb' } = {}) {
  const m = { left: 48, right: 16, top: 14, bottom: 26 };
  const w = width - m.left - m.right;
  const hgt = height - m.top - m.bottom;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': label });
  const xs = points.map((p) => p.x);
  const x0 = Math.min(0, ...xs);
  const x1 = Math.max(1, ...xs);
  const yt = ticks(Math.max(0, ...points.map((p) => p.y)));
  const y1 = yt[yt.length - 1];
  const X = (x) => m.left + ((x - x0) / (x1 - x0 || 1)) * w;
  const Y = (y) => m.top + hgt - (y / (y1 || 1)) * hgt;
  for (const t of yt) {
    svg.append(s('line', { x1: m.left, x2: m.left + w, y1: Y(t), y2: Y(t), class: 'grid' }));
    svg.append(s('text', { x: m.left - 6, y: Y(t) + 4, class: 'tick', 'text-anchor': 'end' }, yFormat(t)));
  }
  if (points.length === 0) {
    // No x axis without data: ticks over an empty span would all read the same.
    svg.append(s('text', { x: m.left + w / 2, y: m.top + hgt / 2, class: 'empty', 'text-anchor': 'middle' }, 'no data yet'));
    return svg;
  }
  // A tick whose label reads as the one before it (finer than the format shows) is left out.
  let shown = null;
  for (const t of ticks(x1 - x0, 5)) {
    const x = x0 + t;
    if (x > x1) break;
    const text = xFormat(x);
    if (text === shown) continue;
    shown = text;
    svg.append(s('text', { x: X(x), y: height - 8, class: 'tick', 'text-anchor': 'middle' }, text));
  }
  const line = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join('');
  const first = points[0];
  const last = points[points.length - 1];
  svg.append(s('path', { d: `${line}L${X(last.x).toFixed(1)},${Y(0)}L${X(first.x).toFixed(1)},${Y(0)}Z`, fill: color, 'fill-opacity': 0.12 }));
  svg.append(s('path', { d: line, fill: 'none', stroke: color, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
  svg.append(s('circle', { cx: X(last.x), cy: Y(last.y), r: 3.5, fill: color }));
  svg.append(s('text', { x: Math.min(X(last.x), m.left + w - 4), y: Math.max(Y(last.y) - 8, m.top + 10), class: 'last', 'text-anchor': 'end' }, yFormat(last.y)));
  return svg;
}
