import type { PlainResponse } from './types.js';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * True for `application/json` and `application/*+json` content types: the bodies an adapter
 * reads for a scope policy that needs the JSON-RPC message.
 *
 * @example
 * ```ts
 * isJsonContentType('application/json; charset=utf-8'); // true
 * isJsonContentType('text/plain'); // false
 * ```
 */
export function isJsonContentType(contentType: string | null | undefined): boolean {
  return JSON_TYPE.test(contentType ?? '');
}

/**
 * The parsed JSON value; `undefined` for an empty body; the text itself when it does not parse,
 * so that `authorize` answers JSON-RPC -32700 when the policy needs the body.
 *
 * @example
 * ```ts
 * parseJsonText('{"a":1}'); // { a: 1 }
 * parseJsonText('{'); // '{'
 * ```
 */
export function parseJsonText(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A frozen JSON answer carrying a JSON-RPC error with a `null` id — the shape of every answer
 * the packages give a request they cannot hand to the application (never an HTML page).
 *
 * @example
 * ```ts
 * const UNREADABLE = jsonRpcErrorResponse(400, -32700, 'Request body unreadable');
 * ```
 */
export function jsonRpcErrorResponse(status: number, code: number, message: string): PlainResponse {
  return Object.freeze({
    status,
    headers: Object.freeze({ 'Content-Type': 'application/json' }),
    body: Object.freeze({ jsonrpc: '2.0', id: null, error: Object.freeze({ code, message }) }),
  });
}

/**
 * The 413 every adapter answers when a body the policy needs is larger than its limit: a
 * JSON-RPC error (-32600), never an HTML page.
 *
 * @example
 * ```ts
 * if (!read.ok) return toResponse(BODY_TOO_LARGE);
 * ```
 */
export const BODY_TOO_LARGE: PlainResponse = jsonRpcErrorResponse(
  413,
  -32600,
  'Request body too large',
);
