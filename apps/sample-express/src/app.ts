import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import {
  filterListsByScope,
  type McpAuthExpress,
  type McpAuthOptions,
  mcpAuth,
  type ReadyReport,
  type StateStore,
} from '@org/mcp-auth-express';
import { createRedisStore, type RedisStore } from '@org/mcp-auth-redis';
import express, {
  type ErrorRequestHandler,
  type Express,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import type { SampleConfig } from './config.js';
import { createMcpServer, createUserStore, SCOPE_POLICY, SCOPES } from './tools.js';

/**
 * What {@link createApp} needs: the configuration with the resource URL settled.
 *
 * @example
 * ```ts
 * const config: AppConfig = { issuer: 'http://127.0.0.1:9400', resourceUrl: 'http://127.0.0.1:3001/mcp', allowedOrigins: [] };
 * ```
 */
export type AppConfig = Omit<SampleConfig, 'port' | 'host' | 'resourceUrl'> & {
  resourceUrl: string;
};

/**
 * The Express app and a way to end its MCP sessions.
 *
 * @example
 * ```ts
 * const { app, closeSessions } = createApp(config);
 * ```
 */
export interface SampleApp {
  app: Express;
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
 * return jsonRpcError(res, 404, -32001, 'Session not found');
 * ```
 */
export function jsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', id: null, error: { code, message } });
}

/**
 * The Express app around an MCP handler, for both entries: Protected Resource Metadata, the MCP
 * endpoint behind `auth.protect`, a JSON 404, and JSON-RPC errors instead of Express's HTML page
 * or a stack.
 *
 * @example
 * ```ts
 * const app = expressApp(config.resourceUrl, auth, handleMcp);
 * ```
 */
export function expressApp(
  resourceUrl: string,
  auth: McpAuthExpress,
  handleMcp: RequestHandler,
): Express {
  const notFound: RequestHandler = (_req, res) => {
    res.status(404).json({ error: 'not_found', error_description: 'Not found' });
  };

  // Body-parser and any other error: a JSON-RPC error, never Express's HTML page or a stack.
  const jsonErrors: ErrorRequestHandler = (err, _req, res, _next) => {
    if (res.headersSent) return void res.end();
    const status = typeof err?.status === 'number' && err.status >= 400 ? err.status : 500;
    if (err?.type === 'entity.parse.failed') {
      return jsonRpcError(res, 400, -32700, 'Parse error: Invalid JSON');
    }
    if (status === 413) return jsonRpcError(res, 413, -32600, 'Request body too large');
    if (status < 500) return jsonRpcError(res, status, -32600, 'Invalid request');
    console.error('Unexpected error:', err instanceof Error ? err.message : err);
    jsonRpcError(res, 500, -32603, 'Internal server error');
  };

  const app = express();
  app.disable('x-powered-by');
  app.use(auth.metadata);
  // auth.protect first: it reads the JSON body itself (capped at 4 MiB) for the scope policy
  // and the Mcp-Method / Mcp-Name check, so a request without a token gets its 401 challenge
  // whatever its body holds; express.json() then finds the body read and leaves it alone.
  app.all(new URL(resourceUrl).pathname, auth.protect, express.json({ limit: '4mb' }), handleMcp);
  app.use(notFound);
  app.use(jsonErrors);
  return app;
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
 * Builds the Express app: Protected Resource Metadata, and the MCP endpoint (Streamable HTTP,
 * stateful sessions) behind the `@org/mcp-auth-express` middleware.
 *
 * @example
 * ```ts
 * const { app } = createApp({ issuer, resourceUrl: 'http://127.0.0.1:3001/mcp', allowedOrigins: [] });
 * app.listen(3001, '127.0.0.1');
 * ```
 */
export function createApp(config: AppConfig): SampleApp {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const shared = sharedStore(config);
  const auth = mcpAuth(
    authOptions(
      config,
      'Sample MCP server (Express)',
      (sessionId) => void transports.get(sessionId)?.close(),
      shared,
    ),
    // The JSON body auth.protect reads for the scope policy: at most 4 MiB (the default).
    { maxBodyBytes: 4 * 1024 * 1024 },
  );
  const store = createUserStore();

  // Runs after auth.protect: req.auth holds the verified token, read by the transport.
  const handleMcp: RequestHandler = async (req, res) => {
    if (config.stateless) return serveStateless(req, res);
    const sessionId = req.header('mcp-session-id');
    let transport = sessionId === undefined ? undefined : transports.get(sessionId);
    if (transport === undefined) {
      if (sessionId !== undefined) return jsonRpcError(res, 404, -32001, 'Session not found');
      if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
        return jsonRpcError(res, 400, -32000, 'Bad Request: No valid session ID provided');
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
    await transport.handleRequest(req, res, req.body);
  };

  // MCP_STATELESS=1: a transport and a server per request, no session to keep (any instance
  // behind a balancer can answer any request). Only POST carries messages then.
  async function serveStateless(req: Request, res: Response): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return jsonRpcError(res, 405, -32000, 'Method not allowed: this server is stateless');
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    const server = createMcpServer(store);
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    if (config.hideUnauthorizedTools) filterListsByScope(transport, SCOPE_POLICY);
    await transport.handleRequest(req, res, req.body);
  }

  const app = expressApp(config.resourceUrl, auth, handleMcp);

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
  /** Where it listens, e.g. `http://127.0.0.1:3001`. */
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
  server.on('request', sample.app);

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
