/**
 * The number and time formats every view shares (public/dom.js, which runs
 * in the browser and imports nothing, so node loads it as it is).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: the page's own JavaScript, untyped.
import { fmtAsOf, fmtDuration } from '../public/dom.js';

describe("the dashboard's formats", () => {
  it('says a duration in the largest units that read well: seconds to hours, days for weeks, years for the longest budget, never billions of hours', () => {
    expect(fmtDuration(42_000)).toBe('42 s');
    expect(fmtDuration(185_000)).toBe('3 min 5 s');
    expect(fmtDuration(26 * 3_600_000 + 60_000)).toBe('26 h 1 min');
    expect(fmtDuration(9 * 86_400_000 + 4 * 3_600_000)).toBe('9 d 4 h');
    expect(fmtDuration(Number.MAX_SAFE_INTEGER)).toBe('285,616 years');
  });

  it("says how fresh figures read now and then are: the campaign page's cells table as of the time it was read, and how often it is read again while the campaign runs", () => {
    const at = new Date();
    at.setHours(14, 3, 7, 0);
    expect(fmtAsOf(at.getTime(), 10_000)).toBe('as of 14:03:07, read every 10 s');
    // A campaign that is no longer running: its cells' last figures, read once more as it stopped.
    expect(fmtAsOf(at.getTime())).toBe('as of 14:03:07');
  });

  it("says a moment of another day with the reader's own date, as its time is: half past midnight in Tokyo is that day there, not the day before in UTC", () => {
    // A process of its own, for a time zone ahead of UTC (this one's is the machine's, and tests leave the environment alone).
    const script = `import('./public/dom.js').then(({ fmtTime }) => console.log(fmtTime(new Date(2026, 0, 2, 0, 30, 5).getTime(), new Date(2026, 5, 1).getTime())))`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: new URL('..', import.meta.url), env: { ...process.env, TZ: 'Asia/Tokyo' }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('2026-01-02 00:30:05\n');
  });
});
