import { defineConfig } from 'vitest/config';

// End-to-end: real grpcurl (and later, clients in other languages) against a live server.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
