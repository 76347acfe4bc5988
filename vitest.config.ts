import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    // One test file per core: the suite is CPU-bound (Vitest's default leaves a core idle).
    maxWorkers: availableParallelism(),
    // A worker runs its files one after another in one process, not each in a
    // fresh one: a fresh process re-imports Vitest and the packages for every
    // file (about 1.3 s of CPU each, some 60 s of the suite's wall time on 2
    // cores). No test changes the process's environment, directory, timers or
    // globals, and none mocks a module, so nothing one file does reaches the next.
    isolate: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
