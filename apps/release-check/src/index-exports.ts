import { readFileSync } from 'node:fs';

/**
 * Lists the runtime (value) exports a package's `src/index.ts` declares, sorted: the names a
 * built bundle must expose to both `import` and `require`. Type-only exports are left out.
 * Throws on `export *`, which the house style forbids and which this reader cannot follow.
 *
 * @example
 * ```ts
 * readValueExports(join(root, 'packages/testing/src/index.ts')); // ['alterTokenPayload', …]
 * ```
 */
export function readValueExports(indexFile: string): string[] {
  const source = readFileSync(indexFile, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  if (/export\s*\*/.test(source)) {
    throw new Error(`${indexFile}: "export *" hides the export list; export by name`);
  }
  const names = new Set<string>();
  for (const block of source.matchAll(/export\s+(type\s+)?\{([^}]*)\}/g)) {
    if (block[1]) continue;
    for (const entry of block[2]!.split(',')) {
      const spec = entry.trim();
      if (!spec || spec.startsWith('type ')) continue;
      const alias = /\bas\s+([\w$]+)$/.exec(spec);
      names.add(alias ? alias[1]! : spec);
    }
  }
  for (const declaration of source.matchAll(
    /export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|var|class)\s+([\w$]+)/g,
  )) {
    names.add(declaration[1]!);
  }
  if (/export\s+default\b/.test(source)) names.add('default');
  return [...names].sort();
}
