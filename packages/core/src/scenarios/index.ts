import { crossMmapWrite } from './cross-mmap-write.js';
import { extendVsTruncate } from './extend-vs-truncate.js';
import { generated } from './generated.js';
import { holeFillVsReadSameMm } from './hole-fill-vs-read-same-mm.js';
import { holeFillVsRead } from './hole-fill-vs-read.js';
import { mmapRwFault } from './mmap-rw-fault.js';
import { mmapSemInversion } from './mmap-sem-inversion.js';
import { multiSegment } from './multi-segment.js';
import { overwriteVsReadSameMm } from './overwrite-vs-read-same-mm.js';
import { overwriteVsRead } from './overwrite-vs-read.js';
import { partlyInvalidIovec } from './partly-invalid-iovec.js';
import { retryLivelock } from './retry-livelock.js';
import type { Scenario } from './scenario.js';
import { selfMmapWrite } from './self-mmap-write.js';
import { writeErrors } from './write-errors.js';

export type { Scenario } from './scenario.js';

/**
 * Every scenario, by id: the thread's workloads and the witnesses of their
 * lock-order warnings, the retry livelock and the error paths, the
 * real-kernel tests of the same hazards, and generated ones.
 */
export const SCENARIO_TABLE: ReadonlyMap<string, Scenario> = new Map(
  [
    selfMmapWrite,
    crossMmapWrite,
    mmapSemInversion,
    holeFillVsRead,
    holeFillVsReadSameMm,
    overwriteVsRead,
    overwriteVsReadSameMm,
    extendVsTruncate,
    multiSegment,
    retryLivelock,
    writeErrors,
    mmapRwFault,
    partlyInvalidIovec,
    generated,
  ].map((s) => [s.id, s]),
);
