import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { buildMcpServer } from '@org/mcp-auth-conformance/mcp';
import { describeSharedStoreContract } from '@org/mcp-auth-conformance/shared-store';
import Fastify from 'fastify';
import { mcpAuth } from '../src/index.js';

describeSharedStoreContract('Fastify', async ({ core, transports }) => {
  const app = Fastify();
  await app.register(mcpAuth, { auth: core });
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
      await (transport as StreamableHTTPServerTransport).handleRequest(
        request.raw,
        reply.raw,
        request.body,
      );
    },
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
});
