import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { InsufficientScopeError, SdkHttpError } from '@modelcontextprotocol/client';
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
import { closeServer, listenLocal } from '@org/mcp-auth-conformance/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeHandler } from '../src/create-node-handler.js';

// Plain node:http with MCP SDK v2: createNodeHandler sets req.auth (read by the v2 Node
// transports, handed to tools as ctx.http.authInfo) and resolves the body it read, which goes
// to the transport as parsedBody.
describe('node:http + MCP SDK v2 on 127.0.0.1', () => {
  let fixture: Awaited<ReturnType<typeof createE2eFixture>>;
  let server: Server;
  let url: string;
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  const stateless = createMcpHandler(({ authInfo }) => buildMcpServerV2(authInfo));
  const modernOnly = createMcpHandler(({ authInfo }) => buildMcpServerV2(authInfo), {
    legacy: 'reject',
  });

  beforeAll(async () => {
    fixture = await createE2eFixture();
    const protect = createNodeHandler(fixture.options);
    const statelessNode = toNodeHandler(stateless);
    const modernNode = toNodeHandler(modernOnly);
    ({ server, url } = await listenLocal(async (req, res) => {
      const allowed = await protect(req, res);
      if (!allowed) return;
      const { body } = allowed;
      if (req.url === '/stateless/mcp') return statelessNode(req, res, body);
      if (req.method === 'POST' && !(await isLegacyRequest(await toWebRequest(req, body), body))) {
        return modernNode(req, res, body);
      }
      const id = req.headers['mcp-session-id'];
      let transport = typeof id === 'string' ? sessions.get(id) : undefined;
      if (transport === undefined) {
        const created = new NodeStreamableHTTPServerTransport({
          sessionIdGenerator: randomUUID,
          onsessioninitialized: (sessionId) => void sessions.set(sessionId, created),
        });
        await buildMcpServerV2().connect(created);
        transport = created;
      }
      await transport.handleRequest(req, res, body);
    }));
  });
  afterAll(async () => {
    await Promise.all([...sessions.values()].map((t) => t.close()));
    await Promise.all([stateless.close(), modernOnly.close()]);
    if (server !== undefined) await closeServer(server);
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
      scopes: ['todo:read'],
      resource: 'https://mcp.example/mcp',
    });
    expect(transport.sessionId).toBeUndefined();
    expect(recorder.seen).toContainEqual({
      method: 'POST',
      mcpMethod: 'tools/call',
      mcpName: 'whoami',
    });
    const denied = client.callTool({ name: 'add_todo', arguments: {} });
    await expect(denied).rejects.toBeInstanceOf(InsufficientScopeError);
    await client.close();
  });

  it('2025 clients: stateless fallback, or a session bound to its owner', async () => {
    const once = await connectClientV2(`${url}/stateless/mcp`, fixture.bob);
    expect(once.client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
    expect(await whoamiV2(once.client)).toMatchObject({ sub: 'bob', factorySub: 'bob' });
    await once.client.close();

    const { client, transport } = await connectClientV2(`${url}/mcp`, fixture.alice);
    const sessionId = transport.sessionId!;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await whoamiV2(client)).sub).toBe('alice');
    const stolen = await rawToolCall(`${url}/mcp`, fixture.bob, sessionId);
    expect(stolen.status).toBe(404);
    const bob = await connectClientV2(`${url}/mcp`, fixture.bob, { sessionId });
    await expect(whoamiV2(bob.client)).rejects.toBeInstanceOf(SdkHttpError);
    expect((await whoamiV2(client)).sub).toBe('alice');
    await client.close();
  });
});
