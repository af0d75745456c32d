import { randomUUID } from 'node:crypto';
import { InsufficientScopeError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';
import { createMcpFastifyApp } from '@modelcontextprotocol/fastify';
import {
  NodeStreamableHTTPServerTransport,
  toNodeHandler,
  toWebRequest,
} from '@modelcontextprotocol/node';
import { createMcpHandler, isLegacyRequest } from '@modelcontextprotocol/server';
import { rawToolCall } from '@org/mcp-auth-conformance/mcp';
import {
  buildMcpServerV2,
  connectClientV2,
  createE2eFixture,
  MODERN_PROTOCOL_VERSION,
  recordingFetch,
  whoamiV2,
} from '@org/mcp-auth-conformance/mcp-v2';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('2026-07-28: a tool and the server factory see the verified token; no session', async () => {
    const recorder = recordingFetch();
    const { client, transport } = await connectClientV2(`${url}/stateless/mcp`, fixture.alice, {
      era: 'auto',
      fetch: recorder.fetch,
    });
    expect(client.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
    expect(await whoamiV2(client)).toMatchObject({
      sub: 'alice',
      factorySub: 'alice',
      token: fixture.alice,
      clientId: 'test-client',
      scopes: ['todo:read'],
      resource: 'https://mcp.example/mcp',
    });
    expect(transport.sessionId).toBeUndefined();
    expect(recorder.seen.filter((r) => r.sessionId !== undefined)).toEqual([]);
    expect(recorder.seen).toContainEqual({
      method: 'POST',
      mcpMethod: 'tools/call',
      mcpName: 'whoami',
    });
    await client.close();
  });

  it('2025 clients are served by the stateless fallback', async () => {
    const { client } = await connectClientV2(`${url}/stateless/mcp`, fixture.bob);
    expect(client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
    expect(await whoamiV2(client)).toMatchObject({ sub: 'bob', factorySub: 'bob' });
    await client.close();
  });

  it('401 without a token, 403 insufficient_scope naming the step-up scope', async () => {
    const refused = connectClientV2(`${url}/stateless/mcp`, '', { era: 'modern' });
    await expect(refused).rejects.toBeInstanceOf(SdkHttpError);
    await expect(refused).rejects.toMatchObject({ code: SdkErrorCode.ClientHttpAuthentication });

    const { client } = await connectClientV2(`${url}/stateless/mcp`, fixture.alice, {
      era: 'modern',
    });
    const denied = client.callTool({ name: 'add_todo', arguments: {} });
    await expect(denied).rejects.toBeInstanceOf(InsufficientScopeError);
    await expect(denied).rejects.toMatchObject({
      requiredScope: expect.stringContaining('todo:write'),
    });
    await client.close();
  });

  it('stateful (2025 era): the session is bound; another subject on it gets 404', async () => {
    const { client, transport } = await connectClientV2(`${url}/mcp`, fixture.alice);
    const sessionId = transport.sessionId!;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await whoamiV2(client)).sub).toBe('alice');

    const stolen = await rawToolCall(`${url}/mcp`, fixture.bob, sessionId);
    expect(stolen.status).toBe(404);
    expect(await stolen.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32001, message: 'Session not found' },
    });
    const bob = await connectClientV2(`${url}/mcp`, fixture.bob, { sessionId });
    await expect(whoamiV2(bob.client)).rejects.toBeInstanceOf(SdkHttpError);
    expect((await whoamiV2(client)).sub).toBe('alice');
    await client.close();
  });

  it('stateful endpoint: a 2026-07-28 client negotiates up and runs without a session', async () => {
    const { client, transport } = await connectClientV2(`${url}/mcp`, fixture.alice, {
      era: 'auto',
    });
    expect(client.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
    expect(await whoamiV2(client)).toMatchObject({ sub: 'alice', factorySub: 'alice' });
    expect(transport.sessionId).toBeUndefined();
    await client.close();
  });
});
