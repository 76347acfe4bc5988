import { describe, expect, it } from 'vitest';
import {
  CONFIG_FIELDS,
  decodeReproducer,
  DEFAULTS,
  encodeReproducer,
  Model,
  MODEL_VERSION,
  REPRODUCER_PREFIX,
  reproducerOf,
  signatureOf,
  type Reproducer,
} from '../src/index.js';

const SELF: Reproducer = { modelVersion: MODEL_VERSION, config: { strategy: 'v2.6.20', scenario: 'self-mmap-write' }, choices: [0, 0, 0, 0, 0, 0, 0, 0, 1, 2] };
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function rejects(text: string): { code: string; message: string } {
  try {
    decodeReproducer(text);
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error(`accepted ${text}`);
}

describe('reproducers: the round trip', () => {
  const cases: [string, Reproducer][] = [
    ['the minimized self deadlock', SELF],
    ['no choices at all', { ...SELF, choices: [] }],
    ['choices up to 2^32-1, zeros between', { ...SELF, choices: [4294967295, 0, 127, 128, 16383, 16384, 0, 1] }],
    [
      'every config field set',
      {
        modelVersion: MODEL_VERSION,
        config: { strategy: 'write-begin-end', scenario: 'generated', scheduler: 'random', pctDepth: 7, pctStepsEstimate: 300, pctDaemonOneIn: 5, stepsMax: 123456, stallStepsMax: 999, reclaimActionsMax: 0, blocksPerPage: 4, pageCells: 64 },
        choices: [3, 1, 4, 1, 5],
      },
    ],
  ];
  for (const [name, r] of cases) {
    it(`${name}: reproducer -> string -> reproducer is exact, and so is string -> reproducer -> string`, () => {
      const text = encodeReproducer(r);
      expect(text.startsWith(REPRODUCER_PREFIX)).toBe(true);
      expect(text).toMatch(/^pcfarm1:[A-Za-z0-9_-]+$/);
      expect(decodeReproducer(text)).toEqual(r);
      expect(encodeReproducer(decodeReproducer(text))).toBe(text);
    });
  }

  it('is short: the minimized self deadlock fits in 80 characters', () => {
    expect(encodeReproducer(SELF).length).toBeLessThanOrEqual(80);
  });

  it('carries only the config fields that differ from the defaults, never trace, and no trailing zeros', () => {
    const r = reproducerOf({ strategy: 'v2.6.20', scenario: 'generated', scheduler: 'pct', pctDepth: 2, stepsMax: DEFAULTS.stepsMax, trace: true }, [1, 0, 2, 0, 0]);
    expect(r).toEqual({ modelVersion: MODEL_VERSION, config: { strategy: 'v2.6.20', scenario: 'generated', pctDepth: 2 }, choices: [1, 0, 2] });
  });

  it('knows every field of RunConfig but strategy, scenario and trace, so no setting is silently dropped', () => {
    expect([...CONFIG_FIELDS].sort()).toEqual(Object.keys(DEFAULTS).filter((k) => k !== 'trace').sort());
  });

  it('replays the run it was made from: a failing seed, through its string, gives the same failure and trace', () => {
    const config = { strategy: 'v2.6.20', scenario: 'cross-mmap-write', pctDepth: 3 };
    const model = new Model({ ...config, trace: true });
    let seed = 0;
    while (model.run({ seed }).ok) seed++;
    const o = model.run({ seed });
    const back = decodeReproducer(encodeReproducer(reproducerOf(config, o.choices)));
    const again = new Model({ ...back.config, trace: true }).run({ choices: back.choices });
    expect(again.failure).toEqual(o.failure);
    expect(again.traceHash).toBe(o.traceHash);
    expect(signatureOf(again)).toEqual(signatureOf(o));
  });

  it('tolerates whitespace, so a string wrapped by a mail client or terminal still pastes', () => {
    const text = encodeReproducer(SELF);
    expect(decodeReproducer(`  ${text.slice(0, 20)}\n  ${text.slice(20, 40)}\r\n${text.slice(40)}\n`)).toEqual(SELF);
  });
});

describe('reproducers: bad strings are rejected, saying what is wrong', () => {
  const text = encodeReproducer(SELF);

  it('something that is not a reproducer', () => {
    expect(rejects('v2.6.20 self-mmap-write 1')).toEqual(expect.objectContaining({ code: 'EBADREPRO', message: expect.stringMatching(/^bad reproducer: not a pcfarm reproducer: it should start with pcfarm1:/) }));
  });

  it('another format', () => {
    expect(rejects(`pcfarm2:${text.slice(8)}`).message).toBe('bad reproducer: a format 2 reproducer; this pcfarm reads format 1 (pcfarm1:)');
  });

  it('a character outside base64url, named with its position', () => {
    const broken = `${text.slice(0, 12)}+${text.slice(13)}`;
    expect(rejects(broken).message).toBe('bad reproducer: character "+" at position 13 is not base64url (A-Z, a-z, 0-9, - and _)');
  });

  it('every truncation says it is truncated', () => {
    for (let n = REPRODUCER_PREFIX.length; n < text.length; n++) {
      const e = rejects(text.slice(0, n));
      expect(e.code).toBe('EBADREPRO');
      expect(e.message).toMatch(/^bad reproducer: truncated: /);
    }
    expect(rejects(text.slice(0, 40)).message).toMatch(/^bad reproducer: truncated: it holds \d+ of its \d+ bytes/);
  });

  it('every single mistyped character is caught', () => {
    for (let i = REPRODUCER_PREFIX.length; i < text.length; i++) {
      for (const c of BASE64URL) {
        if (c === text[i]) continue;
        const e = rejects(text.slice(0, i) + c + text.slice(i + 1));
        expect(e.code).toBe('EBADREPRO');
      }
    }
    const flipped = text.slice(0, 30) + (text[30] === 'A' ? 'B' : 'A') + text.slice(31);
    expect(rejects(flipped).message).toBe('bad reproducer: checksum mismatch: the string was altered or mistyped');
  });

  it('extra text after the end', () => {
    expect(rejects(`${text}AAAA`).message).toBe('bad reproducer: 3 unexpected byte(s) after its end: two reproducers run together, or extra text');
  });

  it('a reproducer of another model version says it would replay differently', () => {
    const e = rejects(encodeReproducer({ ...SELF, modelVersion: 'core-0' }));
    expect(e.code).toBe('EMODELVERSION');
    expect(e.message).toBe(`reproducer made by model core-0, this is ${MODEL_VERSION}: it would replay differently; replay it with the pcfarm of core-0`);
  });

  it('a strategy, scenario or setting this model does not have', () => {
    const strategy = rejects(encodeReproducer({ ...SELF, config: { strategy: 'v9', scenario: 'self-mmap-write' } }));
    expect(strategy.code).toBe('EUNKNOWNSTRATEGY');
    expect(strategy.message).toMatch(/^reproducer: unknown strategy "v9"; valid strategies: v2\.6\.20, /);
    expect(rejects(encodeReproducer({ ...SELF, config: { strategy: 'v2.6.20', scenario: 'nope' } })).code).toBe('EUNKNOWNSCENARIO');
    const depth = rejects(encodeReproducer({ ...SELF, config: { ...SELF.config, pctDepth: 99 } }));
    expect(depth).toEqual(expect.objectContaining({ code: 'EBADCONFIG', message: 'reproducer: pctDepth must be a whole number from 1 to 16, not 99' }));
  });

  it('random text after the prefix is called no reproducer, not a truncated one', () => {
    for (const text of ['pcfarm1:hello-world-this-is-random-text', 'pcfarm1:abcdef', `pcfarm1:${'z'.repeat(30)}`]) {
      expect(rejects(text).message).toBe('bad reproducer: not a reproducer pcfarm wrote: what follows pcfarm1: does not start with a model version (random or altered text?)');
    }
  });

  it('one character too many is extra text, not a cut string', () => {
    expect(rejects(`${encodeReproducer(SELF)}A`).message).toBe('bad reproducer: an unexpected character after its end: two reproducers run together, or extra text');
  });

  it('an empty reproducer', () => {
    expect(rejects('pcfarm1:').message).toBe('bad reproducer: truncated: nothing after pcfarm1:');
    expect(rejects('').message).toMatch(/^bad reproducer: not a pcfarm reproducer/);
  });
});
