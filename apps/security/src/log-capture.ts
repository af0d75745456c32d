/** What {@link captureLogs} collected, and how to stop. */
export interface LogCapture {
  /** Every console call and every write to stdout/stderr since the capture started. */
  readonly lines: string[];
  /** Puts the original console methods and stream writers back. */
  restore(): void;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return `${value.name}: ${value.message}\n${value.stack ?? ''}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Captures everything the process logs — `console.*` and raw writes to `process.stdout` /
 * `process.stderr` — so a test can assert no token ever reaches a log. The output is kept, not
 * printed, unless `passThrough` is set.
 *
 * @example
 * ```ts
 * const capture = captureLogs();
 * // ... requests ...
 * capture.restore();
 * expect(capture.lines.join('\n')).not.toContain(token);
 * ```
 */
export function captureLogs(options: { passThrough?: boolean } = {}): LogCapture {
  const lines: string[] = [];
  const consoleOriginals = CONSOLE_METHODS.map((name) => [name, console[name]] as const);
  for (const name of CONSOLE_METHODS) {
    const original = console[name];
    console[name] = (...args: unknown[]) => {
      lines.push(`console.${name}: ${args.map(describe).join(' ')}`);
      if (options.passThrough) original.apply(console, args);
    };
  }
  const streams = [process.stdout, process.stderr] as const;
  const writeOriginals = streams.map((stream) => stream.write);
  for (const stream of streams) {
    const original = stream.write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
      if (options.passThrough)
        return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  }
  return {
    lines,
    restore() {
      for (const [name, original] of consoleOriginals) console[name] = original;
      streams.forEach((stream, i) => {
        stream.write = writeOriginals[i] as typeof stream.write;
      });
    },
  };
}

/**
 * The secrets (tokens, and each token's signature segment) that occur in any of `haystacks` —
 * `[]` when nothing leaked.
 *
 * @example
 * ```ts
 * expect(findLeaks(capture.lines, env.secrets())).toEqual([]);
 * ```
 */
export function findLeaks(haystacks: readonly string[], tokens: readonly string[]): string[] {
  const needles = new Set<string>();
  for (const token of tokens) {
    needles.add(token);
    // A signature segment is unique to its token: finding it means the token leaked in part.
    const signature = token.split('.')[2];
    if (signature !== undefined && signature.length >= 16) needles.add(signature);
  }
  const leaks: string[] = [];
  for (const needle of needles) {
    if (haystacks.some((h) => h.includes(needle))) leaks.push(needle);
  }
  return leaks;
}
