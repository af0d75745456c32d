import { McpAuthConfigError } from './errors.js';
import { assertKnownOptions } from './known-options.js';
import { assertSecureUrl } from './url.js';

/**
 * Option names a verifier no longer knows, each with what to write instead, e.g.
 * `{ cacheMaxAge: 'use cache: { maxAgeMs }' }`. {@link assertOptionNames} puts the hint in the
 * error a caller still using the old name gets.
 */
export type RenamedOptions = Readonly<Record<string, string>>;

/**
 * Throws {@link McpAuthConfigError} (a `TypeError`) unless `options` is an object.
 * @example
 * ```ts
 * assertOptionsObject(options); // 'mcp-auth: option "options" must be an object'
 * ```
 */
export function assertOptionsObject(options: unknown): asserts options is object {
  if (typeof options !== 'object' || options === null) {
    throw new McpAuthConfigError('options', 'must be an object');
  }
}

/**
 * Refuses any key of `options` outside `known`, like `assertKnownOptions`, and for a key in
 * `renamed` says what replaced it: `option "cacheMaxAge" is not a known option (use cache:
 * { maxAgeMs })`. Other unknown keys get the usual "did you mean" for a slip.
 *
 * @example
 * ```ts
 * assertOptionNames(options, INTROSPECTION_OPTION_NAMES, RENAMED_INTROSPECTION_OPTIONS);
 * ```
 */
export function assertOptionNames(
  options: object,
  known: ReadonlySet<string>,
  renamed: RenamedOptions = {},
  prefix = '',
): void {
  for (const key of Object.keys(options)) {
    if (known.has(key) || !Object.hasOwn(renamed, key)) continue;
    throw new McpAuthConfigError(`${prefix}${key}`, `is not a known option (${renamed[key]})`);
  }
  assertKnownOptions(options, known, prefix);
}

/**
 * A number option: `fallback` when absent; else a finite number of at least `min` (greater than
 * `min` with `exclusive`), or a {@link McpAuthConfigError} naming it.
 * @example
 * ```ts
 * const timeoutMs = numberOption('timeoutMs', options.timeoutMs, 5_000, 0, true);
 * ```
 */
export function numberOption(
  option: string,
  value: unknown,
  fallback: number,
  min: number,
  exclusive = false,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    (exclusive && value === min)
  ) {
    throw new McpAuthConfigError(
      option,
      `must be a finite number ${exclusive ? 'greater than' : 'of at least'} ${min}`,
    );
  }
  return value;
}

/**
 * A list-of-strings option: a copy of `fallback` when absent; else an array of non-empty
 * strings, or a {@link McpAuthConfigError} naming it.
 * @example
 * ```ts
 * const audiences = stringListOption('additionalAudiences', options.additionalAudiences, []);
 * ```
 */
export function stringListOption(
  option: string,
  value: unknown,
  fallback: readonly string[],
): string[] {
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new McpAuthConfigError(option, 'must be an array of non-empty strings');
  }
  return [...value];
}

/**
 * A boolean option: `fallback` when absent; else a boolean, or a {@link McpAuthConfigError}.
 * @example
 * ```ts
 * const requireAudience = flagOption('requireAudience', options.requireAudience, true);
 * ```
 */
export function flagOption(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new McpAuthConfigError(option, 'must be a boolean');
  return value;
}

/**
 * The `fetch` option: the given function, or one calling `globalThis.fetch` at request time
 * (so a fetch installed later, or replaced in tests, is used).
 * @example
 * ```ts
 * const doFetch = fetchOption(options.fetch);
 * ```
 */
export function fetchOption(value: unknown): typeof fetch {
  if (value === undefined) return (input, init) => globalThis.fetch(input, init);
  if (typeof value !== 'function') throw new McpAuthConfigError('fetch', 'must be a function');
  return value as typeof fetch;
}

/**
 * The `resource` option of a verifier: an https (or loopback http) URL without a fragment.
 * @example
 * ```ts
 * const resource = resourceOption(options.resource); // 'https://mcp.example.com/mcp'
 * ```
 */
export function resourceOption(value: unknown): string {
  assertSecureUrl('resource', value);
  if ((value as string).includes('#')) {
    throw new McpAuthConfigError('resource', 'must not have a fragment');
  }
  return value as string;
}
