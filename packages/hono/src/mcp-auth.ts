import {
  type AuthInfo,
  answerMetadataRequest,
  BODY_TOO_LARGE,
  createMcpAuth,
  isJsonContentType,
  type McpAuth,
  type McpAuthOptions,
  parseJsonText,
  readBodyText,
  toResponse,
  withTokenHash,
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
  /**
   * The validated token, set by {@link McpAuthHono.protect}. Left unset (`undefined`) for a
   * request allowed without a token because its method is in `policy.publicMethods`.
   */
  auth: AuthInfo;
  /**
   * The JSON body, when the middleware read it for the scope policy (`undefined` otherwise).
   * Hand it to the MCP SDK's transport as `parsedBody` so the body is not parsed twice.
   */
  parsedBody: unknown;
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
    /** The JSON body `@org/mcp-auth-hono` read for its scope policy, if it read one. */
    parsedBody: unknown;
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
  /** The resolved core (`authorize`, `metadata`, `onResponse`, …). */
  readonly core: McpAuth;
  /**
   * Protects the MCP endpoint, every method: answers the CORS preflight, otherwise authorizes
   * the request and sets `c.var.auth` (and CORS headers), or returns the 400/401/403/503 denial.
   */
  readonly protect: MiddlewareHandler<McpAuthEnv>;
  /** Serves the Protected Resource Metadata routes; `app.use(auth.metadata)`. */
  readonly metadata: MiddlewareHandler;
}

/**
 * Options of the Hono adapter itself (the core's options are the first argument).
 *
 * @example
 * ```ts
 * const auth = mcpAuth({ resource, issuer }, { maxBodyBytes: 1024 * 1024 });
 * ```
 */
export interface McpAuthHonoOptions {
  /**
   * Largest JSON body read for the scope policy, in bytes; a larger one gets a JSON-RPC 413
   * (`Content-Length` is checked first; a body without it is counted while it streams).
   * Default 4 MiB, as in the Express and Fastify adapters (the MCP SDK's own limit is 4 MB).
   */
  maxBodyBytes?: number;
}

/** A body read for the policy; `consumed` when the raw Request's stream was used up doing so. */
interface BodyRead {
  text: string;
  consumed: boolean;
}
const NO_BODY: BodyRead = { text: '', consumed: false };
const UNREADABLE = { ok: true, text: '' } as const;

/**
 * The body text, read with the core's {@link readBodyText} (`undefined` when larger than
 * `limit`; `''` when unreadable — the core then answers -32700), or from hono's cache when an
 * earlier middleware already read it.
 */
async function readText(c: Context, limit: number): Promise<BodyRead | undefined> {
  const raw = c.req.raw;
  if (raw.bodyUsed) return { text: await c.req.text().catch(() => ''), consumed: false };
  const length = Number(raw.headers.get('content-length') ?? Number.NaN);
  if (length >= 0 && length <= limit && !raw.headers.has('transfer-encoding')) {
    // A framed body within the limit: the runtime's own reader (on Node, straight from the
    // socket, without a Web stream); the runtime enforces Content-Length.
    return { text: await raw.text().catch(() => ''), consumed: true };
  }
  const read = await readBodyText(raw, { maxBytes: limit }).catch(() => UNREADABLE);
  return read.ok ? { text: read.text, consumed: true } : undefined;
}

/**
 * After the middleware consumed the raw Request's body: `c.req.text()` and `c.req.json()`
 * answer from what was read, and `c.req.raw` becomes an unread copy built on first access only
 * (tens of µs with undici), so handlers that never touch `c.req.raw` do not pay for it.
 */
function keepReadable(c: Context, text: string, body: unknown): void {
  const req = c.req;
  const consumed = req.raw;
  const read = Promise.resolve(text);
  req.text = () => read;
  const parsed = Promise.resolve(body);
  if (body !== undefined && typeof body !== 'string') req.json = () => parsed as Promise<never>;
  const { url, method, headers } = consumed;
  let raw: Request | undefined;
  Object.defineProperty(req, 'raw', {
    configurable: true,
    enumerable: true,
    get: () => (raw ??= new Request(url, { method, headers, body: text, signal: consumed.signal })),
    set: (value: Request) => {
      raw = value;
    },
  });
}

type CreateHash = (algorithm: 'sha256') => { update(t: string): { digest(e: 'base64'): string } };
type OneShotHash = (algorithm: 'sha256', data: string, encoding: 'base64') => string;
type NodeCrypto = { hash?: OneShotHash; createHash?: CreateHash };
type Runtime = { process?: { getBuiltinModule?: (id: string) => NodeCrypto | undefined } };

/**
 * A synchronous SHA-256 for the token cache where the runtime has `node:crypto` (Node ≥ 20.16,
 * Bun, Deno: `process.getBuiltinModule`): the one-shot `hash` where it exists (~1.5 µs), else
 * `createHash`, instead of Web Crypto's asynchronous tens of µs; `undefined` elsewhere (Workers
 * without Node compatibility): the core's default stays.
 */
function runtimeTokenHash(): ((token: string) => string) | undefined {
  const crypto = (globalThis as Runtime).process?.getBuiltinModule?.('node:crypto');
  const { hash, createHash } = crypto ?? {};
  if (typeof hash === 'function') return (token) => hash('sha256', token, 'base64');
  if (typeof createHash !== 'function') return undefined;
  return (token) => createHash('sha256').update(token).digest('base64');
}

function applyHeaders(out: Headers, headers: Record<string, string>): void {
  for (const name in headers) out.set(name, headers[name] as string);
}

/**
 * Resolves the options once and returns the Hono middlewares for one protected MCP endpoint.
 * Runs on any Web-standard runtime (Node, Bun, Deno, Workers). Pass an existing {@link McpAuth}
 * to share it; `adapterOptions` holds {@link McpAuthHonoOptions} (`maxBodyBytes`). Throws a
 * `TypeError` naming a bad option.
 *
 * @example
 * ```ts
 * const auth = mcpAuth({ resource: 'https://mcp.example.com/mcp', issuer: 'https://auth.example.com' });
 * app.use(auth.metadata);
 * app.all('/mcp', auth.protect, (c) =>
 *   transport.handleRequest(c.req.raw, { authInfo: c.var.auth, parsedBody: c.var.parsedBody }),
 * );
 * ```
 */
export function mcpAuth(
  options: McpAuthOptions | McpAuth,
  adapterOptions: McpAuthHonoOptions = {},
): McpAuthHono {
  const { maxBodyBytes = 4 * 1024 * 1024 } = adapterOptions;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new TypeError('mcpAuth: maxBodyBytes must be a positive integer (bytes)');
  }
  const hash = runtimeTokenHash();
  const own = 'authorize' in options ? undefined : hash ? withTokenHash(options, hash) : options;
  const core = own === undefined ? (options as McpAuth) : createMcpAuth(own);
  const protect: MiddlewareHandler<McpAuthEnv> = async function mcpAuthProtect(c, next) {
    const { method, url, headers } = c.req.raw;
    if (method === 'OPTIONS') return toResponse(core.preflight({ method, url, headers }));
    const readBody = core.needsBody && isJsonContentType(headers.get('content-type'));
    const read = readBody ? await readText(c, maxBodyBytes) : NO_BODY;
    if (read === undefined) return toResponse(BODY_TOO_LARGE);
    const body = parseJsonText(read.text);
    const decided = core.decide({ method, url, headers, body }); // synchronous on a cache hit
    const result = decided instanceof Promise ? await decided : decided;
    if (result.type === 'deny') return toResponse(result);
    if (read.consumed) keepReadable(c, read.text, body);
    if (result.authInfo !== undefined) c.set('auth', result.authInfo); // unset for a public method without a token
    if (body !== undefined) c.set('parsedBody', body);
    if (result.session === undefined) {
      await next();
      applyHeaders(c.res.headers, result.headers);
      return;
    }
    // The response head reaches the core before the client sees it: a new session is bound to
    // its creator, a DELETE ends one only after a 2xx; a handler that throws gives back a
    // reserved session slot (status 0).
    let head = { status: 0, sessionId: undefined as string | undefined };
    try {
      await next();
      const { headers: out, status } = c.res;
      applyHeaders(out, result.headers);
      head = { status, sessionId: out.get('mcp-session-id') ?? undefined };
    } finally {
      core.onResponse(result, head);
    }
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
    const answer = answerMetadataRequest(cores, { method, url, headers });
    if (answer) return toResponse(answer);
    await next();
  };
}
