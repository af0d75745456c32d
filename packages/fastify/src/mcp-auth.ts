import type { IncomingMessage } from 'node:http';
import type { AuthInfo, McpAuth, McpAuthOptions } from '@org/mcp-auth-core';
import {
  type AuthorizeResult,
  BODY_TOO_LARGE,
  decide,
  isJsonContentType,
  type PlainResponse,
  resolveAdapter,
} from '@org/mcp-auth-core/adapter';
import { applyAllow, toAuthorizeRequest } from '@org/mcp-auth-node';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The validated token on protected MCP paths (`null` elsewhere, and for a
     * `policy.publicMethods` request sent without a token). Also set on `request.raw.auth`.
     */
    auth: AuthInfo | null;
  }
}

/**
 * Options of the {@link mcpAuth} plugin: the core's options, or a core built beforehand.
 *
 * @example
 * ```ts
 * const options: McpAuthFastifyOptions = { resource, issuer, paths: ['/mcp'] };
 * await app.register(mcpAuth, options);
 * ```
 */
export type McpAuthFastifyOptions = (McpAuthOptions | { auth: McpAuth }) & {
  /**
   * Route paths of the MCP endpoint to protect, as registered (`'/mcp'`, `'/tenants/:id/mcp'`),
   * every method. Default: the path of `resource`.
   */
  paths?: string[];
};

const PRM_PREFIX = '/.well-known/oauth-protected-resource';
/** Stands for a body Fastify could not parse as JSON: the core answers it with -32700. */
const UNPARSEABLE = '\u0000';

function send(reply: FastifyReply, { status, headers, body }: PlainResponse): FastifyReply {
  return reply.code(status).headers(headers).send(body);
}

type WithCode = { code?: unknown };

const plugin: FastifyPluginAsync<McpAuthFastifyOptions> = async (fastify, options) => {
  const { paths, ...rest } = options;
  const { core } = resolveAdapter('auth' in rest ? rest.auth : rest);
  const protectedPaths = new Set(paths ?? [new URL(core.resource).pathname]);
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', null);
  /** Requests on `paths` whose authorization waits for Fastify to parse their JSON body. */
  const awaitingBody = new WeakSet<FastifyRequest>();

  const { path, rootPath } = core.metadata;
  for (const url of [path, rootPath, `${PRM_PREFIX}/*`]) {
    if (fastify.hasRoute({ url, method: 'GET' })) continue; // another endpoint serves it
    fastify.all(url, async function mcpAuthMetadata(request, reply) {
      return send(
        reply,
        core.handleMetadataRequest(toAuthorizeRequest(request.raw)) ?? { status: 404, headers: {} },
      );
    });
  }

  /** Replies with the denial, or records the grant on the request. */
  function apply(request: FastifyRequest, reply: FastifyReply, result: AuthorizeResult) {
    if (result.type === 'deny') return send(reply, result);
    applyAllow(core, reply.raw, result);
    if (result.authInfo !== undefined) {
      // A public method without a token leaves request.auth null and request.raw.auth unset.
      request.auth = result.authInfo;
      (request.raw as IncomingMessage & { auth?: AuthInfo }).auth = result.authInfo;
    }
    return undefined;
  }
  /** Authorizes with `body`: synchronously when the core can (a cached token, no token). */
  function authorize(request: FastifyRequest, reply: FastifyReply, body: unknown) {
    const result = decide(core, toAuthorizeRequest(request.raw, body));
    if (result instanceof Promise) return result.then((r) => apply(request, reply, r));
    return apply(request, reply, result);
  }
  function settle(outcome: unknown, done: (e?: Error) => void): void {
    if (outcome instanceof Promise) outcome.then(() => done(), done);
    else done();
  }

  // onRequest: before anything is read. Requests whose body the policy needs wait for
  // preValidation, when Fastify has parsed it (one read, one parse). Callback style: no promise
  // per request; `done` after a reply was sent is safe (Fastify stops once `reply.sent`).
  function protect(request: FastifyRequest, reply: FastifyReply, done: (e?: Error) => void) {
    if (request.method === 'OPTIONS') {
      send(reply, core.preflight(toAuthorizeRequest(request.raw)));
      return done();
    }
    if (core.needsBody && isJsonContentType(request.headers['content-type'])) {
      awaitingBody.add(request);
      return done();
    }
    settle(authorize(request, reply, undefined), done);
  }
  function protectBody(request: FastifyRequest, reply: FastifyReply, done: (e?: Error) => void) {
    if (!awaitingBody.delete(request)) return done();
    settle(authorize(request, reply, request.body), done);
  }

  // Routes on `paths` get the hooks as their own (first), so other routes pay nothing; a request
  // no route matches (a preflight, another method) is protected by its path.
  const methods = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'] as const;
  const early = [...protectedPaths].find((url) =>
    methods.some((m) => fastify.hasRoute({ url, method: m })),
  );
  if (early) throw new TypeError(`mcpAuth: register the plugin before the routes of ${early}`);
  const unmatched = (request: FastifyRequest) =>
    request.is404 && protectedPaths.has(request.url.split('?', 1)[0]!);
  fastify.addHook('onRequest', function mcpAuthProtect(request, reply, done) {
    return unmatched(request) ? protect(request, reply, done) : done();
  });
  fastify.addHook('preValidation', function mcpAuthProtectBody(request, reply, done) {
    return unmatched(request) ? protectBody(request, reply, done) : done();
  });

  // A body Fastify could not parse never reaches preValidation: the route's error handler
  // authorizes it first (a missing or bad token still gets its 401), then answers a JSON-RPC
  // -32700 (or 413) as the core does; other errors go to the route's or the app's handler.
  fastify.addHook('onRoute', (routeOptions) => {
    if (!protectedPaths.has(routeOptions.url ?? '')) return;
    routeOptions.onRequest = [protect, ...[routeOptions.onRequest ?? []].flat()];
    routeOptions.preValidation = [protectBody, ...[routeOptions.preValidation ?? []].flat()];
    const own = routeOptions.errorHandler;
    routeOptions.errorHandler = async function mcpAuthBodyError(error, request, reply) {
      if (awaitingBody.delete(request)) {
        const code = (error as WithCode).code;
        if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(reply, BODY_TOO_LARGE);
        if (typeof code === 'string' && code.startsWith('FST_ERR_CTP_')) {
          const body = code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? UNPARSEABLE : undefined;
          const denied = await authorize(request, reply, body);
          if (denied !== undefined) return denied;
        }
      }
      if (own !== undefined) return own.call(this, error, request, reply);
      throw error; // the app's error handler
    };
  });
};

/**
 * Fastify 5 plugin protecting an MCP endpoint with `@org/mcp-auth-core`: serves the Protected
 * Resource Metadata routes, answers the endpoint's CORS preflight, and authorizes every other
 * request on `paths` (in `onRequest`, or in `preValidation` on the body Fastify parsed when the
 * scope policy needs it; register it before the routes it protects) — setting `request.auth` and `request.raw.auth`
 * (what `StreamableHTTPServerTransport.handleRequest(request.raw, reply.raw, request.body)`
 * reads), or replying with the core's 400/401/403/503. Register it once per protected endpoint.
 *
 * @example
 * ```ts
 * await app.register(mcpAuth, { resource: 'https://mcp.example.com/mcp', issuer: 'https://auth.example.com' });
 * app.post('/mcp', (request, reply) => transport.handleRequest(request.raw, reply.raw, request.body));
 * ```
 */
export const mcpAuth = fp(plugin, { fastify: '5.x', name: '@org/mcp-auth-fastify' });
