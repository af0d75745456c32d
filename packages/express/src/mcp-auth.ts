import type { AuthInfo, McpAuth, McpAuthOptions } from '@org/mcp-auth-core';
import {
  answerMetadataRequest,
  type AuthorizeResult,
  decide,
  type McpAuthAdapterOptions,
  resolveAdapter,
} from '@org/mcp-auth-core/adapter';
import {
  applyAllow,
  hasUnreadJsonBody,
  INTERNAL_ERROR,
  readJsonBody,
  toAuthorizeRequest,
  writeResponse,
} from '@org/mcp-auth-node';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

declare global {
  namespace Express {
    interface Request {
      /**
       * The validated token, set by {@link McpAuthExpress.protect}; read by the MCP SDK's
       * transport. `undefined` for a `policy.publicMethods` request sent without a token.
       */
      auth?: AuthInfo;
    }
  }
}

/**
 * What {@link mcpAuth} returns: the resolved core and two Express middlewares.
 *
 * @example
 * ```ts
 * const auth: McpAuthExpress = mcpAuth({ resource, issuer });
 * app.use(auth.metadata);
 * app.all('/mcp', auth.protect, handler);
 * ```
 */
export interface McpAuthExpress {
  /** The resolved core (`authorize`, `metadata`, `onResponse`, …). */
  readonly core: McpAuth;
  /**
   * Protects the MCP endpoint, every method: answers the CORS preflight, otherwise authorizes
   * the request and sets `req.auth` (and CORS headers), or writes the denial itself
   * (400/401/403/404/413/503 JSON) — it never calls `next(err)`.
   */
  readonly protect: RequestHandler;
  /** Serves the Protected Resource Metadata routes; mount it on the app (any path). */
  readonly metadata: RequestHandler;
}

/**
 * Resolves the options once and returns the Express middlewares for one protected MCP endpoint.
 * `options` is the core's options, or a core built with `createMcpAuth` to share it.
 * `adapterOptions.maxBodyBytes` caps the JSON body `protect` reads for the decision (default
 * 4 MiB; a larger one gets a JSON-RPC 413); a body already parsed upstream (`express.json()`)
 * is used as it is, within that parser's own limit. Throws a `TypeError`
 * (`McpAuthConfigError`) naming a bad option.
 *
 * @example
 * ```ts
 * const auth = mcpAuth({ resource: 'https://mcp.example.com/mcp', issuer: 'https://auth.example.com' });
 * app.use(auth.metadata);
 * app.all('/mcp', auth.protect, express.json(), (req, res) => transport.handleRequest(req, res, req.body));
 * ```
 */
export function mcpAuth(
  options: McpAuthOptions | McpAuth,
  adapterOptions?: McpAuthAdapterOptions,
): McpAuthExpress {
  const { core, maxBodyBytes } = resolveAdapter(options, adapterOptions);
  /** Writes the denial, or records the grant and goes on to the route's handler. */
  function apply(req: Request, res: Response, next: NextFunction, result: AuthorizeResult): void {
    if (result.type === 'deny') {
      writeResponse(res, result);
      return;
    }
    applyAllow(core, res, result);
    // A public method without a token gets no req.auth.
    if (result.authInfo !== undefined) req.auth = result.authInfo;
    next();
  }
  /** An unexpected failure is answered here too: the app's error handler never sees a denial. */
  function fail(res: Response): void {
    writeResponse(res, INTERNAL_ERROR);
  }
  async function readAndAuthorize(req: Request, res: Response, next: NextFunction) {
    const read = await readJsonBody(req, { maxBodyBytes });
    if (!read.ok) return writeResponse(res, read.response);
    if (typeof read.body !== 'string') req.body = read.body;
    const decided = decide(core, toAuthorizeRequest(req, read.body));
    apply(req, res, next, decided instanceof Promise ? await decided : decided);
  }
  // Synchronous when the core decides without waiting (a cached token, no token): no promise
  // and no microtask turn per request on the hot path.
  function mcpAuthProtect(req: Request, res: Response, next: NextFunction): void | Promise<void> {
    let decided: AuthorizeResult | Promise<AuthorizeResult>;
    try {
      if (req.method === 'OPTIONS') {
        return writeResponse(res, core.preflight(toAuthorizeRequest(req)));
      }
      if (core.needsBody && hasUnreadJsonBody(req)) {
        return readAndAuthorize(req, res, next).catch(() => fail(res));
      }
      decided = decide(core, toAuthorizeRequest(req, req.body));
    } catch {
      return fail(res);
    }
    if (decided instanceof Promise) {
      return decided.then((result) => apply(req, res, next, result)).catch(() => fail(res));
    }
    apply(req, res, next, decided);
  }
  return { core, protect: mcpAuthProtect, metadata: mcpAuthMetadata(core) };
}

/**
 * Serves the Protected Resource Metadata of one or more protected endpoints (RFC 9728):
 * path-inserted and root locations, GET/HEAD, an open CORS preflight, 405 for other methods
 * and 404 for unknown `/.well-known/oauth-protected-resource/…` paths. With several endpoints
 * in one app, mount one `mcpAuthMetadata(a, b)` so each answers its own path.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3
 * @example
 * ```ts
 * app.use(mcpAuthMetadata(todos.core, calendar.core));
 * ```
 */
export function mcpAuthMetadata(...cores: McpAuth[]): RequestHandler {
  return function mcpAuthMetadata(req: Request, res: Response, next: NextFunction): void {
    const answer = answerMetadataRequest(cores, toAuthorizeRequest(req));
    if (answer) writeResponse(res, answer);
    else next();
  };
}
