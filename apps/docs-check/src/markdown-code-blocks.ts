/** One fenced TypeScript block of a Markdown file, with what the comment before it says. */
export interface CodeBlock {
  /** The Markdown file, as given to {@link extractCodeBlocks} (a repository-relative path). */
  file: string;
  /** 1-based line of the block's first code line (the line after the opening fence). */
  line: number;
  /** The block's text, its fence's indentation removed. */
  code: string;
  /**
   * Code type-checked before the block and not shown: the body of a `<!-- prelude: … -->`
   * comment right before the fence, declaring the few free names a fragment uses.
   */
  prelude?: string;
  /** 1-based line where the prelude's code starts in the Markdown file. */
  preludeLine?: number;
  /** Why the block is not checked: the text of a `<!-- not-checked: … -->` comment before it. */
  notChecked?: string;
}

/** Info strings that mark a TypeScript block. */
const TYPESCRIPT = new Set(['ts', 'typescript', 'mts', 'cts']);

const FENCE = /^( *)(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/;

/** The HTML comment that ends on line `end` (0-based), if it is one, with its first line. */
function commentEndingAt(
  lines: readonly string[],
  end: number,
): { text: string; start: number } | undefined {
  if (end < 0 || !lines[end]!.trimEnd().endsWith('-->')) return undefined;
  for (let start = end; start >= 0; start -= 1) {
    const open = lines[start]!.indexOf('<!--');
    if (open === -1) continue;
    if (lines[start]!.slice(0, open).trim() !== '') return undefined;
    const text = lines
      .slice(start, end + 1)
      .join('\n')
      .trim()
      .slice(4, -3);
    return { text, start };
  }
  return undefined;
}

/** Reads the directive comment (if any) on the last non-blank line(s) before line `fence`. */
function directiveBefore(
  lines: readonly string[],
  fence: number,
): Pick<CodeBlock, 'prelude' | 'preludeLine' | 'notChecked'> {
  let end = fence - 1;
  while (end >= 0 && lines[end]!.trim() === '') end -= 1;
  const comment = commentEndingAt(lines, end);
  if (!comment) return {};
  const notChecked = /^\s*not-checked:\s*([\s\S]*?)\s*$/.exec(comment.text);
  if (notChecked) {
    if (!notChecked[1]) throw new Error(`line ${comment.start + 1}: not-checked needs a reason`);
    return { notChecked: notChecked[1] };
  }
  const prelude = /^\s*prelude:[ \t]*\n?([\s\S]*)$/.exec(comment.text);
  if (!prelude) return {};
  // The code starts on the line after `<!-- prelude:` when that line holds nothing else.
  const firstLineRest = lines[comment.start]!.slice(lines[comment.start]!.indexOf('prelude:') + 8);
  const preludeLine = comment.start + 1 + (firstLineRest.trim() === '' ? 1 : 0);
  return { prelude: prelude[1]!.replace(/\s+$/, ''), preludeLine };
}

/**
 * Finds every fenced TypeScript block (` ```ts `, ` ```typescript `, ` ```mts `, ` ```cts `, also
 * `~~~` fences and indented fences, as in list items) of a Markdown text.
 * A block may be preceded by `<!-- not-checked: reason -->` (left out of the check, reason
 * required) or by `<!-- prelude: code -->` (code type-checked before the block, not shown).
 * Throws on a fence left open.
 *
 * @example
 * ```ts
 * extractCodeBlocks('README.md', readFileSync('README.md', 'utf8'))[0]?.line; // 12
 * ```
 */
export function extractCodeBlocks(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const blocks: CodeBlock[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const open = FENCE.exec(lines[index]!);
    if (!open) continue;
    const [, indent = '', fence = '', info = ''] = open;
    const start = index;
    const body: string[] = [];
    let closed = false;
    for (index += 1; index < lines.length; index += 1) {
      const line = lines[index]!;
      const close = /^( *)(`{3,}|~{3,})\s*$/.exec(line);
      if (close && close[2]![0] === fence[0] && close[2]!.length >= fence.length) {
        closed = true;
        break;
      }
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    if (!closed) throw new Error(`${file}:${start + 1}: code fence is never closed`);
    if (!TYPESCRIPT.has(info.toLowerCase())) continue;
    blocks.push({
      file,
      line: start + 2,
      code: body.join('\n'),
      ...directiveBefore(lines, start),
    });
  }
  return blocks;
}
