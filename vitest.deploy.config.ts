import { defineConfig } from 'vitest/config';

// Deployment proof without a cluster: rendered manifests, schema validation, the image's runtime layout.
export default defineConfig({
  test: {
    include: ['test/deploy/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
