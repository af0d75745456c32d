import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AuthInfo,
  createMcpAuth,
  type McpAuth,
  type McpAuthOptions,
} from '@org/mcp-auth-core';
import { applyAllow } from './apply-allow.js';
import { hasUnreadJsonBody, readJsonBody } from './read-json-body.js';
import { type ReadBodyOptions, resolveMaxBytes } from './read-raw-body.js';
import { toAuthorizeRequest } from './to-authorize-request.js';
import { withNodeTokenHash } from './with-node-token-hash.js';
import { writeResponse } from './write-response.js';

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
 * Resolves the options once (with {@link withNodeTokenHash}); the returned handler answers the
 * Protected Resource Metadata routes, the CORS preflight and every denial (400/401/403/413/503)
 * itself and resolves `undefined`; otherwise it sets the CORS headers, `req.auth` (what the MCP
 * SDK's transport reads), binds a new `Mcp-Session-Id` to the token's subject, and resolves
 * {@link NodeAuthorization}. Call it for the MCP endpoint's requests and the metadata paths.
 * `maxBytes` caps the JSON body read for the scope policy (default 4 MiB). Throws a
 * `TypeError` naming a bad option.
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
  auth: McpAuthOptions | McpAuth,
  options?: ReadBodyOptions,
): NodeHandler {
  const maxBytes = resolveMaxBytes(options, 'createNodeHandler');
  const core = 'authorize' in auth ? auth : createMcpAuth(withNodeTokenHash(auth));
  return async function mcpAuthNode(req, res) {
    const request = toAuthorizeRequest(req);
    const answer = core.handleMetadataRequest(request);
    if (answer) return void writeResponse(res, answer);
    if (req.method === 'OPTIONS') return void writeResponse(res, core.preflight(request));
    let body = (req as { body?: unknown }).body;
    if (core.needsBody && hasUnreadJsonBody(req)) {
      const read = await readJsonBody(req, { maxBytes });
      if (!read.ok) return void writeResponse(res, read.response);
      body = read.body;
    }
    const result = await core.authorize({ ...request, body });
    if (result.type === 'deny') return void writeResponse(res, result);
    applyAllow(core, res, result);
    if (result.authInfo === undefined) return { authInfo: undefined, body };
    (req as IncomingMessage & { auth?: AuthInfo }).auth = result.authInfo;
    return { authInfo: result.authInfo, body };
  };
}
