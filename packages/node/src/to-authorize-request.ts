import type { IncomingMessage } from 'node:http';
import type { AuthorizeRequest } from '@org/mcp-auth-core/adapter';
import { requestHeaders } from './request-headers.js';

/**
 * The core's framework-neutral request for a Node request: method, URL (Express's
 * `originalUrl` when set, so a mounted router still sees the full path; otherwise `req.url`),
 * the headers from {@link requestHeaders} (repeated `Authorization` kept) and `body`, if given.
 *
 * @example
 * ```ts
 * const result = await core.authorize(toAuthorizeRequest(req, parsedBody));
 * ```
 */
export function toAuthorizeRequest(req: IncomingMessage, body?: unknown): AuthorizeRequest {
  const url = (req as { originalUrl?: unknown }).originalUrl;
  return {
    method: req.method ?? 'GET',
    url: typeof url === 'string' ? url : (req.url ?? '/'),
    headers: requestHeaders(req),
    body,
  };
}
