import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file starts an issuer and three servers; one file at a time keeps a 2-core machine
    // responsive and the JWKS fetch counts of one file undisturbed by another.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
