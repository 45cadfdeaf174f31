import { defineConfig } from 'vitest/config';

// Interop: clients in Go, Python and Java, built from stubs generated from proto/, against a live server.
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 60_000,
    // Building a client (Go modules, Maven dependencies) on a fresh machine takes minutes.
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
