import { defineConfig } from 'vitest/config';

// The same core tests, run in a Web-standard runtime (@edge-runtime/vm): no Node globals,
// proving the core is runtime-neutral.
export default defineConfig({
  test: {
    environment: 'edge-runtime',
    include: ['test/**/*.test.ts'],
  },
});
