import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { buildMcpServer } from '@org/mcp-auth-conformance/mcp';
import { describeSharedStoreContract } from '@org/mcp-auth-conformance/shared-store';
import { Hono } from 'hono';
import { type McpAuthEnv, mcpAuth } from '../src/index.js';

describeSharedStoreContract('Hono', async ({ core, transports }) => {
  const auth = mcpAuth(core);
  const app = new Hono<McpAuthEnv>();
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
    return (transport as WebStandardStreamableHTTPServerTransport).handleRequest(c.req.raw, {
      authInfo: c.var.auth,
      parsedBody: c.var.parsedBody,
    });
  });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
});
