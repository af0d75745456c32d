import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import {
  filterListsByScope,
  type McpAuthEnv,
  type McpAuthOptions,
  mcpAuth,
  type ReadyReport,
  type StateStore,
} from '@org/mcp-auth-hono';
import { createRedisStore, type RedisStore } from '@org/mcp-auth-redis';
import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { SampleConfig } from './config.js';
import { createMcpServer, createUserStore, SCOPE_POLICY, SCOPES } from './tools.js';

/**
 * What {@link createApp} needs: the configuration with the resource URL settled.
 *
 * @example
 * ```ts
 * const config: AppConfig = { issuer: 'http://127.0.0.1:9400', resourceUrl: 'http://127.0.0.1:3003/mcp', allowedOrigins: [] };
 * ```
 */
export type AppConfig = Omit<SampleConfig, 'port' | 'host' | 'resourceUrl'> & {
  resourceUrl: string;
};

/**
 * The Hono app and a way to end its MCP sessions.
 *
 * @example
 * ```ts
 * const { app, closeSessions } = createApp(config);
 * ```
 */
export interface SampleApp {
  app: Hono<McpAuthEnv>;
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
 * return jsonRpcError(c, 404, -32001, 'Session not found');
 * ```
 */
export function jsonRpcError(
  c: Context,
  status: ContentfulStatusCode,
  code: number,
  message: string,
) {
  return c.json({ jsonrpc: '2.0', id: null, error: { code, message } }, status);
}

/**
 * The JSON 404 and the error answers both entries give: `auth.protect`'s refusals as they are
 * (an `HTTPException` carrying the exact 400/401/403/413/503), anything else a JSON-RPC error,
 * never a stack.
 *
 * @example
 * ```ts
 * answerErrorsAsJson(app);
 * ```
 */
export function answerErrorsAsJson(app: Hono<McpAuthEnv>): void {
  app.notFound((c) => c.json({ error: 'not_found', error_description: 'Not found' }, 404));
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    console.error('Unexpected error:', error.message);
    return jsonRpcError(c, 500, -32603, 'Internal server error');
  });
}

/**
 * The `mcpAuth` options of both entries (SDK v1 and v2): the issuer and its token rules, the
 * scope policy, origins, the console for why requests get 503, and sessions bound to their
 * owner. `endSession` closes the transport of a session the library ended.
 *
 * @example
 * ```ts
 * mcpAuth(authOptions(config, 'Sample MCP server', (id) => void transports.get(id)?.close()));
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
 * Builds the Hono app: Protected Resource Metadata, and the MCP endpoint (the SDK's
 * Web-standard Streamable HTTP transport, stateful sessions) behind the
 * `@org/mcp-auth-hono` middleware.
 *
 * @example
 * ```ts
 * const { app } = createApp({ issuer, resourceUrl: 'http://127.0.0.1:3003/mcp', allowedOrigins: [] });
 * serve({ fetch: app.fetch, port: 3003, hostname: '127.0.0.1' });
 * ```
 */
export function createApp(config: AppConfig): SampleApp {
  const transports = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const shared = sharedStore(config);
  const auth = mcpAuth(
    authOptions(
      config,
      'Sample MCP server (Hono)',
      (sessionId) => void transports.get(sessionId)?.close(),
      shared,
    ),
  );
  const store = createUserStore();

  const app = new Hono<McpAuthEnv>();
  app.use(auth.metadata);
  // After auth.protect: c.var.auth holds the verified token and c.var.parsedBody the JSON-RPC
  // body it read (at most 4 MiB, else a JSON-RPC 413), both handed to the transport.
  app.all(new URL(config.resourceUrl).pathname, auth.protect, async (c) => {
    const body = c.var.parsedBody;
    // MCP_STATELESS=1: a transport and a server per request, no session to keep (any instance
    // behind a balancer can answer any request). Only POST carries messages then.
    if (config.stateless) {
      if (c.req.method !== 'POST') {
        c.header('Allow', 'POST');
        return jsonRpcError(c, 405, -32000, 'Method not allowed: this server is stateless');
      }
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
      });
      await createMcpServer(store).connect(transport);
      if (config.hideUnauthorizedTools) filterListsByScope(transport, SCOPE_POLICY);
      return transport.handleRequest(c.req.raw, { authInfo: c.var.auth, parsedBody: body });
    }
    const sessionId = c.req.header('mcp-session-id');
    let transport = sessionId === undefined ? undefined : transports.get(sessionId);
    if (transport === undefined) {
      if (sessionId !== undefined) return jsonRpcError(c, 404, -32001, 'Session not found');
      if (c.req.method !== 'POST' || !isInitializeRequest(body)) {
        return jsonRpcError(c, 400, -32000, 'Bad Request: No valid session ID provided');
      }
      const created = new WebStandardStreamableHTTPServerTransport({
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
    return transport.handleRequest(c.req.raw, { authInfo: c.var.auth, parsedBody: body });
  });

  answerErrorsAsJson(app);

  return {
    app,
    metadataPath: auth.core.metadata.path,
    ready: () => auth.core.ready(),
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
  /** Where it listens, e.g. `http://127.0.0.1:3003`. */
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
 * Listens on `config.host:config.port` (`0` = a free port) and serves {@link createApp} through
 * `@hono/node-server`. The default resource URL uses the port actually bound.
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
 * Listens on `config.host:config.port`, builds the app with `build` for the resource URL
 * settled on the bound port, and serves it: what both entries' `startServer` do.
 *
 * @example
 * ```ts
 * const server = await serveApp(config, (appConfig) => createApp(appConfig));
 * ```
 */
export async function serveApp(
  config: SampleConfig,
  build: (config: AppConfig) => SampleApp,
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
    sample = build({ ...config, resourceUrl });
  } catch (error) {
    server.close();
    throw error;
  }
  server.on('request', getRequestListener(sample.app.fetch));

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
      server.closeAllConnections();
      await closed;
    },
  };
}
