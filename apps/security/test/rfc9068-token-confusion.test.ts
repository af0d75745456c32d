/**
 * Cross-JWT confusion (RFC 8725 §2.8 and §3.11, RFC 9068 §4) and token passthrough (MCP
 * security best practices "Token Passthrough", RFC 8707): genuine tokens signed by the trusted
 * issuer, but of the wrong kind or for someone else — an ID token, other `typ`s, a token for a
 * sibling MCP server, a token from another issuer identifier. Over HTTP on every adapter.
 */
import { describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  type AdapterName,
  expectInvalidToken,
  type MintOptions,
  postMcp,
  type SecurityEnvironment,
  type SecurityServer,
  toolCall,
  toolRunsDuring,
  useSecurityEnvironment,
  sessionPerServer,
} from '../src/index.js';

const env = useSecurityEnvironment();

/** A genuine token that must still be refused, and why. */
interface Confusion {
  name: string;
  mint(e: SecurityEnvironment, server: SecurityServer, adapter: AdapterName): MintOptions;
  description: string;
}

const WRONG_TYPE = 'token type (typ) is not at+jwt';

const CONFUSIONS: Confusion[] = [
  {
    name: 'an OpenID Connect ID token for the client (typ JWT, nonce, at_hash)',
    mint: () => ({
      header: { typ: 'JWT' },
      claims: { aud: 'test-client', nonce: 'n-0S6_WzA2Mj', at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' },
    }),
    description: WRONG_TYPE,
  },
  {
    name: 'an ID token whose aud names this server',
    mint: () => ({ header: { typ: 'JWT' }, claims: { nonce: 'n-0S6_WzA2Mj' } }),
    description: WRONG_TYPE,
  },
  {
    name: 'a token without typ',
    mint: () => ({ omitHeader: ['typ'] }),
    description: 'missing token type (typ)',
  },
  ...[
    'JWT',
    'application/jwt',
    'dpop+jwt',
    'secevent+jwt',
    'token-introspection+jwt',
    'at+jwe',
    'at-jwt',
  ].map(
    (typ): Confusion => ({
      name: `a token of typ ${typ}`,
      mint: () => ({ header: { typ } }),
      description: WRONG_TYPE,
    }),
  ),
  {
    name: 'a token for a sibling MCP server on the same host (token passthrough)',
    mint: (e, _server, adapter) => {
      const sibling = e.servers.find((s) => s.adapter !== adapter)!;
      return { claims: { aud: sibling.resource } };
    },
    description: 'audience mismatch',
  },
  {
    name: 'a token whose aud lists only other resources',
    mint: () => ({ claims: { aud: ['https://api.example/', 'https://other.example/mcp'] } }),
    description: 'audience mismatch',
  },
  {
    name: 'a token for an upstream API (aud of another service)',
    mint: () => ({ claims: { aud: 'https://graph.example.com' } }),
    description: 'audience mismatch',
  },
  {
    name: 'a token whose iss is another issuer',
    mint: () => ({ claims: { iss: 'https://evil.example' } }),
    description: 'issuer mismatch',
  },
  {
    name: 'a token whose iss differs from the configured issuer by a trailing slash',
    mint: (e) => ({ claims: { iss: `${e.issuer.issuer}/` } }),
    description: 'issuer mismatch',
  },
  {
    name: 'a token without exp',
    mint: () => ({ omit: ['exp'] }),
    description: 'missing required claim "exp"',
  },
];

/** A session per server, opened by a plain `todo:read` token of the same subject. */
const shared = sessionPerServer(env, 'todo:read');
const sessionOf = async (server: SecurityServer) => (await shared(server)).sessionId;

describe.each(ADAPTERS)('RFC 9068 token confusion over HTTP (%s)', (adapter) => {
  it('accepts typ at+jwt in any letter case (the control)', async () => {
    const server = env.server(adapter);
    const sessionId = await sessionOf(server);
    for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt']) {
      const token = await env.mint(server, { scope: 'todo:read', header: { typ } });
      const { runs, result } = await toolRunsDuring(server, () =>
        postMcp(server, toolCall('list_todos'), { token, sessionId }),
      );
      expect(result.status, typ).toBe(200);
      expect(runs).toBe(1);
    }
  });

  it.each(CONFUSIONS)('refuses $name', async ({ mint, description }) => {
    const server = env.server(adapter);
    const sessionId = await sessionOf(server);
    const options = mint(env, server, adapter);
    const token = await env.mint(server, {
      ...options,
      scope: 'todo:read todo:write calendar:read calendar:write',
    });
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, toolCall('list_todos'), { token, sessionId }),
    );
    expectInvalidToken(result, server, description, 'todo:read');
    expect(runs).toBe(0);
  });
});
