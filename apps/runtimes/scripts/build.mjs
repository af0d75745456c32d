// Bundles one entry per runtime into dist/ with esbuild: everything (hono, the adapter, the core,
// jose) inside one ES module, as a user would deploy it.
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const dist = new URL('dist/', root).pathname;
await rm(dist, { recursive: true, force: true });

/** [entry, platform, export conditions] */
const targets = [
  ['node', 'node', []],
  ['bun', 'neutral', ['bun']],
  ['deno', 'neutral', ['deno']],
  ['workerd', 'neutral', ['workerd', 'worker', 'browser']],
];

await Promise.all(
  targets.map(([name, platform, conditions]) =>
    build({
      entryPoints: [new URL(`src/entry-${name}.ts`, root).pathname],
      outfile: `${dist}entry-${name}.js`,
      bundle: true,
      format: 'esm',
      platform,
      target: 'es2022',
      mainFields: ['module', 'main'],
      conditions,
      minify: true,
      legalComments: 'none',
      logLevel: 'warning',
    }),
  ),
);
console.log(`bundled ${targets.map(([name]) => `entry-${name}.js`).join(', ')} into dist/`);
