import type { IncomingMessage } from 'node:http';
import {
  type AuthInfo,
  createMcpAuth,
  type McpAuth,
  type McpAuthOptions,
  type PlainResponse,
} from '@org/mcp-auth-core';
import {
  isJsonType,
  onSessionIdWritten,
  readJsonBody,
  replayBody,
  toAuthorizeRequest,
  withNodeTokenHash,
} from '@org/mcp-auth-node';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
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

function send(reply: FastifyReply, { status, headers, body }: PlainResponse): FastifyReply {
  return reply.code(status).headers(headers).send(body);
}

const plugin: FastifyPluginAsync<McpAuthFastifyOptions> = async (fastify, options) => {
  const { paths, ...rest } = options;
  const core = 'auth' in rest ? rest.auth : createMcpAuth(withNodeTokenHash(rest));
  const protectedPaths = new Set(paths ?? [new URL(core.resource).pathname]);
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', null);

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

  // preParsing: the body stream is still unread, so the policy can see it before Fastify parses it.
  fastify.addHook('preParsing', async function mcpAuthProtect(request, reply, payload) {
    // The route the router matched (whatever the spelling: %-escapes, case, trailing slash);
    // a request no route matches (e.g. a preflight) is compared by its path.
    const route = request.routeOptions.url ?? request.url.split('?', 1)[0]!;
    if (!protectedPaths.has(route)) return payload;
    const answer = (response: PlainResponse) => {
      send(reply, response); // a sent reply ends the lifecycle; the payload is never parsed
      return payload;
    };
    const base = toAuthorizeRequest(request.raw);
    if (request.method === 'OPTIONS') return answer(core.preflight(base));
    const read =
      core.needsBody && isJsonType(request.headers['content-type'])
        ? await readJsonBody(payload) // unreadable: the core answers -32700
        : undefined;
    if (read?.ok === false && read.reason === 'too_large') return answer(read.response);
    const result = await core.authorize({ ...base, body: read?.ok ? read.body : undefined });
    if (result.type === 'deny') return answer(result);
    for (const [name, value] of Object.entries(result.headers)) reply.raw.setHeader(name, value);
    if (!result.anonymous) {
      // A public method without a token leaves request.auth null and request.raw.auth unset.
      request.auth = result.authInfo;
      (request.raw as IncomingMessage & { auth?: AuthInfo }).auth = result.authInfo;
      onSessionIdWritten(reply.raw, (sessionId) => core.bindSession(sessionId, result.authInfo));
    }
    return read?.ok ? replayBody(read.raw) : payload; // replay what was read
  });
};

/**
 * Fastify 5 plugin protecting an MCP endpoint with `@org/mcp-auth-core`: serves the Protected
 * Resource Metadata routes, answers the endpoint's CORS preflight, and authorizes every other
 * request on `paths` before its body is parsed — setting `request.auth` and `request.raw.auth`
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
