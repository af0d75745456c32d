import type { HeadersInit } from './types.js';

function isWebHeaders(headers: HeadersInit): headers is Headers {
  return typeof Headers !== 'undefined' && headers instanceof Headers;
}

function isIterable(value: unknown): value is Iterable<readonly [string, string]> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
  );
}

/**
 * Every value of header `name` (case-insensitive) in any {@link HeadersInit} shape, one entry
 * per occurrence. Repeated headers passed as arrays or repeated pairs stay separate; a Web
 * `Headers` object has already joined duplicates with `", "`, so it yields a single entry.
 *
 * @param headers - Web `Headers`, a plain record (keys any case, values string or array), or
 *   an iterable of `[name, value]` pairs (e.g. Node's `rawHeaders` paired up).
 * @param name - Header name, any case.
 * @returns The values in order; `[]` when absent.
 *
 * @example
 * ```ts
 * headerValues({ authorization: ['Bearer a', 'Bearer b'] }, 'Authorization'); // ['Bearer a', 'Bearer b']
 * headerValues(new Headers({ 'Mcp-Session-Id': 'abc' }), 'mcp-session-id'); // ['abc']
 * ```
 */
export function headerValues(headers: HeadersInit | undefined, name: string): string[] {
  if (headers === undefined || headers === null) return [];
  const lower = name.toLowerCase();
  if (isWebHeaders(headers)) {
    const value = headers.get(lower);
    return value === null ? [] : [value];
  }
  const out: string[] = [];
  if (!Array.isArray(headers) && !isIterable(headers)) {
    const record = headers as Readonly<Record<string, unknown>>;
    // Fast path: the usual lower-case key (Node, Fastify, Hono records).
    const direct = record[lower];
    if (direct !== undefined && Object.hasOwn(record, lower)) pushValue(out, direct);
    // for-in, not Object.keys: no array per lookup (several lookups per request).
    for (const key in record) {
      // Length first: most keys differ in length, so no lower-casing is needed.
      if (
        key !== lower &&
        key.length === lower.length &&
        key.toLowerCase() === lower &&
        Object.hasOwn(record, key)
      ) {
        pushValue(out, record[key]);
      }
    }
    return out;
  }
  for (const pair of headers as Iterable<readonly [string, string]>) {
    const key = Array.isArray(pair) ? pair[0] : undefined;
    if (typeof key === 'string' && key.length === lower.length && key.toLowerCase() === lower) {
      pushValue(out, pair[1]);
    }
  }
  return out;
}

function pushValue(out: string[], value: unknown): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) {
    for (const item of value) if (typeof item === 'string') out.push(item);
  }
}

/**
 * The first value of header `name`, or `undefined`.
 *
 * @example
 * ```ts
 * headerValue({ Origin: 'https://app.example' }, 'origin'); // 'https://app.example'
 * ```
 */
export function headerValue(headers: HeadersInit | undefined, name: string): string | undefined {
  return headerValues(headers, name)[0];
}
