/**
 * zero-retry-not-uptodate: Andrew Morton's variant of zero-retry.
 *
 * As zero-retry, but a short copy into a page that is not uptodate commits
 * only what was copied and does not mark the page uptodate, so no zeroes
 * ever become visible.
 *
 * What the thread says it gets wrong: the page is left not uptodate over
 * blocks prepare_write allocated, so the next readpage reads their stale
 * disk contents into it, which also destroys the part that was written.
 */
import { PATHS_2_6_20 } from '../paths.js';
import type { Strategy } from './strategy.js';
import { zeroRetryWrite } from './zero-retry.js';

export const zeroRetryNotUptodate: Strategy = {
  id: 'zero-retry-not-uptodate',
  description: 'Morton: as zero-retry, committing only what was copied and leaving the page not uptodate',
  paths: PATHS_2_6_20,
  performWrite: zeroRetryWrite(true),
};
