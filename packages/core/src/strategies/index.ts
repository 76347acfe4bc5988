import { exclFlag } from './excl-flag.js';
import { gupPin } from './gup-pin.js';
import type { Strategy } from './strategy.js';
import { tempPage } from './temp-page.js';
import { twoCopy } from './two-copy.js';
import { v2_6_20 } from './v2.6.20.js';
import { writeBeginEnd } from './write-begin-end.js';
import { writeBeginEndTrim } from './write-begin-end-trim.js';
import { zeroRetryNotUptodate } from './zero-retry-not-uptodate.js';
import { zeroRetry } from './zero-retry.js';

export type { Strategy } from './strategy.js';

/** Every write-path strategy, by id, in the order the thread met them. */
export const STRATEGY_TABLE: ReadonlyMap<string, Strategy> = new Map(
  [v2_6_20, gupPin, tempPage, zeroRetry, zeroRetryNotUptodate, exclFlag, twoCopy, writeBeginEnd, writeBeginEndTrim].map((s) => [s.id, s]),
);
