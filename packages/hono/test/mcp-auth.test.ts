import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import { type Context, Hono } from 'hono';
import { beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { POLICY, RESOURCE, vectorOptions } from '@org/mcp-auth-conformance';
import {
  type AuthInfo,
  createMcpAuth,
  type McpAuthEnv,
  type McpAuthHono,
  type McpAuthHonoOptions,
  mcpAuth,
  mcpAuthMetadata,
  parseChallenge,
  type Variables,
} from '../src/index.js';

const listTodos = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_todos' } };
const json = (token: string | undefined, body: unknown, extra: Record<string, string> = {}) => ({
  method: 'POST',
  headers: {
    'Content-Type': 'application/json',
    ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
    ...extra,
  },
  body: JSON.stringify(body),
});

let issuer: TestIssuer;
let readToken: string;
beforeAll(async () => {
  issuer = await createTestIssuer({ audience: RESOURCE, scope: 'todo:read' });
  readToken = await issuer.mintAccessToken();
});

describe('Hono middleware', () => {
  it('types c.var.auth and c.get("auth") as AuthInfo | undefined, with or without the Env type', () => {
    const auth = mcpAuth(vectorOptions(issuer));
    new Hono<McpAuthEnv>().all('/mcp', auth.protect, (c) => {
      expectTypeOf(c.var.auth).toEqualTypeOf<AuthInfo | undefined>();
      expectTypeOf(c.get('auth')).toEqualTypeOf<AuthInfo | undefined>();
      expectTypeOf(c.var.parsedBody).toEqualTypeOf<unknown>();
      return c.text('');
    });
    new Hono().all('/mcp', auth.protect, (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<AuthInfo | undefined>();
      expectTypeOf(c.var.auth).toEqualTypeOf<AuthInfo | undefined>();
      return c.text('');
    });
    expectTypeOf<Variables['auth']>().toEqualTypeOf<AuthInfo | undefined>();
    expectTypeOf(mcpAuth).parameter(1).toEqualTypeOf<McpAuthHonoOptions | undefined>();
    expectTypeOf<McpAuthHonoOptions>().toEqualTypeOf<{ maxBodyBytes?: number }>();
    expectTypeOf<Variables['parsedBody']>().toEqualTypeOf<unknown>();
    expectTypeOf<McpAuthHono['core']['needsBody']>().toEqualTypeOf<boolean>();
    expect(auth.protect.name).toBe('mcpAuthProtect');
  });

  it('works when an earlier middleware already read the body through c.req', async () => {
    const auth = mcpAuth(vectorOptions(issuer));
    const app = new Hono();
    app.post(
      '/mcp',
      async (c, next) => {
        await c.req.json(); // consumes c.req.raw; hono caches the text
        await next();
      },
      auth.protect,
      async (c) => c.json({ body: await c.req.json(), sub: c.var.auth?.extra?.sub }),
    );
    const res = await app.request('/mcp', json(readToken, listTodos));
    expect(await res.json()).toEqual({ body: listTodos, sub: 'user-123' });
  });

  it("answers JSON (-32700) when something consumed c.req.raw behind hono's back", async () => {
    const auth = mcpAuth(vectorOptions(issuer));
    const app = new Hono();
    app.post(
      '/mcp',
      async (c, next) => {
        await c.req.raw.text(); // no cache: the body is gone
        await next();
      },
      auth.protect,
      (c) => c.text('unreachable'),
    );
    const res = await app.request('/mcp', json(readToken, listTodos));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: -32700 } });
  });

  it('leaves c.var.auth unset for a public method called without a token', async () => {
    const auth = mcpAuth({
      ...vectorOptions(issuer),
      policy: { ...POLICY, publicMethods: ['ping'] },
    });
    const app = new Hono();
    app.post('/mcp', auth.protect, (c) =>
      c.json({ hasAuth: c.var.auth !== undefined, sub: c.var.auth?.extra?.sub ?? null }),
    );
    const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
    const anonymous = await app.request(
      '/mcp',
      json(undefined, ping, { Origin: 'http://localhost:5173' }),
    );
    expect(anonymous.status).toBe(200);
    expect(await anonymous.json()).toEqual({ hasAuth: false, sub: null });
    expect(anonymous.headers.get('access-control-expose-headers')).toBe(
      'WWW-Authenticate, Mcp-Session-Id',
    );
    const signedIn = await app.request('/mcp', json(readToken, ping));
    expect(await signedIn.json()).toEqual({ hasAuth: true, sub: 'user-123' });
    expect((await app.request('/mcp', json(undefined, listTodos))).status).toBe(401);
  });

  it('leaves a non-JSON body unread when neither the policy nor session binding needs it', async () => {
    const auth = mcpAuth({
      ...vectorOptions(issuer),
      policy: { baseline: 'todo:read' },
      sessionBinding: false,
    });
    const app = new Hono();
    app.post('/upload', auth.protect, async (c) => c.json({ text: await c.req.raw.text() }));
    const res = await app.request('/upload', {
      method: 'POST',
      headers: { Authorization: `Bearer ${readToken}`, 'Content-Type': 'text/plain' },
      body: 'raw text',
    });
    expect(await res.json()).toEqual({ text: 'raw text' });
  });

  it('binds the session id of the response to its subject before returning it', async () => {
    const auth = mcpAuth(vectorOptions(issuer));
    const app = new Hono();
    app.post('/mcp', auth.protect, (c) => {
      if (!c.req.header('mcp-session-id')) c.header('Mcp-Session-Id', 'hono-session');
      return c.json({ sub: c.var.auth?.extra?.sub });
    });
    const opened = await app.request(
      '/mcp',
      json(readToken, listTodos, { Origin: 'http://localhost:5173' }),
    );
    expect(opened.headers.get('mcp-session-id')).toBe('hono-session');
    expect(opened.headers.get('access-control-expose-headers')).toBe(
      'WWW-Authenticate, Mcp-Session-Id',
    );
    const bob = await issuer.mintAccessToken({ claims: { sub: 'bob' } });
    const session = { 'Mcp-Session-Id': 'hono-session' };
    const stolen = await app.request('/mcp', json(bob, listTodos, session));
    expect(stolen.status).toBe(404);
    expect(await stolen.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32001, message: 'Session not found' },
    });
    const owner = await app.request('/mcp', json(readToken, listTodos, session));
    expect(await owner.json()).toEqual({ sub: 'user-123' });
  });

  it('serves several protected endpoints with their own resource, policy and metadata', async () => {
    const a = mcpAuth({
      ...vectorOptions(issuer),
      resource: 'https://mcp.example/a/mcp',
      policy: POLICY,
    });
    const b = mcpAuth({
      ...vectorOptions(issuer),
      resource: 'https://mcp.example/b/mcp',
      policy: { tools: { list_events: 'calendar:read' } },
    });
    const app = new Hono();
    app.use(mcpAuthMetadata(a.core, b.core));
    app.post('/a/mcp', a.protect, (c) => c.json({ aud: c.var.auth?.resource?.href }));
    app.post('/b/mcp', b.protect, (c) => c.json({ aud: c.var.auth?.resource?.href }));
    const forA = await issuer.mintAccessToken({ claims: { aud: 'https://mcp.example/a/mcp' } });
    expect(await (await app.request('/a/mcp', json(forA, listTodos))).json()).toEqual({
      aud: 'https://mcp.example/a/mcp',
    });
    const refusedByB = await app.request('/b/mcp', json(forA, listTodos));
    expect(refusedByB.status).toBe(401);
    expect(parseChallenge(refusedByB.headers.get('www-authenticate')!)?.params).toMatchObject({
      error: 'invalid_token',
      resource_metadata: 'https://mcp.example/.well-known/oauth-protected-resource/b/mcp',
    });
    const prmB = await (await app.request('/.well-known/oauth-protected-resource/b/mcp')).json();
    expect(prmB).toMatchObject({
      resource: 'https://mcp.example/b/mcp',
      scopes_supported: ['calendar:read'],
    });
    const prmA = await (await app.request('/.well-known/oauth-protected-resource/a/mcp')).json();
    expect(prmA.resource).toBe('https://mcp.example/a/mcp');
    expect((await app.request('/.well-known/oauth-protected-resource/c/mcp')).status).toBe(404);
  });

  it("reads a framed body through hono's cache: c.req.json() and c.req.text() answer from it, no Request is built", async () => {
    const auth = mcpAuth(vectorOptions(issuer));
    const app = new Hono();
    const Original = globalThis.Request;
    let built = 0;
    globalThis.Request = class CountedRequest extends Original {
      constructor(...args: ConstructorParameters<typeof Request>) {
        super(...args);
        built += 1;
      }
    };
    let before = 0;
    app.post(
      '/mcp',
      async (_c, next) => {
        before = built;
        await next();
      },
      auth.protect,
      async (c) => {
        const body = await c.req.json();
        const text = await c.req.text();
        const notBuilt = built === before; // no clone, no copy of c.req.raw
        return c.json({ body, text, parsedBody: c.var.parsedBody, notBuilt });
      },
    );
    try {
      const length = { 'Content-Length': String(JSON.stringify(listTodos).length) };
      await app.request('/mcp', json(readToken, listTodos, length)); // loads the key set
      const res = await app.request('/mcp', json(readToken, listTodos, length));
      expect(await res.json()).toEqual({
        body: listTodos,
        text: JSON.stringify(listTodos),
        parsedBody: listTodos,
        notBuilt: true,
      });
    } finally {
      globalThis.Request = Original;
    }
  });

  it('hands the body over in c.var.parsedBody and the body cache, not in c.req.raw', async () => {
    const auth = mcpAuth(vectorOptions(issuer));
    const app = new Hono();
    app.post('/mcp', auth.protect, async (c) =>
      c.json({ rawRead: c.req.raw.bodyUsed, body: await c.req.json(), parsed: c.var.parsedBody }),
    );
    const length = { 'Content-Length': String(JSON.stringify(listTodos).length) };
    const res = await app.request('/mcp', json(readToken, listTodos, length));
    expect(await res.json()).toEqual({ rawRead: true, body: listTodos, parsed: listTodos });
  });

  it('lets a handler replace c.req.raw', async () => {
    const auth = mcpAuth(vectorOptions(issuer));
    const app = new Hono();
    app.post('/mcp', auth.protect, async (c) => {
      c.req.raw = new Request('http://other.example/x', { method: 'POST', body: 'replaced' });
      return c.text(await c.req.raw.text());
    });
    const res = await app.request('/mcp', json(readToken, listTodos));
    expect(await res.text()).toBe('replaced');
  });

  it('needs no hash from the adapter: on Node the core keys its token cache without Web Crypto', async () => {
    const auth = mcpAuth(vectorOptions(issuer));
    const app = new Hono();
    app.post('/mcp', auth.protect, (c) => c.json({ sub: c.var.auth?.extra?.sub }));
    const digest = vi.spyOn(crypto.subtle, 'digest');
    try {
      for (let i = 0; i < 3; i++) {
        const res = await app.request('/mcp', json(readToken, listTodos));
        expect(res.status).toBe(200);
      }
      expect(digest).not.toHaveBeenCalled();
    } finally {
      digest.mockRestore();
    }
  });

  it('skips the session-id read when session binding is off', async () => {
    const auth = mcpAuth(vectorOptions(issuer, { sessionBinding: false }));
    expect(auth.core.sessionBinding).toBe(false);
    const app = new Hono();
    app.post('/mcp', auth.protect, (c) => c.json({ ok: true }, 200, { 'Mcp-Session-Id': 's-1' }));
    const res = await app.request(
      '/mcp',
      json(readToken, listTodos, { Origin: 'http://localhost:5173' }),
    );
    expect(res.headers.get('mcp-session-id')).toBe('s-1');
    expect(res.headers.get('access-control-expose-headers')).toBe(
      'WWW-Authenticate, Mcp-Session-Id',
    );
    // Not bound: another subject may use the id (binding is off, as configured).
    const other = await issuer.mintAccessToken({ claims: { sub: 'someone-else' } });
    const again = await app.request('/mcp', json(other, listTodos, { 'Mcp-Session-Id': 's-1' }));
    expect(again.status).toBe(200);
  });

  it('shares a prebuilt core: one token cache, one session store, one metadata document', async () => {
    const core = createMcpAuth(vectorOptions(issuer));
    const a = mcpAuth(core);
    const b = mcpAuth(core, { maxBodyBytes: 1024 });
    expect(a.core).toBe(core);
    expect(b.core).toBe(core);
    const app = new Hono();
    app.use(a.metadata);
    const open = (c: Context) => {
      if (!c.req.header('mcp-session-id')) c.header('Mcp-Session-Id', 'shared-session');
      return c.json({ sub: c.var.auth?.extra?.sub });
    };
    app.post('/mcp', a.protect, open);
    app.post('/mcp-too', b.protect, open);
    const opened = await app.request('/mcp', json(readToken, listTodos));
    expect(opened.headers.get('mcp-session-id')).toBe('shared-session');
    // The session opened through `a` is bound in the core `b` shares.
    const bob = await issuer.mintAccessToken({ claims: { sub: 'bob' } });
    const session = { 'Mcp-Session-Id': 'shared-session' };
    expect((await app.request('/mcp-too', json(bob, listTodos, session))).status).toBe(404);
    expect(
      await (await app.request('/mcp-too', json(readToken, listTodos, session))).json(),
    ).toEqual({
      sub: 'user-123',
    });
    const prm = await app.request('/.well-known/oauth-protected-resource/mcp');
    expect((await prm.json()).resource).toBe(RESOURCE);
  });

  it('throws a TypeError naming the option at construction', () => {
    expect(() =>
      mcpAuth({ resource: 'https://mcp.example/mcp#x', issuer: 'https://issuer.example' }),
    ).toThrow(/option "resource"/);
  });
});
