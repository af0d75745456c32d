import type { AuthInfo as SdkAuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createMcpAuth, type McpAuth } from '../src/create-mcp-auth.js';
import type { AuthInfo, AuthorizeResult } from '../src/types.js';
import { parseChallenge } from '../src/www-authenticate.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

let issuer: TestIssuer;
let auth: McpAuth;

const policy = {
  tools: {
    list_todos: 'todo:read',
    add_todo: 'todo:write',
    list_events: 'calendar:read',
    create_event: 'calendar:write',
  },
};

beforeAll(async () => {
  issuer = await createTestIssuer({
    issuer: 'https://auth.example.com',
    audience: RESOURCE,
    scope: 'todo:read',
  });
  auth = createMcpAuth({
    resource: RESOURCE,
    issuer: issuer.issuer,
    jwt: { fetch: issuer.fetch },
    policy,
  });
});

const call = (name: string, id = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name },
});
const request = (
  token: string,
  body: unknown = call('list_todos'),
  extra: Record<string, string> = {},
) => ({
  method: 'POST',
  url: '/mcp',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...extra },
  body,
});

function denied(result: AuthorizeResult) {
  if (result.type !== 'deny') throw new Error('expected deny');
  return result;
}

describe('createMcpAuth with real tokens (issuer + jwt options)', () => {
  it('authInfo is assignable to the MCP SDK AuthInfo', () => {
    expectTypeOf<AuthInfo>().toExtend<SdkAuthInfo>();
  });

  it('allows a valid token and normalises authInfo', async () => {
    const token = await issuer.mintAccessToken({
      claims: { sub: 'alice', scope: 'todo:read todo:write' },
    });
    const result = await auth.authorize(request(token, call('add_todo')));
    if (result.type !== 'allow') throw new Error(JSON.stringify(result.body));
    expect(result.authInfo.token).toBe(token);
    expect(result.authInfo.clientId).toBe('test-client');
    expect(result.authInfo.scopes).toEqual(['todo:read', 'todo:write']);
    expect(result.authInfo.extra?.sub).toBe('alice');
    expect(result.authInfo.resource?.href).toBe(RESOURCE);
    expect(typeof result.authInfo.expiresAt).toBe('number');
  });

  it('insufficient scope → 403 naming required plus granted scopes', async () => {
    const token = await issuer.mintAccessToken({ claims: { scope: 'todo:read' } });
    const result = denied(await auth.authorize(request(token, call('create_event'))));
    expect(result.status).toBe(403);
    expect(result.headers['WWW-Authenticate']).toBe(
      `Bearer error="insufficient_scope", error_description="Missing required scope: calendar:write", resource_metadata="${PRM}", scope="calendar:write todo:read"`,
    );
  });

  it('expired and underscoped → 401 invalid_token, not 403', async () => {
    const token = await issuer.mintAccessToken({
      claims: { scope: 'todo:read' },
      issuedAt: Math.floor(Date.now() / 1000) - 3600,
      expiresIn: 60,
    });
    const result = denied(await auth.authorize(request(token, call('create_event'))));
    expect(result.status).toBe(401);
    const challenge = parseChallenge(result.headers['WWW-Authenticate'] ?? '');
    expect(challenge?.params).toMatchObject({
      error: 'invalid_token',
      resource_metadata: PRM,
      scope: 'calendar:write',
    });
  });

  it('a token expired within the clock tolerance is still accepted (the verifier decides)', async () => {
    const token = await issuer.mintAccessToken({
      issuedAt: Math.floor(Date.now() / 1000) - 90,
      expiresIn: 60,
    });
    expect((await auth.authorize(request(token))).type).toBe('allow');
  });

  it('a token for another resource → 401 invalid_token', async () => {
    const token = await issuer.mintAccessToken({
      claims: { aud: 'https://other.example.com/mcp' },
    });
    const result = denied(await auth.authorize(request(token)));
    expect(result.status).toBe(401);
    expect(result.body).toMatchObject({ error: 'invalid_token' });
  });

  it('a Web Headers object with a duplicated Authorization → 400', async () => {
    const token = await issuer.mintAccessToken();
    const headers = new Headers();
    headers.append('authorization', `Bearer ${token}`);
    headers.append('authorization', `Bearer ${token}`);
    const result = denied(
      await auth.authorize({ method: 'POST', url: '/mcp', headers, body: call('list_todos') }),
    );
    expect(result.status).toBe(400);
    expect(JSON.stringify(result)).not.toContain(token);
  });

  it('binds a session to its subject across real tokens', async () => {
    const alice = await issuer.mintAccessToken({ claims: { sub: 'alice' } });
    const mallory = await issuer.mintAccessToken({ claims: { sub: 'mallory' } });
    const opened = await auth.authorize(request(alice));
    if (opened.type !== 'allow') throw new Error('expected allow');
    auth.bindSession('session-1', opened.authInfo);
    const hijack = denied(
      await auth.authorize(request(mallory, call('list_todos'), { 'mcp-session-id': 'session-1' })),
    );
    expect(hijack.status).toBe(403);
    expect(hijack.body).toMatchObject({ error: 'session_forbidden' });
    expect(
      (await auth.authorize(request(alice, call('list_todos'), { 'mcp-session-id': 'session-1' })))
        .type,
    ).toBe('allow');
  });

  it('authorization server down with no cached keys → 503 with Retry-After', async () => {
    const down = await createTestIssuer({ issuer: 'https://down.example.com', audience: RESOURCE });
    const guard = createMcpAuth({
      resource: RESOURCE,
      issuer: down.issuer,
      jwt: { fetch: down.fetch },
    });
    const token = await down.mintAccessToken();
    down.setOutage(true);
    const result = denied(await guard.authorize(request(token)));
    expect(result.status).toBe(503);
    expect(Number(result.headers['Retry-After'])).toBeGreaterThan(0);
    expect(result.headers).not.toHaveProperty('WWW-Authenticate');
    expect(result.body).toMatchObject({ error: 'jwks_unavailable' });
  });

  it('passes jwt options through (a bad one is a TypeError at construction)', () => {
    expect(() =>
      createMcpAuth({
        resource: RESOURCE,
        issuer: issuer.issuer,
        jwt: { jwksUri: 'http://keys.example.com/jwks' },
      }),
    ).toThrow(TypeError);
  });
});
