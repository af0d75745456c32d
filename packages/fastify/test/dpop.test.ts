import { POLICY, RESOURCE, vectorOptions } from '@org/mcp-auth-conformance';
import {
  createDpopKey,
  createTestIssuer,
  type DpopKey,
  type TestIssuer,
} from '@org/mcp-auth-testing';
import Fastify from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { mcpAuth } from '../src/index.js';

const listTodos = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_todos' } };

let issuer: TestIssuer;
let key: DpopKey;
let token: string;
beforeAll(async () => {
  issuer = await createTestIssuer({ audience: RESOURCE, scope: 'todo:read' });
  key = await createDpopKey();
  token = await issuer.mintAccessToken({ claims: { cnf: { jkt: key.jkt } } });
});

describe('Fastify with DPoP', () => {
  it('checks htu against the URL the client called, not the one rewriteUrl made', async () => {
    // The public path /v1/mcp is rewritten to the route /mcp; the client signed /v1/mcp.
    const app = Fastify({
      rewriteUrl: (req) => (req.url?.startsWith('/v1/mcp') ? req.url.slice(3) : (req.url ?? '/')),
    });
    await app.register(mcpAuth, {
      ...vectorOptions(issuer, { policy: POLICY, dpop: { mode: 'allowed' } }),
    });
    app.post('/mcp', async (request) => ({ sub: request.auth?.extra?.sub }));
    const publicUrl = 'https://mcp.example/v1/mcp';
    const send = (proof: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/mcp',
        headers: { authorization: `DPoP ${token}`, dpop: proof },
        payload: listTodos,
      });
    const good = await key.proof({ method: 'POST', url: publicUrl, accessToken: token });
    const ok = await send(good);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ sub: 'user-123' });
    expect((await send(good)).statusCode).toBe(401); // replayed
    const rewritten = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    const wrong = await send(rewritten);
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({
      error: 'invalid_dpop_proof',
      error_description: 'DPoP proof htu does not match the request',
    });
    await app.close();
  });

  it('refuses two DPoP headers (Node joins them) and a bound token sent as Bearer', async () => {
    const app = Fastify();
    await app.register(mcpAuth, vectorOptions(issuer, { dpop: { mode: 'allowed' } }));
    app.post('/mcp', async () => ({ ok: true }));
    const p1 = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    const p2 = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    const two = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: { authorization: `DPoP ${token}`, dpop: [p1, p2] },
      payload: listTodos,
    });
    expect(two.statusCode).toBe(401);
    expect(two.json()).toMatchObject({ error_description: 'more than one DPoP header' });
    const bearer = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: { authorization: `Bearer ${token}` },
      payload: listTodos,
    });
    expect(bearer.statusCode).toBe(401);
    expect(bearer.json()).toMatchObject({ error: 'invalid_token' });
    await app.close();
  });
});
