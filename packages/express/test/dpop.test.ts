import type { Server } from 'node:http';
import { closeServer, listenLocal } from '@org/mcp-auth-conformance/node';
import { POLICY, vectorOptions } from '@org/mcp-auth-conformance';
import {
  createDpopKey,
  createTestIssuer,
  type DpopKey,
  type TestIssuer,
} from '@org/mcp-auth-testing';
import express from 'express';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mcpAuth } from '../src/index.js';

// The resource sits under a mounted router: the proof's htu is the path the client called
// (`req.originalUrl`), not the router-relative `req.url`.
const RESOURCE = 'https://mcp.example/api/mcp';
const listTodos = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_todos' } };

let issuer: TestIssuer;
let key: DpopKey;
let token: string;
const servers: Server[] = [];
beforeAll(async () => {
  issuer = await createTestIssuer({ audience: RESOURCE, scope: 'todo:read' });
  key = await createDpopKey();
  token = await issuer.mintAccessToken({ claims: { cnf: { jkt: key.jkt } } });
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
});

async function start(): Promise<string> {
  const auth = mcpAuth(
    vectorOptions(issuer, { resource: RESOURCE, policy: POLICY, dpop: { mode: 'allowed' } }),
  );
  const app = express();
  const router = express.Router();
  router.post('/mcp', express.json(), auth.protect, (req, res) => {
    res.json({ sub: req.auth?.extra?.sub });
  });
  app.use('/api', router);
  const { server, url } = await listenLocal(app);
  servers.push(server);
  return url;
}

const post = (base: string, headers: Record<string, string>) =>
  fetch(`${base}/api/mcp?x=1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(listTodos),
  });

describe('Express with DPoP', () => {
  it('accepts a proof for the path the client called, once; refuses a replay and one for the router-relative path', async () => {
    const base = await start();
    const proof = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    const ok = await post(base, { authorization: `DPoP ${token}`, dpop: proof });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ sub: 'user-123' });
    const replay = await post(base, { authorization: `DPoP ${token}`, dpop: proof });
    expect(replay.status).toBe(401);
    expect(replay.headers.get('www-authenticate')).toContain('DPoP error="invalid_dpop_proof"');
    const relative = await key.proof({
      method: 'POST',
      url: 'https://mcp.example/mcp',
      accessToken: token,
    });
    const wrong = await post(base, { authorization: `DPoP ${token}`, dpop: relative });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({
      error_description: 'DPoP proof htu does not match the request',
    });
    const asBearer = await post(base, { authorization: `Bearer ${token}` });
    expect(asBearer.status).toBe(401);
    expect(
      asBearer.headers.get('www-authenticate')?.startsWith('Bearer error="invalid_token"'),
    ).toBe(true);
  });
});
