import { isAbsolute, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** Bytes one source contributes to a minified bundle. */
export interface BundlePart {
  /** `own code` for files outside `node_modules`, else the package name (`jose`, `zod`, …). */
  name: string;
  bytes: number;
}

/** What {@link measureBundle} found for one entry point. */
export interface BundleSize {
  /** The entry point, relative to the working directory it was bundled from. */
  entry: string;
  /** The minified bundle's size in bytes. */
  minifiedBytes: number;
  /** The minified bundle gzipped (level 9), in bytes. */
  gzipBytes: number;
  /** Minified bytes per source, largest first; they add up to about `minifiedBytes`. */
  parts: BundlePart[];
}

/** Name of the package a bundled file belongs to, from its path's last `node_modules/`. */
export function packageOfPath(path: string): string {
  const normalized = path.replace(/\\/g, '/');
  const at = normalized.lastIndexOf('node_modules/');
  if (at === -1) return 'own code';
  const [scope, name] = normalized.slice(at + 'node_modules/'.length).split('/');
  return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? 'own code');
}

/**
 * Bundles `entry` as an edge host would — `esbuild --bundle --minify --platform=neutral
 * --format=esm`, dependencies included — and measures it: minified bytes, gzipped bytes, and
 * the minified bytes each package contributes (from esbuild's metafile). Nothing is written.
 *
 * @example
 * ```ts
 * const size = await measureBundle('packages/core/dist/index.js', repositoryRoot());
 * size.gzipBytes; // 31_000
 * ```
 */
export async function measureBundle(entry: string, workingDir: string): Promise<BundleSize> {
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: workingDir,
    bundle: true,
    minify: true,
    platform: 'neutral',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  const meta = Object.values(result.metafile.outputs)[0];
  if (!output || !meta) throw new Error(`esbuild produced no output for ${entry}`);
  const byPackage = new Map<string, number>();
  for (const [path, input] of Object.entries(meta.inputs)) {
    const name = packageOfPath(path);
    byPackage.set(name, (byPackage.get(name) ?? 0) + input.bytesInOutput);
  }
  return {
    entry: isAbsolute(entry) ? relative(workingDir, entry) : entry,
    minifiedBytes: output.contents.byteLength,
    gzipBytes: gzipSync(output.contents, { level: 9 }).byteLength,
    parts: [...byPackage]
      .map(([name, bytes]) => ({ name, bytes }))
      .sort((a, b) => b.bytes - a.bytes),
  };
}

/** Bytes as KiB (1024 bytes), the unit the budgets are stated in. */
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/**
 * A Markdown table of measured bundles, in KiB: one row for each bundle's total (minified and
 * gzipped), then one per part (minified).
 *
 * @example
 * ```ts
 * writeFileSync('bundle-size.md', formatBundleTable([await measureBundle(entry, root)]));
 * ```
 */
export function formatBundleTable(sizes: readonly BundleSize[]): string {
  const rows = ['| bundle | part | minified | gzipped |', '|---|---|--:|--:|'];
  for (const size of sizes) {
    rows.push(
      `| \`${size.entry}\` | **total** | ${kib(size.minifiedBytes)} | ${kib(size.gzipBytes)} |`,
    );
    for (const part of size.parts) rows.push(`| | ${part.name} | ${kib(part.bytes)} | |`);
  }
  return `${rows.join('\n')}\n`;
}
