import { POLICY, RESOURCE, vectorOptions } from '@org/mcp-auth-conformance';
import {
  createDpopKey,
  createTestIssuer,
  type DpopKey,
  type TestIssuer,
} from '@org/mcp-auth-testing';
import { Hono } from 'hono';
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

function app(): Hono {
  const auth = mcpAuth(vectorOptions(issuer, { policy: POLICY, dpop: { mode: 'allowed' } }));
  const inner = new Hono();
  inner.post('/mcp', auth.protect, (c) => c.json({ sub: c.get('auth')?.extra?.sub }));
  // Mounted: the raw request URL keeps the full path.
  const outer = new Hono();
  outer.route('/', inner);
  return outer;
}

describe('Hono with DPoP', () => {
  it('builds htu from the configured resource, never from the Host of the request URL', async () => {
    const a = app();
    const send = (url: string, proof: string) =>
      a.request(url, {
        method: 'POST',
        headers: {
          authorization: `DPoP ${token}`,
          dpop: proof,
          'content-type': 'application/json',
        },
        body: JSON.stringify(listTodos),
      });
    // The request arrives with another Host (as behind a proxy); the proof names the resource.
    const good = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    const ok = await send('http://internal.local:8080/mcp', good);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ sub: 'user-123' });
    expect((await send('http://internal.local:8080/mcp', good)).status).toBe(401); // replayed
    // A proof naming the Host the request carries is refused.
    const hostBased = await key.proof({
      method: 'POST',
      url: 'http://internal.local:8080/mcp',
      accessToken: token,
    });
    const wrong = await send('http://internal.local:8080/mcp', hostBased);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('DPoP error="invalid_dpop_proof"');
    expect(await wrong.json()).toMatchObject({
      error_description: 'DPoP proof htu does not match the request',
    });
  });
});
