import { crossMmapWrite } from './cross-mmap-write.js';
import { generated } from './generated.js';
import { holeFillVsRead } from './hole-fill-vs-read.js';
import { overwriteVsRead } from './overwrite-vs-read.js';
import type { Scenario } from './scenario.js';
import { selfMmapWrite } from './self-mmap-write.js';

export type { Scenario } from './scenario.js';

/** Every scenario, by id. */
export const SCENARIO_TABLE: ReadonlyMap<string, Scenario> = new Map(
  [selfMmapWrite, crossMmapWrite, holeFillVsRead, overwriteVsRead, generated].map((s) => [s.id, s]),
);
