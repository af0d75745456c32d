/**
 * Scale-out: two instances of a sample behind a round-robin proxy, sharing one real Redis
 * (`MCP_AUTH_REDIS_URL`). A session bound on one instance is refused to another subject on the
 * other; the whole OAuth flow with a step-up works through the proxy with the SDK client
 * (`MCP_STATELESS=1`: the SDK 1.x transport keeps sessions in the process that created them);
 * a DPoP proof accepted by one instance is refused when replayed on the other.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  callToolWithOAuth,
  findFreePort,
  type RunningSample,
  startSample,
  toolText,
} from '@org/demo';
import {
  type DevAuthorizationServer,
  startDevAuthorizationServer,
} from '@org/mcp-auth-dev-authorization-server';
import { startRedisServer, type TestRedis } from '@org/mcp-auth-conformance/redis';
import { createDpopKey, type RunningTestIssuer, startTestIssuer } from '@org/mcp-auth-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  initializeMessage,
  postMcp,
  readJsonRpc,
  scopesOf,
  tokenFor,
  toolCallMessage,
  userClient,
} from './helpers.js';

/** A round-robin HTTP proxy: each request goes to the next backend, streamed both ways. */
interface Proxy {
  url: string;
  backends: string[];
  /** Which backend (index) served each request, in order. */
  served: number[];
  close(): Promise<void>;
}

async function startProxy(): Promise<Proxy> {
  const backends: string[] = [];
  const served: number[] = [];
  let next = 0;
  const server: Server = createServer((req, res) => {
    const index = next++ % backends.length;
    served.push(index);
    const target = new URL(req.url ?? '/', backends[index]);
    const upstream = httpRequest(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res); // SSE streams included: chunks go on as they come
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"error":"bad_gateway"}');
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    backends,
    served,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Two instances of the Express sample for `proxy`'s resource, sharing `redis`. */
async function startPair(
  as: { issuer: string },
  redis: TestRedis,
  proxy: Proxy,
  env: Record<string, string> = {},
): Promise<RunningSample[]> {
  const pair = await Promise.all(
    [0, 1].map(async () =>
      startSample({
        name: 'express',
        port: await findFreePort(),
        issuer: as.issuer,
        resource: `${proxy.url}/mcp`,
        env: { MCP_AUTH_REDIS_URL: redis.url, ...env },
      }),
    ),
  );
  proxy.backends.push(...pair.map((sample) => sample.origin));
  return pair;
}

describe('scale-out: two sample instances, one Redis, a round-robin proxy', () => {
  let redis: TestRedis;
  let as: DevAuthorizationServer;
  const proxies: Proxy[] = [];
  const samples: RunningSample[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    as = await startDevAuthorizationServer({
      port: 0,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
  });
  afterAll(async () => {
    await Promise.allSettled(samples.map((sample) => sample.stop()));
    await Promise.allSettled(proxies.map((proxy) => proxy.close()));
    await as?.close();
    await redis?.stop();
  });

  describe('stateful sessions', () => {
    let proxy: Proxy;
    let a: RunningSample;
    let b: RunningSample;

    beforeAll(async () => {
      proxy = await startProxy();
      proxies.push(proxy);
      [a, b] = (await startPair(as, redis, proxy)) as [RunningSample, RunningSample];
      samples.push(a, b);
    });

    it('a session bound on one instance is refused (404) to another subject on the other', async () => {
      const mcp = `${proxy.url}/mcp`;
      const alice = await tokenFor(mcp, { username: 'alice' });
      const bob = await tokenFor(mcp, { username: 'bob' });
      const opened = await postMcp(`${a.origin}/mcp`, initializeMessage(), { token: alice });
      expect(opened.status).toBe(200);
      const sessionId = opened.headers.get('mcp-session-id') as string;
      expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
      await opened.body?.cancel();

      for (const instance of [b, a]) {
        const stolen = await postMcp(`${instance.origin}/mcp`, toolCallMessage('whoami'), {
          token: bob,
          sessionId,
        });
        expect(stolen.status).toBe(404);
        expect(await stolen.json()).toEqual({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32001, message: 'Session not found' },
        });
      }
      // Through the proxy, whichever instance answers: bob never gets alice's session.
      for (let i = 0; i < 2; i++) {
        const viaProxy = await postMcp(mcp, toolCallMessage('whoami'), { token: bob, sessionId });
        expect(viaProxy.status).toBe(404);
        await viaProxy.body?.cancel();
      }
      // Instance B asks the shared store about a session it never saw: with Redis frozen it
      // cannot tell, and fails closed (503 + Retry-After) instead of answering from memory.
      redis.pause();
      try {
        const frozen = await postMcp(`${b.origin}/mcp`, toolCallMessage('whoami'), {
          token: alice,
          sessionId,
        });
        expect(frozen.status).toBe(503);
        expect(frozen.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(await frozen.json()).toMatchObject({ error: 'store_unavailable' });
      } finally {
        redis.resume();
      }
      // Alice keeps her session on the instance that holds its transport.
      const own = await postMcp(`${a.origin}/mcp`, toolCallMessage('whoami'), {
        token: alice,
        sessionId,
      });
      expect(own.status).toBe(200);
      expect(JSON.stringify(await readJsonRpc(own))).toContain('alice');
    });
  });

  describe('stateless protocol (MCP_STATELESS=1)', () => {
    let proxy: Proxy;

    beforeAll(async () => {
      proxy = await startProxy();
      proxies.push(proxy);
      samples.push(...(await startPair(as, redis, proxy, { MCP_STATELESS: '1' })));
    });

    it('the whole OAuth flow with a step-up works through the proxy with the SDK client', async () => {
      const user = userClient({ username: 'alice', grantScopes: ['todo:read'] });
      const session = await user.connect(`${proxy.url}/mcp`);
      expect(scopesOf(user.accessToken())).toEqual(['todo:read']);
      const listed = await session.client.listTools();
      expect(listed.tools.map((tool) => tool.name)).toContain('add_todo');
      expect(toolText(await callToolWithOAuth(session, 'whoami'))).toContain('alice');
      // add_todo needs todo:write: 403 insufficient_scope, re-consent, the call repeated.
      const added = await callToolWithOAuth(session, 'add_todo', { title: 'scale out' });
      expect(added.isError).not.toBe(true);
      expect(user.consents).toHaveLength(2);
      expect(scopesOf(user.accessToken())).toEqual(expect.arrayContaining(['todo:write']));
      expect(toolText(await callToolWithOAuth(session, 'whoami'))).toContain('alice');
      await session.client.close();
      // Both instances answered MCP requests.
      expect(new Set(proxy.served)).toEqual(new Set([0, 1]));
      const statuses = user.exchanges
        .filter((exchange) => exchange.url.href.startsWith(`${proxy.url}/mcp`))
        .map((exchange) => exchange.response.status);
      expect(statuses).toContain(403);
      expect(statuses.filter((status) => status >= 500)).toEqual([]);
    });
  });

  describe('DPoP (MCP_AUTH_DPOP=allowed): the replay check is shared', () => {
    let proxy: Proxy;
    let issuer: RunningTestIssuer;
    let a: RunningSample;
    let b: RunningSample;

    beforeAll(async () => {
      // A test issuer mints the key-bound token directly (cnf.jkt), as a DPoP-enabled
      // authorization server would after the client's proof at its token endpoint.
      issuer = await startTestIssuer();
      proxy = await startProxy();
      proxies.push(proxy);
      [a, b] = (await startPair(issuer, redis, proxy, {
        MCP_STATELESS: '1',
        MCP_AUTH_DPOP: 'allowed',
      })) as [RunningSample, RunningSample];
      samples.push(a, b);
    });
    afterAll(async () => {
      await issuer?.close();
    });

    it('a proof accepted by one instance is refused when replayed on the other', async () => {
      const resource = `${proxy.url}/mcp`;
      const key = await createDpopKey();
      const token = await issuer.mintAccessToken({
        claims: { aud: resource, sub: 'alice', scope: 'todo:read', cnf: { jkt: key.jkt } },
      });
      const call = (origin: string, proof: string) =>
        fetch(`${origin}/mcp`, {
          method: 'POST',
          headers: {
            authorization: `DPoP ${token}`,
            dpop: proof,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
          body: JSON.stringify(toolCallMessage('whoami')),
        });
      // htu is the resource's scheme and authority with the request's path: the proxy's.
      const proof = await key.proof({ method: 'POST', url: resource, accessToken: token });
      const first = await call(a.origin, proof);
      expect(first.status).toBe(200);
      expect(JSON.stringify(await readJsonRpc(first))).toContain('alice');

      const replayed = await call(b.origin, proof);
      expect(replayed.status).toBe(401);
      expect(replayed.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');
      expect(await replayed.json()).toMatchObject({ error: 'invalid_dpop_proof' });

      // A fresh proof from the key holder works on the second instance too.
      const fresh = await key.proof({ method: 'POST', url: resource, accessToken: token });
      const second = await call(b.origin, fresh);
      expect(second.status).toBe(200);
      await second.body?.cancel();
    });
  });
});
