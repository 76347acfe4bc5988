/**
 * A whole number with thousands separators, 12,000, as every package writes
 * counts. Not toLocaleString('en-US'): its first call loads ICU's locale
 * data, some 20 ms of a cold `pcfarm fuzz --first-failure` that prints a
 * count (BENCHMARKS, the cold first failure).
 */
export function groupDigits(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const whole = Math.trunc(x);
  const digits = String(Math.abs(whole));
  // Past 2^53 String gives an exponent, which has no thousands to group.
  const grouped = /e/.test(digits) ? digits : digits.replace(/\B(?=(\d{3})+$)/g, ',');
  return whole < 0 ? `-${grouped}` : grouped;
}
