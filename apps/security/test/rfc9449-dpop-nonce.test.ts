/**
 * RFC 9449 §8 and §9 with server nonces on (`dpop: { mode: 'allowed', nonce: true }`), over HTTP
 * on every adapter: a proof made ahead of time (no nonce, or a nonce the server never gave) is
 * refused with 401 `use_dpop_nonce` and a fresh `DPoP-Nonce` header the client can read; a proof
 * with that nonce is accepted, and the answer carries the current nonce too.
 */
import { createDpopKey } from '@org/mcp-auth-testing';
import { describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  expectDenial,
  mcpHeaders,
  quotable,
  type SecurityServer,
  sessionPerServer,
  toolCall,
  toolRunsDuring,
  useSecurityEnvironment,
} from '../src/index.js';

const env = useSecurityEnvironment({ auth: { dpop: { mode: 'allowed', nonce: true } } });
const ALGS = 'ES256 ES384 RS256 PS256 EdDSA';
const SCOPE = 'todo:read';
const shared = sessionPerServer(env, SCOPE);

function nonceChallenge(server: SecurityServer, description: string): string {
  const common = `resource_metadata="${server.metadataUrl}", scope="${SCOPE}"`;
  return `Bearer ${common}, DPoP error="use_dpop_nonce", error_description="${quotable(description)}", ${common}, algs="${ALGS}"`;
}

describe.each(ADAPTERS)('RFC 9449 server nonces over HTTP (%s)', (adapter) => {
  it('asks for a nonce, accepts it, and refuses one it never gave', async () => {
    const server = env.server(adapter);
    const { sessionId } = await shared(server);
    const key = await createDpopKey();
    const token = await env.mint(server, { scope: SCOPE, claims: { cnf: { jkt: key.jkt } } });
    const send = async (nonce?: string) => {
      const proof = env.remember(
        await key.proof({
          method: 'POST',
          url: server.resource,
          accessToken: token,
          ...(nonce === undefined ? {} : { claims: { nonce } }),
        }),
      );
      return toolRunsDuring(server, () =>
        server.send({
          method: 'POST',
          headers: [
            ...mcpHeaders({ sessionId, origin: 'http://localhost:6274' }),
            ['Authorization', `DPoP ${token}`],
            ['DPoP', proof],
          ],
          body: JSON.stringify(toolCall('list_todos')),
        }),
      );
    };
    const first = await send();
    expectDenial(first.result, {
      status: 401,
      challenge: nonceChallenge(server, 'DPoP proof nonce required'),
      body: { error: 'use_dpop_nonce', error_description: 'DPoP proof nonce required' },
    });
    expect(first.runs).toBe(0);
    const nonce = first.result.headers['dpop-nonce'];
    expect(nonce).toMatch(/^[\w-]{43}$/);
    // A browser client can read it.
    expect(first.result.headers['access-control-expose-headers']).toContain('DPoP-Nonce');

    const second = await send(nonce);
    expect(second.result.status, second.result.text.slice(0, 200)).toBe(200);
    expect(second.runs).toBe(1);
    expect(second.result.headers['dpop-nonce']).toBe(nonce);

    const madeUp = await send('A'.repeat(43));
    expectDenial(madeUp.result, {
      status: 401,
      challenge: nonceChallenge(server, 'DPoP proof nonce is not current'),
      body: { error: 'use_dpop_nonce', error_description: 'DPoP proof nonce is not current' },
    });
    expect(madeUp.runs).toBe(0);
  });
});
