import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeFixtureProject } from '../src/fixture-project.js';
import { extractCodeBlocks } from '../src/markdown-code-blocks.js';
import { formatDiagnostic, typeCheckProject } from '../src/type-check-project.js';

const packageDir = fileURLToPath(new URL('../', import.meta.url));

const README = [
  '# Example', //                                  1
  '', //                                           2
  '```ts', //                                      3
  "const ok: string = 'fine';", //                 4
  '```', //                                        5
  '', //                                           6
  '```typescript', //                              7
  'const n: number = 1;', //                       8
  "const broken: number = 'not a number';", //     9
  '```', //                                        10
  '', //                                           11
  '<!-- not-checked: shows a shape, not code -->', // 12
  '```ts', //                                      13
  '{ resource, issuer }', //                       14
  '```', //                                        15
  '', //                                           16
  '<!-- prelude:', //                              17
  'declare const app: { listen(port: number): void };', // 18
  'declare const port: string;', //                19
  '-->', //                                        20
  '```ts', //                                      21
  'app.listen(port);', //                          22
  '```', //                                        23
  '', //                                           24
  '- in a list:', //                               25
  '', //                                           26
  '  ```sh', //                                    27
  '  pnpm add x', //                               28
  '  ```', //                                      29
  '', //                                           30
  '  ~~~ts', //                                    31
  '  await Promise.resolve(undefined);', //        32
  '  missing();', //                               33
  '  ~~~', //                                      34
].join('\n');

describe('extractCodeBlocks', () => {
  const blocks = extractCodeBlocks('docs/README.md', README);

  it('finds the TypeScript blocks with their first line, directives and indentation removed', () => {
    expect(blocks.map((b) => [b.line, b.notChecked, b.prelude, b.preludeLine])).toEqual([
      [4, undefined, undefined, undefined],
      [8, undefined, undefined, undefined],
      [14, 'shows a shape, not code', undefined, undefined],
      [
        22,
        undefined,
        'declare const app: { listen(port: number): void };\ndeclare const port: string;',
        18,
      ],
      [32, undefined, undefined, undefined],
    ]);
    expect(blocks[4]!.code).toBe('await Promise.resolve(undefined);\nmissing();');
  });

  it('refuses a fence left open and a not-checked without a reason', () => {
    expect(() => extractCodeBlocks('a.md', 'text\n```ts\nconst a = 1;\n')).toThrow(
      'a.md:2: code fence is never closed',
    );
    expect(() => extractCodeBlocks('a.md', '<!-- not-checked: -->\n```ts\nx\n```\n')).toThrow(
      /not-checked needs a reason/,
    );
  });
});

describe('typeCheckProject', () => {
  it('fails a block with its README path and line, prelude lines included, and passes the rest', () => {
    const blocks = extractCodeBlocks('docs/README.md', README).filter((b) => !b.notChecked);
    const project = writeFixtureProject(blocks, join(packageDir, '.generated/self-test'));
    const lines = typeCheckProject(project).map(formatDiagnostic);
    expect(lines).toEqual([
      expect.stringMatching(/^docs\/README\.md:9:7 TS2322 Type 'string' is not assignable/),
      // The prelude's `port: string` is passed where a number is expected.
      expect.stringMatching(/^docs\/README\.md:22:12 TS2345 /),
      expect.stringMatching(/^docs\/README\.md:33:1 TS2304 Cannot find name 'missing'/),
    ]);
  });

  it('places an error inside a prelude on the prelude comment', () => {
    const [block] = extractCodeBlocks(
      'b.md',
      '<!-- prelude:\ndeclare const a: Strnig;\n-->\n```ts\nvoid a;\n```\n',
    );
    const project = writeFixtureProject([block!], join(packageDir, '.generated/self-test'));
    expect(typeCheckProject(project).map(formatDiagnostic)).toEqual([
      expect.stringMatching(/^b\.md:2:18 TS2552 Cannot find name 'Strnig'/),
    ]);
  });
});
