import { DEPENDENCY_FIELDS, type PackageManifest } from './workspace-packages.js';
import { runCommand } from './run-command.js';

/**
 * `process.env` without the `npm_*` and `pnpm_*` variables a package manager sets for the
 * script it runs, so a nested `npm install` behaves as it would in a user's shell.
 *
 * @example
 * ```ts
 * spawn('npm', ['install'], { env: cleanPackageManagerEnv() });
 * ```
 */
export function cleanPackageManagerEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(npm|pnpm)_/i.test(key) || key === 'PNPM_HOME' || key === 'INIT_CWD') delete env[key];
  }
  env.npm_config_update_notifier = 'false';
  return env;
}

/**
 * Runs one `npm install` in `dir` (audit, fund and progress off; the npm cache preferred).
 *
 * @example
 * ```ts
 * await npmInstall(consumerDir);
 * ```
 */
export async function npmInstall(dir: string, timeoutMs = 180_000): Promise<void> {
  await runCommand(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-progress', '--loglevel=error'],
    { cwd: dir, env: cleanPackageManagerEnv(), timeoutMs },
  );
}

/**
 * Rewrites a workspace manifest for use outside the workspace: every `workspace:` range
 * becomes `file:<tarball>`, and the published packages it only reaches transitively (an
 * adapter's dependency on the core, per `internalDependencies`) are pinned to their tarballs
 * through `overrides`, since they are not on any registry yet. Throws when a `workspace:`
 * dependency has no tarball.
 *
 * @example
 * ```ts
 * const manifest = replaceWorkspaceRanges(sample, tarballs, new Map([
 *   ['@org/mcp-auth-express', ['@org/mcp-auth-core']],
 * ]));
 * manifest.overrides; // { '@org/mcp-auth-core': 'file:/tmp/…/org-mcp-auth-core-0.0.0.tgz' }
 * ```
 */
export function replaceWorkspaceRanges(
  manifest: PackageManifest,
  tarballs: ReadonlyMap<string, string>,
  internalDependencies: ReadonlyMap<string, readonly string[]>,
): PackageManifest {
  const result: PackageManifest = structuredClone(manifest);
  const direct = new Set<string>();
  for (const field of DEPENDENCY_FIELDS) {
    const deps = result[field] as Record<string, string> | undefined;
    if (!deps) continue;
    for (const [name, range] of Object.entries(deps)) {
      if (!range.startsWith('workspace:')) continue;
      const tarball = tarballs.get(name);
      if (!tarball)
        throw new Error(`${manifest.name}: no tarball for workspace dependency ${name}`);
      deps[name] = `file:${tarball}`;
      direct.add(name);
    }
  }
  const overrides: Record<string, string> = {
    ...((result.overrides as Record<string, string> | undefined) ?? {}),
  };
  const reachable = new Set<string>();
  const pending = [...direct];
  while (pending.length > 0) {
    for (const dependency of internalDependencies.get(pending.pop()!) ?? []) {
      if (!reachable.has(dependency)) {
        reachable.add(dependency);
        pending.push(dependency);
      }
    }
  }
  for (const name of reachable) {
    const tarball = tarballs.get(name);
    if (!tarball) throw new Error(`${manifest.name}: no tarball for ${name}`);
    if (!direct.has(name)) overrides[name] = `file:${tarball}`;
  }
  result.overrides = overrides;
  return result;
}
