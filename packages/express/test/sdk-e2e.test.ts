import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpAuth } from '../src/index.js';
import {
  buildMcpServer,
  connectClient,
  createE2eFixture,
  rawToolCall,
  whoami,
} from '@org/mcp-auth-conformance/mcp';
import { closeServer, listenLocal } from '@org/mcp-auth-conformance/node';

type Fixture = Awaited<ReturnType<typeof createE2eFixture>>;

for (const [name, express] of [
  ['Express 5', express5],
  ['Express 4', express4],
] as const) {
  describe(`${name} + MCP SDK over HTTP on 127.0.0.1`, () => {
    let fixture: Fixture;
    let server: Server;
    let url: string;
    const transports = new Map<string, StreamableHTTPServerTransport>();

    beforeAll(async () => {
      fixture = await createE2eFixture();
      const auth = mcpAuth(fixture.options);
      const app = express();
      app.use(auth.metadata);
      // Stateless, with express.json() in front.
      app.post('/stateless/mcp', express.json(), auth.protect, async (req, res) => {
        const mcp = buildMcpServer();
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
        res.on('close', () => void transport.close());
        await mcp.connect(transport);
        await transport.handleRequest(req, res, req.body);
      });
      // Stateful, no body parser: the adapter reads the body and hands it on as req.body.
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
      ({ server, url } = await listenLocal(app));
    });
    afterAll(async () => {
      await Promise.all([...transports.values()].map((t) => t.close()));
      await closeServer(server);
    });

    it('stateless: a tool receives extra.authInfo exactly as verified', async () => {
      const { client } = await connectClient(`${url}/stateless/mcp`, fixture.alice);
      const me = await whoami(client);
      expect(me).toMatchObject({
        sub: 'alice',
        token: fixture.alice,
        clientId: 'test-client',
        scopes: ['todo:read'],
        resource: 'https://mcp.example/mcp',
      });
      expect(me.expiresAt).toBeGreaterThan(Date.now() / 1000);
      await expect(client.callTool({ name: 'add_todo', arguments: {} })).rejects.toMatchObject({
        code: 403,
        message: expect.stringContaining('insufficient_scope'),
      });
      await client.close();
    });

    it('stateful: another subject on the session is refused, the owner keeps working', async () => {
      const { client, transport } = await connectClient(`${url}/mcp`, fixture.alice);
      const sessionId = transport.sessionId!;
      expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
      expect((await whoami(client)).sub).toBe('alice');

      const stolen = await rawToolCall(`${url}/mcp`, fixture.bob, sessionId);
      // The same answer as for an unknown session: nothing tells that it exists.
      expect(stolen.status).toBe(404);
      expect(await stolen.json()).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32001, message: 'Session not found' },
      });
      const bobClient = await connectClient(`${url}/mcp`, fixture.bob, sessionId);
      await expect(whoami(bobClient.client)).rejects.toMatchObject({ code: 404 });

      expect((await whoami(client)).sub).toBe('alice');
      const noToken = await rawToolCall(`${url}/mcp`, '', sessionId);
      expect(noToken.status).toBe(400); // "Bearer " alone is malformed: a session id never authenticates
      await client.close();
    });
  });
}
