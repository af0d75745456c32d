import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the repository root (three levels above this file).
 *
 * @example
 * ```ts
 * const root = repositoryRoot(); // '/work/main/'
 * ```
 */
export function repositoryRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url));
}

/**
 * The READMEs whose TypeScript blocks are checked, relative to `root`: the root `README.md`
 * and the `README.md` of every published (not `private`) package under `packages/`, sorted.
 *
 * @example
 * ```ts
 * listCheckedReadmes(root); // ['README.md', 'packages/core/README.md', …]
 * ```
 */
export function listCheckedReadmes(root: string): string[] {
  const packages = readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `packages/${entry.name}`)
    .filter((dir) => {
      const manifest = join(root, dir, 'package.json');
      if (!existsSync(manifest) || !existsSync(join(root, dir, 'README.md'))) return false;
      return (JSON.parse(readFileSync(manifest, 'utf8')) as { private?: boolean }).private !== true;
    })
    .sort()
    .map((dir) => `${dir}/README.md`);
  return ['README.md', ...packages];
}
