import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { createMcpAuth } from '@org/mcp-auth-core';
import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import Fastify from 'fastify';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { POLICY, RESOURCE, vectorOptions } from '@org/mcp-auth-conformance';
import mcpAuthDefault, {
  type AuthInfo,
  type McpAuth,
  type McpAuthFastify,
  type McpAuthFastifyOptions,
  mcpAuth,
  parseChallenge,
} from '../src/index.js';

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
      expectTypeOf(request.auth).toEqualTypeOf<AuthInfo | undefined>();
      const raw = request.raw as IncomingMessage & { auth?: AuthInfo };
      return { same: raw.auth === request.auth, sub: request.auth?.extra?.sub };
    });
    app.get('/public', async (request) => ({ hasAuth: request.auth !== undefined }));
    const res = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: bearer(readToken),
      payload: listTodos,
    });
    expect(res.json()).toEqual({ same: true, sub: 'user-123' });
    expect((await app.inject({ url: '/public' })).json()).toEqual({ hasAuth: false });
    await app.close();
  });

  it('leaves request.auth and request.raw.auth undefined for a public method without a token', async () => {
    const app = Fastify();
    await app.register(mcpAuth, {
      ...vectorOptions(issuer),
      policy: { ...POLICY, publicMethods: ['ping'] },
    });
    app.post('/mcp', async (request) => ({
      auth: request.auth === undefined ? 'undefined' : 'set',
      rawAuth: 'auth' in request.raw,
      sub: request.auth?.extra?.sub ?? null,
    }));
    const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
    const anonymous = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: { origin: 'http://localhost:5173' },
      payload: ping,
    });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.headers.vary).toBe('Origin');
    expect(anonymous.json()).toEqual({ auth: 'undefined', rawAuth: false, sub: null });
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

  it('answers bodies Fastify cannot parse as the core does, after the token check, whatever the app error handler sends', async () => {
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
    // The app's error handler still sees (and may log) the body errors; its answer is replaced.
    expect(appErrors).toEqual([
      'FST_ERR_CTP_INVALID_JSON_BODY',
      'FST_ERR_CTP_INVALID_JSON_BODY',
      'FST_ERR_CTP_EMPTY_JSON_BODY',
      'FST_ERR_CTP_BODY_TOO_LARGE',
    ]);
    // Other errors reach the app's error handler, and its answer stands.
    const failed = await post(JSON.stringify(listTodos), readToken);
    expect(failed.statusCode).toBe(418);
    expect(appErrors.at(-1)).toBe('handler failed');
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

  it('shares a core built beforehand ({ auth }): one core, its decisions, as app.mcpAuth.core', async () => {
    const events: string[] = [];
    const core = createMcpAuth({
      ...vectorOptions(issuer),
      onDecision: (event) => events.push(`${event.outcome} ${event.status}`),
    });
    const app = Fastify();
    await app.register(mcpAuth, { auth: core, maxBodyBytes: 1024 });
    expect(app.mcpAuth.core).toBe(core);
    app.post('/mcp', async (request) => ({ sub: request.auth?.extra?.sub }));
    const res = await app.inject({ method: 'POST', url: '/mcp', payload: listTodos });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain(core.metadata.url);
    const ok = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: bearer(readToken),
      payload: listTodos,
    });
    expect(ok.json()).toEqual({ sub: 'user-123' });
    expect(events).toEqual(['deny 401', 'allow 200']);
    await app.close();
  });

  it('rejects bad options with a TypeError naming the option', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ resource: 'http://mcp.example/mcp', issuer: 'https://issuer.example' }, /"resource"/],
      [{ ...vectorOptions(issuer), maxBodyBytes: 0 }, /option "maxBodyBytes"/],
      [{ ...vectorOptions(issuer), maxBodyBytes: '4mb' }, /option "maxBodyBytes"/],
      [{ ...vectorOptions(issuer), paths: ['mcp'] }, /option "paths"/],
      [{ auth: {} }, /option "auth" must be a core built by createMcpAuth/],
      [
        { auth: createMcpAuth(vectorOptions(issuer)), resource: RESOURCE },
        /option "resource" cannot be given beside "auth"/,
      ],
    ];
    for (const [options, message] of cases) {
      const app = Fastify();
      app.register(mcpAuth, options as never);
      const failure = await app.ready().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(TypeError);
      expect(String((failure as Error).message)).toMatch(message);
    }
  });

  it('honours maxBodyBytes on protected bodies, with or without Content-Length', async () => {
    const app = Fastify({ bodyLimit: 1024 * 1024 });
    await app.register(mcpAuth, { ...vectorOptions(issuer), maxBodyBytes: 256 });
    let ran = 0;
    app.post('/mcp', async () => {
      ran += 1;
      return 'ran';
    });
    app.post('/open', async (request) => ({ size: JSON.stringify(request.body).length }));
    const big = JSON.stringify({ ...listTodos, pad: 'x'.repeat(512) });
    const declared = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: { ...bearer(readToken), 'content-type': 'application/json' },
      payload: big,
    });
    expect(declared.statusCode).toBe(413);
    expect(declared.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'Request body too large' },
    });
    const chunked = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: {
        ...bearer(readToken),
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
      },
      payload: Readable.from([Buffer.from(big.slice(0, 200)), Buffer.from(big.slice(200))]),
    });
    expect(chunked.statusCode).toBe(413);
    expect(chunked.json()).toMatchObject({ error: { code: -32600 } });
    const small = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: {
        ...bearer(readToken),
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
      },
      payload: Readable.from([Buffer.from(JSON.stringify(listTodos))]),
    });
    expect(small.statusCode).toBe(200);
    expect(ran).toBe(1);
    // Unprotected routes keep Fastify's own limit.
    const open = await app.inject({ method: 'POST', url: '/open', payload: JSON.parse(big) });
    expect(open.statusCode).toBe(200);
    await app.close();
  });

  it('protects the routes of paths registered before the plugin, in the app or a child scope', async () => {
    const app = Fastify();
    let ran = 0;
    app.post('/mcp', async (request) => {
      ran += 1;
      return { sub: request.auth?.extra?.sub };
    });
    app.register(async (child) => {
      child.post('/child/mcp', async (request) => {
        ran += 1;
        return { sub: request.auth?.extra?.sub };
      });
    });
    await app.register(mcpAuth, { ...vectorOptions(issuer), paths: ['/mcp', '/child/mcp'] });
    for (const url of ['/mcp', '/child/mcp']) {
      const denied = await app.inject({ method: 'POST', url, payload: listTodos });
      expect([url, denied.statusCode]).toEqual([url, 401]);
      const addTodo = { ...listTodos, params: { name: 'add_todo' } };
      const short = await app.inject({
        method: 'POST',
        url,
        headers: bearer(readToken),
        payload: addTodo,
      });
      expect([url, short.statusCode]).toEqual([url, 403]);
      const ok = await app.inject({
        method: 'POST',
        url,
        headers: bearer(readToken),
        payload: listTodos,
      });
      expect([url, ok.json()]).toEqual([url, { sub: 'user-123' }]);
    }
    expect(ran).toBe(2);
    await app.close();
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

describe('Fastify per-route hook (app.mcpAuth.protect)', () => {
  const addTodo = { ...listTodos, params: { name: 'add_todo' } };

  it('protects only the routes given the hook when paths is empty', async () => {
    const app = Fastify();
    await app.register(mcpAuth, { ...vectorOptions(issuer), paths: [] });
    app.post('/mcp', { onRequest: app.mcpAuth.protect }, async (request) => ({
      body: request.body,
      sub: request.auth?.extra?.sub,
    }));
    app.post('/open', async (request) => ({ hasAuth: request.auth !== undefined }));
    const post = (payload: string, token?: string) =>
      app.inject({
        method: 'POST',
        url: '/mcp',
        headers: { 'content-type': 'application/json', ...(token ? bearer(token) : {}) },
        payload,
      });
    expect((await post(JSON.stringify(listTodos))).statusCode).toBe(401);
    // The policy sees the body Fastify parsed.
    expect((await post(JSON.stringify(addTodo), readToken)).statusCode).toBe(403);
    expect((await post(JSON.stringify(listTodos), readToken)).json()).toEqual({
      body: listTodos,
      sub: 'user-123',
    });
    // A body Fastify cannot parse: the challenge first, then -32700.
    const noToken = await post('{"jsonrpc": ');
    expect(noToken.statusCode).toBe(401);
    expect(noToken.headers['www-authenticate']).toMatch(/^Bearer resource_metadata="/);
    const malformed = await post('{"jsonrpc": ', readToken);
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: { code: -32700 } });
    // Another route: untouched, no token needed.
    const open = await app.inject({ method: 'POST', url: '/open', payload: listTodos });
    expect(open.json()).toEqual({ hasAuth: false });
    await app.close();
  });

  it('decides once when a route is both in paths and given the hook', async () => {
    const events: string[] = [];
    const app = Fastify();
    await app.register(mcpAuth, {
      ...vectorOptions(issuer),
      onDecision: (event) => events.push(event.outcome),
    });
    app.post('/mcp', { onRequest: app.mcpAuth.protect }, async () => 'ok');
    await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: bearer(readToken),
      payload: listTodos,
    });
    expect(events).toEqual(['allow']);
    await app.close();
  });

  it('fails closed when the hook is used outside the plugin scope', async () => {
    const app = Fastify();
    let protect!: typeof app.mcpAuth.protect;
    await app.register(async (scope) => {
      await scope.register(mcpAuth, { ...vectorOptions(issuer), paths: [] });
      protect = scope.mcpAuth.protect;
    });
    let ran = 0;
    app.post('/mcp', { onRequest: protect }, async () => {
      ran += 1;
      return 'ran';
    });
    // The scope's body hooks do not run here: the decision cannot wait for the body, and a
    // policy that needs it denies.
    const res = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: bearer(readToken),
      payload: listTodos,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: -32700 } });
    expect(ran).toBe(0);
    await app.close();
  });

  it('refuses an ambiguous app.mcpAuth when two plugins share a scope, and works per scope', async () => {
    const app = Fastify();
    await app.register(mcpAuth, {
      ...vectorOptions(issuer),
      resource: 'https://mcp.example/a/mcp',
    });
    await app.register(mcpAuth, {
      ...vectorOptions(issuer),
      resource: 'https://mcp.example/b/mcp',
    });
    expect(() => app.mcpAuth.protect).toThrow(TypeError);
    expect(() => app.mcpAuth.protect).toThrow(/register each inside its own plugin/);
    await app.close();

    const scoped = Fastify();
    for (const name of ['a', 'b']) {
      await scoped.register(async (scope) => {
        await scope.register(mcpAuth, {
          ...vectorOptions(issuer),
          resource: `https://mcp.example/${name}/mcp`,
          paths: [],
        });
        scope.post(`/${name}/mcp`, { onRequest: scope.mcpAuth.protect }, async (request) => ({
          aud: request.auth?.resource?.href,
        }));
      });
    }
    const forB = await issuer.mintAccessToken({ claims: { aud: 'https://mcp.example/b/mcp' } });
    const ok = await scoped.inject({
      method: 'POST',
      url: '/b/mcp',
      headers: bearer(forB),
      payload: listTodos,
    });
    expect(ok.json()).toEqual({ aud: 'https://mcp.example/b/mcp' });
    const refused = await scoped.inject({
      method: 'POST',
      url: '/a/mcp',
      headers: bearer(forB),
      payload: listTodos,
    });
    expect(refused.statusCode).toBe(401);
    await scoped.close();
  });
});

describe('Fastify hot path and types', () => {
  it('passes a cached token on without a promise: the next hook runs in the same tick as the decision', async () => {
    let flag = 'none';
    const app = Fastify();
    await app.register(mcpAuth, {
      ...vectorOptions(issuer),
      // Emitted inside the decision, synchronously when the core decides without waiting.
      onDecision: () => {
        flag = 'decided';
        queueMicrotask(() => {
          flag = 'a microtask later';
        });
      },
    });
    const seen: string[] = [];
    app.post(
      '/mcp',
      {
        preValidation: (_request, _reply, done) => {
          seen.push(flag);
          done();
        },
      },
      async () => 'ok',
    );
    app.get(
      '/mcp',
      {
        onRequest: (_request, _reply, done) => {
          seen.push(flag);
          done();
        },
      },
      async () => 'ok',
    );
    for (let i = 0; i < 2; i++) {
      await app.inject({
        method: 'POST',
        url: '/mcp',
        headers: bearer(readToken),
        payload: listTodos,
      });
    }
    await app.inject({ method: 'GET', url: '/mcp', headers: bearer(readToken) });
    // The first verification waits for the key set; the cached token (on the parsed body, and
    // without a body) is decided and passed on synchronously.
    expect(seen).toEqual(['a microtask later', 'decided', 'decided']);
    await app.close();
  });

  it('types request.auth, app.mcpAuth and the options', async () => {
    const app = Fastify();
    await app.register(mcpAuth, { ...vectorOptions(issuer), paths: [] });
    app.get('/', async (request) => {
      expectTypeOf(request.auth).toEqualTypeOf<AuthInfo | undefined>();
      return null;
    });
    expectTypeOf(app.mcpAuth).toEqualTypeOf<McpAuthFastify>();
    expectTypeOf(app.mcpAuth.core).toEqualTypeOf<McpAuth>();
    expectTypeOf<{
      auth: McpAuth;
      maxBodyBytes: number;
      paths: string[];
    }>().toExtend<McpAuthFastifyOptions>();
    expectTypeOf<{ resource: string; maxBodyBytes: number }>().toExtend<McpAuthFastifyOptions>();
    await app.close();
  });
});
