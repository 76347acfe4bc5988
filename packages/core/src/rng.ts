/**
 * The model's one PRNG, sfc32: small, fast, and the same on every machine.
 * The choice stream expands a run's seed with it; a search draws which
 * entry to mutate and how from its own, seeded by the run's seed, so a
 * search is as deterministic as the runs it makes.
 */
export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(seed = 0) {
    this.reseed(seed);
  }

  /** Restart from `seed` (a non-negative safe integer); `salt` keeps two uses of one seed apart. */
  reseed(seed: number, salt = 0): void {
    // Seeds above 2^32 keep their high bits: two words of state from them.
    this.a = 0x9e3779b9 ^ (Math.floor(seed / 4294967296) >>> 0);
    this.b = 0x243f6a88 ^ salt;
    this.c = 0xb7e15162 ^ (seed >>> 0);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A whole number in [0, n). */
  below(n: number): number {
    return Math.floor((this.next() / 4294967296) * n);
  }

  /** A number in [0, 1). */
  unit(): number {
    return this.next() / 4294967296;
  }

  private next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
}
