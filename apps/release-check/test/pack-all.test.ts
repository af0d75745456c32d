import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isolatedEnv } from '../src/local-registry.js';
import { readPackedManifest } from '../src/read-packed-manifest.js';
import { runCommand } from '../src/run-command.js';
import { listSampleApps } from '../src/sample-apps.js';
import { listPublishedPackages, readManifest, repositoryRoot } from '../src/workspace-packages.js';

const root = repositoryRoot();
const packages = listPublishedPackages(root);
const script = join(root, 'scripts/pack-all.mjs');
const work = mkdtempSync(join(tmpdir(), 'mcp-auth-pack-all-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `pnpm pack`'s file name: `@org/mcp-auth-core@0.1.0` → `org-mcp-auth-core-0.1.0.tgz`. */
const fileOf = (pkg: (typeof packages)[number]) =>
  `${pkg.manifest.name.slice(1).replace('/', '-')}-${pkg.manifest.version}.tgz`;
const expectedFiles = packages.map(fileOf).sort();

describe('pnpm pack:all (scripts/pack-all.mjs)', () => {
  it('is the root pack:all script', () => {
    const scripts = readManifest(join(root, 'package.json')).scripts as Record<string, string>;
    expect(scripts['pack:all']).toBe('node scripts/pack-all.mjs');
  });

  it('writes one tarball per published package, named as pnpm pack names it, and prints the names', async () => {
    const out = join(work, 'tarballs');
    mkdirSync(out);
    // A tarball of an earlier version is replaced, an unrelated file kept.
    writeFileSync(join(out, 'org-mcp-auth-core-0.0.0-old.tgz'), '');
    writeFileSync(join(out, 'notes.txt'), '');
    const { stdout } = await runCommand('node', [script, '--out', out], {
      cwd: root,
      env: isolatedEnv(),
      timeoutMs: 120_000,
    });
    const printed = stdout.split('\n').filter((line) => line.endsWith('.tgz'));
    expect(stdout.split('\n')[0]).toBe(`Packed ${packages.length} packages into ${out}/:`);
    expect(printed.sort()).toEqual(expectedFiles);
    expect(readdirSync(out).sort()).toEqual([...expectedFiles, 'notes.txt'].sort());
    for (const pkg of packages) {
      const manifest = await readPackedManifest(join(out, fileOf(pkg)));
      expect(manifest.name).toBe(pkg.manifest.name);
      expect(JSON.stringify(manifest)).not.toContain('workspace:');
    }
  });

  it('builds nothing: a package without dist/ stops it, named, before anything is packed', async () => {
    const fake = join(work, 'fake-repo');
    mkdirSync(join(fake, 'scripts'), { recursive: true });
    copyFileSync(script, join(fake, 'scripts/pack-all.mjs'));
    for (const [dir, manifest] of [
      ['a', { name: '@org/mcp-auth-a', version: '1.0.0' }],
      ['b', { name: '@org/mcp-auth-b', version: '1.0.0', private: true }],
    ] as const) {
      mkdirSync(join(fake, 'packages', dir), { recursive: true });
      writeFileSync(join(fake, 'packages', dir, 'package.json'), JSON.stringify(manifest));
    }
    const run = runCommand('node', [join(fake, 'scripts/pack-all.mjs')], {
      cwd: fake,
      env: isolatedEnv(),
      timeoutMs: 30_000,
    });
    await expect(run).rejects.toThrow('pack:all: @org/mcp-auth-a: no dist/ — run pnpm build first');
    expect(readdirSync(fake).sort()).toEqual(['packages', 'scripts']);
  });

  it('refuses an unknown argument with its usage', async () => {
    await expect(
      runCommand('node', [script, '--pack-destination', work], { cwd: root, env: isolatedEnv() }),
    ).rejects.toThrow('pack:all: unknown argument "--pack-destination"');
  });

  it.each(listSampleApps(root).map((sample) => sample.name))(
    'apps/%s/README.md installs the tarballs by the names pack:all gives them, from ../tarballs',
    (name) => {
      const readme = readFileSync(join(root, 'apps', name, 'README.md'), 'utf8');
      expect(readme).toContain('pnpm pack:all');
      const named = [...readme.matchAll(/"file:([^"]+)"/g)].map((match) => match[1]!);
      expect(named.length).toBeGreaterThanOrEqual(3);
      // Version-agnostic: the README shows one version, a release changes it.
      const stems = packages.map((pkg) => fileOf(pkg).replace(/-[^-]+\.tgz$/, ''));
      for (const path of named) {
        const match = /^\.\.\/tarballs\/(.+)-\d+\.\d+\.\d+\.tgz$/.exec(path);
        expect(match, path).not.toBeNull();
        expect(stems, path).toContain(match![1]);
      }
    },
  );
});
