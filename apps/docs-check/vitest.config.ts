import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One TypeScript program over every README block: a few seconds, more on a busy machine.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
