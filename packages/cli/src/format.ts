/** How pcfarm writes numbers, durations and tables: one way for every command. */
import { DEFAULTS, groupDigits } from '@pcfarm/core';

/** A whole number with thousands separators: 12,000. */
export function n(x: number): string {
  return groupDigits(Math.round(x));
}

/** A count and its noun, singular for exactly one: "1 switch", "2 switches". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${n(count)} ${count === 1 ? one : many}`;
}

/** A duration as people read it: 42s, 3m05s, 2h07m, 3d04h. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  // A campaign of days: hours and minutes, or days and hours.
  const m = Math.floor(s / 60);
  if (m < 24 * 60) return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
  const h = Math.floor(m / 60);
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** Rows as aligned columns, two spaces apart, the first row the header; the last column is not padded. */
export function columns(rows: readonly (readonly string[])[]): string[] {
  const header = rows[0] ?? [];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

/** Rows as a Markdown table, columns padded to their widest cell. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}

/** A cell in words: "v2.6.20 x self-mmap-write", its blocks per page added when not the default ("(bpp 4)"). */
export function cellName(c: { strategy: string; scenario: string; blocksPerPage: number }): string {
  return `${c.strategy} x ${c.scenario}${c.blocksPerPage === DEFAULTS.blocksPerPage ? '' : ` (bpp ${c.blocksPerPage})`}`;
}
