import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file starts an issuer and three servers; one file at a time keeps a 2-core machine
    // responsive and the JWKS fetch counts of one file undisturbed by another.
    fileParallelism: false,
    // The files share one module graph (Express, Fastify, Hono and the SDK load once instead of
    // once per file: about half the run time). Every file closes what it starts in afterAll.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
