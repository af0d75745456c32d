import { ALLOWED_ORIGIN, PRM_URL, RESOURCE, vectorOptions } from '@org/mcp-auth-conformance';
import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMcpAuth, type McpAuth, mcpAuth } from '../src/index.js';

const listTodos = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_todos' } };
const addTodo = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'add_todo' } };

let issuer: TestIssuer;
let readToken: string;
beforeAll(async () => {
  issuer = await createTestIssuer({ audience: RESOURCE, scope: 'todo:read' });
  readToken = await issuer.mintAccessToken();
});

function post(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: ALLOWED_ORIGIN, ...headers },
    body: JSON.stringify(body),
  };
}

/** An app protecting `/mcp` with a counting handler; `onError` recorded when given. */
function appWith(core: McpAuth, withOnError: boolean) {
  const errors: unknown[] = [];
  let calls = 0;
  const app = new Hono();
  app.all('/mcp', mcpAuth(core).protect, (c) => {
    calls += 1;
    return c.json({ sub: c.var.auth?.extra?.sub });
  });
  if (withOnError) {
    app.onError((error, c) => {
      errors.push(error);
      if (!(error instanceof HTTPException)) return c.text('unexpected', 500);
      const res = error.getResponse();
      res.headers.set('X-Handled-By', 'onError');
      return res;
    });
  }
  return { app, errors, calls: () => calls };
}

/** What the core itself decides for the same request, as a Web Response. */
async function coreAnswer(core: McpAuth, init: RequestInit): Promise<Response> {
  const request = new Request(`${RESOURCE}`, init);
  const body = JSON.parse(await request.text());
  const result = await core.authorize({
    method: 'POST',
    url: RESOURCE,
    headers: request.headers,
    body,
  });
  if (result.type !== 'deny') throw new Error('expected a denial');
  return new Response(JSON.stringify(result.body), {
    status: result.status,
    headers: result.headers,
  });
}

async function snapshot(res: Response) {
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}

describe('Hono adapter: refusals are HTTPExceptions carrying the exact response', () => {
  const options = () => vectorOptions(issuer, { cors: { allowedOrigins: [ALLOWED_ORIGIN] } });

  it('a default app (no onError) sends exactly the core response: 401 without a token', async () => {
    const core = createMcpAuth(options());
    const { app, calls } = appWith(core, false);
    const sent = await snapshot(await app.request('/mcp', post(listTodos)));
    expect(sent).toEqual(await snapshot(await coreAnswer(core, post(listTodos))));
    expect(sent.status).toBe(401);
    expect(sent.headers['www-authenticate']).toBe(
      `Bearer resource_metadata="${PRM_URL}", scope="todo:read"`,
    );
    expect(sent.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(sent.headers['access-control-expose-headers']).toBe('WWW-Authenticate, Mcp-Session-Id');
    expect(sent.headers.vary).toBe('Origin');
    expect(sent.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(sent.body)).toMatchObject({ error: 'missing_credentials' });
    expect(calls()).toBe(0);
  });

  it('a default app sends the 403 insufficient_scope as the core built it', async () => {
    const core = createMcpAuth(options());
    const { app, calls } = appWith(core, false);
    const init = post(addTodo, { Authorization: `Bearer ${readToken}` });
    const sent = await snapshot(await app.request('/mcp', init));
    expect(sent).toEqual(await snapshot(await coreAnswer(core, init)));
    expect(sent.status).toBe(403);
    expect(sent.headers['www-authenticate']).toMatch(/^Bearer error="insufficient_scope"/);
    expect(calls()).toBe(0);
  });

  it("an app's onError sees the HTTPException and its getResponse() is that response", async () => {
    const core = createMcpAuth(options());
    const plain = appWith(core, false);
    const { app, errors, calls } = appWith(core, true);
    const res = await app.request('/mcp', post(listTodos));
    expect(errors).toHaveLength(1);
    const error = errors[0] as HTTPException;
    expect(error).toBeInstanceOf(HTTPException);
    expect(error.status).toBe(401);
    expect(typeof error.message).toBe('string');
    expect(await snapshot(error.getResponse())).toEqual(
      await snapshot(await plain.app.request('/mcp', post(listTodos))),
    );
    // Each call builds a fresh response, so onError may read or return it more than once.
    expect(await snapshot(error.getResponse())).toEqual(await snapshot(error.getResponse()));
    // A refusal is an answer, not a fault: no stack frames were captured for it.
    expect(error.stack ?? '').not.toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBeGreaterThan(0); // and the process's limit is restored
    expect(res.status).toBe(401);
    expect(res.headers.get('x-handled-by')).toBe('onError');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata=/);
    expect(calls()).toBe(0);
  });

  it('an allowed request never reaches onError', async () => {
    const { app, errors, calls } = appWith(createMcpAuth(options()), true);
    const res = await app.request(
      '/mcp',
      post(listTodos, { Authorization: `Bearer ${readToken}` }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: 'user-123' });
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(errors).toEqual([]);
    expect(calls()).toBe(1);
  });

  it('a refused preflight is an HTTPException (403); an accepted one a normal 204', async () => {
    const core = createMcpAuth(options());
    const preflight = (origin: string): RequestInit => ({
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
    });
    const plain = appWith(core, false);
    const refused = await plain.app.request('/mcp', preflight('https://evil.example'));
    const expected = core.preflight({
      method: 'OPTIONS',
      url: RESOURCE,
      headers: new Headers(preflight('https://evil.example').headers),
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual(expected.body);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const { app, errors, calls } = appWith(core, true);
    const handled = await app.request('/mcp', preflight('https://evil.example'));
    expect(handled.status).toBe(403);
    expect(errors).toHaveLength(1);
    expect((errors[0] as HTTPException).status).toBe(403);

    const accepted = await app.request('/mcp', preflight(ALLOWED_ORIGIN));
    expect(accepted.status).toBe(204);
    expect(accepted.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(accepted.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(errors).toHaveLength(1); // unchanged
    expect(calls()).toBe(0);
  });
});
