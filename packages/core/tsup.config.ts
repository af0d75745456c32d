import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/adapter.ts'],
  format: ['esm', 'cjs'],
  // One copy of the shared code in CommonJS too: `require('@org/mcp-auth-core')` and
  // `require('@org/mcp-auth-core/adapter')` must share classes (`instanceof McpAuthConfigError`
  // holds for an error `resolveAdapter` throws) and the session and token caches' modules.
  splitting: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
