/**
 * RFC 7519 §4.1.4 with a clock tolerance (default 60 s): one rule for every verifier path. A
 * token that expired 30 s ago is within the tolerance and one that expired 90 s ago is not,
 * whether the server was given an `issuer` or a verifier built explicitly
 * (`createJwtVerifier`, `createMultiIssuerVerifier`) — over HTTP on every adapter.
 */
import type { McpAuthOptions } from '@org/mcp-auth-core';
import { createJwtVerifier, createMultiIssuerVerifier } from '@org/mcp-auth-core';
import { describe, expect, it } from 'vitest';
import {
  callTool,
  describeEachAdapter,
  expectInvalidToken,
  openSession,
  postMcp,
  type SecurityServer,
  type SecurityServerContext,
  toolCall,
  toolRunsDuring,
  useSecurityEnvironment,
} from '../src/index.js';

/** How the server gets its verifier. */
const PATHS: Array<{
  name: string;
  auth?: (server: SecurityServerContext) => Partial<McpAuthOptions>;
}> = [
  { name: 'issuer (the built-in JWT verifier)' },
  {
    name: 'verifier: createJwtVerifier({ issuer, resource })',
    auth: ({ resource, issuer }) => ({
      issuer: undefined,
      jwt: undefined,
      authorizationServers: [issuer],
      verifier: createJwtVerifier({ issuer, resource, jwksCooldownMs: 1_000 }),
    }),
  },
  {
    name: 'verifier: createMultiIssuerVerifier({ resource, issuers })',
    auth: ({ resource, issuer }) => ({
      issuer: undefined,
      jwt: undefined,
      verifier: createMultiIssuerVerifier({
        resource,
        issuers: [{ issuer, jwksCooldownMs: 1_000 }],
      }),
    }),
  },
];

describe.each(PATHS)('$name', ({ auth }) => {
  const env = useSecurityEnvironment(auth === undefined ? {} : { auth });

  /** A `todo:read` token whose `exp` was `secondsAgo` seconds ago (issued five minutes before). */
  const expiredToken = (server: SecurityServer, secondsAgo: number) => {
    const now = Math.floor(Date.now() / 1000);
    return env.mint(server, {
      scope: 'todo:read',
      issuedAt: now - 300 - secondsAgo,
      expiresIn: 300,
    });
  };

  describeEachAdapter('expiry within and beyond the tolerance', (adapter) => {
    it('accepts a token that expired 30 s ago (within the 60 s tolerance)', async () => {
      // Finding 9: with a verifier passed explicitly, createMcpAuth judged `exp` a second time
      // with no tolerance, so the same token was allowed or refused depending on the path.
      const server = env.server(adapter);
      const token = await expiredToken(server, 30);
      const { sessionId } = await openSession(server, token);
      const { runs, result } = await toolRunsDuring(server, () =>
        callTool(server, { token, sessionId }, 'list_todos'),
      );
      expect(result.status).toBe(200);
      expect(runs).toBe(1);
    });

    it('refuses a token that expired 90 s ago, on its own and on an open session', async () => {
      // Finding 9: beyond the tolerance, refused the same way on every path.
      const server = env.server(adapter);
      const token = await expiredToken(server, 90);
      const alone = await toolRunsDuring(server, () =>
        postMcp(server, toolCall('list_todos'), { token }),
      );
      expectInvalidToken(alone.result, server, 'token expired', 'todo:read');
      expect(alone.runs).toBe(0);
      const fresh = await env.mint(server, { scope: 'todo:read' });
      const { sessionId } = await openSession(server, fresh);
      const onSession = await toolRunsDuring(server, () =>
        callTool(server, { token, sessionId }, 'list_todos'),
      );
      expectInvalidToken(onSession.result, server, 'token expired', 'todo:read');
      expect(onSession.runs).toBe(0);
    });
  });
});
