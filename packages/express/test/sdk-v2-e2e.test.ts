import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { InsufficientScopeError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';
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
  recordingFetch,
  whoamiV2,
} from '@org/mcp-auth-conformance/mcp-v2';
import { rawToolCall } from '@org/mcp-auth-conformance/mcp';
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

  it('2026-07-28: a tool and the server factory see the verified token; no session', async () => {
    const recorder = recordingFetch();
    const { client, transport } = await connectClientV2(`${url}/stateless/mcp`, fixture.alice, {
      era: 'modern',
      fetch: recorder.fetch,
    });
    expect(client.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
    const me = await whoamiV2(client);
    expect(me).toMatchObject({
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
