/**
 * RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )` — printable ASCII without
 * space, `"` or `\`. The one grammar every scope in the packages is checked against.
 */
export const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * True when `value` is a single RFC 6749 scope-token.
 * @example
 * ```ts
 * isScopeToken('todo:read');   // true
 * isScopeToken('a b');         // false (two scope-tokens)
 * isScopeToken('caf\u00e9');   // false (not ASCII)
 * ```
 */
export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value);
}
