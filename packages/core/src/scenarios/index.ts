import { crossMmapWrite } from './cross-mmap-write.js';
import { extendVsTruncate } from './extend-vs-truncate.js';
import { generated } from './generated.js';
import { holeFillVsRead } from './hole-fill-vs-read.js';
import { mmapRwFault } from './mmap-rw-fault.js';
import { mmapSemInversion } from './mmap-sem-inversion.js';
import { multiSegment } from './multi-segment.js';
import { overwriteVsRead } from './overwrite-vs-read.js';
import { partlyInvalidIovec } from './partly-invalid-iovec.js';
import type { Scenario } from './scenario.js';
import { selfMmapWrite } from './self-mmap-write.js';

export type { Scenario } from './scenario.js';

/** Every scenario, by id: the thread's workloads, the real-kernel tests of the same hazards, and generated ones. */
export const SCENARIO_TABLE: ReadonlyMap<string, Scenario> = new Map(
  [
    selfMmapWrite,
    crossMmapWrite,
    mmapSemInversion,
    holeFillVsRead,
    overwriteVsRead,
    extendVsTruncate,
    multiSegment,
    mmapRwFault,
    partlyInvalidIovec,
    generated,
  ].map((s) => [s.id, s]),
);
