import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Generous: RSA key generation and signing slow down when CI runs packages side by side.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    include: ['test/**/*.test.ts'],
  },
});
