import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeBlock } from './markdown-code-blocks.js';

/** One generated file of a {@link FixtureProject}: which block it holds and where. */
export interface FixtureFile {
  /** Absolute path of the generated `.ts` file. */
  path: string;
  block: CodeBlock;
  /** How many lines of the file the block's prelude takes (0 without one). */
  preludeLines: number;
}

/** A TypeScript project written from README blocks by {@link writeFixtureProject}. */
export interface FixtureProject {
  dir: string;
  /** Absolute path of its `tsconfig.json`. */
  tsconfig: string;
  files: FixtureFile[];
}

/**
 * The compiler options every block is checked with: strict, ES modules resolved as Node does
 * (`nodenext`, the packages' `exports` and their `import` conditions), Node's types, ES2022.
 */
export const FIXTURE_COMPILER_OPTIONS = {
  target: 'ES2022',
  lib: ['ES2022'],
  module: 'nodenext',
  moduleResolution: 'nodenext',
  types: ['node'],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  forceConsistentCasingInFileNames: true,
} as const;

/** A file name for a block: its README's path and line, e.g. `packages-core-README-L18.ts`. */
function fileNameOf(block: CodeBlock): string {
  const base = block.file.replace(/\.md$/i, '').replace(/[^A-Za-z0-9]+/g, '-');
  return `${base}-L${block.line}.ts`;
}

/**
 * Writes one `.ts` file per block (its prelude, then its code, then `export {}` so that each
 * block is its own module and top-level `await` is allowed) into `dir/blocks/`, plus a
 * `package.json` with `"type": "module"` and a `tsconfig.json` with
 * {@link FIXTURE_COMPILER_OPTIONS}. `dir` is emptied first. Put it inside a package whose
 * `node_modules` holds what the blocks import: resolution starts from the generated files.
 *
 * @example
 * ```ts
 * const project = writeFixtureProject(blocks, join(packageDir, '.generated/readmes'));
 * ```
 */
export function writeFixtureProject(blocks: readonly CodeBlock[], dir: string): FixtureProject {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'blocks'), { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ type: 'module', private: true })}\n`,
  );
  const tsconfig = join(dir, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    `${JSON.stringify({ compilerOptions: FIXTURE_COMPILER_OPTIONS, include: ['blocks/*.ts'] }, null, 2)}\n`,
  );
  const files = blocks.map((block) => {
    const path = join(dir, 'blocks', fileNameOf(block));
    const prelude = block.prelude === undefined ? [] : block.prelude.split('\n');
    writeFileSync(path, [...prelude, block.code, '', 'export {};', ''].join('\n'));
    return { path, block, preludeLines: prelude.length };
  });
  return { dir, tsconfig, files };
}
