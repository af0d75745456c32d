import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  buildMcpServer,
  connectClient,
  createE2eFixture,
  rawToolCall,
  whoami,
} from '@org/mcp-auth-conformance/mcp';
import { closeServer, listenLocal } from '@org/mcp-auth-conformance/node';
import { hasRedisServer, startRedisServer, type TestRedis } from '@org/mcp-auth-conformance/redis';
import { mcpAuth } from '@org/mcp-auth-express';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisStore } from '../src/index.js';

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  },
});
const initialize = (url: string, token: string) =>
  fetch(url, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    },
    body: INITIALIZE,
  });

describe.skipIf(!hasRedisServer && process.env.CI === undefined)(
  'Express + createRedisStore: two instances, one real Redis',
  () => {
    let redis: TestRedis;
    let fixture: Awaited<ReturnType<typeof createE2eFixture>>;
    const ended: string[] = [];
    const instances: Array<{
      url: string;
      store: RedisStore;
      transports: Map<string, StreamableHTTPServerTransport>;
      close(): Promise<void>;
    }> = [];

    beforeAll(async () => {
      redis = await startRedisServer();
      fixture = await createE2eFixture();
      for (let i = 0; i < 2; i++) {
        const store = createRedisStore({ url: redis.url, commandTimeoutMs: 300 });
        await store.connect();
        const transports = new Map<string, StreamableHTTPServerTransport>();
        const auth = mcpAuth({
          ...fixture.options,
          store,
          sessionBinding: {
            onSessionEnd: (id) => {
              ended.push(id);
              void transports.get(id)?.close();
              transports.delete(id);
            },
          },
        });
        const app = express();
        app.all('/mcp', auth.protect, async (req, res) => {
          const id = req.headers['mcp-session-id'];
          let transport = typeof id === 'string' ? transports.get(id) : undefined;
          if (transport === undefined) {
            const created = new StreamableHTTPServerTransport({
              sessionIdGenerator: randomUUID,
              onsessioninitialized: (sessionId) => void transports.set(sessionId, created),
            });
            await buildMcpServer().connect(created);
            transport = created;
          }
          await transport.handleRequest(req, res, req.body);
        });
        const { server, url } = await listenLocal(app);
        instances.push({ url: `${url}/mcp`, store, transports, close: () => closeServer(server) });
      }
    });
    afterAll(async () => {
      for (const instance of instances) {
        await Promise.all([...instance.transports.values()].map((t) => t.close()));
        await instance.close();
        await instance.store.close();
      }
      await redis?.stop();
    });
    const [a, b] = [() => instances[0]!, () => instances[1]!];

    it('a session bound on one instance is refused to another subject on the other', async () => {
      const { client, transport } = await connectClient(a().url, fixture.alice);
      const id = transport.sessionId as string;
      expect((await whoami(client)).sub).toBe('alice');
      const stolen = await rawToolCall(b().url, fixture.bob, id);
      expect(stolen.status).toBe(404);
      expect(await stolen.json()).toMatchObject({ error: { code: -32001 } });
      // The owner passes the binding check on B, and B's SDK transport, which never saw the
      // session, answers it: 400 "Server not initialized", not the binding's 404.
      const owner = await rawToolCall(b().url, fixture.alice, id);
      expect(owner.status).toBe(400);
      expect((await whoami(client)).sub).toBe('alice');
      await client.close();
    });

    it('Redis hung: 503 + Retry-After within the command timeout, and the new session ended', async () => {
      const response = await initialize(a().url, fixture.alice);
      const id = response.headers.get('mcp-session-id') as string;
      await response.body?.cancel();
      ended.length = 0;
      redis.pause();
      try {
        let started = Date.now();
        const refused = await rawToolCall(a().url, fixture.alice, id);
        expect(refused.status).toBe(503);
        expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(await refused.json()).toMatchObject({ error: 'store_unavailable' });
        expect(Date.now() - started).toBeLessThan(2000);
        started = Date.now();
        const opening = await initialize(b().url, fixture.alice);
        expect(opening.status).toBe(503);
        expect(opening.headers.get('mcp-session-id')).toBeNull();
        expect(ended).toHaveLength(1);
        expect(b().transports.size).toBe(0);
        expect(Date.now() - started).toBeLessThan(2000);
      } finally {
        redis.resume();
      }
      expect((await rawToolCall(a().url, fixture.alice, id)).status).toBe(200);
    });

    it('Redis gone: 503 + Retry-After, never allowed', async () => {
      const response = await initialize(a().url, fixture.alice);
      const id = response.headers.get('mcp-session-id') as string;
      await response.body?.cancel();
      await redis.stop();
      const refused = await rawToolCall(a().url, fixture.alice, id);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await rawToolCall(b().url, fixture.bob, id)).status).toBe(503);
      expect((await initialize(b().url, fixture.bob)).status).toBe(503);
    });
  },
);
