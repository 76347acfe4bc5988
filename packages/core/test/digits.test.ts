import { describe, expect, it } from 'vitest';
import { groupDigits } from '../src/index.js';

describe('groupDigits', () => {
  it("writes a whole number as en-US does, thousands apart, without loading a locale: 0, 999, 1,000, 1,234,567, -12,000, 2^53's digits", () => {
    for (const x of [0, 7, 999, 1000, 12_000, 1_234_567, -12_000, -999, 2 ** 53, Number.MAX_SAFE_INTEGER]) expect(groupDigits(x), String(x)).toBe(x.toLocaleString('en-US'));
    // A fraction is cut to its whole part (callers round first where they mean to).
    expect(groupDigits(1234.9)).toBe('1,234');
    expect(groupDigits(-0.4)).toBe('0');
    expect(groupDigits(Infinity)).toBe('Infinity');
  });
});
