import {
  createMcpHandler,
  isInitializeRequest,
  isLegacyRequest,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { filterListsByScope, type McpAuthEnv, mcpAuth } from '@org/mcp-auth-hono';
import { type Context, Hono } from 'hono';
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
 * session, GET and DELETE) rather than to the 2026-07-28 revision. Decided on the body
 * `auth.protect` read (`c.var.parsedBody`), never on `c.req.raw`'s own body, which may be
 * consumed; a POST without a JSON body goes to the 2025-era path, which refuses it.
 */
function isSessionTraffic(c: Context<McpAuthEnv>): Promise<boolean> | true {
  const body = c.var.parsedBody;
  if (c.req.method !== 'POST' || body === undefined) return true;
  return isLegacyRequest(c.req.raw, body);
}

/**
 * Builds the Hono app on MCP SDK v2: Protected Resource Metadata, and the MCP endpoint behind
 * the `@org/mcp-auth-hono` middleware — the v2 per-request entry (`createMcpHandler`) for
 * 2026-07-28 clients, and for 2025-era clients either stateful sessions (the v2 Web-standard
 * transport, one per session) or, with `stateless`, the same entry.
 *
 * @example
 * ```ts
 * const { app } = createApp({ issuer, resourceUrl: 'http://127.0.0.1:3003/mcp', allowedOrigins: [] });
 * serve({ fetch: app.fetch, port: 3003, hostname: '127.0.0.1' });
 * ```
 */
export function createApp(config: AppConfig, options: V2Options = {}): SampleApp {
  const stateless = options.stateless === true;
  const shared = sharedStore(config);
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const auth = mcpAuth(
    authOptions(
      config,
      'Sample MCP server (Hono, MCP SDK v2)',
      (sessionId) => void sessions.get(sessionId)?.close(),
      shared,
    ),
  );
  const store = createUserStore();

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

  const app = new Hono<McpAuthEnv>();
  app.use(auth.metadata);
  // After auth.protect: c.var.auth holds the verified token and c.var.parsedBody the JSON-RPC
  // body it read (at most 4 MiB, else a JSON-RPC 413). MCP SDK v2 reads neither from the
  // context: both are handed over here, and tools get the token as ctx.http.authInfo.
  app.all(new URL(config.resourceUrl).pathname, auth.protect, async (c) => {
    const body = c.var.parsedBody;
    const passed = { authInfo: c.var.auth, parsedBody: body };
    if (stateless || !(await isSessionTraffic(c))) return perRequest.fetch(c.req.raw, passed);
    const sessionId = c.req.header('mcp-session-id');
    let transport = sessionId === undefined ? undefined : sessions.get(sessionId);
    if (transport === undefined) {
      if (sessionId !== undefined) return jsonRpcError(c, 404, -32001, 'Session not found');
      if (c.req.method !== 'POST' || !isInitializeRequest(body)) {
        return jsonRpcError(c, 400, -32000, 'Bad Request: No valid session ID provided');
      }
      const created = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, created),
      });
      created.onclose = () => {
        if (created.sessionId !== undefined) sessions.delete(created.sessionId);
      };
      await createMcpServer(store).connect(created);
      if (hide) filterListsByScope(created, SCOPE_POLICY);
      transport = created;
    }
    return transport.handleRequest(c.req.raw, passed);
  });

  answerErrorsAsJson(app);

  return {
    app,
    metadataPath: auth.core.metadata.path,
    ready: () => auth.core.ready(),
    async closeSessions() {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled([perRequest.close(), ...open.map((transport) => transport.close())]);
      await shared?.close();
    },
  };
}

/**
 * Listens on `config.host:config.port` (`0` = a free port) and serves {@link createApp} through
 * `@hono/node-server`. The default resource URL uses the port actually bound.
 *
 * @example
 * ```ts
 * const server = await startServer({ port: 0, host: '127.0.0.1', issuer, allowedOrigins: [] }, { stateless: true });
 * ```
 */
export function startServer(config: SampleConfig, options: V2Options = {}): Promise<RunningServer> {
  return serveApp(config, (appConfig) => createApp(appConfig, options));
}
