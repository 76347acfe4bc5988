/*
 * Spin's anchor for pcfarm verify (issue 13): cross-mmap-write as a
 * one-cell model. Two writers, each write()s one page of a file from a
 * shared mmap of the other page, neither page cached (not uptodate), so
 * each copy faults on the other's page. Pages are a lock bit and an
 * uptodate bit; a fault locks its page and reads it in (filemap_nopage ->
 * readpage). STRATEGY 0 is 2.6.20's generic_file_buffered_write (copy with
 * the destination locked: an ABBA deadlock, which Spin reports as an
 * invalid end state); 1 is Nick Piggin's two-copy (copy into a temporary
 * page before prepare_write, the destination unlocked).
 *
 * With -DSELF, self-mmap-write instead: one writer, from an mmap of the
 * very page it writes.
 *
 *   spin -a -DSTRATEGY=1 cross-mmap-write.pml && gcc -O2 -o pan pan.c && ./pan
 */
#ifndef STRATEGY
#define STRATEGY 0
#endif

bit locked[2];
bit uptodate[2];
byte data[2];

inline lock_page(p) { atomic { locked[p] == 0 -> locked[p] = 1 } }
inline unlock_page(p) { locked[p] = 0 }

/* filemap_nopage: a page not uptodate is locked and read in; an uptodate one is mapped as it is. */
inline fault(p) {
  if
  :: uptodate[p] -> skip
  :: else ->
     lock_page(p);
     if
     :: !uptodate[p] -> uptodate[p] = 1   /* readpage, unlocked by its I/O completion */
     :: else -> skip
     fi;
     unlock_page(p)
  fi
}

proctype writer(byte dst; byte src) {
#if STRATEGY == 0
  lock_page(dst);          /* __grab_cache_page */
  fault(src);              /* filemap_copy_from_user faults with dst locked */
  data[dst] = data[src] + 1;
  uptodate[dst] = 1;
  unlock_page(dst)
#else
  byte tmp;
  lock_page(dst);
  if
  :: !uptodate[dst] ->
     unlock_page(dst);     /* two-copy: copy to a temporary page, unlocked */
     fault(src);
     tmp = data[src] + 1;
     lock_page(dst);       /* relock, recheck mapping and uptodate, prepare_write */
     data[dst] = tmp
  :: else ->
     fault(src);
     data[dst] = data[src] + 1
  fi;
  uptodate[dst] = 1;
  unlock_page(dst)
#endif
}

init {
#ifdef SELF
  run writer(0, 0)
#else
  atomic { run writer(0, 1); run writer(1, 0) }
#endif
}
