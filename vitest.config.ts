import { defineConfig } from 'vitest/config';

// Unit tests live beside the code as *.test.ts.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
