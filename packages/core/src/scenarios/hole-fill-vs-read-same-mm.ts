import { holeFillVsReadTasks } from './hole-fill-vs-read.js';
import type { Scenario } from './scenario.js';

/**
 * hole-fill-vs-read-same-mm: hole-fill-vs-read's witness. The loader is a
 * thread of the writer's process and a third thread munmaps, so the class
 * cycle mmap_sem -> page lock (or PG_writing) -> mmap_sem that
 * hole-fill-vs-read only warns of has instances that meet: the writer faults
 * under the page lock and queues behind the munmap writer, which waits for
 * the loader's read hold, and the loader waits for the page.
 */
export const holeFillVsReadSameMm: Scenario = {
  id: 'hole-fill-vs-read-same-mm',
  description: "hole-fill-vs-read with the loader in the writer's process and a thread in munmap: the witness of its lock-order warning",
  stepsEstimate: 20,
  setup(k) {
    holeFillVsReadTasks(k, true);
  },
};
