import { defineConfig } from 'vitest/config';

// The same core tests, run in a Web-standard runtime (@edge-runtime/vm): no Node globals,
// proving the core is runtime-neutral.
export default defineConfig({
  test: {
    // Generous: RSA key generation and signing slow down when CI runs packages side by side.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    environment: 'edge-runtime',
    include: ['test/**/*.test.ts'],
    // Node-only: compares the Node signature path with jose's (there is no node:crypto here).
    exclude: ['test/**/*.node.test.ts', '**/node_modules/**'],
  },
});
