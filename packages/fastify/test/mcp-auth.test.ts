import type { IncomingMessage } from 'node:http';
import { createMcpAuth } from '@org/mcp-auth-core';
import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import Fastify from 'fastify';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { POLICY, RESOURCE, vectorOptions } from '@org/mcp-auth-conformance';
import mcpAuthDefault, { type AuthInfo, mcpAuth, parseChallenge } from '../src/index.js';

const listTodos = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_todos' } };

let issuer: TestIssuer;
let readToken: string;
beforeAll(async () => {
  issuer = await createTestIssuer({ audience: RESOURCE, scope: 'todo:read' });
  readToken = await issuer.mintAccessToken();
});
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('Fastify plugin', () => {
  it('is a fastify-plugin (default and named export) that sets request.auth and request.raw.auth', async () => {
    expect(mcpAuthDefault).toBe(mcpAuth);
    const app = Fastify();
    await app.register(mcpAuth, vectorOptions(issuer));
    app.post('/mcp', async (request) => {
      expectTypeOf(request.auth).toEqualTypeOf<AuthInfo | null>();
      const raw = request.raw as IncomingMessage & { auth?: AuthInfo };
      return { same: raw.auth === request.auth, sub: request.auth?.extra?.sub };
    });
    app.get('/public', async (request) => ({ auth: request.auth }));
    const res = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: bearer(readToken),
      payload: listTodos,
    });
    expect(res.json()).toEqual({ same: true, sub: 'user-123' });
    expect((await app.inject({ url: '/public' })).json()).toEqual({ auth: null });
    await app.close();
  });

  it('leaves request.auth null and request.raw.auth unset for a public method without a token', async () => {
    const app = Fastify();
    await app.register(mcpAuth, {
      ...vectorOptions(issuer),
      policy: { ...POLICY, publicMethods: ['ping'] },
    });
    app.post('/mcp', async (request) => ({
      auth: request.auth,
      rawAuth: 'auth' in request.raw,
      sub: request.auth?.extra?.sub ?? null,
    }));
    const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
    const anonymous = await app.inject({ method: 'POST', url: '/mcp', payload: ping });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json()).toEqual({ auth: null, rawAuth: false, sub: null });
    expect(anonymous.headers['access-control-expose-headers']).toBe(
      'WWW-Authenticate, Mcp-Session-Id',
    );
    const signedIn = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: bearer(readToken),
      payload: ping,
    });
    expect(signedIn.json()).toMatchObject({ rawAuth: true, sub: 'user-123' });
    expect((await app.inject({ method: 'POST', url: '/mcp', payload: listTodos })).statusCode).toBe(
      401,
    );
    await app.close();
  });

  it('protects the configured paths and leaves non-JSON bodies to Fastify when no body is needed', async () => {
    const app = Fastify();
    await app.register(mcpAuth, {
      ...vectorOptions(issuer),
      policy: { baseline: 'todo:read' },
      sessionBinding: false,
      paths: ['/v1/mcp', '/v1/upload'],
    });
    app.post('/v1/upload', async (request) => ({
      body: request.body,
      sub: request.auth?.extra?.sub,
    }));
    app.post('/mcp', async () => 'not protected: not in paths');
    const upload = await app.inject({
      method: 'POST',
      url: '/v1/upload?x=1',
      headers: { ...bearer(readToken), 'content-type': 'text/plain' },
      payload: 'plain text stays as sent',
    });
    expect(upload.json()).toEqual({ body: 'plain text stays as sent', sub: 'user-123' });
    expect((await app.inject({ method: 'POST', url: '/v1/upload' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/mcp' })).statusCode).toBe(200);
    await app.close();
  });

  it('authorizes on the body Fastify parsed: one read and one parse per request', async () => {
    const app = Fastify();
    let parses = 0;
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      parses += 1;
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(Object.assign(new Error('bad json'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY' }));
      }
    });
    await app.register(mcpAuth, vectorOptions(issuer));
    app.post('/mcp', async (request) => ({ body: request.body, sub: request.auth?.extra?.sub }));
    const post = (payload: unknown, token?: string) =>
      app.inject({
        method: 'POST',
        url: '/mcp',
        headers: { 'content-type': 'application/json', ...(token ? bearer(token) : {}) },
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
    const ok = await post(listTodos, readToken);
    expect(ok.json()).toEqual({ body: listTodos, sub: 'user-123' });
    expect(parses).toBe(1);
    // The policy sees the parsed body: add_todo needs todo:write.
    const addTodo = { ...listTodos, params: { name: 'add_todo' } };
    expect((await post(addTodo, readToken)).statusCode).toBe(403);
    expect(parses).toBe(2);
    expect((await post(listTodos)).statusCode).toBe(401);
    await app.close();
  });

  it('answers bodies Fastify cannot parse as the core does, after the token check', async () => {
    const app = Fastify({ bodyLimit: 1024 });
    const appErrors: string[] = [];
    app.setErrorHandler((error, _request, reply) => {
      appErrors.push((error as { code?: string }).code ?? (error as Error).message);
      return reply.code(418).send({ app: true });
    });
    await app.register(mcpAuth, vectorOptions(issuer));
    app.post('/mcp', async () => {
      throw new Error('handler failed');
    });
    const post = (payload: string, token?: string) =>
      app.inject({
        method: 'POST',
        url: '/mcp',
        headers: { 'content-type': 'application/json', ...(token ? bearer(token) : {}) },
        payload,
      });
    const malformed = await post('{"jsonrpc": ', readToken);
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: { code: -32700 } });
    // Without a token: the challenge first, whatever the body holds.
    const noToken = await post('{"jsonrpc": ');
    expect(noToken.statusCode).toBe(401);
    expect(noToken.headers['www-authenticate']).toMatch(/^Bearer resource_metadata="/);
    expect(noToken.json()).toMatchObject({ error: 'missing_credentials' });
    // An empty JSON body: Fastify refuses it; the core answers as for any missing body.
    const empty = await post('', readToken);
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ error: { code: -32700 } });
    const large = await post(JSON.stringify(listTodos).padEnd(2048, ' '), readToken);
    expect(large.statusCode).toBe(413);
    expect(large.json()).toMatchObject({
      error: { code: -32600, message: 'Request body too large' },
    });
    expect(appErrors).toEqual([]);
    // Other errors still reach the app's error handler.
    const failed = await post(JSON.stringify(listTodos), readToken);
    expect(failed.statusCode).toBe(418);
    expect(appErrors).toEqual(['handler failed']);
    await app.close();
  });

  it("keeps a protected route's own error handler for other errors", async () => {
    const app = Fastify();
    await app.register(mcpAuth, vectorOptions(issuer));
    app.post(
      '/mcp',
      {
        errorHandler: (error, _request, reply) =>
          reply.code(409).send({ route: (error as Error).message }),
      },
      async () => {
        throw new Error('conflict');
      },
    );
    const res = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: bearer(readToken),
      payload: listTodos,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ route: 'conflict' });
    await app.close();
  });

  it('accepts a core built beforehand', async () => {
    const core = createMcpAuth(vectorOptions(issuer));
    const app = Fastify();
    await app.register(mcpAuth, { auth: core });
    app.post('/mcp', async () => 'ok');
    const res = await app.inject({ method: 'POST', url: '/mcp', payload: listTodos });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain(core.metadata.url);
    await app.close();
  });

  it('rejects bad options with a TypeError naming the option', async () => {
    const app = Fastify();
    app.register(mcpAuth, { resource: 'http://mcp.example/mcp', issuer: 'https://issuer.example' });
    await expect(app.ready()).rejects.toThrow(/option "resource"/);
  });

  it('refuses to be registered after a route of a protected path (it would run unprotected)', async () => {
    const app = Fastify();
    app.post('/mcp', async () => ({ unprotected: true }));
    app.register(mcpAuth, vectorOptions(issuer));
    await expect(app.ready()).rejects.toThrow(/register the plugin before the routes of \/mcp/);
  });

  it('protects every route of a protected path, the automatic HEAD route and unmatched methods included, and only those', async () => {
    const app = Fastify();
    await app.register(mcpAuth, vectorOptions(issuer));
    let ran = 0;
    app.get('/mcp', async () => {
      ran += 1;
      return { ok: true };
    });
    app.get('/other', async () => ({ open: true }));
    for (const method of ['GET', 'HEAD', 'DELETE'] as const) {
      const res = await app.inject({ method, url: '/mcp' });
      expect(res.statusCode, method).toBe(401);
      expect(res.headers['www-authenticate'], method).toMatch(/^Bearer resource_metadata="/);
    }
    expect(ran).toBe(0);
    expect(
      (await app.inject({ method: 'GET', url: '/mcp', headers: bearer(readToken) })).json(),
    ).toEqual({ ok: true });
    expect(ran).toBe(1);
    expect((await app.inject({ method: 'GET', url: '/other' })).json()).toEqual({ open: true });
    const preflight = await app.inject({ method: 'OPTIONS', url: '/mcp' });
    expect(preflight.statusCode).toBe(204);
    await app.close();
  });

  it('binds a session id set through reply.header() to its subject', async () => {
    const app = Fastify();
    await app.register(mcpAuth, vectorOptions(issuer));
    app.post('/mcp', async (request, reply) => {
      if (request.headers['mcp-session-id'] === undefined) reply.header('Mcp-Session-Id', 'sess-1');
      return { sub: request.auth?.extra?.sub };
    });
    const opened = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: bearer(readToken),
      payload: listTodos,
    });
    expect(opened.headers['mcp-session-id']).toBe('sess-1');
    const bob = await issuer.mintAccessToken({ claims: { sub: 'bob' } });
    const session = { 'mcp-session-id': 'sess-1' };
    const stolen = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: { ...bearer(bob), ...session },
      payload: listTodos,
    });
    expect(stolen.statusCode).toBe(404);
    expect(stolen.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32001, message: 'Session not found' },
    });
    const owner = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: { ...bearer(readToken), ...session },
      payload: listTodos,
    });
    expect(owner.json()).toEqual({ sub: 'user-123' });
    await app.close();
  });

  it('registers once per endpoint: several protected endpoints with their own metadata', async () => {
    const app = Fastify();
    await app.register(mcpAuth, {
      ...vectorOptions(issuer),
      resource: 'https://mcp.example/a/mcp',
      policy: POLICY,
    });
    await app.register(mcpAuth, {
      ...vectorOptions(issuer),
      resource: 'https://mcp.example/b/mcp',
      policy: { tools: { list_events: 'calendar:read' } },
    });
    app.post('/a/mcp', async (request) => ({ aud: request.auth?.resource?.href }));
    app.post('/b/mcp', async (request) => ({ aud: request.auth?.resource?.href }));
    const forA = await issuer.mintAccessToken({ claims: { aud: 'https://mcp.example/a/mcp' } });
    const okA = await app.inject({
      method: 'POST',
      url: '/a/mcp',
      headers: bearer(forA),
      payload: listTodos,
    });
    expect(okA.json()).toEqual({ aud: 'https://mcp.example/a/mcp' });
    const refusedByB = await app.inject({
      method: 'POST',
      url: '/b/mcp',
      headers: bearer(forA),
      payload: listTodos,
    });
    expect(refusedByB.statusCode).toBe(401);
    expect(parseChallenge(String(refusedByB.headers['www-authenticate']))?.params).toMatchObject({
      error: 'invalid_token',
      resource_metadata: 'https://mcp.example/.well-known/oauth-protected-resource/b/mcp',
    });
    const prmA = await app.inject({ url: '/.well-known/oauth-protected-resource/a/mcp' });
    const prmB = await app.inject({ url: '/.well-known/oauth-protected-resource/b/mcp' });
    expect([prmA.json().resource, prmB.json().resource]).toEqual([
      'https://mcp.example/a/mcp',
      'https://mcp.example/b/mcp',
    ]);
    expect(prmB.json().scopes_supported).toEqual(['calendar:read']);
    expect(
      (await app.inject({ url: '/.well-known/oauth-protected-resource/c/mcp' })).statusCode,
    ).toBe(404);
    expect(
      (await app.inject({ url: '/.well-known/oauth-protected-resource' })).json().resource,
    ).toBe('https://mcp.example/a/mcp');
    await app.close();
  });
});

describe('Fastify route matching', () => {
  it('protects the route however its URL is spelled', async () => {
    const app = Fastify({ routerOptions: { ignoreTrailingSlash: true, caseSensitive: false } });
    await app.register(mcpAuth, vectorOptions(issuer));
    let ran = 0;
    app.post('/mcp', async () => {
      ran += 1;
      return 'reached';
    });
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/mcp',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204); // no OPTIONS route: answered by the plugin anyway
    expect(preflight.headers['access-control-allow-headers']).toContain('Authorization');
    for (const url of ['/mcp', '/mcp/', '/MCP', '/m%63p', '/mcp?x=1']) {
      const res = await app.inject({ method: 'POST', url, payload: listTodos });
      expect([url, res.statusCode]).toEqual([url, 401]);
    }
    expect(ran).toBe(0);
    await app.close();
  });

  it('protects parametric routes named in paths', async () => {
    const app = Fastify();
    await app.register(mcpAuth, { ...vectorOptions(issuer), paths: ['/tenants/:tenant/mcp'] });
    app.post('/tenants/:tenant/mcp', async (request) => ({ sub: request.auth?.extra?.sub }));
    const denied = await app.inject({
      method: 'POST',
      url: '/tenants/acme/mcp',
      payload: listTodos,
    });
    expect(denied.statusCode).toBe(401);
    const ok = await app.inject({
      method: 'POST',
      url: '/tenants/acme/mcp',
      headers: bearer(readToken),
      payload: listTodos,
    });
    expect(ok.json()).toEqual({ sub: 'user-123' });
    await app.close();
  });
});
