/**
 * RFC 9449 §7.2 and §11 (DPoP security considerations) and RFC 8705 §3: a sender-constrained
 * token stolen from its client must not be replayable as a plain bearer token, a DPoP proof is
 * not an access token, and the `DPoP` scheme is not a way around the Bearer checks while the
 * server does not do DPoP. Tokens are genuine (signed by the issuer); over HTTP on every adapter.
 */
import { generateTestKey } from '@org/mcp-auth-testing';
import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  challengeFor,
  expectDenial,
  expectInvalidToken,
  mcpHeaders,
  postMcp,
  type SecurityServer,
  signJwt,
  toolCall,
  toolRunsDuring,
  useSecurityEnvironment,
  sessionPerServer,
} from '../src/index.js';

const env = useSecurityEnvironment();
const BOUND = 'sender-constrained token (cnf) cannot be used as a bearer token';

/** A session per server, opened by a plain `todo:read` token of the same subject. */
const shared = sessionPerServer(env, 'todo:read');
const sessionOf = async (server: SecurityServer) => (await shared(server)).sessionId;

/** The client's DPoP key, its thumbprint, and a proof for a POST to `server`. */
async function dpopClient(server: SecurityServer) {
  const key = await generateTestKey('ES256');
  const { kid: _kid, alg: _alg, use: _use, ...jwk } = key.publicJwk;
  const jkt = await calculateJwkThumbprint(jwk);
  const proof = env.remember(
    await signJwt({
      header: { alg: 'ES256', typ: 'dpop+jwt', jwk },
      payload: {
        jti: crypto.randomUUID(),
        htm: 'POST',
        htu: server.resource,
        iat: Math.floor(Date.now() / 1000),
      },
      key: key.privateKey,
    }),
  );
  return { jkt, proof };
}

describe.each(ADAPTERS)('RFC 9449 downgrade attempts over HTTP (%s)', (adapter) => {
  it('refuses a DPoP-bound token (cnf.jkt) replayed as a Bearer token', async () => {
    const server = env.server(adapter);
    const sessionId = await sessionOf(server);
    const { jkt } = await dpopClient(server);
    const token = await env.mint(server, { scope: 'todo:read', claims: { cnf: { jkt } } });
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, toolCall('list_todos'), { token, sessionId }),
    );
    expectInvalidToken(result, server, BOUND, 'todo:read');
    expect(runs).toBe(0);
  });

  it('refuses a certificate-bound token (cnf x5t#S256, RFC 8705) as a Bearer token', async () => {
    const server = env.server(adapter);
    const sessionId = await sessionOf(server);
    const token = await env.mint(server, {
      scope: 'todo:read',
      claims: { cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } },
    });
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, toolCall('list_todos'), { token, sessionId }),
    );
    expectInvalidToken(result, server, BOUND, 'todo:read');
    expect(runs).toBe(0);
  });

  it('refuses a bound token under the DPoP scheme with a proof: DPoP is not accepted', async () => {
    const server = env.server(adapter);
    const sessionId = await sessionOf(server);
    const { jkt, proof } = await dpopClient(server);
    const token = await env.mint(server, { scope: 'todo:read', claims: { cnf: { jkt } } });
    const { runs, result } = await toolRunsDuring(server, () =>
      server.send({
        method: 'POST',
        headers: [
          ...mcpHeaders({ sessionId }),
          ['Authorization', `DPoP ${token}`],
          ['DPoP', proof],
        ],
        body: JSON.stringify(toolCall('list_todos')),
      }),
    );
    expectDenial(result, {
      status: 401,
      challenge: challengeFor(server, { scope: 'todo:read' }),
      body: { error: 'missing_credentials', error_description: 'Authorization required' },
    });
    expect(runs).toBe(0);
  });

  it('refuses a plain token under the DPoP scheme with a garbage proof', async () => {
    const server = env.server(adapter);
    const sessionId = await sessionOf(server);
    const token = await env.mint(server, { scope: 'todo:read' });
    const { runs, result } = await toolRunsDuring(server, () =>
      server.send({
        method: 'POST',
        headers: [
          ...mcpHeaders({ sessionId }),
          ['Authorization', `DPoP ${token}`],
          ['DPoP', 'not-a-proof'],
        ],
        body: JSON.stringify(toolCall('list_todos')),
      }),
    );
    expect(result.status).toBe(401);
    expect(result.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(runs).toBe(0);
  });

  it('refuses a DPoP proof presented as the access token', async () => {
    const server = env.server(adapter);
    const sessionId = await sessionOf(server);
    const { proof } = await dpopClient(server);
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, toolCall('list_todos'), { token: proof, sessionId }),
    );
    expectInvalidToken(result, server, 'token type (typ) is not at+jwt', 'todo:read');
    expect(runs).toBe(0);
  });

  it('refuses a bound token sent both ways (Bearer header, bound proof alongside)', async () => {
    const server = env.server(adapter);
    const sessionId = await sessionOf(server);
    const { jkt, proof } = await dpopClient(server);
    const token = await env.mint(server, { scope: 'todo:read', claims: { cnf: { jkt } } });
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, toolCall('list_todos'), { token, sessionId, headers: [['DPoP', proof]] }),
    );
    expectInvalidToken(result, server, BOUND, 'todo:read');
    expect(runs).toBe(0);
  });
});
