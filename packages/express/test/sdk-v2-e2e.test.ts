import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { InsufficientScopeError } from '@modelcontextprotocol/client';
import { createMcpExpressApp } from '@modelcontextprotocol/express';
import {
  NodeStreamableHTTPServerTransport,
  toNodeHandler,
  toWebRequest,
} from '@modelcontextprotocol/node';
import { createMcpHandler, isLegacyRequest } from '@modelcontextprotocol/server';
import {
  buildMcpServerV2,
  connectClientV2,
  createE2eFixture,
  MODERN_PROTOCOL_VERSION,
  whoamiV2,
} from '@org/mcp-auth-conformance/mcp-v2';
import { describeSdkV2Endpoints } from '@org/mcp-auth-conformance/sdk-v2';
import { closeServer, listenLocal } from '@org/mcp-auth-conformance/node';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpAuth } from '../src/index.js';

type Fixture = Awaited<ReturnType<typeof createE2eFixture>>;

// MCP SDK v2: @modelcontextprotocol/server's McpServer behind the v2 Node transports, the v2
// Client over real HTTP. v2 reads the token from req.auth (as v1 does) and hands it to tool
// handlers as ctx.http.authInfo; protect has read the body once and left it in req.body.
describe('Express + MCP SDK v2 over HTTP on 127.0.0.1', () => {
  let fixture: Fixture;
  let server: Server;
  let url: string;
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  const stateless = createMcpHandler(({ authInfo }) => buildMcpServerV2(authInfo));
  const modernOnly = createMcpHandler(({ authInfo }) => buildMcpServerV2(authInfo), {
    legacy: 'reject',
  });

  beforeAll(async () => {
    fixture = await createE2eFixture();
    const auth = mcpAuth(fixture.options);
    const app = express();
    app.use(auth.metadata);
    // Stateless: the per-request entry serves 2026-07-28 and, statelessly, 2025-era clients.
    const statelessNode = toNodeHandler(stateless);
    app.all('/stateless/mcp', auth.protect, (req, res) => statelessNode(req, res, req.body));
    // Stateful: 2025-era traffic to one sessionful transport per session, 2026-07-28 to the
    // per-request entry (that revision has no sessions).
    const modernNode = toNodeHandler(modernOnly);
    app.all('/mcp', auth.protect, async (req, res) => {
      if (!(await isLegacyRequest(await toWebRequest(req, req.body), req.body))) {
        return modernNode(req, res, req.body);
      }
      const id = req.header('mcp-session-id');
      let transport = id === undefined ? undefined : sessions.get(id);
      if (transport === undefined) {
        if (id !== undefined) {
          res.status(404).json({
            jsonrpc: '2.0',
            id: null,
            error: { code: -32001, message: 'Session not found' },
          });
          return;
        }
        const created = new NodeStreamableHTTPServerTransport({
          sessionIdGenerator: randomUUID,
          onsessioninitialized: (sessionId) => void sessions.set(sessionId, created),
        });
        await buildMcpServerV2().connect(created);
        transport = created;
      }
      await transport.handleRequest(req, res, req.body);
    });
    ({ server, url } = await listenLocal(app));
  });
  afterAll(async () => {
    await Promise.all([...sessions.values()].map((t) => t.close()));
    await Promise.all([stateless.close(), modernOnly.close()]);
    await closeServer(server);
  });

  describeSdkV2Endpoints(() => ({ url, fixture }));

  it("behind the v2 SDK's createMcpExpressApp (express.json() first), the parsed body is used", async () => {
    const auth = mcpAuth(fixture.options);
    const app = createMcpExpressApp();
    app.use(auth.metadata);
    const node = toNodeHandler(stateless);
    app.all('/mcp', auth.protect, (req, res) => node(req, res, req.body));
    const listening = await listenLocal(app);
    try {
      const { client } = await connectClientV2(`${listening.url}/mcp`, fixture.alice, {
        era: 'auto',
      });
      expect(client.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
      expect(await whoamiV2(client)).toMatchObject({ sub: 'alice', factorySub: 'alice' });
      await expect(client.callTool({ name: 'add_todo', arguments: {} })).rejects.toBeInstanceOf(
        InsufficientScopeError,
      );
      await client.close();
    } finally {
      await closeServer(listening.server);
    }
  });
});
