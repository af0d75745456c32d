import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The subset of a package manifest these checks read. */
export interface PackageManifest {
  name: string;
  version: string;
  private?: boolean;
  [field: string]: unknown;
}

/** A package of the workspace: its manifest and where it lives. */
export interface WorkspacePackage {
  /** Absolute directory. */
  dir: string;
  /** Directory relative to the repository root, e.g. `packages/core`. */
  relativeDir: string;
  manifest: PackageManifest;
}

/** Dependency fields of a manifest, in the order npm documents them. */
export const DEPENDENCY_FIELDS = [
  'dependencies',
  'devDependencies',
  'peerDependencies',
  'optionalDependencies',
] as const;

/**
 * Absolute path of the repository root (three levels above this file).
 *
 * @example
 * ```ts
 * const root = repositoryRoot(); // '/work/main'
 * ```
 */
export function repositoryRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url));
}

/**
 * Reads and parses a `package.json`.
 *
 * @example
 * ```ts
 * const { version } = readManifest(join(root, 'packages/core/package.json'));
 * ```
 */
export function readManifest(file: string): PackageManifest {
  return JSON.parse(readFileSync(file, 'utf8')) as PackageManifest;
}

/**
 * Lists the packages under `packages/` that are published (not `private`), sorted by
 * directory. This is the set `pnpm publish -r` would publish.
 *
 * @example
 * ```ts
 * listPublishedPackages(root).map((p) => p.manifest.name); // ['@org/mcp-auth-core', …]
 * ```
 */
export function listPublishedPackages(root: string): WorkspacePackage[] {
  const base = join(root, 'packages');
  return readdirSync(base, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(base, entry.name, 'package.json')))
    .map((entry) => ({
      dir: join(base, entry.name),
      relativeDir: `packages/${entry.name}`,
      manifest: readManifest(join(base, entry.name, 'package.json')),
    }))
    .filter((pkg) => pkg.manifest.private !== true)
    .sort((a, b) => a.relativeDir.localeCompare(b.relativeDir));
}

/**
 * Returns a manifest's dependency map for one field (empty when absent).
 *
 * @example
 * ```ts
 * dependencyMap(manifest, 'peerDependencies').express; // '^4.21.0 || ^5.0.0'
 * ```
 */
export function dependencyMap(
  manifest: PackageManifest,
  field: (typeof DEPENDENCY_FIELDS)[number],
): Record<string, string> {
  return (manifest[field] as Record<string, string> | undefined) ?? {};
}
