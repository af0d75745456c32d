import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo, McpAuth, McpAuthOptions } from '@org/mcp-auth-core';
import {
  type AuthorizeResult,
  decide,
  type McpAuthAdapterOptions,
  resolveAdapter,
} from '@org/mcp-auth-core/adapter';
import { applyAllow } from './apply-allow.js';
import { hasUnreadJsonBody, readJsonBody } from './read-json-body.js';
import { toAuthorizeRequest } from './to-authorize-request.js';
import { INTERNAL_ERROR, writeResponse } from './write-response.js';

/**
 * What a {@link createNodeHandler} handler resolves when the app should go on serving the MCP
 * request: the validated token (`undefined` for a `policy.publicMethods` request sent without
 * one) and the JSON body, if the handler read it — pass it to the MCP SDK's transport as
 * `parsedBody`, the request stream is consumed.
 *
 * @example
 * ```ts
 * const allowed: NodeAuthorization | undefined = await protect(req, res);
 * ```
 */
export interface NodeAuthorization {
  authInfo: AuthInfo | undefined;
  body: unknown;
}

/**
 * A `node:http` handler that protects an MCP endpoint.
 *
 * @example
 * ```ts
 * const protect: NodeHandler = createNodeHandler({ resource, issuer });
 * ```
 */
export type NodeHandler = (
  req: IncomingMessage,
  res: ServerResponse,
) => Promise<NodeAuthorization | undefined>;

/**
 * Protects an MCP endpoint on plain `node:http` (or any framework exposing Node's `req`/`res`).
 * Takes the core's options or a core built with `createMcpAuth` (to share it), and the adapter
 * options: `maxBodyBytes` caps the JSON body read for the decision (default 4 MiB; a larger
 * one gets a JSON-RPC 413). The returned handler answers the Protected Resource Metadata
 * routes, the CORS preflight and every denial (400/401/403/404/413/503) itself and resolves
 * `undefined`; otherwise it sets the CORS headers and `req.auth` (what the MCP SDK's transport
 * reads; left unset for a public method called without a token), binds a new `Mcp-Session-Id`
 * to the token's owner, and resolves {@link NodeAuthorization}. It never rejects. Throws a
 * `TypeError` (`McpAuthConfigError`) naming a bad option.
 *
 * @example
 * ```ts
 * const protect = createNodeHandler({ resource: 'https://mcp.example.com/mcp', issuer: 'https://auth.example.com' });
 * createServer(async (req, res) => {
 *   const allowed = await protect(req, res);
 *   if (allowed) await transport.handleRequest(req, res, allowed.body);
 * }).listen(3000);
 * ```
 */
export function createNodeHandler(
  options: McpAuthOptions | McpAuth,
  adapterOptions?: McpAuthAdapterOptions,
): NodeHandler {
  const { core, maxBodyBytes } = resolveAdapter(options, adapterOptions);

  function allow(
    req: IncomingMessage,
    res: ServerResponse,
    result: AuthorizeResult,
    body: unknown,
  ) {
    if (result.type === 'deny') return void writeResponse(res, result);
    applyAllow(core, res, result);
    if (result.authInfo !== undefined) {
      (req as IncomingMessage & { auth?: AuthInfo }).auth = result.authInfo;
    }
    return { authInfo: result.authInfo, body };
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const request = toAuthorizeRequest(req);
    const answer = core.handleMetadataRequest(request);
    if (answer) return void writeResponse(res, answer);
    if (req.method === 'OPTIONS') return void writeResponse(res, core.preflight(request));
    let body = (req as { body?: unknown }).body;
    if (core.needsBody && hasUnreadJsonBody(req)) {
      const read = await readJsonBody(req, { maxBodyBytes });
      if (!read.ok) return void writeResponse(res, read.response);
      body = read.body;
    }
    request.body = body;
    const decided = decide(core, request);
    return allow(req, res, decided instanceof Promise ? await decided : decided, body);
  }

  return function mcpAuthNode(req, res) {
    return handle(req, res).catch(() => void writeResponse(res, INTERNAL_ERROR));
  };
}
