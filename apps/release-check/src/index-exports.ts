import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { WorkspacePackage } from './workspace-packages.js';

/**
 * Maps a module specifier of an `export * from '…'` to the TypeScript source it names, or
 * `undefined` when it is not a workspace module.
 */
export type SourceResolver = (specifier: string) => string | undefined;

/**
 * A {@link SourceResolver} for the published workspace packages: `@org/mcp-auth-core` →
 * `packages/core/src/index.ts`, `@org/mcp-auth-core/adapter` → `packages/core/src/adapter.ts`,
 * following each manifest's `exports` (`./dist/<name>.js` is built from `src/<name>.ts`).
 *
 * @example
 * ```ts
 * workspaceSources(listPublishedPackages(root))('@org/mcp-auth-core'); // '/…/packages/core/src/index.ts'
 * ```
 */
export function workspaceSources(packages: readonly WorkspacePackage[]): SourceResolver {
  const sources = new Map<string, string>();
  for (const pkg of packages) {
    const exports = (pkg.manifest.exports ?? {}) as Record<string, unknown>;
    for (const [subpath, target] of Object.entries(exports)) {
      const file = JSON.stringify(target).match(/\.\/dist\/([\w-]+)\.js"/)?.[1];
      if (!file) continue;
      const specifier =
        subpath === '.' ? pkg.manifest.name : `${pkg.manifest.name}/${subpath.slice(2)}`;
      sources.set(specifier, join(pkg.dir, 'src', `${file}.ts`));
    }
  }
  return (specifier) => sources.get(specifier);
}

/** The value names of `export { … }` blocks and exported declarations (no `export *`). */
function namedValueExports(source: string): string[] {
  const names: string[] = [];
  for (const block of source.matchAll(/export\s+(type\s+)?\{([^}]*)\}/g)) {
    if (block[1]) continue;
    for (const entry of block[2]!.split(',')) {
      const spec = entry.trim();
      if (!spec || spec.startsWith('type ')) continue;
      const alias = /\bas\s+([\w$]+)$/.exec(spec);
      names.push(alias ? alias[1]! : spec);
    }
  }
  for (const declaration of source.matchAll(
    /export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|var|class)\s+([\w$]+)/g,
  )) {
    names.push(declaration[1]!);
  }
  if (/export\s+default\b/.test(source)) names.push('default');
  return names;
}

/**
 * Lists the runtime (value) exports a package's `src/index.ts` declares, sorted: the names a
 * built bundle must expose to both `import` and `require`. Type-only exports are left out.
 * `export * from '…'` is followed — a relative module to its `.ts` source, a package through
 * `resolve` (see {@link workspaceSources}) — and adds that module's value exports but its
 * `default`, as ECMAScript does; `export * as name from` adds `name`. A star export that cannot
 * be followed throws.
 *
 * @example
 * ```ts
 * readValueExports(join(root, 'packages/hono/src/index.ts'), workspaceSources(packages));
 * // ['McpAuthConfigError', …, 'mcpAuth', 'mcpAuthMetadata', …]
 * ```
 */
export function readValueExports(
  indexFile: string,
  resolve: SourceResolver = () => undefined,
): string[] {
  return [...collect(indexFile, resolve, new Set())].sort();
}

function collect(file: string, resolve: SourceResolver, visiting: Set<string>): Set<string> {
  if (visiting.has(file)) throw new Error(`${file}: circular "export *"`);
  visiting.add(file);
  const source = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  const names = new Set(namedValueExports(source));
  for (const star of source.matchAll(
    /export\s+(type\s+)?\*\s*(?:as\s+([\w$]+)\s+)?from\s*['"]([^'"]+)['"]/g,
  )) {
    const [, typeOnly, namespace, specifier] = star;
    if (typeOnly) continue;
    if (namespace) {
      names.add(namespace);
      continue;
    }
    const target = specifier!.startsWith('.')
      ? join(dirname(file), specifier!.replace(/\.js$/, '.ts'))
      : resolve(specifier!);
    if (target === undefined || !existsSync(target)) {
      throw new Error(`${file}: cannot follow "export * from '${specifier}'"`);
    }
    for (const name of collect(target, resolve, visiting)) if (name !== 'default') names.add(name);
  }
  visiting.delete(file);
  return names;
}
