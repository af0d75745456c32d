import type { DenyResult, PlainResponse } from './types.js';

/**
 * Turns a denial or a route answer (`handleMetadataRequest`, `preflight`) into a Web
 * `Response` for fetch-style hosts (Workers, Deno, Bun, Hono): the body as JSON, none for
 * `undefined`, HEAD, 204 and 304.
 *
 * @example
 * ```ts
 * const result = await auth.authorize({ method: req.method, url: req.url, headers: req.headers, body });
 * if (result.type === 'deny') return toResponse(result);
 * ```
 */
export function toResponse(result: PlainResponse | DenyResult): Response {
  const empty = result.body === undefined || result.status === 204 || result.status === 304;
  return new Response(empty ? null : JSON.stringify(result.body), {
    status: result.status,
    headers: result.headers,
  });
}
