import { describe, expect, it } from 'vitest';
import { decodeReproducer, encodeReproducer, Model, reproducerOf, STRATEGY_API_VERSION, strategyApi, type Strategy } from '../src/index.js';
import { tempPageWrite } from '../src/strategies/temp-page.js';
import { firstFailure, kindsIn } from './helpers.js';

/** excl-flag written against the strategy API, with the readpage callers that honour PG_writing chosen. */
function exclFlagWaiting(id: string, fault: boolean, sourceHash?: string): Strategy {
  return {
    id,
    description: 'excl-flag, the fault path waiting on PG_writing or not',
    paths: strategyApi.PATHS_2_6_20,
    performWrite: tempPageWrite(true),
    pageWritingWaiters: { read: true, fault, truncate: true },
    ...(sourceHash === undefined ? {} : { sourceHash }),
  };
}

describe('the strategy API', () => {
  it('is versioned, and carries the kernel helpers a write path calls under their kernel names', () => {
    expect(STRATEGY_API_VERSION).toBe(1);
    for (const name of ['grabCachePage', 'lockPage', 'unlockPage', 'blockPrepareWrite', 'blockWriteBegin', 'genericCommitWrite', 'genericWriteEnd', 'copyFromUserAtomic', 'copyFromUser', 'faultInPagesReadable', 'handleMmFaultLocked', 'setPageWriting', 'endPageWriting', 'doTruncate']) {
      expect(typeof (strategyApi as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('excl-flag without the fault path waiting on PG_writing exposes stale blocks to an mmap reader on hole-fill-vs-read', () => {
    const s = exclFlagWaiting('excl-read-only', false);
    const o = firstFailure({ strategy: s.id, scenario: 'hole-fill-vs-read' }, 2000, { strategies: [s] }, 'stale-data');
    expect(o!.failure!.message).toMatch(/returned STALE\(block \d+\)/);
    expect(kindsIn({ strategy: s.id, scenario: 'self-mmap-write' }, 300, { strategies: [s] }).deadlock).toBeUndefined();
  });

  it('excluding filemap_nopage too, as Nick Piggin said it must, is "still deadlocky" on self-mmap-write, as the built-in excl-flag', () => {
    const s = exclFlagWaiting('excl-nopage', true);
    const mine = kindsIn({ strategy: s.id, scenario: 'self-mmap-write' }, 300, { strategies: [s] });
    const builtIn = kindsIn({ strategy: 'excl-flag', scenario: 'self-mmap-write' }, 300);
    expect(mine.deadlock).toBeGreaterThan(0);
    expect(mine).toEqual(builtIn);
    expect(firstFailure({ strategy: s.id, scenario: 'hole-fill-vs-read' }, 2000, { strategies: [s] }, 'stale-data')).toBeNull();
  });

  it('a reproducer of a strategy file carries its source hash, and without the file says which file to load', () => {
    const s = exclFlagWaiting('excl-nopage', true, 'sha256:0123abcd');
    const model = new Model({ strategy: s.id, scenario: 'self-mmap-write' }, { strategies: [s] });
    expect(model.strategy.sourceHash).toBe('sha256:0123abcd');
    const o = firstFailure({ strategy: s.id, scenario: 'self-mmap-write' }, 300, { strategies: [s] }, 'deadlock')!;
    const text = encodeReproducer(reproducerOf({ strategy: s.id, scenario: 'self-mmap-write' }, o.choices, model.strategy.sourceHash));
    expect(decodeReproducer(text, [s.id]).strategyHash).toBe('sha256:0123abcd');
    expect(() => decodeReproducer(text)).toThrow('reproducer: made with the strategy file excl-nopage (source sha256:0123abcd); load it with --strategy-file PATH');
  });

  it('a built-in strategy reproducer has no hash, so its string is what it always was', () => {
    const r = reproducerOf({ strategy: 'v2.6.20', scenario: 'self-mmap-write' }, [0, 1, 2]);
    expect(r.strategyHash).toBeUndefined();
    expect(decodeReproducer(encodeReproducer(r))).toEqual(r);
  });
});
