import {
  InsufficientScopeError,
  InvalidTokenError,
  ServerError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import { type AccessTokenVerifier, isMcpAuthError } from '@org/mcp-auth-core';

const INVALID_TOKEN = 'The access token is invalid';

/** The SDK writes the message into `WWW-Authenticate` unescaped: keep it a valid quoted string. */
function safeMessage(message: string): string {
  const cleaned = message.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '').trim();
  return cleaned === '' ? INVALID_TOKEN : cleaned;
}

function toSdkError(error: unknown): Error {
  if (!isMcpAuthError(error)) return new InvalidTokenError(INVALID_TOKEN); // never leak internals
  const message = safeMessage(error.message);
  switch (error.code) {
    case 'jwks_unavailable':
    case 'authorization_server_unavailable':
      return new ServerError(message); // the SDK answers 500: it has no 503 / Retry-After
    case 'insufficient_scope':
      return new InsufficientScopeError(message);
    default:
      return new InvalidTokenError(message);
  }
}

/**
 * Adapts one of our verifiers (`createJwtVerifier`, `createIntrospectionVerifier`, …) to the
 * MCP SDK's `requireBearerAuth`, which maps errors by `instanceof` on its own error classes
 * (anything else becomes a 500). Rejections are rethrown as the SDK's errors:
 * `invalid_token` (and any other code, or an unknown error) → `InvalidTokenError` (401 with the
 * SDK's `Bearer error="invalid_token"` challenge); `jwks_unavailable` /
 * `authorization_server_unavailable` → `ServerError`, which the SDK answers with **500**
 * `server_error` — it cannot express a 503 with `Retry-After` (`mcpAuth` can).
 * Messages are our safe `McpAuthError` descriptions; anything else gets a generic one.
 *
 * Import it from `@org/mcp-auth-express/sdk` (`@modelcontextprotocol/sdk` 1.x must be
 * installed; the main entry never loads it).
 *
 * @example
 * ```ts
 * import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
 * import { createJwtVerifier } from '@org/mcp-auth-express';
 * import { toSdkTokenVerifier } from '@org/mcp-auth-express/sdk';
 *
 * const verifier = toSdkTokenVerifier(createJwtVerifier({ issuer, resource }));
 * app.post('/mcp', requireBearerAuth({ verifier, resourceMetadataUrl }), handler);
 * ```
 */
export function toSdkTokenVerifier(verifier: AccessTokenVerifier): OAuthTokenVerifier {
  return {
    async verifyAccessToken(token) {
      try {
        return await verifier.verifyAccessToken(token);
      } catch (error) {
        throw toSdkError(error);
      }
    },
  };
}
