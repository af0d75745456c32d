import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { type AuthInfo, createMcpAuth } from '@org/mcp-auth-core';
import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeHandler } from '../src/create-node-handler.js';
import { closeServer, listenLocal } from '@org/mcp-auth-conformance/node';

const RESOURCE = 'http://127.0.0.1/mcp';
let issuer: TestIssuer;
let url: string;
let close: () => Promise<void>;
let handled: Array<{ authInfo: AuthInfo | undefined; body: unknown; reqAuth: unknown }> = [];

/** Raw request, so repeated headers reach the server as sent. */
function send(
  method: string,
  path: string,
  headers: Array<[string, string]>,
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const flat = ['Host', new URL(url).host, ...headers.flat()];
    if (body !== undefined) flat.push('Content-Length', String(Buffer.byteLength(body)));
    const req = httpRequest(url + path, { method, headers: flat }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const rpc = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
const json: [string, string] = ['Content-Type', 'application/json'];

beforeAll(async () => {
  issuer = await createTestIssuer({ audience: RESOURCE, scope: 'todo:read' });
  const protect = createNodeHandler({
    resource: RESOURCE,
    issuer: issuer.issuer,
    jwt: { fetch: issuer.fetch },
    policy: { baseline: 'todo:read', tools: { add_todo: 'todo:write' } },
  });
  const listening = await listenLocal(async (req, res) => {
    const allowed = await protect(req, res);
    if (!allowed) return;
    handled.push({ ...allowed, reqAuth: (req as IncomingMessage & { auth?: unknown }).auth });
    res.setHeader('Mcp-Session-Id', 'session-1');
    res.end('ok');
  });
  url = listening.url;
  close = () => closeServer(listening.server);
});

afterAll(() => close?.());

describe('createNodeHandler on node:http', () => {
  it('answers 401 with the challenge and never runs the app without a token', async () => {
    handled = [];
    const response = await send('POST', '/mcp', [json], rpc);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource/mcp", scope="todo:read"',
    );
    expect(handled).toHaveLength(0);
  });

  it('serves the Protected Resource Metadata', async () => {
    const response = await send('GET', '/.well-known/oauth-protected-resource/mcp', []);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toMatchObject({
      resource: RESOURCE,
      authorization_servers: [issuer.issuer],
      bearer_methods_supported: ['header'],
    });
    expect(response.headers['access-control-allow-origin']).toBe('*');
  });

  it('allows a valid token: authInfo, parsed body and req.auth reach the app', async () => {
    handled = [];
    const token = await issuer.mintAccessToken({ claims: { sub: 'alice' } });
    const response = await send('POST', '/mcp', [json, ['Authorization', `Bearer ${token}`]], rpc);
    expect(response.status).toBe(200);
    expect(response.text).toBe('ok');
    expect(handled).toHaveLength(1);
    expect(handled[0]!.authInfo).toMatchObject({ token, scopes: ['todo:read'] });
    expect(handled[0]!.authInfo?.extra?.sub).toBe('alice');
    expect(handled[0]!.reqAuth).toBe(handled[0]!.authInfo);
    expect(handled[0]!.body).toEqual(JSON.parse(rpc));
  });

  it('binds the session it created: another subject on it gets the SDK 404', async () => {
    const alice = await issuer.mintAccessToken({ claims: { sub: 'alice' } });
    const bob = await issuer.mintAccessToken({ claims: { sub: 'bob' } });
    const on = (token: string) => [
      json,
      ['Authorization', `Bearer ${token}`] as [string, string],
      ['Mcp-Session-Id', 'session-1'] as [string, string],
    ];
    // Alice's request without a session id got the response that created session-1.
    await send('POST', '/mcp', [json, ['Authorization', `Bearer ${alice}`]], rpc);
    const stolen = await send('POST', '/mcp', on(bob), rpc);
    expect(stolen.status).toBe(404);
    expect(JSON.parse(stolen.text)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32001, message: 'Session not found' },
    });
    expect((await send('POST', '/mcp', on(alice), rpc)).status).toBe(200);
  });

  it('refuses duplicate Authorization headers with 400 invalid_request', async () => {
    handled = [];
    const token = await issuer.mintAccessToken();
    const auth: [string, string] = ['Authorization', `Bearer ${token}`];
    const response = await send('POST', '/mcp', [json, auth, auth], rpc);
    expect(response.status).toBe(400);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_request"/);
    expect(handled).toHaveLength(0);
  });

  it('answers the preflight and a too large body itself', async () => {
    const preflight = await send('OPTIONS', '/mcp', [
      ['Origin', 'http://localhost:6274'],
      ['Access-Control-Request-Method', 'POST'],
    ]);
    expect(preflight.status).toBe(204);
    // A loopback resource accepts loopback origins only (DNS rebinding).
    const rebinding = await send('OPTIONS', '/mcp', [
      ['Origin', 'https://app.example'],
      ['Access-Control-Request-Method', 'POST'],
    ]);
    expect(rebinding.status).toBe(403);
    expect(String(preflight.headers['access-control-allow-headers'])).toMatch(/authorization/i);
    const small = createNodeHandler(
      { resource: RESOURCE, issuer: issuer.issuer, policy: { tools: { add_todo: 'todo:write' } } },
      { maxBodyBytes: 8 },
    );
    const { server, url: smallUrl } = await listenLocal(async (req, res) => {
      if (await small(req, res)) res.end('ran');
    });
    try {
      const response = await fetch(`${smallUrl}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: rpc,
      });
      expect(response.status).toBe(413);
      // Declared too large: refused before reading, and the connection is not kept to drain it.
      expect(response.headers.get('connection')).toBe('close');
      expect(await response.json()).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'Request body too large' },
      });
    } finally {
      await closeServer(server);
    }
  });

  it('throws a TypeError naming a bad or unknown adapter option', () => {
    const options = { resource: RESOURCE, issuer: 'https://a.example' };
    for (const maxBodyBytes of [-1, 0, 1.5, Number.NaN]) {
      expect(() => createNodeHandler(options, { maxBodyBytes })).toThrow(TypeError);
      expect(() => createNodeHandler(options, { maxBodyBytes })).toThrow(/"maxBodyBytes"/);
    }
    // The old name is refused, not ignored.
    expect(() => createNodeHandler(options, { maxBytes: 8 } as never)).toThrow(/"maxBytes"/);
  });

  it('shares a prebuilt core: same decisions, no second core', async () => {
    const core = createMcpAuth({
      resource: RESOURCE,
      issuer: issuer.issuer,
      jwt: { fetch: issuer.fetch },
      policy: { baseline: 'todo:read' },
      sessionBinding: false,
    });
    const shared = createNodeHandler(core);
    const seen: unknown[] = [];
    const { server, url: sharedUrl } = await listenLocal(async (req, res) => {
      const allowed = await shared(req, res);
      if (!allowed) return;
      seen.push(allowed.authInfo?.extra?.sub);
      res.end('ok');
    });
    try {
      const token = await issuer.mintAccessToken({ claims: { sub: 'carol' } });
      const ok = await fetch(`${sharedUrl}/mcp`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(seen).toEqual(['carol']);
      // The core's own decision agrees: it is the one the handler uses.
      const direct = await core.authorize({
        method: 'GET',
        url: '/mcp',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(direct.type).toBe('allow');
    } finally {
      await closeServer(server);
    }
  });

  it('leaves req.auth unset for a public method called without a token', async () => {
    const open = createNodeHandler({
      resource: RESOURCE,
      issuer: issuer.issuer,
      jwt: { fetch: issuer.fetch },
      policy: { baseline: 'todo:read', publicMethods: ['ping'] },
    });
    let seen: unknown;
    const { server, url: openUrl } = await listenLocal(async (req, res) => {
      const allowed = await open(req, res);
      if (!allowed) return;
      seen = { authInfo: allowed.authInfo, hasAuth: 'auth' in req };
      res.end('ok');
    });
    try {
      const ping = await fetch(`${openUrl}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      });
      expect(ping.status).toBe(200);
      expect(seen).toEqual({ authInfo: undefined, hasAuth: false });
    } finally {
      await closeServer(server);
    }
  });
});
