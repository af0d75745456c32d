import { z } from 'zod';
import {
  type DecisionEvent,
  type DecisionListener,
  type DecisionReason,
  auditName,
  emitDecision,
} from './audit.js';
import { extractBearerToken } from './bearer-token.js';
import { createCors } from './cors.js';
import { authorizationServersOf } from './authorization-servers-of.js';
import {
  createJwtVerifier,
  JWT_VERIFIER_OPTION_NAMES,
  type JwtVerifierOptions,
} from './create-jwt-verifier.js';
import { assertKnownOptions } from './known-options.js';
import { checkTokenLifetime, DEFAULT_CLOCK_TOLERANCE } from './token-lifetime.js';
import { isMcpAuthError, McpAuthConfigError, type McpAuthErrorCode } from './errors.js';
import { headerValue } from './headers.js';
import { toMessage } from './json-body.js';
import {
  buildProtectedResourceMetadata,
  type ProtectedResourceMetadata,
  protectedResourceMetadataPath,
  ROOT_METADATA_PATH,
} from './protected-resource-metadata.js';
import {
  evaluateScopes,
  isPublicRequest,
  type McpOperation,
  operationsOf,
  policyNeedsBody,
  policyScopes,
  resourceKey,
  type ScopePolicy,
} from './scope-policy.js';
import {
  createSessionStore,
  type SessionStore,
  type SessionStoreOptions,
} from './session-binding.js';
import { ownsSession, sessionTicket, settleSession } from './session-step.js';
import type {
  AccessTokenVerifier,
  AuthInfo,
  AuthorizeRequest,
  AllowResult,
  AuthorizeResult,
  DenyBody,
  DenyResult,
  HeadersInit,
  PlainResponse,
  ResponseHead,
} from './types.js';
import { assertSecureUrl, isLoopbackHost } from './url.js';
import { buildChallenge } from './www-authenticate.js';
import { DECIDE, VERIFY_SYNC } from './core-brand.js';

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
  cors?: { allowedOrigins?: '*' | string[]; maxAge?: number };
  /**
   * Bind each `Mcp-Session-Id` to the owner (issuer + subject + client) whose request created
   * the session; an unknown or foreign session id gets the SDK's 404. Default `true`
   * (10 000 sessions, 32 per subject, 24 h sliding TTL). See {@link SessionStoreOptions}.
   */
  sessionBinding?: boolean | Omit<SessionStoreOptions, 'now'>;
  /** One event per `authorize` call; exceptions are ignored. */
  onDecision?: DecisionListener;
}

/**
 * The metadata documents and where they are served.
 * @example
 * ```ts
 * app.get(auth.metadata.path, (_req, res) => res.set(auth.metadata.headers).json(auth.metadata.document));
 * ```
 */
export interface McpAuthMetadata {
  /** The path-inserted document (`resource` = the configured resource). */
  document: ProtectedResourceMetadata;
  /** The root document (`resource` = `metadata.rootResource`, default the resource). */
  rootDocument: ProtectedResourceMetadata;
  /** Path-inserted path, e.g. `/.well-known/oauth-protected-resource/mcp`. */
  path: string;
  /** `/.well-known/oauth-protected-resource`. */
  rootPath: string;
  /** Absolute URL of the path-inserted document (the challenge's `resource_metadata`). */
  url: string;
  /** Headers to serve the documents with (JSON, CORS open, cacheable). */
  headers: Readonly<Record<string, string>>;
}

/**
 * A request to the metadata or preflight handlers.
 * @example
 * ```ts
 * auth.handleMetadataRequest({ method: req.method, url: req.url, headers: req.headers });
 * ```
 */
export interface McpAuthRouteRequest {
  method: string;
  url: string | URL;
  headers: HeadersInit;
}

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
   * The same decision as {@link McpAuth.authorize}, returned synchronously when nothing has to
   * be awaited — no token, a malformed request, or a token the verifier answers from its cache
   * with a synchronous hash (what the Node adapters inject) — and as a Promise otherwise.
   * Adapters use it to skip the promise and microtask turns of a cache hit. Never throws nor
   * rejects.
   *
   * @example
   * ```ts
   * const r = auth.decide(request);
   * const result = r instanceof Promise ? await r : r;
   * ```
   */
  decide(request: AuthorizeRequest): AuthorizeResult | Promise<AuthorizeResult>;
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
   * Tells the core how the application answered an allowed request, when the response head is
   * known and before it reaches the client (Node: at `writeHead`; fetch-style hosts: after the
   * handler). Binds a session the response created (a new `Mcp-Session-Id` on a request that
   * had none) to the token's owner, and ends a binding only when the application answered its
   * `DELETE` with a 2xx. Call it once per allow result, also when the request ends without a
   * response (`status` 0) so a reserved session slot is given back; later calls do nothing.
   * Adapters do this for you.
   *
   * @example
   * ```ts
   * auth.onResponse(result, { status: res.statusCode, sessionId: res.getHeader('mcp-session-id') });
   * ```
   */
  onResponse(result: AllowResult, response: ResponseHead): void;
}

// ---------------------------------------------------------------------------------------
// Option validation

const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const scopeToken = z.string().regex(SCOPE, { message: 'must contain valid scope tokens' });
const requirement = z.union([
  scopeToken,
  z.array(scopeToken),
  z.strictObject({ allOf: z.array(scopeToken).optional(), anyOf: z.array(scopeToken).optional() }),
]);
const policySchema = z.strictObject({
  baseline: requirement.optional(),
  methods: z.record(z.string(), requirement).optional(),
  tools: z.record(z.string(), requirement).optional(),
  prompts: z.record(z.string(), requirement).optional(),
  resources: z.record(z.string(), requirement).optional(),
  implies: z.record(scopeToken, z.array(scopeToken)).optional(),
  publicMethods: z.array(z.string().min(1)).optional(),
  denyUnnamedTools: z.boolean().optional(),
});
const isFunction = (v: unknown) => typeof v === 'function';
const positiveInt = z.number().int().positive();

const optionsSchema = z.strictObject({
  resource: z.string({ message: 'must be a URL string' }),
  issuer: z.string({ message: 'must be a URL string' }).optional(),
  verifier: z
    .custom<AccessTokenVerifier>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as { verifyAccessToken?: unknown }).verifyAccessToken === 'function',
      { message: 'must be an object with a verifyAccessToken(token) method' },
    )
    .optional(),
  jwt: z.looseObject({}).optional(),
  authorizationServers: z
    .array(z.string())
    .min(1, { message: 'must list at least one authorization server' })
    .optional(),
  policy: policySchema.optional(),
  scopesSupported: z.array(scopeToken).optional(),
  resourceName: z.string().optional(),
  metadata: z.looseObject({ rootResource: z.string().optional() }).optional(),
  challengeScopes: z.enum(['required-and-granted', 'required']).optional(),
  maxTokenLength: positiveInt.max(1_048_576).optional(),
  cors: z
    .strictObject({
      allowedOrigins: z
        .union([
          z.literal('*'),
          z.array(
            z.string().refine((o) => o === 'loopback' || isHttpOrigin(o), {
              message:
                "must be '*' or a list of http(s) origins (https://app.example) and 'loopback'",
            }),
          ),
        ])
        .optional(),
      maxAge: z.number().int().nonnegative().optional(),
    })
    .optional(),
  sessionBinding: z
    .union([
      z.boolean(),
      z.strictObject({
        maxSessions: positiveInt.optional(),
        maxSessionsPerSubject: positiveInt.optional(),
        onSubjectLimit: z.enum(['refuse', 'replace-oldest']).optional(),
        onSessionEnd: z
          .custom<(sessionId: string) => void>(isFunction, { message: 'must be a function' })
          .optional(),
        ttlMs: positiveInt.optional(),
      }),
    ])
    .optional(),
  onDecision: z.custom<DecisionListener>(isFunction, { message: 'must be a function' }).optional(),
});

/** An `http:` or `https:` URL with a real origin (never the opaque `null` origin). */
function isHttpOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin !== 'null';
}

const TOP_LEVEL_OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(optionsSchema.shape));

function configError(error: z.ZodError): McpAuthConfigError {
  const issue = error.issues[0] as z.core.$ZodIssue;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] as string;
    if (issue.path.length === 0) {
      // The same words, and the same "did you mean", as for a nested option.
      try {
        assertKnownOptions({ [key]: undefined }, TOP_LEVEL_OPTION_NAMES);
      } catch (error) {
        return error as McpAuthConfigError;
      }
    }
    return new McpAuthConfigError(`${issue.path.join('.')}.${key}`, 'is not a known option');
  }
  const option = issue.path.length > 0 ? issue.path.map(String).join('.') : 'options';
  const rule = issue.message.startsWith('must') ? issue.message : `is invalid: ${issue.message}`;
  return new McpAuthConfigError(option, rule);
}

function validateResource(option: string, value: string): URL {
  const url = assertSecureUrl(option, value);
  if (value.includes('#')) throw new McpAuthConfigError(option, 'must not have a fragment');
  if (value.includes('?')) throw new McpAuthConfigError(option, 'must not have a query');
  return url;
}

// ---------------------------------------------------------------------------------------

const EXCLUDED_FROM_CHALLENGE = new Set(['offline_access', 'openid']);
/** `jwt` takes the JWT verifier's options except the two `createMcpAuth` sets itself. */
const JWT_OPTION_NAMES: ReadonlySet<string> = new Set(
  [...JWT_VERIFIER_OPTION_NAMES].filter((name) => name !== 'issuer' && name !== 'resource'),
);
const JSON_HEADERS = Object.freeze({
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
});
const PRM_PREFLIGHT_HEADERS = Object.freeze({
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, MCP-Protocol-Version',
  'Access-Control-Max-Age': '7200',
});
const PRM_ERROR_HEADERS = Object.freeze({
  'Content-Type': 'application/json',
  'Access-Control-Allow-Origin': '*',
});
const CHALLENGE_CACHE_LIMIT = 512;
const INVALID_TOKEN = 'The access token is invalid';
const EXPIRED = 'The access token has expired';

/**
 * JSON-RPC error code for a body that cannot be parsed.
 * @example
 * ```ts
 * if (result.type === 'deny' && 'jsonrpc' in result.body && result.body.error.code === JSONRPC_PARSE_ERROR) { ... }
 * ```
 */
export const JSONRPC_PARSE_ERROR = -32700;
/**
 * JSON-RPC error code (MCP 2026-07-28) for `Mcp-Method`/`Mcp-Name` headers that disagree with the body.
 * @example
 * ```ts
 * if (result.type === 'deny' && 'jsonrpc' in result.body && result.body.error.code === JSONRPC_HEADER_MISMATCH) { ... }
 * ```
 */
export const JSONRPC_HEADER_MISMATCH = -32020;

interface Operations {
  ops: readonly McpOperation[];
  /** False when the body holds anything but requests (a JSON-RPC response, a non-object). */
  onlyRequests: boolean;
  error?: { code: McpAuthErrorCode; rpc: number; message: string };
}

const NO_OPERATIONS: Operations = Object.freeze({ ops: Object.freeze([]), onlyRequests: true });

/** The SDK transport's answer for an unknown session; also given for someone else's session. */
const SESSION_NOT_FOUND: DenyBody = Object.freeze({
  jsonrpc: '2.0',
  id: null,
  error: Object.freeze({ code: -32001, message: 'Session not found' }),
}) as DenyBody;
const SESSION_RETRY_AFTER = '30';

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
  if (typeof options !== 'object' || options === null) {
    throw new McpAuthConfigError('options', 'must be an object');
  }
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw configError(parsed.error);
  const o = options;
  const resourceUrl = validateResource('resource', o.resource);
  if (o.verifier === undefined && o.issuer === undefined) {
    throw new McpAuthConfigError('issuer', 'is required unless a verifier is given');
  }
  // Nested options are refused like top-level ones, named with their path.
  if (o.jwt !== undefined) assertKnownOptions(o.jwt, JWT_OPTION_NAMES, 'jwt.');
  if (o.verifier !== undefined && o.jwt !== undefined) {
    throw new McpAuthConfigError('jwt', 'cannot be combined with verifier');
  }
  if (o.issuer !== undefined) assertSecureUrl('issuer', o.issuer);
  const verifierServers = authorizationServersOf(o.verifier);
  const authorizationServers =
    o.authorizationServers ??
    (o.issuer !== undefined
      ? [o.issuer]
      : verifierServers.length > 0
        ? verifierServers
        : undefined);
  if (authorizationServers === undefined) {
    throw new McpAuthConfigError(
      'authorizationServers',
      'must list at least one authorization server when no issuer is given',
    );
  }
  authorizationServers.forEach((a, i) => {
    assertSecureUrl(`authorizationServers[${i}]`, a);
  });
  const policy: ScopePolicy = o.policy ?? {};
  const mentioned = policyScopes(policy);
  if (mentioned.includes('offline_access')) {
    throw new McpAuthConfigError('policy', 'must not require offline_access');
  }
  const { rootResource, ...extraMetadata } = o.metadata ?? {};
  if (rootResource !== undefined) validateResource('metadata.rootResource', rootResource);

  const document = freezeDocument(
    buildProtectedResourceMetadata({
      resource: o.resource,
      authorizationServers,
      scopesSupported: o.scopesSupported ?? mentioned,
      ...(o.resourceName === undefined ? {} : { resourceName: o.resourceName }),
      extra: extraMetadata,
    }),
  );
  const rootDocument =
    rootResource === undefined || rootResource === o.resource
      ? document
      : freezeDocument({ ...document, resource: rootResource });
  const path = protectedResourceMetadataPath(resourceUrl);
  const metadataUrl = `${resourceUrl.origin}${path}`;
  const metadataHeaders = Object.freeze({
    'Content-Type': 'application/json',
    'Access-Control-Allow-Origin': '*',
    'Cache-Control': 'public, max-age=3600',
  });
  const metadata: McpAuthMetadata = Object.freeze({
    document,
    rootDocument,
    path,
    rootPath: ROOT_METADATA_PATH,
    url: metadataUrl,
    headers: metadataHeaders,
  });

  const verifier: AccessTokenVerifier =
    o.verifier ??
    createJwtVerifier({
      ...(o.jwt as Omit<JwtVerifierOptions, 'issuer' | 'resource'> | undefined),
      issuer: o.issuer as string,
      resource: o.resource,
    });
  /** The verifier's synchronous cache answer, bound once (`undefined` when it has none). */
  const verifySync = (verifier as { [VERIFY_SYNC]?: (token: string) => AuthInfo | undefined })[
    VERIFY_SYNC
  ];
  const checkExpiry = verifier.checksLifetime !== true;
  const expiryTolerance =
    typeof verifier.clockTolerance === 'number' && verifier.clockTolerance >= 0
      ? verifier.clockTolerance
      : DEFAULT_CLOCK_TOLERANCE;
  // With session binding the core must see whether a POST is an `initialize` (room is reserved
  // for it before the application runs), so the body is read whatever the policy needs.
  const needsBody = policyNeedsBody(policy) || o.sessionBinding !== false;
  const supported = new Set(
    (document.scopes_supported ?? []).filter((s) => !EXCLUDED_FROM_CHALLENGE.has(s)),
  );
  const grantedInChallenge =
    (o.challengeScopes ?? 'required-and-granted') === 'required-and-granted';
  const maxLength = o.maxTokenLength;
  const cors = createCors({
    ...o.cors,
    allowedOrigins:
      o.cors?.allowedOrigins ?? (isLoopbackHost(resourceUrl.hostname) ? ['loopback'] : '*'),
  });
  const sessions: SessionStore | undefined =
    o.sessionBinding === false
      ? undefined
      : createSessionStore(typeof o.sessionBinding === 'object' ? o.sessionBinding : {});
  if (
    typeof o.sessionBinding === 'object' &&
    o.sessionBinding.onSubjectLimit === 'replace-oldest' &&
    o.sessionBinding.onSessionEnd === undefined
  ) {
    throw new McpAuthConfigError(
      'sessionBinding.onSessionEnd',
      "is required with onSubjectLimit: 'replace-oldest' (close the replaced session's transport there, or the application keeps it forever)",
    );
  }
  if (sessions !== undefined && policy.publicMethods?.includes('initialize')) {
    throw new McpAuthConfigError(
      'policy.publicMethods',
      'must not contain initialize while sessionBinding is on (a session needs an owner); set sessionBinding: false for a server without sessions',
    );
  }
  const onDecision = o.onDecision;

  // Challenge strings, computed once per distinct (error, description, scope).
  const challenges = new Map<string, string>();
  const challenge = (
    error: string | undefined,
    description: string | undefined,
    scope: string[],
  ) => {
    const key = `${error ?? ''}\u0000${description ?? ''}\u0000${scope.join(' ')}`;
    let value = challenges.get(key);
    if (value === undefined) {
      value = buildChallenge({
        ...(error === undefined ? {} : { error }),
        ...(description === undefined ? {} : { errorDescription: description }),
        resourceMetadata: metadataUrl,
        scope,
      });
      if (challenges.size >= CHALLENGE_CACHE_LIMIT) challenges.clear();
      challenges.set(key, value);
    }
    return value;
  };
  challenge(undefined, undefined, evaluateScopes(policy, [], undefined).required);

  function readOperations(request: AuthorizeRequest, httpMethod: string): Operations {
    if (httpMethod !== 'POST') return NO_OPERATIONS;
    const mcpMethod = headerValue(request.headers, 'mcp-method');
    const mcpName = headerValue(request.headers, 'mcp-name');
    const body = request.body;
    if (body === undefined) {
      // Fail closed: headers alone are client claims the body could contradict, so a policy
      // that needs the body never decides without it. Otherwise they only inform the audit.
      if (needsBody) return parseError('Request body is required');
      // Unknown content: never public, whatever the headers claim.
      return mcpMethod === undefined
        ? { ops: [], onlyRequests: false }
        : {
            ops: [
              mcpName === undefined ? { method: mcpMethod } : { method: mcpMethod, name: mcpName },
            ],
            onlyRequests: false,
          };
    }
    const message = toMessage(body);
    if (message === undefined) {
      return needsBody
        ? parseError('Request body is not valid JSON')
        : { ops: [], onlyRequests: false };
    }
    const ops = operationsOf(message);
    const onlyRequests = ops.length === (Array.isArray(message) ? message.length : 1);
    if (mcpMethod !== undefined || mcpName !== undefined) {
      const mismatch =
        ops.length === 0 ||
        ops.some(
          (op) =>
            (mcpMethod !== undefined && op.method !== mcpMethod) ||
            (mcpName !== undefined &&
              op.name !== undefined &&
              op.ref === undefined && // Mcp-Name names no completion target
              op.name !== (op.method.startsWith('resources/') ? resourceKey(mcpName) : mcpName)),
        );
      if (mismatch) {
        return {
          ops,
          onlyRequests,
          error: {
            code: 'jsonrpc_header_mismatch',
            rpc: JSONRPC_HEADER_MISMATCH,
            message: 'Header mismatch: Mcp-Method/Mcp-Name do not match the request body',
          },
        };
      }
    }
    return { ops, onlyRequests };
  }

  /** Per-request state; the audit event is only built when someone listens. */
  interface Decision {
    started: number;
    cors: Record<string, string>;
    event: DecisionEvent | undefined;
  }

  function finish<T extends AuthorizeResult>(d: Decision, result: T): T {
    const { event } = d;
    if (event !== undefined) {
      event.outcome = result.type;
      event.status = result.type === 'deny' ? result.status : 200;
      event.durationMs = performance.now() - d.started;
      emitDecision(onDecision, event);
    }
    return result;
  }

  function deny(
    d: Decision,
    status: number,
    reason: DecisionReason,
    body: DenyBody,
    extraHeaders?: Record<string, string>,
  ): DenyResult {
    if (d.event !== undefined) {
      d.event.reason = reason;
      if ('error_description' in body) d.event.description = body.error_description;
    }
    return finish(d, {
      type: 'deny',
      status,
      // Object.assign, not spread: spreading these header records is ~20× slower in V8.
      headers: Object.assign({}, extraHeaders, JSON_HEADERS, d.cors),
      body,
    });
  }

  function oauthDeny(
    d: Decision,
    status: number,
    code: McpAuthErrorCode,
    description: string,
    wwwAuthenticate: string | undefined,
    extra?: Record<string, string>,
  ): DenyResult {
    return deny(
      d,
      status,
      code,
      { error: code, error_description: description },
      wwwAuthenticate === undefined
        ? extra
        : Object.assign({}, extra, { 'WWW-Authenticate': wwwAuthenticate }),
    );
  }

  /** 401 `invalid_token` (or 503 when the key set is unavailable) for a failed verification. */
  function rejectToken(d: Decision, failure: unknown, required: string[]): DenyResult {
    if (isMcpAuthError(failure) && failure.status === 503) {
      const retryAfter = String(Math.max(1, Math.ceil(failure.retryAfter ?? 30)));
      return oauthDeny(
        d,
        503,
        failure.code,
        safeDescription(failure.message, 'Authorization service unavailable'),
        undefined,
        { 'Retry-After': retryAfter },
      );
    }
    // Only an McpAuthError's message is known to be safe to send; anything else is generic.
    const description = isMcpAuthError(failure)
      ? safeDescription(failure.message, INVALID_TOKEN)
      : INVALID_TOKEN;
    return oauthDeny(
      d,
      401,
      'invalid_token',
      description,
      challenge('invalid_token', description, required),
    );
  }

  /**
   * Decides synchronously up to the token check; the verification is synchronous too when the
   * verifier can answer from its cache (`verifyAccessTokenSync`), otherwise the rest of the
   * decision waits for it.
   */
  function decide(request: AuthorizeRequest): AuthorizeResult | Promise<AuthorizeResult> {
    const started = onDecision === undefined ? 0 : performance.now();
    const httpMethod = String(request.method).toUpperCase();
    const origin = headerValue(request.headers, 'origin');
    const event: DecisionEvent | undefined =
      onDecision === undefined
        ? undefined
        : {
            outcome: 'deny',
            reason: 'missing_credentials',
            status: 401,
            resource: o.resource,
            httpMethod,
            methods: [],
            tools: [],
            requiredScopes: [],
            missingScopes: [],
            durationMs: 0,
            timestamp: Date.now(),
          };
    const d: Decision = { started, cors: cors.responseHeaders(origin), event };

    if (!cors.isAllowed(origin)) {
      return oauthDeny(
        d,
        403,
        'invalid_origin',
        'Origin not allowed',
        challenge(undefined, undefined, []),
      );
    }

    const bearer = extractBearerToken(
      { headers: request.headers, url: request.url, body: request.body },
      maxLength === undefined ? {} : { maxLength },
    );
    if (bearer.kind === 'invalid') {
      return oauthDeny(
        d,
        400,
        'invalid_request',
        bearer.description,
        challenge('invalid_request', bearer.description, []),
      );
    }

    const { ops, onlyRequests, error } = readOperations(request, httpMethod);
    if (event !== undefined) {
      for (const op of ops) {
        event.methods.push(auditName(op.method));
        if (op.method === 'tools/call' && op.name !== undefined)
          event.tools.push(auditName(op.name));
      }
      if (event.tools[0] !== undefined) event.tool = event.tools[0];
    }
    // Without credentials the answer is the 401 challenge, whatever the body: a client must
    // authenticate first, and a token sent only in a form body is "no credentials" (RFC 6750).
    if (error !== undefined && bearer.kind !== 'none') {
      return deny(d, 400, error.code, {
        jsonrpc: '2.0',
        id: null,
        error: { code: error.rpc, message: error.message },
      });
    }

    if (bearer.kind === 'none') {
      // Public only when every item is a request for a public method, and never on a session:
      // a JSON-RPC response (an elicitation or sampling result) or a session id needs a token.
      if (
        error === undefined &&
        onlyRequests &&
        isPublicRequest(policy, ops) &&
        headerValue(request.headers, 'mcp-session-id') === undefined
      ) {
        if (event !== undefined) event.reason = 'public_method';
        return finish(d, { type: 'allow', headers: d.cors });
      }
      const { required } = evaluateScopes(policy, ops, undefined);
      if (event !== undefined) event.requiredScopes = required;
      return oauthDeny(
        d,
        401,
        'missing_credentials',
        'Authorization required',
        challenge(undefined, undefined, required),
      );
    }

    let authInfo: AuthInfo | undefined;
    let pending: Promise<AuthInfo> | undefined;
    let failure: unknown;
    try {
      authInfo = verifySync?.(bearer.token);
      if (authInfo === undefined)
        pending = Promise.resolve(verifier.verifyAccessToken(bearer.token));
    } catch (e) {
      failure = e;
    }
    if (pending === undefined) return conclude(d, request, httpMethod, ops, authInfo, failure);
    return pending.then(
      (info) => conclude(d, request, httpMethod, ops, info, undefined),
      (e: unknown) => conclude(d, request, httpMethod, ops, undefined, e),
    );
  }

  /** The decision once the token was verified (`authInfo`) or refused (`failure`). */
  function conclude(
    d: Decision,
    request: AuthorizeRequest,
    httpMethod: string,
    ops: readonly McpOperation[],
    authInfo: AuthInfo | undefined,
    failure: unknown,
  ): AuthorizeResult {
    // A custom verifier might not check `exp`; an expired token must not get in. The built-in
    // verifiers apply the same rule themselves (`checksLifetime`), with their tolerance, and are
    // not judged a second time with another one.
    const expired =
      checkExpiry &&
      typeof authInfo === 'object' &&
      authInfo !== null &&
      authInfo.expiresAt !== undefined &&
      checkTokenLifetime({ exp: authInfo.expiresAt }, expiryTolerance) !== undefined;
    if (typeof authInfo !== 'object' || authInfo === null || expired) {
      const { required } = evaluateScopes(policy, ops, undefined);
      if (d.event !== undefined) d.event.requiredScopes = required;
      if (!expired) return rejectToken(d, failure, required);
      return oauthDeny(
        d,
        401,
        'invalid_token',
        EXPIRED,
        challenge('invalid_token', EXPIRED, required),
      );
    }

    const granted = Array.isArray(authInfo.scopes) ? authInfo.scopes : [];
    const evaluation = evaluateScopes(policy, ops, granted);
    const { event } = d;
    if (event !== undefined) {
      const sub = authInfo.extra?.sub;
      if (typeof sub === 'string') event.sub = sub;
      if (authInfo.clientId !== '') event.clientId = authInfo.clientId;
      event.requiredScopes = evaluation.required;
      event.missingScopes = evaluation.missing;
      const dropped = authInfo.extra?.droppedScopes;
      if (Array.isArray(dropped) && dropped.length > 0) event.droppedScopes = dropped;
    }

    // Sessions fail closed: a session id must be bound to this token's owner. Unknown, expired
    // and foreign ids get the same 404 as the SDK gives an unknown session, so nothing tells
    // them apart, and no id is ever adopted.
    const sessionId =
      sessions === undefined ? undefined : headerValue(request.headers, 'mcp-session-id');
    if (sessionId !== undefined && !ownsSession(sessions as SessionStore, sessionId, authInfo)) {
      return deny(d, 404, 'session_not_found', SESSION_NOT_FOUND);
    }

    if (evaluation.unnamedTool !== undefined || evaluation.missing.length > 0) {
      const scope = [...evaluation.required];
      if (grantedInChallenge) {
        for (const s of granted) if (supported.has(s) && !scope.includes(s)) scope.push(s);
      }
      const description =
        evaluation.unnamedTool !== undefined
          ? `Tool ${auditName(evaluation.unnamedTool).slice(0, 64)} is not available`
          : `Missing required scope: ${evaluation.missing.join(' ')}`;
      return oauthDeny(
        d,
        403,
        'insufficient_scope',
        description,
        challenge('insufficient_scope', description, scope),
      );
    }

    const session =
      sessions === undefined
        ? undefined
        : sessionTicket(
            sessions,
            { sessionId, httpMethod, initialize: ops.some((op) => op.method === 'initialize') },
            authInfo,
          );
    if (session === 'no_owner') {
      return oauthDeny(
        d,
        403,
        'session_forbidden',
        'The access token names neither a subject nor a client, so it cannot open a session',
        undefined,
      );
    }
    if (session === 'full' || session === 'subject_full') {
      // A live binding is never evicted to make room: the application does not run.
      return oauthDeny(
        d,
        503,
        'session_limit',
        session === 'full'
          ? 'Too many open sessions; retry later'
          : 'Too many open sessions for this subject; end one (DELETE) or retry later',
        undefined,
        { 'Retry-After': SESSION_RETRY_AFTER },
      );
    }
    if (event !== undefined) event.reason = 'authorized';
    const allow: AllowResult = { type: 'allow', authInfo, headers: d.cors };
    if (session !== undefined) allow.session = session;
    return finish(d, allow);
  }

  /** The decision, never a thrown error nor a rejected promise. */
  function decideSafely(request: AuthorizeRequest): AuthorizeResult | Promise<AuthorizeResult> {
    let result: AuthorizeResult | Promise<AuthorizeResult>;
    try {
      result = decide(request);
    } catch {
      return unexpectedFailure();
    }
    return result instanceof Promise ? result.then(undefined, unexpectedFailure) : result;
  }

  /** Unreachable by design; a defensive, safe answer rather than a thrown error. */
  function unexpectedFailure(): DenyResult {
    const description = 'The request could not be authorized';
    return {
      type: 'deny',
      status: 401,
      headers: {
        ...JSON_HEADERS,
        'WWW-Authenticate': challenge('invalid_token', description, []),
      },
      body: { error: 'invalid_token', error_description: description },
    };
  }

  const core: McpAuth & { [DECIDE]?: typeof decideSafely } = {
    resource: o.resource,
    metadata,
    needsBody,
    sessionBinding: sessions !== undefined,
    authorize(request) {
      const result = decideSafely(request);
      return result instanceof Promise ? result : Promise.resolve(result);
    },
    decide: decideSafely,
    handleMetadataRequest(request): PlainResponse | undefined {
      const pathname = pathOf(request.url);
      if (pathname === undefined) return undefined;
      const doc =
        pathname === path ? document : pathname === ROOT_METADATA_PATH ? rootDocument : undefined;
      if (doc === undefined) {
        if (!pathname.startsWith(`${ROOT_METADATA_PATH}/`)) return undefined;
        return {
          status: 404,
          headers: { ...PRM_ERROR_HEADERS },
          body: { error: 'not_found', error_description: 'No protected resource metadata here' },
        };
      }
      const method = String(request.method).toUpperCase();
      if (method === 'GET')
        return { status: 200, headers: Object.assign({}, metadataHeaders), body: doc };
      if (method === 'HEAD') return { status: 200, headers: Object.assign({}, metadataHeaders) };
      if (method === 'OPTIONS')
        return { status: 204, headers: Object.assign({}, PRM_PREFLIGHT_HEADERS) };
      return {
        status: 405,
        headers: { Allow: 'GET, HEAD, OPTIONS', 'Access-Control-Allow-Origin': '*' },
      };
    },
    preflight(request) {
      return cors.preflight(headerValue(request.headers, 'origin'));
    },
    onResponse(result, response) {
      if (sessions !== undefined) settleSession(sessions, result, response);
    },
  };
  Object.defineProperty(core, DECIDE, { value: decideSafely });
  return core;
}

/** Freezes a metadata document and its lists, so no caller can alter what is served. */
function freezeDocument(doc: ProtectedResourceMetadata): ProtectedResourceMetadata {
  for (const value of Object.values(doc)) if (Array.isArray(value)) Object.freeze(value);
  return Object.freeze(doc);
}

function parseError(message: string): Operations {
  return {
    ops: [],
    onlyRequests: false,
    error: {
      code: 'jsonrpc_parse_error',
      rpc: JSONRPC_PARSE_ERROR,
      message: `Parse error: ${message}`,
    },
  };
}

function safeDescription(message: string, fallback: string): string {
  return typeof message === 'string' && message !== '' && message.length <= 200
    ? message
    : fallback;
}

function pathOf(url: string | URL): string | undefined {
  if (typeof url !== 'string') return url.pathname;
  if (url.startsWith('/')) {
    const end = url.search(/[?#]/);
    return end < 0 ? url : url.slice(0, end);
  }
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}
