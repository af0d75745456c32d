import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { buildMcpServer } from '@org/mcp-auth-conformance/mcp';
import { closeServer, listenLocal } from '@org/mcp-auth-conformance/node';
import { describeSharedStoreContract } from '@org/mcp-auth-conformance/shared-store';
import express from 'express';
import { mcpAuth } from '../src/index.js';

describeSharedStoreContract('Express', async ({ core, transports }) => {
  const auth = mcpAuth(core);
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
    await (transport as StreamableHTTPServerTransport).handleRequest(req, res, req.body);
  });
  const { server, url } = await listenLocal(app);
  return { url, close: () => closeServer(server) };
});
