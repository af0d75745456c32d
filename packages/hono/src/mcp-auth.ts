import {
  type AuthInfo,
  createMcpAuth,
  type McpAuth,
  type McpAuthOptions,
  type PlainResponse,
  readBodyText,
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

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const BODY_TOO_LARGE: PlainResponse = {
  status: 413,
  headers: { 'Content-Type': 'application/json' },
  body: { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Request body too large' } },
};

const TEXT = Symbol('mcpAuthBodyText');
const USED = Symbol('mcpAuthBodyUsed');
const STREAM = Symbol('mcpAuthBodyStream');
type Replayed = Request & {
  [TEXT]: string;
  [USED]: boolean;
  [STREAM]?: ReadableStream<Uint8Array>;
};

function take(request: Replayed): string {
  if (request[USED]) throw new TypeError('Body is unusable: body has already been read');
  request[USED] = true;
  return request[TEXT];
}

function asPromise<T>(read: () => T): Promise<T> {
  try {
    return Promise.resolve(read());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Body readers for a Request whose stream the middleware consumed: they serve the text it
 * read, once, as the original would have. Shared by every request (no closure per request).
 */
const REPLAY: PropertyDescriptorMap = {
  bodyUsed: {
    get(this: Replayed) {
      return this[USED];
    },
  },
  body: {
    get(this: Replayed) {
      // One stream per request, as a Request's `body` is; reading it consumes the text.
      this[STREAM] ??= new ReadableStream<Uint8Array>({
        pull: (controller) => {
          const bytes = new TextEncoder().encode(take(this));
          if (bytes.byteLength > 0) controller.enqueue(bytes);
          controller.close();
        },
      });
      return this[STREAM];
    },
  },
  text: {
    value(this: Replayed) {
      return asPromise(() => take(this));
    },
  },
  json: {
    value(this: Replayed) {
      return asPromise(() => JSON.parse(take(this)));
    },
  },
  arrayBuffer: {
    value(this: Replayed) {
      return asPromise(() => new TextEncoder().encode(take(this)).buffer);
    },
  },
  bytes: {
    value(this: Replayed) {
      return asPromise(() => new TextEncoder().encode(take(this)));
    },
  },
  blob: {
    value(this: Replayed) {
      const type = this.headers.get('content-type') ?? '';
      return asPromise(() => new Blob([take(this)], { type }));
    },
  },
  formData: {
    value(this: Replayed) {
      const headers = { 'content-type': this.headers.get('content-type') ?? '' };
      return asPromise(() => new Response(take(this), { headers }).formData());
    },
  },
  clone: {
    value(this: Replayed) {
      if (this[USED]) throw new TypeError('Body is unusable: body has already been read');
      const copy = new Request(this.url, {
        method: this.method,
        headers: this.headers,
        body: this[TEXT],
        signal: this.signal,
      });
      return copy;
    },
  },
};
/** Per original prototype, the prototype adding {@link REPLAY}'s readers. */
const replayPrototypes = new WeakMap<object, object>();

/**
 * Makes a consumed Request readable again from `text` without building a new Request (tens
 * of µs): its prototype is swapped for one whose body readers serve `text` once, so handlers
 * that read `c.req.raw` (the MCP SDK's transport without `parsedBody`) still can. Headers,
 * URL, method and signal are the original's.
 */
function replay(raw: Request, text: string): void {
  const proto = Object.getPrototypeOf(raw) as object;
  let replayProto = replayPrototypes.get(proto);
  if (replayProto === undefined) {
    replayProto = Object.create(proto, REPLAY) as object;
    replayPrototypes.set(proto, replayProto);
    replayPrototypes.set(replayProto, replayProto);
  }
  const target = raw as Replayed;
  target[TEXT] = text;
  target[USED] = false;
  if (replayProto !== proto) Object.setPrototypeOf(raw, replayProto);
}

const DECIMAL = /^\d+$/;

/**
 * The body text (`undefined` when larger than `limit`; `''` when unreadable — the core then
 * answers -32700). A body framed by `Content-Length` is read through Hono (`c.req.text()`,
 * which caches it for later `c.req.json()`/`text()` and, on `@hono/node-server`, reads the
 * socket directly); any other is counted while it streams ({@link readBodyText}) and put in
 * Hono's cache. The consumed `c.req.raw` is then made readable again ({@link replay}).
 */
async function peekText(c: Context, limit: number): Promise<string | undefined> {
  const raw = c.req.raw;
  if (raw.bodyUsed) return c.req.text().catch(() => '');
  const headers = raw.headers;
  const declared = headers.get('content-length') ?? '';
  let text: string;
  try {
    if (DECIMAL.test(declared) && !headers.has('transfer-encoding')) {
      if (Number(declared) > limit) return undefined;
      text = await c.req.text();
    } else {
      const read = await readBodyText(raw, { maxBytes: limit });
      if (!read.ok) return undefined;
      text = read.text;
      // Hono keeps promises in its body cache (typed as the values).
      (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
    }
  } catch {
    return ''; // a client gone mid-body: the core answers -32700
  }
  if (raw.bodyUsed) replay(raw, text);
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
  const core = 'authorize' in options ? options : createMcpAuth(options);
  const protect: MiddlewareHandler<McpAuthEnv> = async function mcpAuthProtect(c, next) {
    const { method, url, headers } = c.req.raw;
    if (method === 'OPTIONS') return toResponse(core.preflight({ method, url, headers }));
    const readBody = core.needsBody && JSON_TYPE.test(headers.get('content-type') ?? '');
    const text = readBody ? await peekText(c, maxBodyBytes) : '';
    if (text === undefined) return toResponse(BODY_TOO_LARGE);
    const body = parseJson(text);
    const result = await core.authorize({ method, url, headers, body });
    if (result.type === 'deny') return toResponse(result);
    if (!result.anonymous) c.set('auth', result.authInfo); // unset for a public method without a token
    if (body !== undefined) c.set('parsedBody', body);
    await next();
    for (const [name, value] of Object.entries(result.headers)) c.res.headers.set(name, value);
    const sessionId = c.res.headers.get('mcp-session-id');
    if (sessionId && !result.anonymous) core.bindSession(sessionId, result.authInfo); // before the client sees it
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
