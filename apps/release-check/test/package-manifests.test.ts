import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dependencyMap, listPublishedPackages, repositoryRoot } from '../src/workspace-packages.js';

const root = repositoryRoot();
const packages = listPublishedPackages(root);
const rootLicense = readFileSync(join(root, 'LICENSE'), 'utf8');

/** Framework peers and the ranges the adapters are tested against. */
const FRAMEWORK_PEERS: Record<string, Record<string, string>> = {
  // Express ships no types; TypeScript users bring @types/express, JavaScript users need not.
  // The MCP SDK is needed only by the `./sdk` entry (`toSdkTokenVerifier`).
  '@org/mcp-auth-express': {
    express: '^4.21.0 || ^5.0.0',
    '@types/express': '^4.17.21 || ^5.0.0',
    '@modelcontextprotocol/sdk': '^1.17.0',
  },
  '@org/mcp-auth-fastify': { fastify: '^5.0.0' },
  '@org/mcp-auth-hono': { hono: '^4.0.0' },
  // node-redis is the user's: one client (and one version) for the app and the store.
  '@org/mcp-auth-redis': { redis: '^5.8.0' },
};

/** Peers a user may leave out: type packages, and the SDK behind Express's `./sdk` entry. */
const OPTIONAL_PEERS: Record<string, string[]> = {
  '@org/mcp-auth-express': ['@modelcontextprotocol/sdk', '@types/express'],
};

/** Published packages that do not depend on the core. */
const CORE_FREE = new Set(['@org/mcp-auth-core', '@org/mcp-auth-testing', '@org/mcp-auth-doctor']);

/** Published packages the Node adapters build on, besides the core. */
const NODE_ADAPTERS = new Set(['@org/mcp-auth-express', '@org/mcp-auth-fastify']);

/** An ESM + CJS entry point of `dist/<file>`, each condition with its own types first. */
function entry(file: string) {
  return {
    import: { types: `./dist/${file}.d.ts`, default: `./dist/${file}.js` },
    require: { types: `./dist/${file}.d.cts`, default: `./dist/${file}.cjs` },
  };
}

/**
 * Subpath entries beyond `.`: the core's `./adapter` (the toolkit for adapter authors) and
 * Express's `./sdk` (the MCP SDK glue, kept off the main entry).
 */
const SUBPATHS: Record<string, Record<string, string>> = {
  '@org/mcp-auth-core': { './adapter': 'adapter' },
  '@org/mcp-auth-express': { './sdk': 'sdk' },
};

describe('published packages', () => {
  it('are exactly the core, the three adapters, the Node plumbing, the Redis store, the testing package and the doctor', () => {
    expect(packages.map((pkg) => pkg.manifest.name)).toEqual([
      '@org/mcp-auth-core',
      '@org/mcp-auth-doctor',
      '@org/mcp-auth-express',
      '@org/mcp-auth-fastify',
      '@org/mcp-auth-hono',
      '@org/mcp-auth-node',
      '@org/mcp-auth-redis',
      '@org/mcp-auth-testing',
    ]);
  });

  describe.each(packages.map((pkg) => [pkg.manifest.name, pkg] as const))('%s', (_name, pkg) => {
    const manifest = pkg.manifest;

    it('exports ESM and CJS, each with its own types listed first, and its package.json', () => {
      expect(manifest.type).toBe('module');
      const subpaths = SUBPATHS[manifest.name] ?? {};
      const expected: Record<string, unknown> = { '.': entry('index') };
      for (const [subpath, file] of Object.entries(subpaths)) expected[subpath] = entry(file);
      expected['./package.json'] = './package.json';
      expect(manifest.exports).toEqual(expected);
      for (const subpath of ['.', ...Object.keys(subpaths)]) {
        const conditions = (manifest.exports as Record<string, Record<string, object>>)[subpath]!;
        expect(Object.keys(conditions.import!)[0]).toBe('types');
        expect(Object.keys(conditions.require!)[0]).toBe('types');
      }
      // typesVersions: the subpath types for TypeScript's legacy `node10` resolution, and nothing else.
      const typesVersions = Object.fromEntries(
        Object.entries(subpaths).map(([subpath, file]) => [
          subpath.slice(2),
          [`./dist/${file}.d.cts`],
        ]),
      );
      expect(manifest.typesVersions).toEqual(
        Object.keys(typesVersions).length > 0 ? { '*': typesVersions } : undefined,
      );
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
      expect(optionalPeers.sort()).toEqual(OPTIONAL_PEERS[manifest.name] ?? []);
      expect(Object.keys(peers).sort()).toEqual(Object.keys(frameworks).sort());
      // The testing package needs only jose; the doctor builds on the testing package.
      if (!CORE_FREE.has(manifest.name)) {
        expect(dependencies['@org/mcp-auth-core']).toBe('workspace:^');
      }
      expect(dependencies['@org/mcp-auth-node']).toBe(
        NODE_ADAPTERS.has(manifest.name) ? 'workspace:^' : undefined,
      );
      const published = new Set(packages.map((p) => p.manifest.name));
      for (const [name, range] of Object.entries(dependencies)) {
        if (range.startsWith('workspace:')) expect(published.has(name)).toBe(true);
      }
    });
  });
});
