import { overwriteVsReadTasks } from './overwrite-vs-read.js';
import type { Scenario } from './scenario.js';

/**
 * overwrite-vs-read-same-mm: overwrite-vs-read's witness. The loader is a
 * thread of the writer's process and a third thread munmaps, so a writer
 * that faults on its buffer under the page lock meets the loader's fault on
 * that page through one mmap_sem with a writer queued on it.
 */
export const overwriteVsReadSameMm: Scenario = {
  id: 'overwrite-vs-read-same-mm',
  description: "overwrite-vs-read with the loader in the writer's process and a thread in munmap: the witness of its lock-order warning",
  stepsEstimate: 20,
  setup(k) {
    overwriteVsReadTasks(k, true);
  },
};
