import { randomUUID } from 'node:crypto';
import type { RequestListener, Server } from 'node:http';
import {
  NodeStreamableHTTPServerTransport,
  toNodeHandler,
  toWebRequest,
} from '@modelcontextprotocol/node';
import {
  createMcpHandler,
  isInitializeRequest,
  isLegacyRequest,
} from '@modelcontextprotocol/server';
import { filterListsByScope, mcpAuth } from '@org/mcp-auth-fastify';
import Fastify, { type FastifyRequest } from 'fastify';
import {
  type AppConfig,
  answerErrorsAsJson,
  authOptions,
  jsonRpcError,
  type RunningServer,
  type SampleApp,
  serveApp,
  sharedStore,
} from '../app.js';
import type { SampleConfig } from '../config.js';
import { createMcpServer, createUserStore, SCOPE_POLICY } from './tools.js';

export type { AppConfig, RunningServer, SampleApp } from '../app.js';

/**
 * How the v2 entry serves MCP. `stateless` (`MCP_STATELESS=1`): every request is served on its
 * own, 2025-era clients included (no `Mcp-Session-Id`, GET and DELETE answer 405). Otherwise
 * 2025-era clients get stateful sessions bound to their owner, and 2026-07-28 clients (a
 * revision without sessions) are served per request either way.
 *
 * @example
 * ```ts
 * const options: V2Options = { stateless: readStateless(process.env) };
 * ```
 */
export interface V2Options {
  stateless?: boolean;
}

/**
 * Reads `MCP_STATELESS`: `1`/`true` for stateless, `0`/`false`/unset for stateful. Throws a
 * `TypeError` naming the variable for any other value.
 *
 * @example
 * ```ts
 * const stateless = readStateless(process.env);
 * ```
 */
export function readStateless(env: Record<string, string | undefined>): boolean {
  const value = env.MCP_STATELESS?.trim().toLowerCase() ?? '';
  if (value === '1' || value === 'true') return true;
  if (value === '' || value === '0' || value === 'false') return false;
  throw new TypeError(`MCP_STATELESS must be 1 or 0 (got "${env.MCP_STATELESS}")`);
}

/**
 * Whether a request belongs to a 2025-era session (the `initialize` handshake, a request on a
 * session, GET and DELETE) rather than to the 2026-07-28 revision. Decided on the body Fastify
 * parsed, so the stream is never read twice; a POST without a JSON body goes to the 2025-era
 * path, which refuses it.
 */
async function isSessionTraffic(request: FastifyRequest): Promise<boolean> {
  const body = request.body;
  if (request.method !== 'POST' || body === undefined || typeof body === 'string') return true;
  return isLegacyRequest(await toWebRequest(request.raw, body), body);
}

/**
 * Builds the Fastify app on MCP SDK v2: Protected Resource Metadata, and the MCP endpoint
 * behind the `@org/mcp-auth-fastify` plugin — the v2 per-request entry (`createMcpHandler`)
 * for 2026-07-28 clients, and for 2025-era clients either stateful sessions (the v2 Node
 * transport, one per session) or, with `stateless`, the same entry. Pass `server` to serve on
 * an existing Node HTTP server instead of calling `app.listen`.
 *
 * @example
 * ```ts
 * const { app } = await createApp({ issuer, resourceUrl: 'http://127.0.0.1:3002/mcp', allowedOrigins: [] });
 * await app.listen({ port: 3002, host: '127.0.0.1' });
 * ```
 */
export async function createApp(
  config: AppConfig,
  server?: Server,
  options: V2Options = {},
): Promise<SampleApp> {
  const stateless = options.stateless === true;
  const mcpPath = new URL(config.resourceUrl).pathname;
  const store = createUserStore();

  const app = Fastify({
    bodyLimit: 4 * 1024 * 1024,
    ...(server
      ? { serverFactory: (handler: RequestListener) => server.on('request', handler) }
      : {}),
  });

  const shared = sharedStore(config);
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  await app.register(mcpAuth, {
    ...authOptions(
      config,
      'Sample MCP server (Fastify, MCP SDK v2)',
      (sessionId) => void sessions.get(sessionId)?.close(),
      shared,
    ),
    maxBodyBytes: 4 * 1024 * 1024,
    // Only the routes given app.mcpAuth.protect are protected.
    paths: [],
  });

  // MCP_HIDE_UNAUTHORIZED_TOOLS=1: tools/list shows only what the token may call. A server
  // built per request registers the caller's tools (v2 hands the factory the token); a session
  // filters its lists, as its token may grow with a step-up.
  const hide = config.hideUnauthorizedTools === true;
  // One fresh McpServer per request. 2025-era requests reach it only when stateless.
  const perRequest = createMcpHandler(
    ({ authInfo }) => createMcpServer(store, hide ? { grantedScopes: authInfo?.scopes ?? [] } : {}),
    {
      legacy: stateless ? 'stateless' : 'reject',
      onerror: (error) => console.error('MCP request failed:', error.message),
    },
  );
  const servePerRequest = toNodeHandler(perRequest);

  // The handler runs after app.mcpAuth.protect authorized the request (on the body Fastify
  // parsed): request.raw.auth holds the verified token, which the v2 transports read and hand
  // to tools as ctx.http.authInfo.
  app.route({
    method: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    url: mcpPath,
    onRequest: app.mcpAuth.protect,
    handler: async (request, reply) => {
      if (stateless || !(await isSessionTraffic(request))) {
        reply.hijack(); // the v2 entry writes the response itself
        return servePerRequest(request.raw, reply.raw, request.body);
      }
      const header = request.headers['mcp-session-id'];
      const sessionId = typeof header === 'string' ? header : undefined;
      let transport = sessionId === undefined ? undefined : sessions.get(sessionId);
      if (transport === undefined) {
        if (sessionId !== undefined) return jsonRpcError(reply, 404, -32001, 'Session not found');
        if (request.method !== 'POST' || !isInitializeRequest(request.body)) {
          return jsonRpcError(reply, 400, -32000, 'Bad Request: No valid session ID provided');
        }
        const created = new NodeStreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => void sessions.set(id, created),
        });
        created.onclose = () => {
          if (created.sessionId !== undefined) sessions.delete(created.sessionId);
        };
        await createMcpServer(store).connect(created);
        if (hide) filterListsByScope(created, SCOPE_POLICY);
        if (hide) filterListsByScope(created, SCOPE_POLICY);
        transport = created;
      }
      reply.hijack(); // the transport writes the response itself
      await transport.handleRequest(request.raw, reply.raw, request.body);
    },
  });

  answerErrorsAsJson(app);

  await app.ready();
  return {
    app,
    metadataPath: app.mcpAuth.core.metadata.path,
    ready: () => app.mcpAuth.core.ready(),
    async closeSessions() {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled([perRequest.close(), ...open.map((transport) => transport.close())]);
      await shared?.close();
    },
  };
}

/**
 * Listens on `config.host:config.port` (`0` = a free port) and serves {@link createApp}. The
 * default resource URL uses the port actually bound.
 *
 * @example
 * ```ts
 * const server = await startServer({ port: 0, host: '127.0.0.1', issuer, allowedOrigins: [] }, { stateless: true });
 * ```
 */
export function startServer(config: SampleConfig, options: V2Options = {}): Promise<RunningServer> {
  return serveApp(config, (appConfig, server) => createApp(appConfig, server, options));
}
