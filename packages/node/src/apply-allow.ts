import type { ServerResponse } from 'node:http';
import type { McpAuth } from '@org/mcp-auth-core';
import type { AllowResult, ResponseHead } from '@org/mcp-auth-core/adapter';
import { holdResponseHead } from './hold-response-head.js';
import { onResponseHead } from './on-response-head.js';

type HeldAnswer = ReturnType<McpAuth['onResponse']>;

/**
 * Applies an allow decision to a Node response: sets its headers (CORS) and, when the core
 * left session work for the response (`result.session`), reports the response head to
 * `core.onResponse` when it is written — so a new `Mcp-Session-Id` is bound before the client
 * sees it, and a session ends only after a 2xx to its `DELETE`. With a shared store
 * (`core.sharedSessions`) the head of a response that may open a session is held until the
 * binding is stored, and replaced by the core's 503 when it cannot be. Attaching `authInfo` to
 * the request is left to each framework.
 *
 * @example
 * ```ts
 * const result = await core.authorize(toAuthorizeRequest(req));
 * if (result.type === 'allow') applyAllow(core, res, result);
 * ```
 */
export function applyAllow(
  core: {
    onResponse(result: AllowResult, response: ResponseHead): unknown;
    readonly sharedSessions?: boolean;
  },
  res: ServerResponse,
  result: AllowResult,
): void {
  const { headers } = result;
  for (const name in headers) res.setHeader(name, headers[name] as string);
  const { session } = result;
  if (session === undefined) return;
  if (session.action === 'open' && core.sharedSessions === true) {
    holdResponseHead(res, (head) => core.onResponse(result, head) as HeldAnswer);
    return;
  }
  // Only a reserved room must be given back when no head is ever written.
  const reportClose = session.action === 'open' && session.reservation !== undefined;
  onResponseHead(res, (head) => void core.onResponse(result, head), { reportClose });
}
