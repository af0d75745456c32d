import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './run-command.js';
import type { PackageManifest } from './workspace-packages.js';

/**
 * Packs the package in `packageDir` with `pnpm pack` into the empty directory `destination`
 * and resolves with the tarball's absolute path. `pnpm` must be on `PATH`.
 *
 * @example
 * ```ts
 * const tarball = await packPackage(join(root, 'packages/core'), join(work, 'core'));
 * ```
 */
export async function packPackage(packageDir: string, destination: string): Promise<string> {
  await runCommand('pnpm', ['pack', '--pack-destination', destination], { cwd: packageDir });
  const tarballs = readdirSync(destination).filter((file) => file.endsWith('.tgz'));
  if (tarballs.length !== 1) {
    throw new Error(`expected one tarball in ${destination}, found ${tarballs.join(', ')}`);
  }
  return join(destination, tarballs[0]!);
}

/**
 * Lists the paths inside a packed tarball, without the leading `package/`.
 *
 * @example
 * ```ts
 * (await listTarball(tarball)).includes('LICENSE'); // true
 * ```
 */
export async function listTarball(tarball: string): Promise<string[]> {
  const { stdout } = await runCommand('tar', ['-tzf', tarball], { cwd: '/' });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => line.replace(/^package\//, ''));
}

/**
 * Reads `package.json` out of a packed tarball: the manifest exactly as it would be published
 * (with `workspace:` ranges already replaced by pnpm).
 *
 * @example
 * ```ts
 * (await readPackedManifest(tarball)).dependencies; // { '@org/mcp-auth-core': '^0.1.0' }
 * ```
 */
export async function readPackedManifest(tarball: string): Promise<PackageManifest> {
  const { stdout } = await runCommand('tar', ['-xzOf', tarball, 'package/package.json'], {
    cwd: '/',
  });
  return JSON.parse(stdout) as PackageManifest;
}
