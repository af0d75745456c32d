import { randomUUID } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import {
  filterListsByScope,
  type McpAuthOptions,
  mcpAuth,
  type ReadyReport,
  type StateStore,
} from '@org/mcp-auth-fastify';
import { createRedisStore, type RedisStore } from '@org/mcp-auth-redis';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { SampleConfig } from './config.js';
import { createMcpServer, createUserStore, SCOPE_POLICY, SCOPES } from './tools.js';

/**
 * What {@link createApp} needs: the configuration with the resource URL settled.
 *
 * @example
 * ```ts
 * const config: AppConfig = { issuer: 'http://127.0.0.1:9400', resourceUrl: 'http://127.0.0.1:3002/mcp', allowedOrigins: [] };
 * ```
 */
export type AppConfig = Omit<SampleConfig, 'port' | 'host' | 'resourceUrl'> & {
  resourceUrl: string;
};

/**
 * The Fastify app (ready) and a way to end its MCP sessions.
 *
 * @example
 * ```ts
 * const { app, closeSessions } = await createApp(config);
 * ```
 */
export interface SampleApp {
  app: FastifyInstance;
  /** Path of the path-inserted Protected Resource Metadata, e.g. `/.well-known/oauth-protected-resource/mcp`. */
  metadataPath: string;
  /** Closes every open MCP session (transport and server). */
  closeSessions(): Promise<void>;
  /**
   * Loads the authorization server's metadata and keys: rejects naming a mismatch (e.g. an
   * issuer with a trailing slash), reports one that cannot be reached yet.
   */
  ready(): Promise<ReadyReport>;
}

/**
 * Answers with a JSON-RPC error (`id: null`), as the MCP transport does.
 *
 * @example
 * ```ts
 * return jsonRpcError(reply, 404, -32001, 'Session not found');
 * ```
 */
export function jsonRpcError(reply: FastifyReply, status: number, code: number, message: string) {
  return reply.code(status).send({ jsonrpc: '2.0', id: null, error: { code, message } });
}

/**
 * The JSON 404 and the JSON-RPC error answers both entries give (the MCP route's body errors
 * are answered by the plugin as the core does): never an HTML page or a stack.
 *
 * @example
 * ```ts
 * answerErrorsAsJson(app);
 * ```
 */
export function answerErrorsAsJson(app: FastifyInstance): void {
  app.setNotFoundHandler((_request, reply) => {
    return reply.code(404).send({ error: 'not_found', error_description: 'Not found' });
  });
  app.setErrorHandler(
    (error: { statusCode?: number; code?: string; name?: string }, _request, reply) => {
      const status =
        typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
      const parse =
        error.name === 'SyntaxError' ||
        /^FST_ERR_CTP_(INVALID|EMPTY)_JSON_BODY$/.test(error.code ?? '');
      if (status === 400 && parse)
        return jsonRpcError(reply, 400, -32700, 'Parse error: Invalid JSON');
      if (status === 413) return jsonRpcError(reply, 413, -32600, 'Request body too large');
      if (status < 500) return jsonRpcError(reply, status, -32600, 'Invalid request');
      console.error('Unexpected error:', error instanceof Error ? error.message : error);
      return jsonRpcError(reply, 500, -32603, 'Internal server error');
    },
  );
}

/**
 * The `mcpAuth` options of both entries (SDK v1 and v2): the issuer and its token rules, the
 * scope policy, origins, the console for why requests get 503, and sessions bound to their
 * owner. `endSession` closes the transport of a session the library ended.
 *
 * @example
 * ```ts
 * await app.register(mcpAuth, { ...authOptions(config, 'Sample', (id) => void close(id)), paths: [] });
 * ```
 */
export function authOptions(
  config: AppConfig,
  resourceName: string,
  endSession: (sessionId: string) => void,
  store?: StateStore,
): McpAuthOptions {
  return {
    resource: config.resourceUrl,
    issuer: config.issuer,
    ...(config.authorizationServers ? { authorizationServers: config.authorizationServers } : {}),
    jwt: {
      ...config.jwt, // the provider preset's token rules, if MCP_AUTH_PROVIDER is set
      ...(config.jwksUri ? { jwksUri: config.jwksUri } : {}),
      // An unknown `kid` refetches the issuer's keys at most once a second (the core's default
      // is 30 s), so a key rotation at the authorization server is picked up right away.
      jwksCooldownMs: 1_000,
    },
    policy: SCOPE_POLICY,
    scopesSupported: SCOPES,
    resourceName,
    // Origin validation (the transport's DNS-rebinding rule) is the library's: localhost
    // origins plus MCP_ALLOWED_ORIGINS; a request from any other Origin gets 403.
    cors: { allowedOrigins: ['loopback', ...config.allowedOrigins] },
    // Why requests get 503 (the authorization server unreachable or not matching the issuer)
    // goes to the console, once per cause rather than once per request.
    logger: console,
    // A session belongs to the user and client that opened it (another token on its id gets
    // 404). Clients that never send DELETE would pile sessions up: past 32 per user the oldest
    // is replaced, and its transport closed by `endSession`. Stateless, nothing is bound.
    sessionBinding: { onSubjectLimit: 'replace-oldest', onSessionEnd: endSession },
    // MCP_AUTH_REDIS_URL: bindings (and DPoP replay marks) shared by every instance; when Redis
    // cannot answer, requests get 503 + Retry-After, never an allow.
    ...(store ? { store } : {}),
    // MCP_AUTH_DPOP: DPoP-bound tokens need a fresh proof, signed by their key, on each request.
    ...(config.dpop ? { dpop: { mode: config.dpop } } : {}),
  };
}

/**
 * The shared store when `MCP_AUTH_REDIS_URL` is set (its connection problems go to the
 * console, at most every 30 s).
 *
 * @example
 * ```ts
 * const shared = sharedStore(config); // undefined without MCP_AUTH_REDIS_URL
 * ```
 */
export function sharedStore(config: AppConfig): RedisStore | undefined {
  return config.redisUrl === undefined
    ? undefined
    : createRedisStore({ url: config.redisUrl, logger: console });
}

/**
 * Builds the Fastify app: Protected Resource Metadata, and the MCP endpoint (Streamable HTTP,
 * stateful sessions) behind the `@org/mcp-auth-fastify` plugin. Pass
 * `server` to serve on an existing Node HTTP server instead of calling `app.listen`.
 *
 * @example
 * ```ts
 * const { app } = await createApp({ issuer, resourceUrl: 'http://127.0.0.1:3002/mcp', allowedOrigins: [] });
 * await app.listen({ port: 3002, host: '127.0.0.1' });
 * ```
 */
export async function createApp(config: AppConfig, server?: Server): Promise<SampleApp> {
  const mcpPath = new URL(config.resourceUrl).pathname;
  const store = createUserStore();

  const app = Fastify({
    bodyLimit: 4 * 1024 * 1024,
    ...(server
      ? { serverFactory: (handler: RequestListener) => server.on('request', handler) }
      : {}),
  });

  const transports = new Map<string, StreamableHTTPServerTransport>();
  const shared = sharedStore(config);
  await app.register(mcpAuth, {
    ...authOptions(
      config,
      'Sample MCP server (Fastify)',
      (sessionId) => void transports.get(sessionId)?.close(),
      shared,
    ),
    maxBodyBytes: 4 * 1024 * 1024,
    // Only the routes given app.mcpAuth.protect are protected (the default protects the
    // resource's path wherever its routes are registered).
    paths: [],
  });

  // The handler runs after app.mcpAuth.protect authorized the request (on the body Fastify
  // parsed): request.raw.auth holds the verified token, read by the transport.
  app.route({
    method: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    url: mcpPath,
    onRequest: app.mcpAuth.protect,
    handler: async (request, reply) => {
      // MCP_STATELESS=1: a transport and a server per request, no session to keep (any
      // instance behind a balancer can answer any request). Only POST carries messages then.
      if (config.stateless) {
        if (request.method !== 'POST') {
          reply.header('Allow', 'POST');
          return jsonRpcError(reply, 405, -32000, 'Method not allowed: this server is stateless');
        }
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
        const server = createMcpServer(store);
        reply.raw.on('close', () => {
          void transport.close();
          void server.close();
        });
        await server.connect(transport);
        if (config.hideUnauthorizedTools) filterListsByScope(transport, SCOPE_POLICY);
        reply.hijack();
        return transport.handleRequest(request.raw, reply.raw, request.body);
      }
      const header = request.headers['mcp-session-id'];
      const sessionId = typeof header === 'string' ? header : undefined;
      let transport = sessionId === undefined ? undefined : transports.get(sessionId);
      if (transport === undefined) {
        if (sessionId !== undefined) return jsonRpcError(reply, 404, -32001, 'Session not found');
        if (request.method !== 'POST' || !isInitializeRequest(request.body)) {
          return jsonRpcError(reply, 400, -32000, 'Bad Request: No valid session ID provided');
        }
        const created = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => void transports.set(id, created),
        });
        created.onclose = () => {
          if (created.sessionId !== undefined) transports.delete(created.sessionId);
        };
        await createMcpServer(store).connect(created);
        // MCP_HIDE_UNAUTHORIZED_TOOLS=1: tools/list shows only what this token may call (a client
        // sees add_todo once it holds todo:write, so it cannot find the tool to step up for).
        if (config.hideUnauthorizedTools) filterListsByScope(created, SCOPE_POLICY);
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
      const open = [...transports.values()];
      transports.clear();
      await Promise.allSettled(open.map((transport) => transport.close()));
      await shared?.close();
    },
  };
}

/**
 * A listening server.
 *
 * @example
 * ```ts
 * const server = await startServer(config);
 * console.log(server.url);
 * await server.close();
 * ```
 */
export interface RunningServer {
  /** Where it listens, e.g. `http://127.0.0.1:3002`. */
  url: string;
  port: number;
  /** The canonical resource URI (PRM `resource`, token `aud`). */
  resourceUrl: string;
  /** The MCP endpoint on the listening address. */
  mcpUrl: string;
  /** The path-inserted Protected Resource Metadata on the listening address. */
  metadataUrl: string;
  /** See {@link SampleApp.ready}. */
  ready(): Promise<ReadyReport>;
  /** Closes every session, then the HTTP server. */
  close(): Promise<void>;
}

/**
 * Listens on `config.host:config.port` (`0` = a free port) and serves {@link createApp}. The
 * default resource URL uses the port actually bound.
 *
 * @example
 * ```ts
 * const server = await startServer({ port: 0, host: '127.0.0.1', issuer, allowedOrigins: [] });
 * ```
 */
export function startServer(config: SampleConfig): Promise<RunningServer> {
  return serveApp(config, createApp);
}

/**
 * Listens on `config.host:config.port`, builds the app with `build` on that server for the
 * resource URL settled on the bound port: what both entries' `startServer` do.
 *
 * @example
 * ```ts
 * const server = await serveApp(config, (appConfig, http) => createApp(appConfig, http));
 * ```
 */
export async function serveApp(
  config: SampleConfig,
  build: (config: AppConfig, server: Server) => Promise<SampleApp>,
): Promise<RunningServer> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const resourceUrl = config.resourceUrl ?? `http://127.0.0.1:${port}/mcp`;
  let sample: SampleApp;
  try {
    sample = await build({ ...config, resourceUrl }, server);
  } catch (error) {
    server.close();
    throw error;
  }

  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  return {
    url,
    port,
    resourceUrl,
    mcpUrl: `${url}${new URL(resourceUrl).pathname}`,
    metadataUrl: `${url}${sample.metadataPath}`,
    ready: () => sample.ready(),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await sample.closeSessions();
      await sample.app.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
