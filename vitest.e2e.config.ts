import { defineConfig } from 'vitest/config';

// End-to-end: real grpcurl against a live server, and buf breaking against the committed contract.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
