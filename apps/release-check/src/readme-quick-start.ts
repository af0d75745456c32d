/**
 * The TypeScript code block that follows the line `<!-- quick-start: <name> -->` in a
 * Markdown text (other comments, such as a `<!-- prelude: … -->`, may stand between them).
 * Throws, naming the marker, when it is missing, appears twice, or no fenced block follows.
 *
 * @example
 * ```ts
 * const code = extractQuickStart(readFileSync('README.md', 'utf8'), 'express');
 * ```
 */
export function extractQuickStart(markdown: string, name: string): string {
  const marker = `<!-- quick-start: ${name} -->`;
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const at = lines.flatMap((line, index) => (line.trim() === marker ? [index] : []));
  if (at.length !== 1) {
    throw new Error(`expected the line ${marker} once in the README, found it ${at.length} times`);
  }
  let index = at[0]! + 1;
  // Skip blank lines and whole HTML comments up to the fence.
  while (index < lines.length) {
    const line = lines[index]!.trim();
    if (line === '') {
      index += 1;
    } else if (line.startsWith('<!--')) {
      while (index < lines.length && !lines[index]!.includes('-->')) index += 1;
      index += 1;
    } else {
      break;
    }
  }
  const open = /^(`{3,})\s*(ts|typescript)\s*$/.exec(lines[index]?.trim() ?? '');
  if (!open) throw new Error(`no \`\`\`ts block right after ${marker}`);
  const body: string[] = [];
  for (index += 1; index < lines.length; index += 1) {
    if (lines[index]!.trim() === open[1]) return `${body.join('\n')}\n`;
    body.push(lines[index]!);
  }
  throw new Error(`the code block after ${marker} is never closed`);
}

/**
 * Replaces each `[from, to]` in `code`, requiring `from` to occur exactly once — so a quick
 * start that changed under the test fails with the literal it no longer finds, instead of
 * running something else.
 *
 * @example
 * ```ts
 * replaceEachOnce(code, [["app.listen(3000, '127.0.0.1')", 'app.listen(4123)']], 'express');
 * ```
 */
export function replaceEachOnce(
  code: string,
  replacements: ReadonlyArray<readonly [from: string, to: string]>,
  where: string,
): string {
  let result = code;
  for (const [from, to] of replacements) {
    const count = result.split(from).length - 1;
    if (count !== 1) {
      throw new Error(`${where}: expected ${JSON.stringify(from)} once, found it ${count} times`);
    }
    result = result.replace(from, () => to);
  }
  return result;
}

/** The packages an install line names, split as `npm install` and `npm install -D` take them. */
export interface InstallCommands {
  dependencies: string[];
  devDependencies: string[];
}

/**
 * The packages named by the `npm install …` spans (in backticks) of the paragraph right above
 * `<!-- quick-start: <name> -->` — the install line the README gives for that quick start.
 * Throws when the paragraph names none.
 *
 * @example
 * ```ts
 * extractInstallCommands(readme, 'express');
 * // { dependencies: ['@org/mcp-auth-express', 'express', …], devDependencies: ['typescript', …] }
 * ```
 */
export function extractInstallCommands(markdown: string, name: string): InstallCommands {
  const marker = `<!-- quick-start: ${name} -->`;
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  let index = lines.findIndex((line) => line.trim() === marker) - 1;
  if (index < 0) throw new Error(`no ${marker} in the README`);
  while (index >= 0 && lines[index]!.trim() === '') index -= 1;
  const paragraph: string[] = [];
  for (; index >= 0 && lines[index]!.trim() !== ''; index -= 1) paragraph.unshift(lines[index]!);
  const result: InstallCommands = { dependencies: [], devDependencies: [] };
  for (const [, args] of paragraph.join(' ').matchAll(/`npm install ([^`]+)`/g)) {
    const words = args!.split(/\s+/).filter(Boolean);
    const target = words.includes('-D') ? result.devDependencies : result.dependencies;
    target.push(...words.filter((word) => !word.startsWith('-')));
  }
  if (result.dependencies.length === 0) {
    throw new Error(`the paragraph above ${marker} has no \`npm install …\` line`);
  }
  return result;
}
