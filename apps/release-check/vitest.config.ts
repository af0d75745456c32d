import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Packing, npm installs and `changeset version` on a scratch copy are slow on a busy
    // machine; each hook and test sets its own bound below these.
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
