import { DECIDE } from './core-brand.js';
import { createDecide } from './decide-request.js';
import { evaluateCompiled } from './evaluate-scopes.js';
import { headerValue } from './headers.js';
import type { McpAuthOptions } from './mcp-auth-options.js';
import {
  answerMetadata,
  type McpAuthMetadata,
  type McpAuthRouteRequest,
} from './metadata-routes.js';
import { type ReadyOptions, type ReadyReport, whenReady } from './ready.js';
import { resolveOptions } from './resolve-options.js';
import { createChallenges } from './respond.js';
import { settleSession } from './session-step.js';
import type {
  AllowResult,
  AuthorizeRequest,
  AuthorizeResult,
  PlainResponse,
  ResponseHead,
} from './types.js';

export type { McpAuthMetadataOptions, McpAuthOptions } from './mcp-auth-options.js';
export type { McpAuthMetadata, McpAuthRouteRequest } from './metadata-routes.js';

/**
 * The resource-server guard built by {@link createMcpAuth}.
 * @example
 * ```ts
 * const auth: McpAuth = createMcpAuth(options);
 * const result = await auth.authorize({ method, url, headers, body });
 * ```
 */
export interface McpAuth {
  /** The configured resource URI, as given. */
  readonly resource: string;
  /** The PRM documents, their paths and headers. */
  readonly metadata: McpAuthMetadata;
  /** True if the decision needs the JSON-RPC body: the policy reads it, or sessions are bound (adapters parse it only then). */
  readonly needsBody: boolean;
  /**
   * True when sessions are bound to their owner (`sessionBinding`, on by default): adapters
   * then report each allowed request's response head to {@link McpAuth.onResponse}; when false
   * they skip that per-request work.
   */
  readonly sessionBinding: boolean;
  /** Decides a request: allow with `authInfo` and CORS headers, or a complete denial. Never throws. */
  authorize(request: AuthorizeRequest): Promise<AuthorizeResult>;
  /**
   * PRM routes: GET/HEAD → 200 JSON, OPTIONS → 204 preflight, other methods → 405, other
   * `/.well-known/oauth-protected-resource/...` paths → 404; `undefined` when the path is not
   * a PRM path (let the app handle it). With several instances in one app, ask each and
   * prefer a non-404 answer.
   */
  handleMetadataRequest(request: McpAuthRouteRequest): PlainResponse | undefined;
  /** CORS preflight for the MCP endpoint: 204 with Allow-* headers (403 for a refused origin). No auth. */
  preflight(request: McpAuthRouteRequest): PlainResponse;
  /**
   * True when session bindings also go to a shared `store`: {@link McpAuth.onResponse} may then
   * answer a request that opens a session with a Promise, and adapters must hold that response's
   * head until it settles.
   */
  readonly sharedSessions: boolean;
  /**
   * Tells the core how the application answered an allowed request, when the response head is
   * known and before it reaches the client (Node: at `writeHead`; fetch-style hosts: after the
   * handler). Binds a session the response created (a new `Mcp-Session-Id` on a request that
   * had none) to the token's owner, and ends a binding only when the application answered its
   * `DELETE` with a 2xx. Call it once per allow result, also when the request ends without a
   * response (`status` 0) so a reserved session slot is given back; later calls do nothing.
   * Adapters do this for you.
   *
   * Returns `undefined` when the application's response may go out as it is. With a shared
   * `store` ({@link McpAuth.sharedSessions}) a response that opens a session gets a Promise
   * instead (never rejected): hold the head until it resolves — `undefined` once the binding is
   * stored, or the 503 + `Retry-After` to send instead of the application's response when it
   * could not be (the core has then ended the session through `sessionBinding.onSessionEnd`).
   *
   * @example
   * ```ts
   * const instead = await auth.onResponse(result, { status: res.statusCode, sessionId: res.getHeader('mcp-session-id') });
   * ```
   */
  onResponse(
    result: AllowResult,
    response: ResponseHead,
  ): PlainResponse | undefined | Promise<PlainResponse | undefined>;
  /**
   * Loads the authorization server's metadata and key set now, before the first request:
   * rejects with `McpAuthConfigError` naming the exact mismatch when the server answers with
   * something the options do not match (e.g. `metadata issuer 'http://localhost:9400/' does
   * not equal the configured issuer 'http://127.0.0.1:9400'`); a server that cannot be
   * reached yet is retried until `timeoutMs` (default 15 s) and reported, not thrown, so a
   * server may start before its authorization server. Optional: without it the first request
   * loads the keys.
   *
   * @example
   * ```ts
   * const report = await auth.ready(); // throws McpAuthConfigError on a mismatch
   * if (!report.ready) console.warn(report.problems.join('\n'));
   * ```
   */
  ready(options?: ReadyOptions): Promise<ReadyReport>;
}

/**
 * Builds the resource-server guard for one MCP endpoint: options validated and everything
 * constant (metadata, challenges, headers) computed once. `authorize` extracts the bearer
 * token, reads the operation, verifies the token, checks session binding and scopes, and
 * returns `{ type: 'allow', authInfo, headers }` or `{ type: 'deny', status, headers, body }`.
 *
 * @throws McpAuthConfigError (a `TypeError`) naming the option for any configuration mistake.
 * @see RFC 6750, RFC 9728, RFC 9068, MCP authorization
 * @example
 * ```ts
 * const auth = createMcpAuth({
 *   resource: 'https://mcp.example.com/mcp',
 *   issuer: 'https://auth.example.com',
 *   policy: { tools: { list_todos: 'todo:read', add_todo: 'todo:write' } },
 * });
 * const result = await auth.authorize({ method: 'POST', url: '/mcp', headers, body });
 * if (result.type === 'deny') return send(result.status, result.headers, result.body);
 * handle(result.authInfo);
 * ```
 */
export function createMcpAuth(options: McpAuthOptions): McpAuth {
  const config = resolveOptions(options);
  const { metadata, sessions, sharedSessions, cors } = config;
  const challenge = createChallenges(metadata.url, config.dpop);
  const dpopChallenge =
    config.dpop === undefined ? challenge : createChallenges(metadata.url, config.dpop, true);
  // The first 401 is the most frequent answer: its challenge is computed now.
  challenge(undefined, undefined, evaluateCompiled(config.policy, [], undefined).required);
  const decide = createDecide(config, { bearer: challenge, dpop: dpopChallenge });
  const core: McpAuth = {
    resource: config.resource,
    metadata,
    needsBody: config.needsBody,
    sessionBinding: sessions !== undefined,
    sharedSessions: sharedSessions !== undefined,
    authorize(request) {
      const result = decide(request);
      return result instanceof Promise ? result : Promise.resolve(result);
    },
    handleMetadataRequest: (request) => answerMetadata(metadata, request),
    preflight: (request) => cors.preflight(headerValue(request.headers, 'origin')),
    onResponse(result, response) {
      return sessions === undefined
        ? undefined
        : settleSession(sessions, sharedSessions, result, response);
    },
    ready: (readyOptions) => whenReady(config.verifier, config.logger, readyOptions),
  };
  // The adapter tier's synchronous decision (`decide` in `@org/mcp-auth-core/adapter`).
  Object.defineProperty(core, DECIDE, { value: decide });
  return core;
}
