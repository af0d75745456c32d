import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planReleases, readChangesets } from '../src/changeset-files.js';
import { copyRepository } from '../src/copy-repository.js';
import { packPackage, readPackedManifest } from '../src/read-packed-manifest.js';
import { runCommand } from '../src/run-command.js';
import {
  DEPENDENCY_FIELDS,
  dependencyMap,
  listPublishedPackages,
  type PackageManifest,
  readManifest,
  repositoryRoot,
  type WorkspacePackage,
} from '../src/workspace-packages.js';

const root = repositoryRoot();
const changesetBin = join(root, 'node_modules/.bin/changeset');
const scratchDirs: string[] = [];

/** A scratch copy of the repository with its dependencies linked from the pnpm store. */
async function scratchCopy(label: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `mcp-auth-${label}-`));
  scratchDirs.push(dir);
  await copyRepository(root, dir);
  // Offline and from the lockfile: the store already holds everything the root install used.
  await runCommand('pnpm', ['install', '--offline', '--frozen-lockfile', '--ignore-scripts'], {
    cwd: dir,
  });
  return dir;
}

function internalDependencies(pkg: WorkspacePackage, names: Set<string>): string[] {
  return Object.entries(dependencyMap(pkg.manifest, 'dependencies'))
    .filter(([name, range]) => names.has(name) && range.startsWith('workspace:'))
    .map(([name]) => name);
}

function workspaceRanges(manifest: PackageManifest): string[] {
  return DEPENDENCY_FIELDS.flatMap((field) =>
    Object.entries(dependencyMap(manifest, field))
      .filter(([, range]) => range.startsWith('workspace:'))
      .map(([name, range]) => `${field}.${name}: ${range}`),
  );
}

afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

describe('changeset version on a scratch copy with the pending changesets', () => {
  let copy: string;
  let before: WorkspacePackage[];
  let expected: Map<string, string>;
  const changesets = readChangesets(join(root, '.changeset'));

  beforeAll(async () => {
    copy = await scratchCopy('changeset-version');
    before = listPublishedPackages(copy);
    const names = new Set(before.map((pkg) => pkg.manifest.name));
    expected = planReleases(
      before.map((pkg) => ({
        name: pkg.manifest.name,
        version: pkg.manifest.version,
        internalDependencies: internalDependencies(pkg, names),
      })),
      changesets,
    );
    await runCommand(changesetBin, ['version'], { cwd: copy });
  });

  it('has a pending changeset for every published package not released yet (0.0.0)', () => {
    const released = new Set(changesets.flatMap((changeset) => Object.keys(changeset.releases)));
    const unreleased = before.filter((p) => p.manifest.version === '0.0.0');
    expect([...released]).toEqual(expect.arrayContaining(unreleased.map((p) => p.manifest.name)));
    // Changesets may only name packages that exist and are published.
    const published = new Set(before.map((p) => p.manifest.name));
    expect([...released].filter((name) => !published.has(name))).toEqual([]);
  });

  it('bumps the core, the adapters and the testing package to the planned versions', () => {
    const after = listPublishedPackages(copy);
    const versions = Object.fromEntries(
      after.map((pkg) => [pkg.manifest.name, pkg.manifest.version]),
    );
    expect(versions).toEqual(Object.fromEntries(expected));
    // The first release of a package still at 0.0.0 is 0.1.0.
    for (const pkg of before) {
      if (pkg.manifest.version === '0.0.0') expect(versions[pkg.manifest.name]).toBe('0.1.0');
    }
  });

  it('writes a CHANGELOG.md entry with every changeset summary under the new version', () => {
    for (const pkg of listPublishedPackages(copy)) {
      const changelog = readFileSync(join(pkg.dir, 'CHANGELOG.md'), 'utf8');
      expect(changelog.startsWith(`# ${pkg.manifest.name}\n`)).toBe(true);
      const section = changelog.split(/^## /m)[1] ?? '';
      expect(section.startsWith(`${pkg.manifest.version}\n`)).toBe(true);
      for (const changeset of changesets) {
        if (!changeset.releases[pkg.manifest.name]) continue;
        const firstLine = changeset.summary.split('\n')[0]!;
        expect(section).toContain(`- ${firstLine}`);
      }
    }
  });

  it('consumes the changesets and leaves the ignored private apps alone', () => {
    expect(readChangesets(join(copy, '.changeset'))).toEqual([]);
    for (const app of ['apps/dev-authorization-server', 'apps/release-check', 'bench']) {
      const manifest = readManifest(join(copy, app, 'package.json'));
      expect(manifest.version).toBe(readManifest(join(root, app, 'package.json')).version);
      expect(existsSync(join(copy, app, 'CHANGELOG.md'))).toBe(false);
    }
  });

  it('keeps workspace: ranges in the sources and resolves them to real versions when packed', async () => {
    const after = listPublishedPackages(copy);
    const versions = new Map(after.map((pkg) => [pkg.manifest.name, pkg.manifest.version]));
    for (const pkg of after) {
      const source = readManifest(join(pkg.dir, 'package.json'));
      const packed = await readPackedManifest(
        await packPackage(pkg.dir, mkdtempSync(join(copy, '.pack-'))),
      );
      expect(packed.version).toBe(versions.get(pkg.manifest.name));
      expect(workspaceRanges(packed)).toEqual([]);
      for (const [name, range] of Object.entries(dependencyMap(source, 'dependencies'))) {
        if (range === 'workspace:^') {
          expect(dependencyMap(packed, 'dependencies')[name]).toBe(`^${versions.get(name)}`);
        }
      }
    }
  });
});

describe('changeset version with a single core patch', () => {
  it('patch-bumps the adapters that depend on the core and records the dependency update', async () => {
    const copy = await scratchCopy('changeset-patch');
    for (const changeset of readChangesets(join(copy, '.changeset'))) {
      unlinkSync(join(copy, '.changeset', `${changeset.id}.md`));
    }
    writeFileSync(
      join(copy, '.changeset', 'core-fix.md'),
      '---\n"@org/mcp-auth-core": patch\n---\n\nFix a core bug.\n',
    );
    const before = new Map(
      listPublishedPackages(copy).map((pkg) => [pkg.manifest.name, pkg.manifest.version]),
    );
    await runCommand(changesetBin, ['version'], { cwd: copy });

    const after = listPublishedPackages(copy);
    const coreVersion = after.find((pkg) => pkg.relativeDir === 'packages/core')!.manifest.version;
    expect(coreVersion).not.toBe(before.get('@org/mcp-auth-core'));
    for (const pkg of after) {
      const dependsOnCore =
        dependencyMap(pkg.manifest, 'dependencies')['@org/mcp-auth-core'] !== undefined;
      if (pkg.relativeDir === 'packages/core' || !dependsOnCore) {
        if (pkg.relativeDir !== 'packages/core') {
          expect(pkg.manifest.version).toBe(before.get(pkg.manifest.name));
          expect(existsSync(join(pkg.dir, 'CHANGELOG.md'))).toBe(false);
        }
        continue;
      }
      const previous = before.get(pkg.manifest.name)!;
      const [major, minor, patch] = previous.split('.').map(Number) as [number, number, number];
      expect(pkg.manifest.version).toBe(`${major}.${minor}.${patch + 1}`);
      expect(dependencyMap(pkg.manifest, 'dependencies')['@org/mcp-auth-core']).toBe('workspace:^');
      const changelog = readFileSync(join(pkg.dir, 'CHANGELOG.md'), 'utf8');
      expect(changelog).toContain(`## ${pkg.manifest.version}`);
      expect(changelog).toContain(`- Updated dependencies\n  - @org/mcp-auth-core@${coreVersion}`);
    }
    const core = after.find((pkg) => pkg.relativeDir === 'packages/core')!;
    expect(readFileSync(join(core.dir, 'CHANGELOG.md'), 'utf8')).toContain(
      `## ${coreVersion}\n\n### Patch Changes\n\n- Fix a core bug.`,
    );
  });
});
