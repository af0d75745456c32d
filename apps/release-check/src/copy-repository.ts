import { copyFileSync, existsSync, lstatSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCommand } from './run-command.js';

/** Options for {@link copyRepository}. */
export interface CopyRepositoryOptions {
  /**
   * Copy only this directory (relative to the root, e.g. `apps/sample-express`), placing its
   * contents directly in the destination — what a user copying a sample out would get.
   */
  under?: string;
}

/**
 * Copies the repository as it stands — every tracked file plus every untracked file that is
 * not ignored, i.e. the working changes, never `node_modules`, `dist` or other ignored output —
 * into `destination`. Files deleted in the working tree are skipped. Resolves with the number
 * of files copied.
 *
 * @example
 * ```ts
 * const copied = await copyRepository(repositoryRoot(), await mkdtemp(join(tmpdir(), 'copy-')));
 * ```
 */
export async function copyRepository(
  root: string,
  destination: string,
  options: CopyRepositoryOptions = {},
): Promise<number> {
  const prefix = options.under ? `${options.under.replace(/\/+$/, '')}/` : '';
  const { stdout } = await runCommand(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', prefix || '.'],
    { cwd: root },
  );
  const files = [...new Set(stdout.split('\0').filter(Boolean))];
  let copied = 0;
  for (const file of files) {
    const source = join(root, file);
    if (!existsSync(source) || !lstatSync(source).isFile()) continue;
    const target = join(destination, file.slice(prefix.length));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
    copied += 1;
  }
  return copied;
}
