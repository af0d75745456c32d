import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dependencyMap, listPublishedPackages, repositoryRoot } from '../src/workspace-packages.js';

const root = repositoryRoot();
const packages = listPublishedPackages(root);
const rootLicense = readFileSync(join(root, 'LICENSE'), 'utf8');

/** Framework peers and the ranges the adapters are tested against (see TOOLCHAIN.md). */
const FRAMEWORK_PEERS: Record<string, Record<string, string>> = {
  // Express ships no types; TypeScript users bring @types/express, JavaScript users need not.
  '@org/mcp-auth-express': { express: '^4.21.0 || ^5.0.0', '@types/express': '^4.17.21 || ^5.0.0' },
  '@org/mcp-auth-fastify': { fastify: '^5.0.0' },
  '@org/mcp-auth-hono': { hono: '^4.0.0' },
};

describe('published packages', () => {
  it('are exactly the core, the three adapters and the testing package', () => {
    expect(packages.map((pkg) => pkg.manifest.name)).toEqual([
      '@org/mcp-auth-core',
      '@org/mcp-auth-express',
      '@org/mcp-auth-fastify',
      '@org/mcp-auth-hono',
      '@org/mcp-auth-testing',
    ]);
  });

  describe.each(packages.map((pkg) => [pkg.manifest.name, pkg] as const))('%s', (_name, pkg) => {
    const manifest = pkg.manifest;

    it('exports ESM and CJS, each with its own types listed first, and its package.json', () => {
      expect(manifest.type).toBe('module');
      expect(manifest.exports).toEqual({
        '.': {
          import: { types: './dist/index.d.ts', default: './dist/index.js' },
          require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
        },
        './package.json': './package.json',
      });
      const conditions = (manifest.exports as Record<string, Record<string, object>>)['.']!;
      expect(Object.keys(conditions.import!)[0]).toBe('types');
      expect(Object.keys(conditions.require!)[0]).toBe('types');
      expect(manifest.main).toBe('./dist/index.cjs');
      expect(manifest.module).toBe('./dist/index.js');
      expect(manifest.types).toBe('./dist/index.d.cts');
    });

    it('publishes only dist (plus the licence npm always adds), publicly and side-effect free', () => {
      expect(manifest.files).toEqual(['dist']);
      expect(manifest.sideEffects).toBe(false);
      expect(manifest.publishConfig).toEqual({ access: 'public' });
      expect(manifest.license).toBe('MIT');
      expect(readFileSync(join(pkg.dir, 'LICENSE'), 'utf8')).toBe(rootLicense);
    });

    it('declares Node 20.19+, its repository directory, a description and keywords', () => {
      // jose 6 is ESM-only: the CJS entry points load it through require(esm), unflagged from 20.19.
      expect(manifest.engines).toEqual({ node: '>=20.19' });
      expect(manifest.repository).toEqual({
        type: 'git',
        url: 'git+https://github.com/org/mcp-auth.git',
        directory: pkg.relativeDir,
      });
      expect(String(manifest.description).length).toBeGreaterThan(40);
      expect(manifest.keywords).toEqual(expect.arrayContaining(['mcp', 'oauth']));
    });

    it('takes frameworks as peers, the core as a workspace:^ dependency, and nothing private', () => {
      const dependencies = dependencyMap(manifest, 'dependencies');
      const peers = dependencyMap(manifest, 'peerDependencies');
      const frameworks = FRAMEWORK_PEERS[manifest.name] ?? {};
      expect(peers).toEqual(expect.objectContaining(frameworks));
      for (const framework of Object.keys(frameworks)) {
        expect(dependencies[framework]).toBeUndefined();
      }
      const optionalPeers = Object.entries(
        (manifest.peerDependenciesMeta as Record<string, { optional?: boolean }> | undefined) ?? {},
      )
        .filter(([, meta]) => meta.optional)
        .map(([name]) => name);
      expect(optionalPeers).toEqual(Object.keys(frameworks).filter((n) => n.startsWith('@types/')));
      if (manifest.name !== '@org/mcp-auth-core' && manifest.name !== '@org/mcp-auth-testing') {
        expect(dependencies['@org/mcp-auth-core']).toBe('workspace:^');
      }
      const published = new Set(packages.map((p) => p.manifest.name));
      for (const [name, range] of Object.entries(dependencies)) {
        if (range.startsWith('workspace:')) expect(published.has(name)).toBe(true);
      }
    });
  });
});
