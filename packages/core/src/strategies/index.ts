import type { Strategy } from './strategy.js';
import { v2_6_20 } from './v2.6.20.js';
import { writeBeginEnd } from './write-begin-end.js';

export type { Strategy } from './strategy.js';

/** Every write-path strategy, by id, in the order the thread met them. */
export const STRATEGY_TABLE: ReadonlyMap<string, Strategy> = new Map([v2_6_20, writeBeginEnd].map((s) => [s.id, s]));
