import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildMcpServer,
  connectClient,
  createE2eFixture,
  rawToolCall,
  whoami,
} from '@org/mcp-auth-conformance/mcp';
import { mcpAuth } from '../src/index.js';

describe('Fastify 5 + MCP SDK over HTTP on 127.0.0.1', () => {
  let fixture: Awaited<ReturnType<typeof createE2eFixture>>;
  let app: FastifyInstance;
  let url: string;
  const transports = new Map<string, StreamableHTTPServerTransport>();

  beforeAll(async () => {
    fixture = await createE2eFixture();
    app = Fastify();
    await app.register(mcpAuth, { ...fixture.options, paths: ['/mcp', '/stateless/mcp'] });
    app.post('/stateless/mcp', async (request, reply) => {
      reply.hijack();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      reply.raw.on('close', () => void transport.close());
      await buildMcpServer().connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    });
    app.route({
      method: ['GET', 'POST', 'DELETE'],
      url: '/mcp',
      handler: async (request, reply) => {
        reply.hijack();
        const id = request.headers['mcp-session-id'];
        let transport = typeof id === 'string' ? transports.get(id) : undefined;
        if (transport === undefined) {
          const created = new StreamableHTTPServerTransport({
            sessionIdGenerator: randomUUID,
            onsessioninitialized: (sessionId) => void transports.set(sessionId, created),
          });
          await buildMcpServer().connect(created);
          transport = created;
        }
        await transport.handleRequest(request.raw, reply.raw, request.body);
      },
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await Promise.all([...transports.values()].map((t) => t.close()));
    app.server.closeAllConnections();
    await app.close();
  });

  it('stateless: a tool receives extra.authInfo exactly as verified', async () => {
    const { client } = await connectClient(`${url}/stateless/mcp`, fixture.alice);
    expect(await whoami(client)).toMatchObject({
      sub: 'alice',
      token: fixture.alice,
      clientId: 'test-client',
      scopes: ['todo:read'],
      resource: 'https://mcp.example/mcp',
    });
    await expect(client.callTool({ name: 'add_todo', arguments: {} })).rejects.toMatchObject({
      code: 403,
      message: expect.stringContaining('insufficient_scope'),
    });
    await client.close();
  });

  it('stateful: another subject on the session is refused, the owner keeps working', async () => {
    const { client, transport } = await connectClient(`${url}/mcp`, fixture.alice);
    const sessionId = transport.sessionId!;
    expect((await whoami(client)).sub).toBe('alice');
    const stolen = await rawToolCall(`${url}/mcp`, fixture.bob, sessionId);
    expect(stolen.status).toBe(404);
    expect(await stolen.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32001, message: 'Session not found' },
    });
    const bobClient = await connectClient(`${url}/mcp`, fixture.bob, sessionId);
    await expect(whoami(bobClient.client)).rejects.toMatchObject({ code: 404 });
    expect((await whoami(client)).sub).toBe('alice');
    await client.close();
  });
});
