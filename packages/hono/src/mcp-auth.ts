import {
  type AuthInfo,
  createMcpAuth,
  type McpAuth,
  type McpAuthOptions,
  type PlainResponse,
  toResponse,
} from '@org/mcp-auth-core';
import type { Context, MiddlewareHandler } from 'hono';

/**
 * Context variables the middleware sets: `c.get('auth')` / `c.var.auth`.
 *
 * @example
 * ```ts
 * app.all('/mcp', auth.protect, (c) => c.json({ sub: c.var.auth.extra?.sub }));
 * ```
 */
export type Variables = {
  /** The validated token, set by {@link McpAuthHono.protect}. */
  auth: AuthInfo;
};

/**
 * A Hono `Env` carrying {@link Variables}: `new Hono<McpAuthEnv>()`.
 *
 * @example
 * ```ts
 * const app = new Hono<McpAuthEnv>();
 * ```
 */
export type McpAuthEnv = { Variables: Variables };

declare module 'hono' {
  interface ContextVariableMap {
    /** The validated token, set by `@org/mcp-auth-hono`'s `protect` middleware. */
    auth: AuthInfo;
  }
}

/**
 * What {@link mcpAuth} returns: the resolved core and two Hono middlewares.
 *
 * @example
 * ```ts
 * const auth: McpAuthHono = mcpAuth({ resource, issuer });
 * app.use(auth.metadata);
 * app.all('/mcp', auth.protect, handler);
 * ```
 */
export interface McpAuthHono {
  /** The resolved core (`authorize`, `metadata`, `bindSession`, …). */
  readonly core: McpAuth;
  /**
   * Protects the MCP endpoint, every method: answers the CORS preflight, otherwise authorizes
   * the request and sets `c.var.auth` (and CORS headers), or returns the 400/401/403/503 denial.
   */
  readonly protect: MiddlewareHandler<McpAuthEnv>;
  /** Serves the Protected Resource Metadata routes; `app.use(auth.metadata)`. */
  readonly metadata: MiddlewareHandler;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * The body text, read once through Hono's own reader (cached for `c.req.json()`/`c.req.text()`;
 * on @hono/node-server this skips Web streams). The raw Request is then replaced by an unread
 * copy so handlers that read `c.req.raw` (the MCP SDK's transport) still can — much cheaper
 * than cloning the request and reading the clone.
 */
async function peekText(c: Context): Promise<string> {
  const raw = c.req.raw;
  if (raw.bodyUsed) return c.req.text().catch(() => '');
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    return ''; // unreadable (aborted): the core answers -32700
  }
  c.req.raw = new Request(raw.url, {
    method: raw.method,
    headers: raw.headers,
    body: text,
    signal: raw.signal,
  });
  return text;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text; // the core answers -32700
  }
}

/**
 * Resolves the options once and returns the Hono middlewares for one protected MCP endpoint.
 * Runs on any Web-standard runtime (Node, Bun, Deno, Workers). Pass an existing {@link McpAuth}
 * to share it. Throws a `TypeError` naming a bad option.
 *
 * @example
 * ```ts
 * const auth = mcpAuth({ resource: 'https://mcp.example.com/mcp', issuer: 'https://auth.example.com' });
 * app.use(auth.metadata);
 * app.all('/mcp', auth.protect, (c) => transport.handleRequest(c.req.raw, { authInfo: c.var.auth }));
 * ```
 */
export function mcpAuth(options: McpAuthOptions | McpAuth): McpAuthHono {
  const core = 'authorize' in options ? options : createMcpAuth(options);
  const protect: MiddlewareHandler<McpAuthEnv> = async function mcpAuthProtect(c, next) {
    const { method, url, headers } = c.req.raw;
    if (method === 'OPTIONS') return toResponse(core.preflight({ method, url, headers }));
    const readBody = core.needsBody && JSON_TYPE.test(headers.get('content-type') ?? '');
    const body = readBody ? parseJson(await peekText(c)) : undefined;
    const result = await core.authorize({ method, url, headers, body });
    if (result.type === 'deny') return toResponse(result);
    c.set('auth', result.authInfo);
    await next();
    for (const [name, value] of Object.entries(result.headers)) c.res.headers.set(name, value);
    const sessionId = c.res.headers.get('mcp-session-id');
    if (sessionId) core.bindSession(sessionId, result.authInfo); // before the client sees it
  };
  return { core, protect, metadata: mcpAuthMetadata(core) };
}

/**
 * Serves the Protected Resource Metadata of one or more protected endpoints (RFC 9728):
 * path-inserted and root locations, GET/HEAD, an open CORS preflight, 405 for other methods
 * and 404 for unknown `/.well-known/oauth-protected-resource/…` paths. With several endpoints
 * in one app, mount one `mcpAuthMetadata(a, b)` so each answers its own path.
 *
 * @example
 * ```ts
 * app.use(mcpAuthMetadata(todos.core, calendar.core));
 * ```
 */
export function mcpAuthMetadata(...cores: McpAuth[]): MiddlewareHandler {
  return async function mcpAuthMetadata(c, next) {
    const { method, url, headers } = c.req.raw;
    let answer: PlainResponse | undefined;
    for (const core of cores) {
      const response = core.handleMetadataRequest({ method, url, headers });
      if (response && (answer === undefined || answer.status === 404)) answer = response;
    }
    if (answer) return toResponse(answer);
    await next();
  };
}
