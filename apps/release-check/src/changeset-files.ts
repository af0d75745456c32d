import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A semver bump a changeset can ask for. */
export type BumpType = 'patch' | 'minor' | 'major';

/** One `.changeset/*.md` file: which packages it bumps, and its user-facing summary. */
export interface ChangesetFile {
  /** File name without `.md`. */
  id: string;
  releases: Record<string, BumpType>;
  summary: string;
}

const BUMP_ORDER: readonly BumpType[] = ['patch', 'minor', 'major'];

/**
 * Parses the changesets in a `.changeset` directory (every `*.md` but `README.md`).
 * Throws on a file whose front matter is not the `"name": bump` list changesets expects.
 *
 * @example
 * ```ts
 * readChangesets(join(root, '.changeset'))[0]?.releases; // { '@org/mcp-auth-core': 'minor' }
 * ```
 */
export function readChangesets(dir: string): ChangesetFile[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.md') && file !== 'README.md')
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8').replace(/\r\n/g, '\n');
      const match = /^---\n([\s\S]*?)\n?---\n([\s\S]*)$/.exec(text);
      if (!match) throw new Error(`${file}: no front matter`);
      const releases: Record<string, BumpType> = {};
      for (const line of match[1]!.split('\n')) {
        if (!line.trim()) continue;
        const release = /^\s*["']?([^"':]+)["']?\s*:\s*(patch|minor|major)\s*$/.exec(line);
        if (!release) throw new Error(`${file}: cannot read release line ${JSON.stringify(line)}`);
        releases[release[1]!] = release[2] as BumpType;
      }
      return { id: file.slice(0, -3), releases, summary: match[2]!.trim() };
    });
}

/**
 * The larger of two bumps (`undefined` means no release).
 *
 * @example
 * ```ts
 * maxBump('patch', 'minor'); // 'minor'
 * ```
 */
export function maxBump(a: BumpType | undefined, b: BumpType | undefined): BumpType | undefined {
  if (!a) return b;
  if (!b) return a;
  return BUMP_ORDER.indexOf(a) >= BUMP_ORDER.indexOf(b) ? a : b;
}

/**
 * Applies a bump to a plain `x.y.z` version the way `changeset version` does outside
 * pre-release mode (a `minor` of `0.0.0` is `0.1.0`, a `major` of `0.3.1` is `1.0.0`).
 *
 * @example
 * ```ts
 * bumpVersion('0.0.0', 'minor'); // '0.1.0'
 * ```
 */
export function bumpVersion(version: string, bump: BumpType): string {
  const parts = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!parts) throw new TypeError(`bumpVersion: "${version}" is not a plain x.y.z version`);
  const [major, minor, patch] = parts.slice(1).map(Number) as [number, number, number];
  if (bump === 'major') return `${major + 1}.0.0`;
  if (bump === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

/** A package as {@link planReleases} sees it. */
export interface PlannedPackage {
  name: string;
  version: string;
  /** Names of workspace packages listed in `dependencies` with a `workspace:` range. */
  internalDependencies: readonly string[];
}

/**
 * Predicts the versions `changeset version` produces for published packages under this
 * repository's config (`updateInternalDependencies: "patch"`): each package takes the largest
 * bump any changeset asks for; a package with none is patch-bumped when a package it depends
 * on (`dependencies`) is released. Packages that are not released keep their version.
 *
 * @example
 * ```ts
 * planReleases(packages, changesets).get('@org/mcp-auth-express'); // '0.1.0'
 * ```
 */
export function planReleases(
  packages: readonly PlannedPackage[],
  changesets: readonly ChangesetFile[],
): Map<string, string> {
  const bumps = new Map<string, BumpType | undefined>();
  for (const pkg of packages) {
    let bump: BumpType | undefined;
    for (const changeset of changesets) bump = maxBump(bump, changeset.releases[pkg.name]);
    bumps.set(pkg.name, bump);
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const pkg of packages) {
      if (bumps.get(pkg.name)) continue;
      if (pkg.internalDependencies.some((dep) => bumps.get(dep))) {
        bumps.set(pkg.name, 'patch');
        changed = true;
      }
    }
  }
  return new Map(
    packages.map((pkg) => {
      const bump = bumps.get(pkg.name);
      return [pkg.name, bump ? bumpVersion(pkg.version, bump) : pkg.version];
    }),
  );
}
