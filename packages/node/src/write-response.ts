import type { ServerResponse } from 'node:http';
import { jsonRpcErrorResponse, type PlainResponse } from '@org/mcp-auth-core/adapter';

/**
 * The 500 an adapter writes when something unexpected failed while it decided (a bug, never a
 * denial): a JSON-RPC error (-32603) with no detail, never a stack trace.
 *
 * @example
 * ```ts
 * decided.catch(() => writeResponse(res, INTERNAL_ERROR));
 * ```
 */
export const INTERNAL_ERROR: PlainResponse = jsonRpcErrorResponse(500, -32603, 'Internal error');

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
