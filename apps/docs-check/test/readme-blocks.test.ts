import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { listCheckedReadmes, repositoryRoot } from '../src/checked-readmes.js';
import { writeFixtureProject } from '../src/fixture-project.js';
import { type CodeBlock, extractCodeBlocks } from '../src/markdown-code-blocks.js';
import {
  type BlockDiagnostic,
  formatDiagnostic,
  typeCheckProject,
} from '../src/type-check-project.js';

const root = repositoryRoot();
const packageDir = fileURLToPath(new URL('../', import.meta.url));
const readmes = listCheckedReadmes(root);
const blocks = readmes.flatMap((file) =>
  extractCodeBlocks(file, readFileSync(join(root, file), 'utf8')),
);
const checked = blocks.filter((block) => block.notChecked === undefined);

let diagnostics: BlockDiagnostic[] = [];

beforeAll(() => {
  for (const dir of ['core', 'express', 'fastify', 'hono', 'node', 'testing']) {
    if (!existsSync(join(root, 'packages', dir, 'dist/index.d.ts'))) {
      throw new Error(`packages/${dir} has no dist/: build the packages first (pnpm test does)`);
    }
  }
  const project = writeFixtureProject(checked, join(packageDir, '.generated/readmes'));
  diagnostics = typeCheckProject(project);
});

describe('README TypeScript blocks', () => {
  it('are found in the root README and every published package README', () => {
    expect(readmes).toEqual(
      expect.arrayContaining([
        'README.md',
        'packages/core/README.md',
        'packages/express/README.md',
        'packages/fastify/README.md',
        'packages/hono/README.md',
      ]),
    );
    for (const file of readmes) {
      expect(
        checked.some((block) => block.file === file),
        file,
      ).toBe(true);
    }
    // Skipping is for the odd deliberate fragment, not a way around the check.
    expect(blocks.length - checked.length).toBeLessThanOrEqual(Math.ceil(blocks.length / 10));
  });

  it('type-check as one strict project, with nothing failing outside the blocks', () => {
    const outside = diagnostics.filter((d) => d.block === undefined);
    expect(outside.map(formatDiagnostic)).toEqual([]);
  });

  it.each(checked.map((block): [string, CodeBlock] => [`${block.file}:${block.line}`, block]))(
    '%s compiles under strict TypeScript',
    (_location, block) => {
      const own = diagnostics.filter((d) => d.block === block);
      expect(own.map(formatDiagnostic)).toEqual([]);
    },
  );
});
