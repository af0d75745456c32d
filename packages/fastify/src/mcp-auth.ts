import {
  type AuthInfo,
  type McpAuth,
  McpAuthConfigError,
  type McpAuthOptions,
} from '@org/mcp-auth-core';
import { isMcpAuth, type McpAuthAdapterOptions, resolveAdapter } from '@org/mcp-auth-core/adapter';
import { toAuthorizeRequest } from '@org/mcp-auth-node';
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyRequest,
  onRequestHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import { createGuard } from './create-guard.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The validated token on a protected request; also set on `request.raw.auth`, where the MCP
     * SDK's transport reads it. `undefined` elsewhere, and for a `policy.publicMethods` request
     * sent without a token.
     */
    auth?: AuthInfo;
  }
  interface FastifyInstance {
    /** Set by the {@link mcpAuth} plugin: its core and the hook that protects one route. */
    readonly mcpAuth: McpAuthFastify;
  }
}

/**
 * What the plugin decorates the instance with (`app.mcpAuth`).
 *
 * @example
 * ```ts
 * await app.register(mcpAuth, { resource, issuer, paths: [] });
 * app.post('/mcp', { onRequest: app.mcpAuth.protect }, handler);
 * ```
 */
export interface McpAuthFastify {
  /** The resolved core (`authorize`, `metadata`, `onResponse`, …). */
  readonly core: McpAuth;
  /**
   * An `onRequest` hook protecting the route it is attached to, every method: answers the CORS
   * preflight, otherwise authorizes the request — on the body Fastify parsed when the policy
   * needs it — and sets `request.auth`, or replies with the core's denial. Attach it to routes
   * in the scope where the plugin is registered, or below.
   */
  readonly protect: onRequestHookHandler;
}

/**
 * Options of the {@link mcpAuth} plugin: the core's options, or `{ auth }` with a core built by
 * `createMcpAuth` (to share it); plus the adapter's `maxBodyBytes` and `paths`.
 *
 * @example
 * ```ts
 * const options: McpAuthFastifyOptions = { resource, issuer, maxBodyBytes: 1024 * 1024 };
 * await app.register(mcpAuth, options);
 * ```
 */
export type McpAuthFastifyOptions = (McpAuthOptions | { auth: McpAuth }) &
  McpAuthAdapterOptions & {
    /**
     * Route paths protected wherever and whenever their routes are registered, every method,
     * as registered (`'/mcp'`, `'/tenants/:id/mcp'`); a request on such a path that matches
     * no route (a preflight, another method) is protected by its path. Default: the path of
     * `resource`. `[]` protects only the routes given {@link McpAuthFastify.protect}.
     */
    paths?: string[];
  };

const PRM_PREFIX = '/.well-known/oauth-protected-resource';
const ours = new WeakSet<object>();
const ambiguous = new WeakSet<object>();

function resolvePluginOptions(options: McpAuthFastifyOptions) {
  if (typeof options !== 'object' || options === null) {
    throw new McpAuthConfigError('options', 'must be the core options or { auth }');
  }
  const { paths, maxBodyBytes, ...rest } = options;
  let core: McpAuthOptions | McpAuth = rest as McpAuthOptions;
  if ('auth' in rest) {
    const { auth, ...others } = rest;
    if (!isMcpAuth(auth)) {
      throw new McpAuthConfigError('auth', 'must be a core built by createMcpAuth');
    }
    const extra = Object.keys(others)[0];
    if (extra !== undefined) {
      throw new McpAuthConfigError(extra, 'cannot be given beside "auth" (set it on the core)');
    }
    core = auth;
  }
  const resolved = resolveAdapter(core, { maxBodyBytes });
  const list = paths ?? [new URL(resolved.core.resource).pathname];
  if (!Array.isArray(list) || list.some((p) => typeof p !== 'string' || !p.startsWith('/'))) {
    throw new McpAuthConfigError('paths', 'must be an array of route paths starting with "/"');
  }
  return { ...resolved, paths: new Set(list) };
}

function serveMetadata(fastify: FastifyInstance, core: McpAuth): void {
  const { path, rootPath } = core.metadata;
  for (const url of [path, rootPath, `${PRM_PREFIX}/*`]) {
    if (fastify.hasRoute({ url, method: 'GET' })) continue; // another endpoint serves it
    fastify.all(url, async function mcpAuthMetadata(request, reply) {
      const { status, headers, body } = core.handleMetadataRequest(
        toAuthorizeRequest(request.raw),
      ) ?? { status: 404, headers: {} };
      return reply.code(status).headers(headers).send(body);
    });
  }
}

/** `app.mcpAuth`, or — when several registrations share a scope — a guard naming the fix. */
function decorateInstance(fastify: FastifyInstance, entry: McpAuthFastify): void {
  if (!fastify.hasDecorator('mcpAuth')) return void fastify.decorate('mcpAuth', entry);
  const existing = fastify.mcpAuth;
  if (!ours.has(existing)) {
    throw new McpAuthConfigError('mcpAuth', 'is already a decorator of this Fastify instance');
  }
  ambiguous.add(existing);
}

function pathOf(request: FastifyRequest): string {
  // The route as registered (parameters, prefix, any spelling of the URL), else the raw path.
  const route = request.routeOptions.url;
  return route ?? (request.url.split('?', 1)[0] as string);
}

const plugin: FastifyPluginAsync<McpAuthFastifyOptions> = async (fastify, options) => {
  const { core, maxBodyBytes, paths } = resolvePluginOptions(options);
  serveMetadata(fastify, core);
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', undefined);

  // This registration's scope-wide hooks run for every route of `fastify` and its children,
  // whenever registered: the routes where this marker is visible.
  const marker = Symbol('mcpAuth scope');
  fastify.decorate(marker, true);
  const guard = createGuard(core, maxBodyBytes, (request) => marker in request.server);
  fastify.addHook('preParsing', guard.limitBody);
  fastify.addHook('preValidation', guard.decideWithBody);
  fastify.addHook('onError', guard.answerBodyError);
  if (paths.size > 0) {
    fastify.addHook('onRequest', function mcpAuthPaths(request, reply, done) {
      if (paths.has(pathOf(request))) guard.protect(request, reply, done);
      else done();
    });
  }

  const entry: McpAuthFastify = {
    get core() {
      return ambiguous.has(entry) ? ambiguity() : core;
    },
    get protect() {
      return ambiguous.has(entry) ? ambiguity() : guard.protect;
    },
  };
  ours.add(entry);
  decorateInstance(fastify, entry);
};

function ambiguity(): never {
  throw new McpAuthConfigError(
    'mcpAuth',
    'is ambiguous: several mcpAuth plugins are registered in this scope; register each inside its own plugin (app.register(async (scope) => …)) to use scope.mcpAuth, or protect their routes with `paths`',
  );
}

/**
 * Fastify 5 plugin protecting an MCP endpoint with `@org/mcp-auth-core`. It serves the
 * Protected Resource Metadata routes, and protects the routes of `paths` (default: the path of
 * `resource`) wherever and whenever they are registered, and every route given
 * `onRequest: app.mcpAuth.protect`: it answers their CORS preflight, authorizes each request —
 * in `onRequest`, or in `preValidation` on the body Fastify parsed when the scope policy needs
 * it — and sets `request.auth` and `request.raw.auth` (what
 * `StreamableHTTPServerTransport.handleRequest(request.raw, reply.raw, request.body)` reads),
 * or replies with the core's 400/401/403/404/413/503 itself. A JSON body Fastify cannot parse
 * gets the core's answer (the 401 challenge without a token, else JSON-RPC -32700; 413 past
 * `maxBodyBytes` or Fastify's `bodyLimit`), whatever the app's error handler would send.
 * `maxBodyBytes` (default 4 MiB) caps protected bodies; Fastify's `bodyLimit` (default 1 MiB)
 * still applies. Register it once per protected endpoint. Throws a `TypeError`
 * (`McpAuthConfigError`, at `ready()`) naming a bad option.
 *
 * @example
 * ```ts
 * await app.register(mcpAuth, { resource: 'https://mcp.example.com/mcp', issuer: 'https://auth.example.com' });
 * app.post('/mcp', (request, reply) => transport.handleRequest(request.raw, reply.raw, request.body));
 * ```
 */
export const mcpAuth = fp(plugin, { fastify: '5.x', name: '@org/mcp-auth-fastify' });
