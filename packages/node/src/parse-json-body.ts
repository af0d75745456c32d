import { isJsonContentType, parseJsonText } from '@org/mcp-auth-core';

/**
 * True for `application/json` and `application/*+json` content types.
 *
 * @example
 * ```ts
 * isJsonType('application/json; charset=utf-8'); // true
 * isJsonType('text/plain'); // false
 * ```
 */
export function isJsonType(contentType: string | undefined): boolean {
  return isJsonContentType(contentType);
}

/**
 * The parsed JSON value; `undefined` for an empty body; the text itself when it does not parse
 * (the core then answers JSON-RPC -32700).
 *
 * @example
 * ```ts
 * parseJsonBody(Buffer.from('{"a":1}')); // { a: 1 }
 * parseJsonBody(Buffer.from('{')); // '{'
 * ```
 */
export function parseJsonBody(raw: Buffer | string): unknown {
  return parseJsonText(typeof raw === 'string' ? raw : raw.toString('utf8'));
}
