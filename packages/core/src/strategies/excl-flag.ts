/**
 * excl-flag: Anton Altaparmakov, 4 Feb 2007 17:40.
 *
 * As temp-page, with a new page flag (PG_writing) set before the page is
 * unlocked for the slow copy. The readpage callers (read, the fault path)
 * and truncate that find it set under the page lock unlock the page and
 * wait on the bit, so nobody reads the page's stale blocks in the window.
 *
 * What the thread says it gets wrong (Nick Piggin): "you must also exclude
 * filemap_nopage, in which case it is still deadlocky". When the source is a
 * mapping of the destination page, the writer's own fault on the source
 * finds the flag it set itself and waits on it forever. The answer to "Have I
 * missed anything this time?"
 */
import { PATHS_2_6_20, type Strategy } from '../strategy-api.js';
import { tempPageWrite } from './temp-page.js';

export const exclFlag: Strategy = {
  id: 'excl-flag',
  description: 'Altaparmakov 4 Feb 17:40: temp-page with PG_writing set across the window; readpage callers wait on it',
  paths: PATHS_2_6_20,
  performWrite: tempPageWrite(true),
};
