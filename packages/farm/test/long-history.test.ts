/**
 * What a campaign of weeks keeps of its history (issue 20): its done set as
 * ranges, and samples thinned with age.
 */
import { describe, expect, it } from 'vitest';
import { addSample, checkSnapshot, campaignSpec, CoverageSet, decodeCoverage, doneCount, doneIndexes, doneRangesOf, DoneSet, encodeCoverage, newCampaign, SAMPLE_LIMITS, samplesBound, type Sample } from '../dist/index.js';

/** A deterministic stream of numbers in [0, 1). */
function stream(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * 24 * HOUR_MS;

describe('a done set kept as ranges', () => {
  it('answers as a set of its indexes would, whatever order they come in', () => {
    const next = stream(20);
    const d = new DoneSet();
    const plain = new Set<number>();
    for (let k = 0; k < 5000; k++) {
      const i = Math.floor(next() * 700);
      expect(d.add(i)).toBe(!plain.has(i));
      plain.add(i);
    }
    expect(d.size).toBe(plain.size);
    for (let i = 0; i < 720; i++) expect(d.has(i)).toBe(plain.has(i));
    expect([...doneIndexes(d.ranges())]).toEqual([...plain].sort((a, b) => a - b));
    for (let i = 0; i < 720; i++) {
      let missing = i;
      while (plain.has(missing)) missing++;
      expect(d.nextMissing(i)).toBe(missing);
    }
    expect(DoneSet.of([...d.ranges()].reverse()).ranges()).toEqual(d.ranges());
  });

  it('a million batches that ended nearly in order are a handful of ranges', () => {
    const next = stream(7);
    const d = new DoneSet();
    // Batches end up to 8 places out of order (threads and jobs in flight); the last 8 are still running.
    const pending: number[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      pending.push(i);
      if (pending.length > 8) d.add(pending.splice(Math.floor(next() * pending.length), 1)[0]!);
    }
    expect(d.size).toBe(1_000_000 - 8);
    expect(d.ranges().length).toBeLessThanOrEqual(9);
    expect(doneCount(d.ranges())).toBe(d.size);
  });

  it('an export reads with its done set as ranges or, as an earlier pcfarm wrote it, as indexes; overlapping ranges are refused', () => {
    const campaign = newCampaign('ab12', campaignSpec({ strategies: ['v2.6.20'], scenarios: ['generated'] }), 1);
    const snapshot = { campaign, done: [0, 1, 2, 5] as unknown, runs: 0, steps: 0, failures: 0, warnings: 0, coverage: [], buckets: [], samples: [] };
    expect(checkSnapshot(snapshot, 'old.jsonl line 2').done).toEqual([[0, 2], [5, 5]]);
    expect(checkSnapshot({ ...snapshot, done: [[0, 2], [5, 5]] }, 'new.jsonl line 2').done).toEqual(doneRangesOf([5, 0, 1, 2]));
    expect(() => checkSnapshot({ ...snapshot, done: [[0, 4], [3, 5]] }, 'bad.jsonl line 2')).toThrow(/bad\.jsonl line 2: done must be ranges of batch indexes that do not overlap/);
    expect(() => checkSnapshot({ ...snapshot, done: [[4, 3]] }, 'bad.jsonl line 2')).toThrow(/done\[0\] must be a range \[first, last\]/);
  });
});

describe('coverage kept once', () => {
  it('a coverage set answers as a Set would, and sorted() merges what was added since into one ascending array', () => {
    const next = stream(3);
    const plain = new Set<number>();
    for (let i = 0; i < 3000; i++) plain.add(Math.floor(next() * 2 ** 32));
    const c = CoverageSet.of([...plain].slice(0, 1000), true);
    c.sorted();
    for (const h of [...plain].slice(500)) c.add(h);
    expect(c.size).toBe(plain.size);
    for (const h of plain) expect(c.has(h)).toBe(true);
    expect(c.has(plain.size % 2 === 0 ? 12345 : 54321)).toBe(plain.has(plain.size % 2 === 0 ? 12345 : 54321));
    expect([...c.sorted()]).toEqual([...plain].sort((a, b) => a - b));
  });

  it('encoded as gaps, decodes to the same hashes in about a third of the bytes of JSON, and a cut encoding is refused', () => {
    const next = stream(11);
    const hashes = Uint32Array.from(new Set(Array.from({ length: 20_000 }, () => Math.floor(next() * 2 ** 32)))).sort();
    const edges = Uint32Array.from([0, 1, 127, 128, 0xffffffff]);
    for (const sorted of [hashes, edges, new Uint32Array(0)]) expect(decodeCoverage(encodeCoverage(sorted))).toEqual(sorted);
    const text = encodeCoverage(hashes);
    expect(text.length).toBeLessThan(JSON.stringify([...hashes]).length / 2.5);
    expect(() => decodeCoverage(Buffer.from([0x85, 0x80]).toString('base64'))).toThrow(/a gap cut short/);
    expect(() => decodeCoverage(Buffer.from([5, 0]).toString('base64'))).toThrow(/not ascending/);
  });
});

describe('samples thinned with age', () => {
  it('a week of one sample a second keeps its last hour whole, one a minute before, and at most samplesBound(a week) in all', () => {
    const samples: Sample[] = [];
    const t0 = 1_700_000_000_000;
    for (let s = 0; s <= WEEK_MS / 1000; s++) addSample(samples, { at: t0 + s * 1000, runningMs: s * 1000, runs: s * 100, failures: s, coverage: s, buckets: 1 });
    const newest = samples[samples.length - 1]!;
    expect(newest.runs).toBe((WEEK_MS / 1000) * 100);
    expect(samples.length).toBeLessThanOrEqual(samplesBound(WEEK_MS));
    expect(samples.length).toBeGreaterThan(samplesBound(WEEK_MS) * 0.9);
    const lastHour = samples.filter((s) => newest.at - s.at < HOUR_MS);
    expect(lastHour.length).toBe(HOUR_MS / SAMPLE_LIMITS.intervalMs);
    // Older: no two in one slot of their tier, and in time order.
    for (let i = 1; i < samples.length; i++) {
      const [a, b] = [samples[i - 1]!, samples[i]!];
      expect(b.at).toBeGreaterThan(a.at);
      const age = newest.at - a.at;
      let slot: number = SAMPLE_LIMITS.intervalMs;
      for (const tier of SAMPLE_LIMITS.tiers) if (age >= tier.olderThanMs + SAMPLE_LIMITS.tiers[0].intervalMs) slot = tier.intervalMs;
      expect(Math.floor(b.at / slot)).toBeGreaterThan(Math.floor(a.at / slot));
    }
  });
});
