import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildMcpServer,
  connectClient,
  createE2eFixture,
  rawToolCall,
  whoami,
} from '@org/mcp-auth-conformance/mcp';
import { type McpAuthEnv, mcpAuth } from '../src/index.js';

describe('Hono 4 + MCP SDK (web-standard transport) over HTTP on 127.0.0.1', () => {
  let fixture: Awaited<ReturnType<typeof createE2eFixture>>;
  let server: ServerType;
  let url: string;
  const transports = new Map<string, WebStandardStreamableHTTPServerTransport>();

  beforeAll(async () => {
    fixture = await createE2eFixture();
    const auth = mcpAuth(fixture.options);
    const stateless = mcpAuth({ ...fixture.options, sessionBinding: false });
    const app = new Hono<McpAuthEnv>();
    app.use(auth.metadata);
    app.post('/stateless/mcp', stateless.protect, async (c) => {
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
      });
      await buildMcpServer().connect(transport);
      return transport.handleRequest(c.req.raw, {
        authInfo: c.var.auth,
        parsedBody: c.var.parsedBody,
      });
    });
    app.all('/mcp', auth.protect, async (c) => {
      const id = c.req.header('mcp-session-id');
      let transport = id === undefined ? undefined : transports.get(id);
      if (transport === undefined) {
        const created = new WebStandardStreamableHTTPServerTransport({
          sessionIdGenerator: () => crypto.randomUUID(),
          onsessioninitialized: (sessionId) => void transports.set(sessionId, created),
        });
        await buildMcpServer().connect(created);
        transport = created;
      }
      return transport.handleRequest(c.req.raw, {
        authInfo: c.var.auth,
        parsedBody: c.var.parsedBody,
      });
    });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await Promise.all([...transports.values()].map((t) => t.close()));
    if ('closeAllConnections' in server) server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
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
