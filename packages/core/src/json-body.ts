import type { McpAuth } from './create-mcp-auth.js';
import type { HeadersInit, PlainResponse } from './types.js';

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
 * The 413 every adapter answers when a body the policy needs is larger than its limit: a
 * JSON-RPC error (-32600), never an HTML page.
 *
 * @example
 * ```ts
 * if (!read.ok) return toResponse(BODY_TOO_LARGE);
 * ```
 */
export const BODY_TOO_LARGE: PlainResponse = Object.freeze({
  status: 413,
  headers: Object.freeze({ 'Content-Type': 'application/json' }),
  body: Object.freeze({
    jsonrpc: '2.0',
    id: null,
    error: Object.freeze({ code: -32600, message: 'Request body too large' }),
  }),
});

/**
 * Answers a Protected Resource Metadata request for several protected endpoints in one app:
 * the first endpoint whose document matches wins over the others' 404s. `undefined` when the
 * path is not a metadata path at all (let the app handle it).
 *
 * @example
 * ```ts
 * const answer = answerMetadataRequest([todos, calendar], { method, url, headers });
 * if (answer) return toResponse(answer);
 * ```
 * @see RFC 9728 §3
 */
export function answerMetadataRequest(
  cores: readonly McpAuth[],
  request: { method: string; url: string | URL; headers: HeadersInit },
): PlainResponse | undefined {
  let answer: PlainResponse | undefined;
  for (const core of cores) {
    const response = core.handleMetadataRequest(request);
    if (response && (answer === undefined || answer.status === 404)) answer = response;
  }
  return answer;
}

const decoder = new TextDecoder();

/**
 * The JSON-RPC message in a body, decoded once: a parsed object or array is used as it is; bytes
 * are decoded and parsed; anything else — a string (raw text, or a JSON string value, which is
 * never a message and is not decoded a second time), a number, form data — is `undefined`.
 */
export function toMessage(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return undefined;
  let bytes: Uint8Array | undefined;
  if (body instanceof Uint8Array) bytes = body;
  else if (body instanceof ArrayBuffer) bytes = new Uint8Array(body);
  if (bytes === undefined) {
    if (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams) return undefined;
    return body;
  }
  try {
    const parsed: unknown = JSON.parse(decoder.decode(bytes));
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}
