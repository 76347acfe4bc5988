import { describe, expect, it } from 'vitest';
import { decodeReproducer, Model, MODEL_VERSION, signatureOf } from '../src/index.js';

/**
 * Minimized reproducers of this model version, one per kind of bucket, with
 * what they replayed to when they were made. If one of these tests fails, the
 * model now runs a choice list differently: bump MODEL_VERSION (so old
 * reproducers say so instead of silently replaying another run) and pin new
 * ones from `pcfarm minimize`.
 */
const PINNED = [
  {
    reproducer: 'pcfarm1:KwZjb3JlLTMHdjIuNi4yMA9zZWxmLW1tYXAtd3JpdGUACgAAAAAAAAAAAQKI9-Ui',
    signature:
      'deadlock in v2.6.20: self; lock_page page_lock in filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user <- filemap_copy_from_user <- generic_file_buffered_write, held from __grab_cache_page <- generic_file_buffered_write',
    steps: 9,
    scheduleHash: '24054615',
  },
  {
    reproducer: 'pcfarm1:NAZjb3JlLTMHdjIuNi4yMBBjcm9zcy1tbWFwLXdyaXRlABIAAAMIAQAAAQAAAAABAgAAAQLpMBGR',
    signature:
      'deadlock in v2.6.20: cycle of 2; lock_page page_lock in filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user <- filemap_copy_from_user <- generic_file_buffered_write, held from __grab_cache_page <- generic_file_buffered_write; lock_page page_lock in filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user <- filemap_copy_from_user <- generic_file_buffered_write, held from __grab_cache_page <- generic_file_buffered_write',
    steps: 19,
    scheduleHash: 'cb0efbb0',
  },
  {
    reproducer: 'pcfarm1:LgZjb3JlLTMHdjIuNi4yMBJtbWFwLXNlbS1pbnZlcnNpb24ACgABAAEBAgAAAQH1j4sx',
    signature:
      'deadlock in v2.6.20: cycle of 3; down_read mmap_sem in do_page_fault <- copy_from_user <- filemap_copy_from_user <- generic_file_buffered_write <- sys_write; down_write mmap_sem in do_munmap, held from do_page_fault <- user load; lock_page page_lock in filemap_nopage <- handle_mm_fault <- do_page_fault <- user load, held from __grab_cache_page <- generic_file_buffered_write',
    steps: 12,
    scheduleHash: '7a916360',
  },
  {
    reproducer: 'pcfarm1:MAZjb3JlLTMHdjIuNi4yMBJtbWFwLXNlbS1pbnZlcnNpb24ADAEAAAEEAQAAAAABAbij260',
    signature:
      'lock-order in v2.6.20: cycle page_lock -> mmap_sem -> page_lock; instances meet',
    steps: 15,
    scheduleHash: '7762b25d',
  },
  {
    reproducer: 'pcfarm1:PgZjb3JlLTMHdjIuNi4yMA1tbWFwLXJ3LWZhdWx0AB8AAAAAAAAAAAABAQAAAAEBAAAAAAAAAAABAwAAAAED4xfUBQ',
    signature:
      'deadlock in v2.6.20: self; lock_page page_lock in filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user <- filemap_copy_from_user <- generic_file_buffered_write, held from __grab_cache_page <- generic_file_buffered_write',
    steps: 27,
    scheduleHash: '5a1642ba',
  },
  {
    reproducer: 'pcfarm1:LQZjb3JlLTMJZXhjbC1mbGFnD3NlbGYtbW1hcC13cml0ZQAKAAAAAAAAAAABAmyaM3I',
    signature:
      'deadlock in excl-flag: self; wait_on_bit PG_writing in filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user <- generic_file_buffered_write <- sys_write, held from generic_file_buffered_write <- sys_write',
    steps: 8,
    scheduleHash: '439b02b6',
  },
  {
    reproducer: 'pcfarm1:MQZjb3JlLTMJdGVtcC1wYWdlEWhvbGUtZmlsbC12cy1yZWFkAAwAAAABAwEBAAAAAQFUFL3u',
    signature:
      'stale-data in temp-page: read in file_read_actor <- do_generic_file_read <- sys_read; STALE',
    steps: 9,
    scheduleHash: 'feb5f205',
  },
  {
    reproducer: 'pcfarm1:MQZjb3JlLTMKemVyby1yZXRyeRFvdmVyd3JpdGUtdnMtcmVhZAALAQAABAAAAAAAAQG_ExtY',
    signature:
      'transient-zero in zero-retry: load in user load; ZERO',
    steps: 9,
    scheduleHash: 'b0eb7016',
  },
  {
    reproducer: 'pcfarm1:JgZjb3JlLTMHdjIuNi4yMBRwYXJ0bHktaW52YWxpZC1pb3ZlYwAAguJ_bg',
    signature:
      'bad-data in v2.6.20: file changed past the returned count; ZERO',
    steps: 10,
    scheduleHash: 'eff0b6b3',
  },
  {
    reproducer: 'pcfarm1:bgZjb3JlLTMXemVyby1yZXRyeS1ub3QtdXB0b2RhdGUOcmV0cnktbGl2ZWxvY2sAPgEAAAEAAAAAAAAAAAAAAAEBAAEBAAABAQAAAQEAAQEBAQABAQAAAAEBAAAAAQIAAAECAAABAAAAAAABAQEBX3kNLA',
    signature:
      'final-state in zero-retry-not-uptodate: zero on disk after sync',
    steps: 45,
    scheduleHash: 'cceafeaa',
  },
  {
    reproducer: 'pcfarm1:TAZjb3JlLTMPd3JpdGUtYmVnaW4tZW5kCWdlbmVyYXRlZAIABnJhbmRvbQcEHwAAAgEAAAACAgAAAgAAAQABAQEBAAABAAABAQEBAAEHthO2',
    signature:
      'stale-data in write-begin-end: returned count did not land; STALE',
    steps: 27,
    scheduleHash: 'be8c127c',
  },
  {
    reproducer: 'pcfarm1:JgZjb3JlLTMHZ3VwLXBpbglnZW5lcmF0ZWQACwAAAAABAAABAAACDh8bLg',
    signature:
      'kernel-bug in gup-pin: get_user_pages with no mm in generic_file_buffered_write <- sys_write',
    steps: 4,
    scheduleHash: '2f322aee',
  },
];

describe(`reproducers made by model ${MODEL_VERSION} still replay as they did`, () => {
  for (const pin of PINNED) {
    it(`${pin.signature.slice(0, 60)}…: same signature, steps and schedule`, () => {
      const r = decodeReproducer(pin.reproducer);
      const o = new Model(r.config).run({ choices: r.choices });
      expect(signatureOf(o)?.title).toBe(pin.signature);
      expect(o.steps).toBe(pin.steps);
      expect(o.scheduleHash).toBe(pin.scheduleHash);
    });
  }
});
