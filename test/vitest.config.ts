import { tmpdir } from 'node:os';
import { defineConfig } from 'vitest/config';

// Cross-process tests: real `weir local` clusters, real processes, SIGKILL.
// They run one file at a time: the machine has two cores and each file
// starts its own cluster.
export default defineConfig({
  test: {
    include: ['test/**/*.e2e.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    // Tests keep savepoints in temporary directories: coordinators they start may write there.
    env: { WEIR_SAVEPOINT_ROOTS: tmpdir() },
  },
});
