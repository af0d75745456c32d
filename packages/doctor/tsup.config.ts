import { defineConfig } from 'tsup';

export default defineConfig({
  // cli.ts is the `mcp-auth-doctor` executable (dist/cli.js); its shebang line is kept.
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
