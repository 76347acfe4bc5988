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
    reproducer: 'pcfarm1:KwZjb3JlLTIHdjIuNi4yMA9zZWxmLW1tYXAtd3JpdGUACgAAAAAAAAAAAQKX4BWi',
    signature:
      'deadlock in v2.6.20: self; lock_page page_lock in filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user <- filemap_copy_from_user <- generic_file_buffered_write, held from __grab_cache_page <- generic_file_buffered_write',
    steps: 21,
    scheduleHash: '53d63115',
  },
  {
    reproducer: 'pcfarm1:NAZjb3JlLTIHdjIuNi4yMBBjcm9zcy1tbWFwLXdyaXRlABIAAAMIAQAAAQAAAAABAgAAAQJ6q9ju',
    signature:
      'deadlock in v2.6.20: cycle of 2; lock_page page_lock in filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user <- filemap_copy_from_user <- generic_file_buffered_write, held from __grab_cache_page <- generic_file_buffered_write; lock_page page_lock in filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user <- filemap_copy_from_user <- generic_file_buffered_write, held from __grab_cache_page <- generic_file_buffered_write',
    steps: 29,
    scheduleHash: 'd5f01f36',
  },
  {
    reproducer: 'pcfarm1:LgZjb3JlLTIHdjIuNi4yMBJtbWFwLXNlbS1pbnZlcnNpb24ACgABAAEBAgAAAQGyHc-e',
    signature:
      'deadlock in v2.6.20: cycle of 3; down_read mmap_sem in do_page_fault <- copy_from_user <- filemap_copy_from_user <- generic_file_buffered_write <- sys_write; down_write mmap_sem in do_munmap, held from do_page_fault <- user load; lock_page page_lock in filemap_nopage <- handle_mm_fault <- do_page_fault <- user load, held from __grab_cache_page <- generic_file_buffered_write',
    steps: 24,
    scheduleHash: '6e42d1b0',
  },
  {
    reproducer: 'pcfarm1:LQZjb3JlLTIJZXhjbC1mbGFnD3NlbGYtbW1hcC13cml0ZQAKAAAAAAAAAAABAsWRujw',
    signature:
      'deadlock in excl-flag: self; wait_on_bit PG_writing in filemap_nopage <- handle_mm_fault <- do_page_fault <- copy_from_user <- generic_file_buffered_write <- sys_write, held from generic_file_buffered_write <- sys_write',
    steps: 20,
    scheduleHash: 'cd28beae',
  },
  {
    reproducer: 'pcfarm1:MQZjb3JlLTIJdGVtcC1wYWdlEWhvbGUtZmlsbC12cy1yZWFkAAwAAAABAwEBAAAAAQGv4q6p',
    signature:
      'stale-data in temp-page: read in file_read_actor <- do_generic_file_read <- sys_read; STALE',
    steps: 9,
    scheduleHash: 'feb5f205',
  },
  {
    reproducer: 'pcfarm1:MQZjb3JlLTIKemVyby1yZXRyeRFvdmVyd3JpdGUtdnMtcmVhZAALAQAABAAAAAAAAQFE5Qgf',
    signature:
      'transient-zero in zero-retry: load in user load; ZERO',
    steps: 9,
    scheduleHash: 'b0eb7016',
  },
  {
    reproducer: 'pcfarm1:JgZjb3JlLTIHdjIuNi4yMBRwYXJ0bHktaW52YWxpZC1pb3ZlYwAAKOelnw',
    signature:
      'bad-return in v2.6.20: file changed past the returned count',
    steps: 10,
    scheduleHash: 'eff0b6b3',
  },
  {
    reproducer: 'pcfarm1:PgZjb3JlLTIXemVyby1yZXRyeS1ub3QtdXB0b2RhdGUJZ2VuZXJhdGVkABMAAAIAAAAAAAAAAAAAAAAAAAEBxsp0yw',
    signature:
      'final-state in zero-retry-not-uptodate: stale on disk after sync',
    steps: 23,
    scheduleHash: '0b8210d7',
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
