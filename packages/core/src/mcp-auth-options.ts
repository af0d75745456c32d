import type { DecisionListener } from './audit.js';
import type { DpopOptions } from './dpop/dpop-options.js';
import type { JwtVerifierOptions } from './create-jwt-verifier.js';
import type { ScopePolicy } from './scope-policy.js';
import type { SessionStoreOptions } from './session-binding.js';
import type { StateStore } from './state-store.js';
import type { AccessTokenVerifier } from './types.js';
import type { McpAuthLogger } from './logger.js';

/**
 * Extra RFC 9728 fields for the metadata document, plus where the root document points.
 * @example
 * ```ts
 * createMcpAuth({ ...options, metadata: { rootResource: 'https://mcp.example.com', resource_documentation: 'https://docs.example.com' } });
 * ```
 */
export interface McpAuthMetadataOptions {
  /** `resource` of the root `/.well-known/oauth-protected-resource` document. Default `resource`. */
  rootResource?: string;
  resource_documentation?: string;
  resource_policy_uri?: string;
  resource_tos_uri?: string;
  [field: string]: unknown;
}

/**
 * Options of {@link createMcpAuth}. Validated once, at construction.
 * @example
 * ```ts
 * const options: McpAuthOptions = {
 *   resource: 'https://mcp.example.com/mcp',
 *   issuer: 'https://auth.example.com',
 *   policy: { tools: { add_todo: 'todo:write' } },
 * };
 * ```
 */
export interface McpAuthOptions {
  /** Canonical resource URI of this MCP server: PRM `resource` and the token `aud`. https (http for loopback), no query or fragment. */
  resource: string;
  /** Authorization server issuer; builds a JWT verifier when `verifier` is absent. */
  issuer?: string;
  /** Any verifier (e.g. introspection); else `createJwtVerifier({ issuer, resource, ...jwt })`. */
  verifier?: AccessTokenVerifier;
  /** Options for the built-in JWT verifier. */
  jwt?: Omit<JwtVerifierOptions, 'issuer' | 'resource'>;
  /** PRM `authorization_servers`. Default `[issuer]`, else the `verifier`'s own list (multi-issuer, composite, introspection). */
  authorizationServers?: string[];
  /** Scope policy. Default: no scopes needed beyond a valid token. */
  policy?: ScopePolicy;
  /** PRM `scopes_supported`. Default: every scope the policy mentions. */
  scopesSupported?: string[];
  /** PRM `resource_name`. */
  resourceName?: string;
  /** More PRM fields and the root document's `resource`. */
  metadata?: McpAuthMetadataOptions;
  /** Scopes a 403 challenge names: the operation's plus the token's granted ones (default), or the operation's only. */
  challengeScopes?: 'required-and-granted' | 'required';
  /** Longest accepted token in characters. Default 8192. */
  maxTokenLength?: number;
  /**
   * Origin validation and CORS for the MCP endpoint. `allowedOrigins` is `'*'` or a list of
   * exact origins, which may include `'loopback'` (any `http`/`https` origin on `localhost`,
   * `127.0.0.0/8` or `[::1]`, any port). A request whose `Origin` is not allowed gets 403.
   * Default: `['loopback']` when `resource` is a loopback URL (the DNS-rebinding defence the MCP
   * transport requires), else `'*'` (the bearer token is the protection there).
   */
  cors?: {
    allowedOrigins?: '*' | string[];
    /** `Access-Control-Max-Age` of the MCP endpoint's preflight, seconds (the header's unit). Default 7200. */
    maxAgeSeconds?: number;
  };
  /**
   * Bind each `Mcp-Session-Id` to the owner (issuer + subject + client) whose request created
   * the session; an unknown or foreign session id gets the SDK's 404. Default `true`
   * (10 000 sessions, 32 per subject, 24 h sliding TTL). See {@link SessionStoreOptions}.
   */
  sessionBinding?: boolean | Omit<SessionStoreOptions, 'now'>;
  /**
   * State shared by every instance of this server behind a load balancer, e.g.
   * `createRedisStore(…)` from `@org/mcp-auth-redis`. Default none: everything stays in this
   * process. With a store, each session binding is written to it before the session id reaches
   * the client (adapters hold the response head until then) and every later request on a
   * session is checked against it, on whichever instance it lands. When the store cannot
   * answer, the request gets 503 + `Retry-After` — never allowed — and a session that could not
   * be stored is ended (`sessionBinding.onSessionEnd`: set it to close the application's
   * transport). `maxSessions` and `maxSessionsPerSubject` stay per instance: each instance
   * counts the sessions it opened.
   */
  store?: StateStore;
  /** One event per `authorize` call; exceptions are ignored. */
  onDecision?: DecisionListener;
  /**
   * Where the core tells an operator what it cannot fix itself (pino, `console`, or any
   * `{ warn(message) }`): why requests get 503 (the authorization server's metadata or key set
   * cannot be loaded — which document, at which address, what was wrong), once per cause and
   * at most every 30 s while it lasts, and what `auth.ready()` found. Default none: the core
   * writes nothing. Never receives a token.
   */
  logger?: McpAuthLogger;
  /**
   * DPoP (RFC 9449): `mode` `'off'` (default), `'allowed'` (Bearer or DPoP) or `'required'`
   * (DPoP only); the proof `algorithms`, the `iat` window and the replay cache. See
   * {@link DpopOptions}.
   */
  dpop?: DpopOptions;
}
