import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { InsufficientScopeError } from '@modelcontextprotocol/client';
import { createMcpHonoApp } from '@modelcontextprotocol/hono';
import {
  createMcpHandler,
  isLegacyRequest,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import {
  buildMcpServerV2,
  connectClientV2,
  createE2eFixture,
  MODERN_PROTOCOL_VERSION,
  whoamiV2,
} from '@org/mcp-auth-conformance/mcp-v2';
import { Hono } from 'hono';
import { describeSdkV2Endpoints } from '@org/mcp-auth-conformance/sdk-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type McpAuthEnv, mcpAuth } from '../src/index.js';

async function listen(app: { fetch: (request: Request) => Response | Promise<Response> }) {
  const server = await new Promise<ServerType>((resolve) => {
    const started: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(started),
    );
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: ServerType) {
  if ('closeAllConnections' in server) server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

// MCP SDK v2 behind the middleware: v2 reads no context variable of its own — the handler
// passes c.var.auth and c.var.parsedBody (the body protect read; c.req.raw's may be consumed)
// to the v2 entry or transport, which hand the token to tools as ctx.http.authInfo.
describe('Hono 4 + MCP SDK v2 (web-standard entry and transport) over HTTP on 127.0.0.1', () => {
  let fixture: Awaited<ReturnType<typeof createE2eFixture>>;
  let server: ServerType;
  let url: string;
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const stateless = createMcpHandler(({ authInfo }) => buildMcpServerV2(authInfo));
  const modernOnly = createMcpHandler(({ authInfo }) => buildMcpServerV2(authInfo), {
    legacy: 'reject',
  });

  beforeAll(async () => {
    fixture = await createE2eFixture();
    const auth = mcpAuth(fixture.options);
    const app = new Hono<McpAuthEnv>();
    app.use(auth.metadata);
    app.all('/stateless/mcp', auth.protect, (c) =>
      stateless.fetch(c.req.raw, { authInfo: c.var.auth, parsedBody: c.var.parsedBody }),
    );
    app.all('/mcp', auth.protect, async (c) => {
      const options = { authInfo: c.var.auth, parsedBody: c.var.parsedBody };
      if (!(await isLegacyRequest(c.req.raw, c.var.parsedBody))) {
        return modernOnly.fetch(c.req.raw, options);
      }
      const id = c.req.header('mcp-session-id');
      let transport = id === undefined ? undefined : sessions.get(id);
      if (transport === undefined) {
        const created = new WebStandardStreamableHTTPServerTransport({
          sessionIdGenerator: () => crypto.randomUUID(),
          onsessioninitialized: (sessionId) => void sessions.set(sessionId, created),
        });
        await buildMcpServerV2().connect(created);
        transport = created;
      }
      return transport.handleRequest(c.req.raw, options);
    });
    ({ server, url } = await listen(app));
  });
  afterAll(async () => {
    await Promise.all([...sessions.values()].map((t) => t.close()));
    await Promise.all([stateless.close(), modernOnly.close()]);
    if (server !== undefined) await close(server);
  });

  describeSdkV2Endpoints(() => ({ url, fixture }));

  it("behind the v2 SDK's createMcpHonoApp (its JSON parser first), the body is read once", async () => {
    const auth = mcpAuth(fixture.options);
    const app = createMcpHonoApp();
    app.use(auth.metadata);
    app.all('/mcp', auth.protect, (c) =>
      stateless.fetch(c.req.raw, { authInfo: c.get('auth'), parsedBody: c.get('parsedBody') }),
    );
    const listening = await listen(app);
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
      await close(listening.server);
    }
  });
});
