/** fsync (fs/sync.c + filemap_fdatawrite): write back every dirty page of the file under its lock. */
import type { Gen } from '../gen.js';
import type { Inode } from '../inode.js';
import type { Kernel } from '../kernel.js';
import { PG_dirty } from '../page.js';
import type { Task } from '../task.js';
import { findGetPage, lockPage, pageCacheRelease, unlockPage } from '../mm/filemap.js';

export function* doFsync(k: Kernel, t: Task, inode: Inode): Gen<number> {
  t.enter('do_fsync');
  for (let index = 0; index < inode.pages.length; index++) {
    const page = findGetPage(inode, index);
    if (page === null) continue;
    if (page.flags & PG_dirty) {
      yield* lockPage(k, t, page);
      if (page.mapping === inode && page.flags & PG_dirty) k.paths.writepage(k, t, page);
      else unlockPage(k, t, page);
    }
    pageCacheRelease(k, t, page);
    yield;
  }
  t.leave();
  return 0;
}
