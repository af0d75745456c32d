import {
  answerMetadataRequest,
  type AuthInfo,
  type AuthorizeResult,
  createMcpAuth,
  type McpAuth,
  type McpAuthOptions,
} from '@org/mcp-auth-core';
import {
  applyAllow,
  hasUnreadJsonBody,
  readJsonBody,
  toAuthorizeRequest,
  withNodeTokenHash,
  writeResponse,
} from '@org/mcp-auth-node';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

declare global {
  namespace Express {
    interface Request {
      /**
       * The validated token, set by {@link McpAuthExpress.protect}; read by the MCP SDK's
       * transport. Left `undefined` for a `policy.publicMethods` request sent without a token.
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
   * the request and sets `req.auth` (and CORS headers), or writes the 400/401/403/503 denial.
   */
  readonly protect: RequestHandler;
  /** Serves the Protected Resource Metadata routes; mount it on the app (any path). */
  readonly metadata: RequestHandler;
}

/**
 * Resolves the options once and returns the Express middlewares for one protected MCP endpoint.
 * Pass an existing {@link McpAuth} to share it. Throws a `TypeError` naming a bad option.
 *
 * @example
 * ```ts
 * const auth = mcpAuth({ resource: 'https://mcp.example.com/mcp', issuer: 'https://auth.example.com' });
 * app.use(auth.metadata);
 * app.all('/mcp', express.json(), auth.protect, (req, res) => transport.handleRequest(req, res, req.body));
 * ```
 */
export function mcpAuth(options: McpAuthOptions | McpAuth): McpAuthExpress {
  const core = 'authorize' in options ? options : createMcpAuth(withNodeTokenHash(options));
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
  async function readAndAuthorize(req: Request, res: Response, next: NextFunction) {
    const read = await readJsonBody(req);
    if (!read.ok) return writeResponse(res, read.response);
    if (typeof read.body !== 'string') req.body = read.body;
    apply(req, res, next, await core.authorize(toAuthorizeRequest(req, read.body)));
  }
  // Synchronous when the core decides without waiting (a cached token, no token): no promise
  // and no microtask turn per request on the hot path.
  function mcpAuthProtect(req: Request, res: Response, next: NextFunction): void | Promise<void> {
    if (req.method === 'OPTIONS')
      return writeResponse(res, core.preflight(toAuthorizeRequest(req)));
    if (core.needsBody && hasUnreadJsonBody(req)) return readAndAuthorize(req, res, next);
    const result = core.decide(toAuthorizeRequest(req, req.body));
    if (result instanceof Promise) return result.then((r) => apply(req, res, next, r));
    apply(req, res, next, result);
  }
  return { core, protect: mcpAuthProtect, metadata: mcpAuthMetadata(core) };
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
export function mcpAuthMetadata(...cores: McpAuth[]): RequestHandler {
  return function mcpAuthMetadata(req: Request, res: Response, next: NextFunction): void {
    const answer = answerMetadataRequest(cores, toAuthorizeRequest(req));
    if (answer) writeResponse(res, answer);
    else next();
  };
}
