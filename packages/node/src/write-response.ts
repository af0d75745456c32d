import type { ServerResponse } from 'node:http';
import type { PlainResponse } from '@org/mcp-auth-core';

/**
 * Writes a core response (metadata, preflight, denial) as-is, JSON-encoding its body with
 * `Content-Type: application/json`. When the head was already sent, only ends the response.
 *
 * @example
 * ```ts
 * writeResponse(res, core.preflight(toAuthorizeRequest(req)));
 * ```
 */
export function writeResponse(res: ServerResponse, response: PlainResponse): void {
  const { status, headers, body } = response;
  if (res.headersSent) return void res.end();
  res.writeHead(
    status,
    body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
  );
  res.end(body === undefined ? undefined : JSON.stringify(body));
}
