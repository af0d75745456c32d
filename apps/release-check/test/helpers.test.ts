import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bumpVersion, maxBump, planReleases, readChangesets } from '../src/changeset-files.js';
import { replaceWorkspaceRanges } from '../src/consumer-project.js';
import { readValueExports, workspaceSources } from '../src/index-exports.js';
import { extractQuickStart, replaceEachOnce } from '../src/readme-quick-start.js';
import { listPublishedPackages, repositoryRoot } from '../src/workspace-packages.js';

const scratch = mkdtempSync(join(tmpdir(), 'release-check-helpers-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('readValueExports', () => {
  it('lists value exports, aliases and default, and leaves type-only exports out', () => {
    const file = join(scratch, 'index.ts');
    writeFileSync(
      file,
      [
        "export type { A, B } from './a.js';",
        "export { type C, d, e as f } from './c.js';",
        "export { g as default } from './g.js';",
        '// export { commented } from "./x.js";',
        'export const h = 1;',
        'export async function i() {}',
      ].join('\n'),
    );
    expect(readValueExports(file)).toEqual(['d', 'default', 'f', 'h', 'i']);
  });

  it('follows export * into relative modules and packages, without their default', () => {
    writeFileSync(join(scratch, 'core.ts'), 'export const createThing = 1;\nexport default 2;\n');
    writeFileSync(join(scratch, 'local.ts'), 'export function helper() {}\n');
    const file = join(scratch, 'star.ts');
    writeFileSync(
      file,
      [
        "export * from '@org/core';",
        "export * from './local.js';",
        "export * as tools from './local.js';",
        "export type * from './types.js';",
        "export { adapter } from './adapter.js';",
      ].join('\n'),
    );
    const resolve = (specifier: string) =>
      specifier === '@org/core' ? join(scratch, 'core.ts') : undefined;
    expect(readValueExports(file, resolve)).toEqual(['adapter', 'createThing', 'helper', 'tools']);
  });

  it('refuses an export * it cannot follow', () => {
    const file = join(scratch, 'unknown-star.ts');
    writeFileSync(file, "export * from 'somewhere-else';\n");
    expect(() => readValueExports(file)).toThrow(/cannot follow "export \* from 'somewhere-else'"/);
  });

  it('resolves the workspace packages and their subpaths to their sources', () => {
    const resolve = workspaceSources(listPublishedPackages(repositoryRoot()));
    expect(resolve('@org/mcp-auth-core')).toMatch(/packages\/core\/src\/index\.ts$/);
    expect(resolve('@org/mcp-auth-core/adapter')).toMatch(/packages\/core\/src\/adapter\.ts$/);
    expect(resolve('@org/mcp-auth-express/sdk')).toMatch(/packages\/express\/src\/sdk\.ts$/);
    expect(resolve('express')).toBeUndefined();
  });
});

describe('changeset helpers', () => {
  it('reads the releases and summary of each changeset', () => {
    const dir = join(scratch, '.changeset');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(join(dir, 'README.md'), '# not a changeset\n');
    writeFileSync(join(dir, 'one.md'), '---\n"@org/a": minor\n\'@org/b\': patch\n---\n\nText.\n');
    expect(readChangesets(dir)).toEqual([
      { id: 'one', releases: { '@org/a': 'minor', '@org/b': 'patch' }, summary: 'Text.' },
    ]);
    writeFileSync(join(dir, 'bad.md'), '---\n"@org/a": huge\n---\n\nText.\n');
    expect(() => readChangesets(dir)).toThrow(/bad\.md: cannot read release line/);
  });

  it('bumps versions the way changesets does outside pre-release mode', () => {
    expect(bumpVersion('0.0.0', 'minor')).toBe('0.1.0');
    expect(bumpVersion('0.1.3', 'patch')).toBe('0.1.4');
    expect(bumpVersion('0.3.1', 'major')).toBe('1.0.0');
    expect(() => bumpVersion('1.0.0-beta.1', 'patch')).toThrow(TypeError);
    expect(maxBump('patch', 'minor')).toBe('minor');
    expect(maxBump(undefined, 'patch')).toBe('patch');
  });

  it('plans the largest bump per package and patch bumps for dependents', () => {
    const plan = planReleases(
      [
        { name: 'core', version: '0.1.0', internalDependencies: [] },
        { name: 'adapter', version: '0.1.0', internalDependencies: ['core'] },
        { name: 'other', version: '0.1.0', internalDependencies: [] },
      ],
      [
        { id: 'a', releases: { core: 'patch' }, summary: '' },
        { id: 'b', releases: { core: 'minor' }, summary: '' },
      ],
    );
    expect(Object.fromEntries(plan)).toEqual({ core: '0.2.0', adapter: '0.1.1', other: '0.1.0' });
  });
});

describe('replaceWorkspaceRanges', () => {
  const tarballs = new Map([
    ['@org/core', '/t/core.tgz'],
    ['@org/adapter', '/t/adapter.tgz'],
    ['@org/testing', '/t/testing.tgz'],
  ]);
  const graph = new Map([['@org/adapter', ['@org/core']]]);

  it('points workspace ranges at tarballs and pins only transitive published packages', () => {
    const manifest = replaceWorkspaceRanges(
      {
        name: 'sample',
        version: '0.0.0',
        dependencies: { '@org/adapter': 'workspace:^', express: '5.3.0' },
        devDependencies: { '@org/testing': 'workspace:^' },
      },
      tarballs,
      graph,
    );
    expect(manifest.dependencies).toEqual({
      '@org/adapter': 'file:/t/adapter.tgz',
      express: '5.3.0',
    });
    expect(manifest.devDependencies).toEqual({ '@org/testing': 'file:/t/testing.tgz' });
    expect(manifest.overrides).toEqual({ '@org/core': 'file:/t/core.tgz' });
  });

  it('throws for a workspace dependency that has no tarball', () => {
    expect(() =>
      replaceWorkspaceRanges(
        { name: 'sample', version: '0.0.0', dependencies: { '@org/nope': 'workspace:*' } },
        tarballs,
        graph,
      ),
    ).toThrow('sample: no tarball for workspace dependency @org/nope');
  });
});

describe('extractQuickStart', () => {
  const readme = [
    '# title',
    '<!-- quick-start: express -->',
    '<!-- prelude:',
    'declare function buildServer(): unknown;',
    '-->',
    '```ts',
    'const app = express();',
    '```',
    '<!-- quick-start: hono -->',
    'text in between',
    '```ts',
    '```',
  ].join('\n');

  it('returns the block after the marker, skipping comments between them', () => {
    expect(extractQuickStart(readme, 'express')).toBe('const app = express();\n');
  });

  it('names the marker when it is missing, doubled or not followed by a block', () => {
    expect(() => extractQuickStart(readme, 'fastify')).toThrow(
      'expected the line <!-- quick-start: fastify --> once in the README, found it 0 times',
    );
    expect(() => extractQuickStart(`${readme}\n${readme}`, 'express')).toThrow('found it 2 times');
    expect(() => extractQuickStart(readme, 'hono')).toThrow(
      'no ```ts block right after <!-- quick-start: hono -->',
    );
  });
});

describe('replaceEachOnce', () => {
  it('replaces each literal that occurs exactly once, with $ in the replacement kept', () => {
    expect(replaceEachOnce("listen(3000, 'h')", [['3000', '$&1']], 'x')).toBe("listen($&1, 'h')");
  });

  it('throws naming the literal it did not find exactly once', () => {
    expect(() => replaceEachOnce('a a', [['a', 'b']], 'README.md')).toThrow(
      'README.md: expected "a" once, found it 2 times',
    );
    expect(() => replaceEachOnce('a', [['c', 'b']], 'README.md')).toThrow('found it 0 times');
  });
});
