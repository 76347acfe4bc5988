import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { data, KIND_UNINIT, stale, uninit, ZERO } from '../src/cell.js';
import { Memory } from '../src/memory.js';

/** The scalar loops the scans replaced: the slow path that checks the fast one. */
const slow = {
  linear: (c: Uint32Array, off: number, n: number, base: number) => {
    let i = 0;
    while (i < n && c[off + i] === ((base + i) >>> 0)) i++;
    return i;
  },
  same: (c: Uint32Array, off: number, n: number, v: number) => {
    let i = 0;
    while (i < n && c[off + i] === v) i++;
    return i;
  },
  ofKind: (c: Uint32Array, off: number, n: number, kind: number) => {
    let i = 0;
    while (i < n && c[off + i]! >>> 30 !== kind) i++;
    return i;
  },
};

/** A small deterministic generator, so a failure names its case. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

/** The first of want's cells that c differs in, or -1: one expect a case, not one a cell (a million of them took 15 s). */
function firstDifference(c: Uint32Array, want: Uint32Array): number {
  for (let i = 0; i < want.length; i++) if (c[i] !== want[i]) return i;
  return -1;
}

describe('the SIMD scans and fills of scan.wat agree with the scalar loops they replace', () => {
  const mem = new Memory(4, 64, 4, 64, 1);
  const c = mem.cells;
  it('on runs that break at every position of a four-cell group, at every alignment and length', () => {
    const next = lcg(1);
    for (let round = 0; round < 3000; round++) {
      const off = next() % 40;
      const n = next() % 70;
      const base = next() % 2 === 0 ? data(next() % 8, next() % 1000) : 0xfffffffe;
      for (let i = 0; i < 128; i++) c[off + i] = (base + i) >>> 0;
      const brk = next() % 80;
      if (brk < 128) c[off + brk] = next() % 3 === 0 ? ZERO : uninit(3);
      expect(mem.firstNotLinear(off, n, base), `linear off ${off} n ${n} break ${brk}`).toBe(slow.linear(c, off, n, base));
      c.fill(ZERO, off, off + 128);
      if (brk < 128) c[off + brk] = next() % 2 === 0 ? stale(5) : uninit(2);
      expect(mem.firstNotEqual(off, n, ZERO), `same off ${off} n ${n} break ${brk}`).toBe(slow.same(c, off, n, ZERO));
      expect(mem.firstOfKind(off, n, KIND_UNINIT), `kind off ${off} n ${n} break ${brk}`).toBe(slow.ofKind(c, off, n, KIND_UNINIT));
    }
  });

  it('fills and ramps write exactly [off, off + n), at every alignment and length', () => {
    const next = lcg(2);
    const want = new Uint32Array(256);
    for (let round = 0; round < 2000; round++) {
      const off = next() % 40;
      const n = next() % 70;
      const base = next() % 2 === 0 ? data(next() % 8, next() % 1000) : 0xfffffffd;
      c.fill(7, 0, 256);
      mem.fillRamp(off, n, base);
      for (let i = 0; i < 256; i++) want[i] = i >= off && i < off + n ? (base + i - off) >>> 0 : 7;
      expect(firstDifference(c, want), `ramp off ${off} n ${n}: first wrong cell`).toBe(-1);
      c.fill(7, 0, 256);
      mem.fillCells(off, n, uninit(round));
      for (let i = 0; i < 256; i++) want[i] = i >= off && i < off + n ? uninit(round) : 7;
      expect(firstDifference(c, want), `fill off ${off} n ${n}: first wrong cell`).toBe(-1);
    }
  });

  it('scan-wasm.ts is scan.wat assembled: nobody edited one without the other', () => {
    const script = fileURLToPath(new URL('../../../scripts/build-wasm.mjs', import.meta.url));
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
