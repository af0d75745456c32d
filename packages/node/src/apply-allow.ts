import type { ServerResponse } from 'node:http';
import type { AllowResult, McpAuth } from '@org/mcp-auth-core';
import { onSessionIdWritten } from './on-session-id-written.js';

/**
 * Applies an allow decision to a Node response: sets its headers (CORS) and, when the core
 * binds sessions and the request carried a token, binds the `Mcp-Session-Id` the response
 * will carry to that token's subject before the client sees it. Attaching `authInfo` to the
 * request is left to each framework.
 *
 * @example
 * ```ts
 * const result = await core.authorize(toAuthorizeRequest(req));
 * if (result.type === 'allow') applyAllow(core, res, result);
 * ```
 */
export function applyAllow(
  core: Pick<McpAuth, 'sessionBinding' | 'bindSession'>,
  res: ServerResponse,
  result: AllowResult,
): void {
  const { headers } = result;
  for (const name in headers) res.setHeader(name, headers[name] as string);
  if (result.anonymous || !core.sessionBinding) return;
  const { authInfo } = result;
  onSessionIdWritten(res, (sessionId) => core.bindSession(sessionId, authInfo));
}
