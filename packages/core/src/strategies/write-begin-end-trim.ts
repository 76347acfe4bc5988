/**
 * write-begin-end-trim: Linux 2.6.24's generic_perform_write with the fix the
 * filesystems added later: when a write comes up short, the blocks its
 * write_begin instantiated past i_size are truncated away again (ext2's
 * ext2_write_failed, ext4's ext4_truncate_failed_write: vmtruncate /
 * truncate_pagecache to i_size), so no block past EOF is left holding STALE
 * for a later extension of the file to read back.
 *
 * The thread finds nothing of its hazards here, and neither does pcfarm.
 */
import { PATHS_2_6_24, type Strategy } from '../strategy-api.js';
import { genericPerformWrite } from './write-begin-end.js';

export const writeBeginEndTrim: Strategy = {
  id: 'write-begin-end-trim',
  description: 'Linux 2.6.24 generic_perform_write plus the later write_failed trim of blocks past i_size after a short write',
  paths: PATHS_2_6_24,
  performWrite: genericPerformWrite(true),
};
