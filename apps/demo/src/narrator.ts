/**
 * Options of {@link createNarrator}.
 *
 * @example
 * ```ts
 * const options: NarratorOptions = { color: process.stdout.isTTY, write: (t) => process.stdout.write(t) };
 * ```
 */
export interface NarratorOptions {
  /** Use ANSI colours. Default `false`. */
  color?: boolean;
  /** Where text goes. Default: `process.stdout`. */
  write?: (text: string) => void;
}

/**
 * Prints the demo's steps readably: numbered headings, indented details, JSON blocks.
 *
 * @example
 * ```ts
 * const say = createNarrator({ color: true });
 * say.step('MCP request without a token');
 * say.detail('status', '401');
 * ```
 */
export interface Narrator {
  /** A numbered heading; returns its number. */
  step(title: string): number;
  /** An indented `label: value` line. */
  detail(label: string, value: string): void;
  /** Indented free text. */
  note(text: string): void;
  /** Indented, pretty-printed JSON. */
  json(value: unknown): void;
  /** A success line. */
  ok(text: string): void;
  /** A failure line. */
  fail(text: string): void;
  /** An unindented line. */
  line(text?: string): void;
  /** The latest heading, as `N. title`, or `undefined` before the first. */
  current(): string | undefined;
}

const codes = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;

/**
 * Creates a {@link Narrator}; colour only when asked (callers pass `stdout.isTTY`).
 *
 * @example
 * ```ts
 * const say = createNarrator({ color: process.stdout.isTTY === true && !process.env.NO_COLOR });
 * say.ok('token accepted');
 * ```
 */
export function createNarrator(options: NarratorOptions = {}): Narrator {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const paint = (code: keyof typeof codes, text: string) =>
    options.color ? `\u001b[${codes[code]}m${text}\u001b[0m` : text;
  let count = 0;
  let heading: string | undefined;
  const out = (text: string) => write(`${text}\n`);
  return {
    step(title) {
      count += 1;
      heading = `${count}. ${title}`;
      out('');
      out(paint('bold', paint('cyan', `${String(count).padStart(2)}. ${title}`)));
      return count;
    },
    detail(label, value) {
      const [first = '', ...rest] = value.split('\n');
      out(`    ${paint('dim', `${label}:`)} ${first}`);
      for (const line of rest) out(`      ${line}`);
    },
    note(text) {
      for (const line of text.split('\n')) out(`    ${line}`);
    },
    json(value) {
      for (const line of JSON.stringify(value, null, 2).split('\n')) out(`      ${line}`);
    },
    ok(text) {
      out(`    ${paint('green', '✓')} ${text}`);
    },
    fail(text) {
      out(`    ${paint('red', '✗')} ${paint('red', text)}`);
    },
    line(text = '') {
      out(text);
    },
    current() {
      return heading;
    },
  };
}
