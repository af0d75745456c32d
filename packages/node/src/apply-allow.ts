import type { ServerResponse } from 'node:http';
import type { McpAuth } from '@org/mcp-auth-core';
import type { AllowResult } from '@org/mcp-auth-core/adapter';
import { onResponseHead } from './on-response-head.js';

/**
 * Applies an allow decision to a Node response: sets its headers (CORS) and, when the core
 * left session work for the response (`result.session`), reports the response head to
 * `core.onResponse` when it is written — so a new `Mcp-Session-Id` is bound before the client
 * sees it, and a session ends only after a 2xx to its `DELETE`. Attaching `authInfo` to the
 * request is left to each framework.
 *
 * @example
 * ```ts
 * const result = await core.authorize(toAuthorizeRequest(req));
 * if (result.type === 'allow') applyAllow(core, res, result);
 * ```
 */
export function applyAllow(
  core: Pick<McpAuth, 'onResponse'>,
  res: ServerResponse,
  result: AllowResult,
): void {
  const { headers } = result;
  for (const name in headers) res.setHeader(name, headers[name] as string);
  const { session } = result;
  if (session === undefined) return;
  // Only a reserved room must be given back when no head is ever written.
  const reportClose = session.action === 'open' && session.reservation !== undefined;
  onResponseHead(res, (head) => core.onResponse(result, head), { reportClose });
}
