import type { AuthInfo as SdkAuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createJwtVerifier } from '../src/create-jwt-verifier.js';
import { createMcpAuth, type McpAuth } from '../src/create-mcp-auth.js';
import { createMultiIssuerVerifier } from '../src/create-multi-issuer-verifier.js';
import { decide } from '../src/adapter.js';
import type { DecisionEvent } from '../src/audit.js';
import { VERIFY_SYNC } from '../src/core-brand.js';
import { syncTokenHash } from '../src/token-hash.js';
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
    if (result.type !== 'allow' || result.authInfo === undefined) throw new Error('denied');
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
    const opened = await auth.authorize(
      request(alice, { jsonrpc: '2.0', id: 0, method: 'initialize', params: {} }),
    );
    if (opened.type !== 'allow') throw new Error('expected allow');
    auth.onResponse(opened, { status: 200, sessionId: 'session-1' });
    const hijack = denied(
      await auth.authorize(request(mallory, call('list_todos'), { 'mcp-session-id': 'session-1' })),
    );
    expect(hijack.status).toBe(404);
    expect(hijack.body).toMatchObject({ error: { code: -32001, message: 'Session not found' } });
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

  it('one token-length limit: the top-level maxTokenLength reaches the built-in verifier', async () => {
    // A token of about 12 000 characters: over the 8192 default, under the configured 20 000.
    const token = await issuer.mintAccessToken({ claims: { pad: 'x'.repeat(9_000) } });
    expect(token.length).toBeGreaterThan(8192);
    const make = (options: { maxTokenLength?: number; jwt?: { maxTokenLength: number } }) =>
      createMcpAuth({
        resource: RESOURCE,
        issuer: issuer.issuer,
        ...options,
        jwt: { fetch: issuer.fetch, ...options.jwt },
        sessionBinding: false,
      });
    expect((await make({ maxTokenLength: 20_000 }).authorize(request(token))).type).toBe('allow');
    expect(denied(await make({}).authorize(request(token))).status).toBe(400);
    // jwt.maxTokenLength still wins for the verifier when it is set.
    const narrower = make({ maxTokenLength: 20_000, jwt: { maxTokenLength: 9_000 } });
    expect(denied(await narrower.authorize(request(token))).status).toBe(401);
  });
});

describe('decide: the decision without waiting when nothing needs it', () => {
  const make = (cache = {}) =>
    createMcpAuth({
      resource: RESOURCE,
      issuer: issuer.issuer,
      jwt: { fetch: issuer.fetch, cache },
      policy,
      sessionBinding: false,
    });

  // Where the runtime offers a synchronous SHA-256 (Node); the edge run checks the other case.
  const withSyncHash = it.runIf(syncTokenHash !== undefined);

  withSyncHash(
    'is a Promise for a first verification, then synchronous for the cached token',
    async () => {
      const guard = make();
      const token = await issuer.mintAccessToken({ claims: { scope: 'todo:read' } });
      const first = decide(guard, request(token));
      expect(first).toBeInstanceOf(Promise);
      const verified = await first;
      const again = decide(guard, request(token));
      expect(again).not.toBeInstanceOf(Promise);
      expect(again).toEqual(verified);
      expect(again).toMatchObject({ type: 'allow', authInfo: { token, scopes: ['todo:read'] } });
      // Scopes are still evaluated on every request, the cached ones included.
      const refused = denied(decide(guard, request(token, call('add_todo'))) as AuthorizeResult);
      expect(refused.status).toBe(403);
      expect(await guard.authorize(request(token))).toEqual(verified);
    },
  );

  it('answers a missing or malformed token synchronously, as authorize does', async () => {
    const guard = make();
    const none = { ...request('x'), headers: { 'content-type': 'application/json' } };
    const missing = decide(guard, none);
    expect(missing).not.toBeInstanceOf(Promise);
    expect(missing).toEqual(await guard.authorize(none));
    expect(denied(decide(guard, request('not a token!')) as AuthorizeResult).status).toBe(400);
  });

  withSyncHash('refuses a recently rejected signature synchronously (negative cache)', async () => {
    const guard = make();
    const good = await issuer.mintAccessToken();
    const forged = `${good.slice(0, good.lastIndexOf('.'))}.${'A'.repeat(86)}`;
    expect(denied(await guard.authorize(request(forged))).status).toBe(401);
    const again = decide(guard, request(forged));
    expect(again).not.toBeInstanceOf(Promise);
    expect(denied(again as AuthorizeResult).body).toMatchObject({ error: 'invalid_token' });
  });

  it('waits for Web Crypto where the runtime has no synchronous SHA-256 (edge), hit or not', async () => {
    const guard = make({});
    const token = await issuer.mintAccessToken();
    await guard.authorize(request(token));
    const hit = decide(guard, request(token));
    // On Node the core finds node:crypto itself; in a Web-standard runtime it cannot.
    expect(hit instanceof Promise).toBe(syncTokenHash === undefined);
    expect(await hit).toMatchObject({ type: 'allow', authInfo: { token } });
  });

  it('uses a verifier’s synchronous cache answer (VERIFY_SYNC), and survives one that throws', async () => {
    const info: AuthInfo = { token: 't', clientId: 'c', scopes: ['todo:read'] };
    const calls: string[] = [];
    const verifier = {
      [VERIFY_SYNC](token: string) {
        calls.push(`sync:${token}`);
        if (token === 'cached') return info;
        if (token === 'refused') throw new Error('refused');
        return undefined;
      },
      async verifyAccessToken(token: string) {
        calls.push(`async:${token}`);
        return { ...info, token };
      },
    };
    const guard = createMcpAuth({
      resource: RESOURCE,
      authorizationServers: [issuer.issuer],
      policy,
      verifier,
    });
    expect(decide(guard, request('cached'))).toMatchObject({ type: 'allow', authInfo: info });
    expect(denied(decide(guard, request('refused')) as AuthorizeResult).status).toBe(401);
    expect(await decide(guard, request('fresh'))).toMatchObject({ authInfo: { token: 'fresh' } });
    expect(calls).toEqual(['sync:cached', 'sync:refused', 'sync:fresh', 'async:fresh']);
  });

  it('turns a verifier that throws synchronously into a 401, not a crash', async () => {
    const guard = createMcpAuth({
      resource: RESOURCE,
      authorizationServers: [issuer.issuer],
      verifier: {
        verifyAccessToken: (() => {
          throw new Error('boom');
        }) as () => Promise<AuthInfo>,
      },
    });
    const result = decide(guard, request('abc'));
    expect(result).not.toBeInstanceOf(Promise);
    expect(denied(result as AuthorizeResult).status).toBe(401);
  });
});

describe('one expiry rule for every verifier path (clock tolerance)', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const paths = () => ({
    'createMcpAuth({ issuer })': auth,
    'createMcpAuth({ verifier: createJwtVerifier(…) })': createMcpAuth({
      resource: RESOURCE,
      verifier: createJwtVerifier({
        issuer: issuer.issuer,
        resource: RESOURCE,
        fetch: issuer.fetch,
      }),
      policy,
    }),
    'createMcpAuth({ verifier: createMultiIssuerVerifier(…) })': createMcpAuth({
      resource: RESOURCE,
      verifier: createMultiIssuerVerifier({
        resource: RESOURCE,
        issuers: [{ issuer: issuer.issuer, fetch: issuer.fetch }],
      }),
      policy,
    }),
  });

  it('a token expired 30 s ago is allowed on every path (default tolerance 60 s)', async () => {
    const token = await issuer.mintAccessToken({ claims: { exp: now() - 30, iat: now() - 600 } });
    for (const [name, path] of Object.entries(paths())) {
      expect((await path.authorize(request(token))).type, name).toBe('allow');
    }
  });

  it('a token expired 90 s ago is refused on every path', async () => {
    const token = await issuer.mintAccessToken({ claims: { exp: now() - 90, iat: now() - 600 } });
    for (const [name, path] of Object.entries(paths())) {
      expect(denied(await path.authorize(request(token))).status, name).toBe(401);
    }
  });

  it('a custom verifier is held to the same rule, with the same default tolerance', async () => {
    const custom = (expiresAt: number) =>
      createMcpAuth({
        resource: RESOURCE,
        authorizationServers: [issuer.issuer],
        verifier: {
          verifyAccessToken: async (token) => ({ token, clientId: 'c', scopes: [], expiresAt }),
        },
      });
    expect((await custom(now() - 30).authorize(request('t'))).type).toBe('allow');
    expect(denied(await custom(now() - 90).authorize(request('t'))).status).toBe(401);
    expect(denied(await custom(Number.NaN).authorize(request('t'))).status).toBe(401);
  });
});

describe('nested options are validated like top-level ones', () => {
  it.each([
    ['clockTolerenceMs', /jwt\.clockTolerenceMs.*did you mean "clockToleranceMs"/],
    ['clockTolerance', /jwt\.clockTolerance.*renamed "clockToleranceMs", in milliseconds/],
    ['jwksURI', /jwt\.jwksURI.*did you mean "jwksUri"/],
    ['issuer', /jwt\.issuer.*not a known option/],
  ])('jwt.%s is refused at construction', (name, message) => {
    // and a former name of a top-level nested option says what replaced it
    expect(() =>
      createMcpAuth({
        resource: RESOURCE,
        issuer: 'https://auth.example.com',
        cors: { maxAge: 60 } as never,
      }),
    ).toThrow(/cors\.maxAge.*renamed "maxAgeSeconds", in seconds/);
    expect(() =>
      createMcpAuth({
        resource: RESOURCE,
        issuer: 'https://auth.example.com',
        jwt: { [name]: 1 } as never,
      }),
    ).toThrow(message);
  });
});

describe('strict scope parsing reaches the decision event', () => {
  it('a scope joined by a no-break space grants nothing and is reported', async () => {
    const events: DecisionEvent[] = [];
    const audited = createMcpAuth({
      resource: RESOURCE,
      issuer: issuer.issuer,
      jwt: { fetch: issuer.fetch },
      policy,
      onDecision: (e) => events.push(e),
    });
    const token = await issuer.mintAccessToken({
      claims: { scope: 'todo:read\u00a0calendar:write' },
    });
    const result = denied(await audited.authorize(request(token, call('create_event'))));
    expect(result.status).toBe(403);
    expect(events[0]?.missingScopes).toEqual(['calendar:write']);
    expect(events[0]?.droppedScopes).toEqual([
      { claim: 'scope', reason: 'invalid_scope_token', value: 'todo:read\\u00a0calendar:write' },
    ]);
    expect(JSON.stringify(events)).not.toContain(token);
  });
});
