import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanPackageManagerEnv, npmInstall } from '../src/consumer-project.js';
import { readValueExports, workspaceSources } from '../src/index-exports.js';
import { listTarball, packPackage, readPackedManifest } from '../src/read-packed-manifest.js';
import { runCommand } from '../src/run-command.js';
import { copySampleApp, exerciseSampleApp, listSampleApps } from '../src/sample-apps.js';
import {
  DEPENDENCY_FIELDS,
  dependencyMap,
  listPublishedPackages,
  readManifest,
  repositoryRoot,
} from '../src/workspace-packages.js';

const root = repositoryRoot();
const packages = listPublishedPackages(root);
const names = packages.map((pkg) => pkg.manifest.name);
const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const samples = listSampleApps(root);
const sources = workspaceSources(packages);

/** The public API names the design promises, beyond whatever else each index exports. */
const PROMISED_EXPORTS: Record<string, string[]> = {
  '@org/mcp-auth-core': [
    'createMcpAuth',
    'createJwtVerifier',
    'createIntrospectionVerifier',
    'isMcpAuthError',
    'toResponse',
  ],
  '@org/mcp-auth-express': ['mcpAuth', 'mcpAuthMetadata', 'createMcpAuth', 'isMcpAuthError'],
  '@org/mcp-auth-fastify': ['default', 'mcpAuth', 'createMcpAuth', 'isMcpAuthError'],
  '@org/mcp-auth-hono': ['mcpAuth', 'mcpAuthMetadata', 'toResponse', 'createMcpAuth'],
  '@org/mcp-auth-node': [
    'createNodeHandler',
    'toAuthorizeRequest',
    'readJsonBody',
    'writeResponse',
    'onResponseHead',
  ],
  '@org/mcp-auth-testing': ['createTestIssuer', 'checkResourceServer'],
  '@org/mcp-auth-doctor': ['runDoctor', 'formatReport'],
  '@org/mcp-auth-redis': ['createRedisStore', 'RedisStoreError'],
};

/** Version pins the consumer installs, taken from the workspace so they never drift. */
function consumerDependencies(tarballs: ReadonlyMap<string, string>): Record<string, string> {
  const rootManifest = readManifest(join(root, 'package.json'));
  const devOf = (dir: string) =>
    dependencyMap(readManifest(join(root, dir, 'package.json')), 'devDependencies');
  const pins: Record<string, string | undefined> = {
    express: devOf('packages/express').express,
    '@types/express': devOf('packages/express')['@types/express'],
    fastify: devOf('packages/fastify').fastify,
    hono: devOf('packages/hono').hono,
    redis: devOf('packages/redis').redis,
    '@modelcontextprotocol/sdk': devOf('packages/express')['@modelcontextprotocol/sdk'],
    typescript: dependencyMap(rootManifest, 'devDependencies').typescript,
    '@types/node': dependencyMap(rootManifest, 'devDependencies')['@types/node'],
  };
  const dependencies: Record<string, string> = {};
  for (const [name, range] of Object.entries(pins)) {
    if (!range) throw new Error(`no workspace pin for ${name}`);
    dependencies[name] = range;
  }
  for (const [name, tarball] of tarballs) dependencies[name] = `file:${tarball}`;
  return dependencies;
}

let work: string;
let consumer: string;
const tarballs = new Map<string, string>();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcp-auth-consumer-'));
  for (const pkg of packages) {
    if (!existsSync(join(pkg.dir, 'dist'))) {
      throw new Error(`${pkg.manifest.name} has no dist/: build it first (pnpm test does)`);
    }
    const destination = join(work, 'tarballs', basename(pkg.dir));
    mkdirSync(destination, { recursive: true });
    tarballs.set(pkg.manifest.name, await packPackage(pkg.dir, destination));
  }
  consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, 'package.json'),
    `${JSON.stringify(
      {
        name: 'consumer',
        version: '1.0.0',
        private: true,
        dependencies: consumerDependencies(tarballs),
      },
      null,
      2,
    )}\n`,
  );
  // Which published packages each published package depends on at run time.
  const internalDependencies = new Map(
    packages.map((pkg) => [
      pkg.manifest.name,
      Object.keys(dependencyMap(pkg.manifest, 'dependencies')).filter((dep) => tarballs.has(dep)),
    ]),
  );
  for (const sample of samples) {
    const destination = join(work, 'samples', sample.name);
    await copySampleApp(root, sample, destination, tarballs, internalDependencies);
  }
  // The consumer project and every copied sample install at once; npm's cache is shared.
  await Promise.all([
    npmInstall(consumer),
    ...samples.map((sample) => npmInstall(join(work, 'samples', sample.name))),
  ]);
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('packed tarballs', () => {
  it('are created outside the workspace', () => {
    expect(relative(root, work).startsWith('..')).toBe(true);
    expect([...tarballs.keys()]).toEqual(names);
  });

  it.each(names)(
    '%s holds its built entry points and licence, and no workspace: ranges',
    async (name) => {
      const tarball = tarballs.get(name)!;
      const files = await listTarball(tarball);
      const manifest = await readPackedManifest(tarball);
      expect(files).toEqual(expect.arrayContaining(['package.json', 'LICENSE']));
      for (const entry of [
        'dist/index.js',
        'dist/index.cjs',
        'dist/index.d.ts',
        'dist/index.d.cts',
      ]) {
        expect(files).toContain(entry);
      }
      const subpathFiles: Record<string, string> = {
        '@org/mcp-auth-core': 'adapter',
        '@org/mcp-auth-express': 'sdk',
      };
      if (subpathFiles[name]) {
        for (const extension of ['js', 'cjs', 'd.ts', 'd.cts']) {
          expect(files).toContain(`dist/${subpathFiles[name]}.${extension}`);
        }
      }
      expect(files.filter((file) => /^(src|test)\//.test(file))).toEqual([]);
      for (const field of DEPENDENCY_FIELDS) {
        for (const [dep, range] of Object.entries(dependencyMap(manifest, field))) {
          expect(range, `${field}.${dep}`).not.toMatch(/^workspace:/);
        }
      }
    },
  );
});

describe('installed with npm in a project outside the workspace', () => {
  it.each(names)('%s loads with import and require, exposing the same exports', async (name) => {
    const pkg = packages.find((p) => p.manifest.name === name)!;
    const expected = readValueExports(join(pkg.dir, 'src/index.ts'), sources);
    expect(expected).toEqual(expect.arrayContaining(PROMISED_EXPORTS[name] ?? []));

    // require() and import() from one CommonJS process, import.meta.resolve from an ES module.
    const script = `
      const name = ${JSON.stringify(name)};
      const cjs = require(name);
      import(name).then((esm) => {
        console.log(JSON.stringify({
          cjs: Object.keys(cjs).sort(),
          esm: Object.keys(esm).sort(),
          cjsFile: require.resolve(name),
        }));
      });
    `;
    const esmScript = `console.log(JSON.stringify({ esmFile: import.meta.resolve(${JSON.stringify(name)}) }));`;
    const env = cleanPackageManagerEnv();
    const [{ stdout }, { stdout: esmOut }] = await Promise.all([
      runCommand('node', ['--input-type=commonjs', '-e', script], { cwd: consumer, env }),
      runCommand('node', ['--input-type=module', '-e', esmScript], { cwd: consumer, env }),
    ]);
    const loaded = JSON.parse(stdout) as { cjs: string[]; esm: string[]; cjsFile: string };
    const { esmFile } = JSON.parse(esmOut) as { esmFile: string };
    const installed = join(consumer, 'node_modules', name);
    expect(loaded.cjsFile).toBe(join(installed, 'dist/index.cjs'));
    expect(esmFile).toBe(`file://${join(installed, 'dist/index.js')}`);
    expect(loaded.esm).toEqual(expected);
    expect(loaded.cjs).toEqual(expected);
  });

  it('@org/mcp-auth-express/sdk loads with import and require, exposing toSdkTokenVerifier', async () => {
    const name = '@org/mcp-auth-express/sdk';
    const pkg = packages.find((p) => p.manifest.name === '@org/mcp-auth-express')!;
    expect(readValueExports(join(pkg.dir, 'src/sdk.ts'))).toEqual(['toSdkTokenVerifier']);
    const script = `
      const cjs = require(${JSON.stringify(name)});
      import(${JSON.stringify(name)}).then((esm) => {
        console.log(JSON.stringify({
          cjs: Object.keys(cjs).sort(),
          esm: Object.keys(esm).sort(),
          cjsFile: require.resolve(${JSON.stringify(name)}),
          kind: typeof cjs.toSdkTokenVerifier({ verifyAccessToken: async () => ({}) }).verifyAccessToken,
        }));
      });
    `;
    const { stdout } = await runCommand('node', ['--input-type=commonjs', '-e', script], {
      cwd: consumer,
      env: cleanPackageManagerEnv(),
    });
    const loaded = JSON.parse(stdout) as {
      cjs: string[];
      esm: string[];
      cjsFile: string;
      kind: string;
    };
    expect(loaded.cjs).toEqual(['toSdkTokenVerifier']);
    expect(loaded.esm).toEqual(['toSdkTokenVerifier']);
    expect(loaded.kind).toBe('function');
    expect(loaded.cjsFile).toBe(join(consumer, 'node_modules/@org/mcp-auth-express/dist/sdk.cjs'));
  });

  it('@org/mcp-auth-core/adapter loads with import and require, exposing what src/adapter.ts declares', async () => {
    const name = '@org/mcp-auth-core/adapter';
    const pkg = packages.find((p) => p.manifest.name === '@org/mcp-auth-core')!;
    const expected = readValueExports(join(pkg.dir, 'src/adapter.ts'), sources);
    expect(expected).toEqual(
      expect.arrayContaining([
        'decide',
        'isMcpAuth',
        'resolveAdapter',
        'readBodyText',
        'tokenHash',
      ]),
    );
    const script = `
      const cjs = require(${JSON.stringify(name)});
      import(${JSON.stringify(name)}).then((esm) => {
        console.log(JSON.stringify({
          cjs: Object.keys(cjs).sort(),
          esm: Object.keys(esm).sort(),
          cjsFile: require.resolve(${JSON.stringify(name)}),
        }));
      });
    `;
    const esmScript = `console.log(JSON.stringify({ esmFile: import.meta.resolve(${JSON.stringify(name)}) }));`;
    const env = cleanPackageManagerEnv();
    const [{ stdout }, { stdout: esmOut }] = await Promise.all([
      runCommand('node', ['--input-type=commonjs', '-e', script], { cwd: consumer, env }),
      runCommand('node', ['--input-type=module', '-e', esmScript], { cwd: consumer, env }),
    ]);
    const loaded = JSON.parse(stdout) as { cjs: string[]; esm: string[]; cjsFile: string };
    const installed = join(consumer, 'node_modules/@org/mcp-auth-core');
    expect(loaded.cjsFile).toBe(join(installed, 'dist/adapter.cjs'));
    expect((JSON.parse(esmOut) as { esmFile: string }).esmFile).toBe(
      `file://${join(installed, 'dist/adapter.js')}`,
    );
    expect(loaded.esm).toEqual(expected);
    expect(loaded.cjs).toEqual(expected);
  });

  it.each([
    ['node16', 'node20', ['use-public-api.mts', 'use-public-api.cts']],
    ['bundler', 'preserve', ['use-public-api.ts']],
  ] as const)(
    'type-checks a program using the public API under moduleResolution %s',
    async (moduleResolution, module, files) => {
      const dir = join(consumer, `ts-${moduleResolution}`);
      mkdirSync(dir, { recursive: true });
      for (const file of files) copyFileSync(join(fixtures, 'use-public-api.ts'), join(dir, file));
      const tsconfig = {
        compilerOptions: {
          target: 'ES2022',
          lib: moduleResolution === 'bundler' ? ['ES2022', 'DOM'] : ['ES2022'],
          module,
          moduleResolution,
          types: ['node'],
          strict: true,
          esModuleInterop: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files,
      };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
      const tsc = join(consumer, 'node_modules/typescript/bin/tsc');
      const { stdout } = await runCommand('node', [tsc, '-p', dir, '--pretty', 'false'], {
        cwd: dir,
        env: cleanPackageManagerEnv(),
      });
      expect(stdout).toBe('');
    },
  );

  it.each(['smoke.mjs', 'smoke.cjs'])(
    '%s: a testing-issuer token passes the core and every adapter; no token gets a 401',
    async (script) => {
      for (const file of ['smoke-scenario.cjs', script]) {
        copyFileSync(join(fixtures, file), join(consumer, file));
      }
      const { stdout } = await runCommand('node', [script], {
        cwd: consumer,
        env: cleanPackageManagerEnv(),
      });
      const results = JSON.parse(stdout) as Record<string, unknown>;
      expect(results.core).toEqual(['todo:read']);
      // @org/mcp-auth-core/adapter: decide answers a tokenless request synchronously.
      expect(results.decide).toEqual({ promise: false, status: 401 });
      expect(results.sharedClasses).toBe(true);
      for (const adapter of ['hono', 'fastify', 'express', 'node']) {
        const [allowed, denied] = results[adapter] as [number, string | null, string][];
        expect(allowed, adapter).toEqual([200, null, JSON.stringify(['todo:read'])]);
        expect(denied?.[0], adapter).toBe(401);
        expect(denied?.[1], adapter).toMatch(
          /^Bearer resource_metadata="http:\/\/127\.0\.0\.1:3000\/\.well-known\/oauth-protected-resource\/mcp"/,
        );
      }
    },
  );
});

// A sample counts once apps/sample-*/ has a src/ directory and a start script.
describe.skipIf(samples.length === 0)('sample apps copied out of the workspace', () => {
  it.each(samples.map((sample) => sample.name))(
    '%s installs from the tarballs, starts, and answers a tool call with a dev-server token',
    async (name) => {
      const dir = join(work, 'samples', name);
      const copied = readFileSync(join(dir, 'package.json'), 'utf8');
      expect(copied).not.toMatch(/workspace:/);
      // As the samples' READMEs say: the adapter's own dependency on the core (and, for the
      // Node adapters, on @org/mcp-auth-node) is pinned.
      const pinned = Object.keys(JSON.parse(copied).overrides).sort();
      expect(pinned).toEqual(
        name === 'sample-hono'
          ? ['@org/mcp-auth-core']
          : ['@org/mcp-auth-core', '@org/mcp-auth-node'],
      );
      const run = await exerciseSampleApp(dir, cleanPackageManagerEnv());
      expect(run.metadata.resource).toBe(run.resource);
      expect(run.metadata.authorization_servers).toEqual([run.issuer]);
      expect(run.anonymous.status).toBe(401);
      expect(run.anonymous.challenge).toContain(`resource_metadata="${run.metadataUrl}"`);
      expect(run.whoami.isError).not.toBe(true);
      expect(JSON.stringify(run.whoami.content)).toContain('alice');
      expect(run.listTodos.isError).not.toBe(true);
    },
    150_000,
  );
});
