/**
 * Protected Resource Metadata under attack (RFC 9728 §3 and §7, MCP authorization "Protected
 * Resource Metadata Discovery"): the document and the challenges' `resource_metadata` must not
 * follow attacker-controlled Host / forwarding headers or query parameters, the metadata stays
 * public whatever Authorization says, and unknown or traversing paths are plain 404s (never 401
 * or 5xx, which would send clients elsewhere). Over HTTP on every adapter.
 */
import { describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  challengeFor,
  expectDenial,
  expectNoInternals,
  mcpHeaders,
  type RawResponse,
  SCOPES,
  type SecurityServer,
  toolCall,
  useSecurityEnvironment,
} from '../src/index.js';

const env = useSecurityEnvironment();
const PRM = '/.well-known/oauth-protected-resource';

function expectDocument(res: RawResponse, server: SecurityServer) {
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['www-authenticate']).toBeUndefined();
  expect(JSON.parse(res.text)).toEqual({
    resource: server.resource,
    authorization_servers: [env.issuer.issuer],
    bearer_methods_supported: ['header'],
    scopes_supported: SCOPES,
    resource_name: `Security harness (${server.adapter})`,
  });
}

/** Forwarding headers an attacker (or a misconfigured proxy) might send. */
const SPOOFED_HOST: Array<[string, string]> = [
  ['Host', 'evil.example'],
  ['X-Forwarded-Host', 'evil-forwarded.example'],
  ['X-Forwarded-Proto', 'https'],
  ['X-Forwarded-Port', '8443'],
  ['X-Original-URL', '/admin'],
  ['X-Rewrite-URL', '/admin'],
  ['Forwarded', 'host=evil-forwarded.example;proto=https'],
];

/** Paths under the metadata prefix that are not a document: 404 JSON from the core. */
const UNKNOWN = [
  `${PRM}/other`,
  `${PRM}/mcp/`,
  `${PRM}//mcp`,
  `${PRM}/%6Dcp`,
  `${PRM}/MCP`,
  `${PRM}/mcp/..%2f..%2fetc%2fpasswd`,
  `${PRM}/mcp%00`,
];

describe.each(ADAPTERS)('RFC 9728 metadata attacks over HTTP (%s)', (adapter) => {
  it('serves the document to anyone, whatever Authorization header comes with it', async () => {
    const server = env.server(adapter);
    const forged = env.remember(`${await env.mint(server)}x`);
    for (const authorization of [undefined, 'Bearer garbage', `Bearer ${forged}`, 'Basic x']) {
      for (const path of [`${PRM}/mcp`, PRM]) {
        const res = await server.send({
          method: 'GET',
          path,
          headers: authorization === undefined ? [] : [['Authorization', authorization]],
        });
        expectDocument(res, server);
      }
    }
  });

  it('ignores query parameters that try to rewrite the document', async () => {
    const server = env.server(adapter);
    const res = await server.send({
      method: 'GET',
      path: `${PRM}/mcp?resource=https://evil.example/mcp&authorization_servers=https://evil.example`,
    });
    expectDocument(res, server);
  });

  it('never builds the document from Host or forwarding headers', async () => {
    const server = env.server(adapter);
    expectDocument(
      await server.send({ method: 'GET', path: `${PRM}/mcp`, headers: SPOOFED_HOST }),
      server,
    );
    expectDocument(await server.send({ method: 'GET', path: PRM, headers: SPOOFED_HOST }), server);
  });

  it('never points resource_metadata at a spoofed host in a 401', async () => {
    const server = env.server(adapter);
    const res = await server.send({
      method: 'POST',
      headers: [...mcpHeaders({}), ...SPOOFED_HOST],
      body: JSON.stringify(toolCall('list_todos')),
    });
    expectDenial(res, {
      status: 401,
      challenge: challengeFor(server, { scope: 'todo:read' }),
      body: { error: 'missing_credentials', error_description: 'Authorization required' },
    });
    expect(res.text).not.toContain('evil');
  });

  it('points resource_metadata at a document whose resource is this server (SDK check)', async () => {
    const server = env.server(adapter);
    const res = await server.send({
      method: 'POST',
      headers: mcpHeaders({}),
      body: JSON.stringify(toolCall('list_todos')),
    });
    const url = /resource_metadata="([^"]+)"/.exec(res.headers['www-authenticate'] ?? '')?.[1];
    expect(url).toBe(server.metadataUrl);
    const document = await server.send({ method: 'GET', path: new URL(url!).pathname });
    expectDocument(document, server);
    // The SDK client requires the PRM resource to be a same-origin prefix of the server URL.
    expect(`${server.url}/mcp`.startsWith(JSON.parse(document.text).resource)).toBe(true);
  });

  it.each(UNKNOWN)(
    'answers unknown metadata path %s with a 404, never 401 or 5xx',
    async (path) => {
      const server = env.server(adapter);
      const res = await server.send({
        method: 'GET',
        path,
        headers: [['Authorization', 'Bearer garbage']],
      });
      expectDenial(res, {
        status: 404,
        challenge: null,
        body: { error: 'not_found', error_description: 'No protected resource metadata here' },
      });
    },
  );

  it('a dot-segment path out of the metadata prefix is a 404 or the protected endpoint', async () => {
    const server = env.server(adapter);
    const res = await server.send({ method: 'GET', path: `${PRM}/../../mcp` });
    if (adapter === 'hono') {
      // The Web URL parser resolves it to /mcp: the MCP endpoint answers, still protected.
      expectDenial(res, { status: 401, challenge: challengeFor(server) });
    } else {
      expect(res.status).toBe(404);
      expect(res.headers['www-authenticate']).toBeUndefined();
    }
    expectNoInternals(res);
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])(
    '%s on the metadata is 405 with Allow, never 401',
    async (method) => {
      const server = env.server(adapter);
      const res = await server.send({
        method,
        path: `${PRM}/mcp`,
        headers: [
          ['Content-Type', 'application/json'],
          ['Authorization', 'Bearer garbage'],
        ],
        body: '{"resource":"https://evil.example/mcp"}',
      });
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
      expect(res.headers['www-authenticate']).toBeUndefined();
      expectDocument(await server.send({ method: 'GET', path: `${PRM}/mcp` }), server);
    },
  );

  it('does not serve authorization-server metadata of its own (no issuer impersonation)', async () => {
    const server = env.server(adapter);
    for (const path of [
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
      '/.well-known/jwks.json',
    ]) {
      const res = await server.send({ method: 'GET', path });
      expect(res.status, path).toBe(404);
    }
  });
});
