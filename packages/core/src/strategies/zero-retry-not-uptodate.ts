/**
 * zero-retry-not-uptodate: Andrew Morton's variant of zero-retry, 4 Feb
 * 2007: "(Actually, perhaps we can prevent it by not marking the page
 * uptodate in this case. But that'll cause a read()er to try to bring it
 * uptodate...)"
 *
 * As zero-retry: zero the uncopied part, commit_write the range (dirty,
 * i_size raised) and retry; but neither the range's buffers nor the page are
 * marked uptodate, so the zeroes are never shown as the page's contents.
 *
 * What the thread says it gets wrong (Anton Altaparmakov: "that causes the
 * problem of a concurrent readpage reading uninitialized disk blocks that
 * prepare_write allocated"): the page is left not uptodate over new blocks,
 * so a reader's readpage reads their stale disk contents into it, which also
 * destroys the part that was written.
 */
import { PATHS_2_6_20, type Strategy } from '../strategy-api.js';
import { zeroRetryWrite } from './zero-retry.js';

export const zeroRetryNotUptodate: Strategy = {
  id: 'zero-retry-not-uptodate',
  description: 'Morton: as zero-retry, committing only what was copied and leaving the page not uptodate',
  paths: PATHS_2_6_20,
  performWrite: zeroRetryWrite(true),
};
