import { randomUUID } from 'node:crypto';
import { createMcpFastifyApp } from '@modelcontextprotocol/fastify';
import {
  NodeStreamableHTTPServerTransport,
  toNodeHandler,
  toWebRequest,
} from '@modelcontextprotocol/node';
import { createMcpHandler, isLegacyRequest } from '@modelcontextprotocol/server';
import { buildMcpServerV2, createE2eFixture } from '@org/mcp-auth-conformance/mcp-v2';
import type { FastifyInstance } from 'fastify';
import { describeSdkV2Endpoints } from '@org/mcp-auth-conformance/sdk-v2';
import { afterAll, beforeAll, describe } from 'vitest';
import { mcpAuth } from '../src/index.js';

// MCP SDK v2 behind the plugin: the v2 SDK's own createMcpFastifyApp, the v2 Node transports
// on request.raw (where the plugin puts auth, read by v2 as ctx.http.authInfo) with the body
// Fastify parsed, and the v2 Client over real HTTP.
describe('Fastify 5 + MCP SDK v2 over HTTP on 127.0.0.1', () => {
  let fixture: Awaited<ReturnType<typeof createE2eFixture>>;
  let app: FastifyInstance;
  let url: string;
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  const stateless = createMcpHandler(({ authInfo }) => buildMcpServerV2(authInfo));
  const modernOnly = createMcpHandler(({ authInfo }) => buildMcpServerV2(authInfo), {
    legacy: 'reject',
  });

  beforeAll(async () => {
    fixture = await createE2eFixture();
    app = createMcpFastifyApp();
    await app.register(mcpAuth, { ...fixture.options, paths: ['/mcp', '/stateless/mcp'] });
    const statelessNode = toNodeHandler(stateless);
    app.route({
      method: ['GET', 'POST', 'DELETE'],
      url: '/stateless/mcp',
      handler: async (request, reply) => {
        reply.hijack();
        await statelessNode(request.raw, reply.raw, request.body);
      },
    });
    const modernNode = toNodeHandler(modernOnly);
    app.route({
      method: ['GET', 'POST', 'DELETE'],
      url: '/mcp',
      handler: async (request, reply) => {
        reply.hijack();
        const body = request.body;
        if (!(await isLegacyRequest(await toWebRequest(request.raw, body), body))) {
          return modernNode(request.raw, reply.raw, body);
        }
        const id = request.headers['mcp-session-id'];
        let transport = typeof id === 'string' ? sessions.get(id) : undefined;
        if (transport === undefined) {
          const created = new NodeStreamableHTTPServerTransport({
            sessionIdGenerator: randomUUID,
            onsessioninitialized: (sessionId) => void sessions.set(sessionId, created),
          });
          await buildMcpServerV2().connect(created);
          transport = created;
        }
        await transport.handleRequest(request.raw, reply.raw, body);
      },
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await Promise.all([...sessions.values()].map((t) => t.close()));
    await Promise.all([stateless.close(), modernOnly.close()]);
    app.server.closeAllConnections();
    await app.close();
  });

  describeSdkV2Endpoints(() => ({ url, fixture }));
});
