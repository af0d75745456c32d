import type { AuthInfo, McpAuth, McpAuthOptions } from '@org/mcp-auth-core';
import {
  answerMetadataRequest,
  BODY_TOO_LARGE,
  decide,
  isJsonContentType,
  type McpAuthAdapterOptions,
  type PlainResponse,
  parseJsonText,
  readBodyText,
  resolveAdapter,
  takeBackgroundWork,
  toResponse,
} from '@org/mcp-auth-core/adapter';
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * Context variables the middleware sets: `c.get('auth')` / `c.var.auth`.
 *
 * @example
 * ```ts
 * app.all('/mcp', auth.protect, (c) => c.json({ sub: c.var.auth?.extra?.sub }));
 * ```
 */
export type Variables = {
  /**
   * The validated token, set by {@link McpAuthHono.protect}; `undefined` for a request allowed
   * without a token because its method is in `policy.publicMethods`.
   */
  auth: AuthInfo | undefined;
  /**
   * The JSON body, when the middleware read it for the decision (`undefined` otherwise). Hand it
   * to the MCP SDK's transport as `parsedBody`: `c.req.raw`'s own body may have been consumed.
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
    /** The validated token (`@org/mcp-auth-hono`'s `protect`); unset for a public method without one. */
    auth: AuthInfo | undefined;
    /** The JSON body `@org/mcp-auth-hono` read for its decision, if it read one. */
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
  /** The resolved core: the one passed in, or the one built from the options. */
  readonly core: McpAuth;
  /**
   * Protects the MCP endpoint, every method: answers the CORS preflight, otherwise authorizes
   * the request and sets `c.var.auth` (and CORS headers), or throws an `HTTPException` carrying
   * the exact 400/401/403/413/503 response (the app's `onError` sees it first).
   */
  readonly protect: MiddlewareHandler<McpAuthEnv>;
  /** Serves the Protected Resource Metadata routes; `app.use(auth.metadata)`. */
  readonly metadata: MiddlewareHandler;
}

/**
 * Options of the Hono adapter itself (the core's options, or a built core, are the first
 * argument): `maxBodyBytes`, the largest JSON body read for the decision (default 4 MiB; a
 * larger one gets a JSON-RPC 413).
 *
 * @example
 * ```ts
 * const auth = mcpAuth({ resource, issuer }, { maxBodyBytes: 1024 * 1024 });
 * ```
 */
export type McpAuthHonoOptions = McpAuthAdapterOptions;

const UNREADABLE = { ok: true, text: '' } as const;

/**
 * The body text through Hono's own cached body API, so the handler's `c.req.text()` and
 * `c.req.json()` answer from the same read. `undefined` when larger than `limit`; `''` when
 * unreadable (the core then answers -32700). A body without `Content-Length` is counted on a
 * copy while it streams, so an oversized one is refused before it is buffered.
 */
async function readText(c: Context, limit: number): Promise<string | undefined> {
  const { headers, bodyUsed } = c.req.raw;
  const length = Number(headers.get('content-length') ?? Number.NaN);
  if (length > limit) return undefined;
  if (bodyUsed || (length >= 0 && !headers.has('transfer-encoding'))) {
    return c.req.text().catch(() => '');
  }
  const read = await readBodyText(c.req.raw.clone(), { maxBodyBytes: limit }).catch(
    () => UNREADABLE,
  );
  return read.ok ? read.text : undefined;
}

/**
 * A refusal: an `HTTPException` whose `getResponse()` is the exact denial, built afresh from
 * the plain response on each call (a string body, not a copy of another response's stream, so
 * an `onError` returning it is answered as quickly as a returned response).
 */
class McpAuthRefusal extends HTTPException {
  readonly #refusal: PlainResponse;

  constructor(refusal: PlainResponse) {
    const body = refusal.body as { error?: unknown; error_description?: unknown } | undefined;
    const rpc = body?.error as { message?: unknown } | undefined;
    const message = body?.error_description ?? rpc?.message ?? body?.error;
    super(refusal.status as ContentfulStatusCode, {
      message: typeof message === 'string' ? message : `Refused (${refusal.status})`,
    });
    this.#refusal = refusal;
  }

  override getResponse(): Response {
    return toResponse(this.#refusal);
  }
}

/**
 * Throws the refusal so the app's `onError` keeps control; Hono's default sends it as is. A
 * refusal is an answer, not a fault: it carries no stack trace (capturing one is most of the
 * cost of a throw).
 */
function refuse(response: PlainResponse): never {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let refusal: McpAuthRefusal;
  try {
    refusal = new McpAuthRefusal(response);
  } finally {
    Error.stackTraceLimit = limit;
  }
  throw refusal;
}

/**
 * Hands the work the core left running during the decision (a key-set refresh that outlives the
 * request) to Cloudflare Workers' `waitUntil`, without which Workers cancels it once the
 * response is sent. Hono's `c.executionCtx` throws where there is no execution context (Node,
 * Bun, Deno): there the work runs to its end on its own.
 */
function keepBackgroundWork(c: Context): void {
  const work = takeBackgroundWork();
  if (work === undefined) return;
  let waitUntil: ((promise: Promise<unknown>) => void) | undefined;
  try {
    const ctx = c.executionCtx;
    if (typeof ctx?.waitUntil === 'function') waitUntil = ctx.waitUntil.bind(ctx);
  } catch {
    return;
  }
  waitUntil?.(work);
}

function applyHeaders(out: Headers, headers: Record<string, string>): void {
  for (const name in headers) out.set(name, headers[name] as string);
}

/**
 * Resolves the options once and returns the Hono middlewares for one protected MCP endpoint.
 * Runs on any Web-standard runtime (Node, Bun, Deno, Workers). Pass a core built by
 * `createMcpAuth` to share it between endpoints or adapters. Throws `McpAuthConfigError` (a
 * `TypeError`) naming a bad option.
 *
 * A refused request throws an `HTTPException` whose `getResponse()` is the exact response
 * (status, `WWW-Authenticate`, CORS headers, JSON body): without an `onError`, Hono sends it.
 * The JSON body it read for the decision is in `c.var.parsedBody` and in Hono's body cache
 * (`c.req.json()`, `c.req.text()`): read it from there, not from `c.req.raw`, whose own body
 * may have been consumed. `c.req.raw` itself is never replaced.
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
  adapterOptions?: McpAuthHonoOptions,
): McpAuthHono {
  const { core, maxBodyBytes } = resolveAdapter(options, adapterOptions);
  const protect: MiddlewareHandler<McpAuthEnv> = async function mcpAuthProtect(c, next) {
    const { method, url, headers } = c.req.raw;
    if (method === 'OPTIONS') {
      const preflight = core.preflight({ method, url, headers });
      return preflight.status < 400 ? toResponse(preflight) : refuse(preflight);
    }
    const wanted = core.needsBody && isJsonContentType(headers.get('content-type'));
    const text = wanted ? await readText(c, maxBodyBytes) : '';
    if (text === undefined) refuse(BODY_TOO_LARGE);
    const body = parseJsonText(text);
    const decided = decide(core, { method, url, headers, body }); // synchronous on a cache hit
    const result = decided instanceof Promise ? await decided : decided;
    if (decided instanceof Promise) keepBackgroundWork(c); // a cache hit starts no work
    if (result.type === 'deny') refuse(result);
    if (result.authInfo !== undefined) c.set('auth', result.authInfo); // unset for a public method without a token
    if (body !== undefined) c.set('parsedBody', body);
    if (result.session === undefined) {
      await next();
      applyHeaders(c.res.headers, result.headers);
      return;
    }
    // The response head reaches the core before the client sees it: a new session is bound to
    // its creator, a DELETE ends one only after a 2xx; a handler that throws gives back a
    // reserved session slot (status 0). With a shared store the response waits here until the
    // binding is stored, or becomes the core's 503 when it cannot be.
    let head = { status: 0, sessionId: undefined as string | undefined };
    let instead: ReturnType<McpAuth['onResponse']>;
    try {
      await next();
      const { headers: out, status } = c.res;
      applyHeaders(out, result.headers);
      head = { status, sessionId: out.get('mcp-session-id') ?? undefined };
    } finally {
      instead = core.onResponse(result, head);
    }
    if (instead instanceof Promise) instead = await instead;
    if (instead !== undefined) {
      c.res.body?.cancel().catch(() => undefined);
      c.res = undefined; // so none of the application's headers (its session id) is carried over
      c.res = toResponse(instead);
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
 * @see RFC 9728 §3
 */
export function mcpAuthMetadata(...cores: McpAuth[]): MiddlewareHandler {
  return async function mcpAuthMetadata(c, next) {
    const { method, url, headers } = c.req.raw;
    const answer = answerMetadataRequest(cores, { method, url, headers });
    if (answer) return toResponse(answer);
    await next();
  };
}
