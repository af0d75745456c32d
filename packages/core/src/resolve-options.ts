import type { DecisionListener } from './audit.js';
import { authorizationServersOf } from './authorization-servers-of.js';
import { VERIFY_SYNC } from './core-brand.js';
import { type Cors, createCors } from './cors.js';
import { createJwtVerifier, type JwtVerifierOptions } from './create-jwt-verifier.js';
import { type ResolvedDpop, resolveDpopOptions } from './dpop/dpop-options.js';
import { McpAuthConfigError } from './errors.js';
import { assertKnownNames, checkOptionValues } from './check-mcp-auth-options.js';
import { createOutageReporter, type McpAuthLogger } from './logger.js';
import type { McpAuthOptions } from './mcp-auth-options.js';
import { type McpAuthMetadata, buildMetadata } from './metadata-routes.js';
import { type CompiledPolicy, compilePolicy, policyScopes } from './scope-policy.js';
import {
  createSessionStore,
  DEFAULT_SESSION_TTL_MS,
  type SessionStore,
} from './session-binding.js';
import type { SharedSessions } from './session-step.js';
import { DEFAULT_CLOCK_TOLERANCE_MS } from './token-lifetime.js';
import type { AccessTokenVerifier, AuthInfo } from './types.js';
import { assertSecureUrl, isLoopbackHost } from './url.js';

/**
 * Everything `createMcpAuth` derives from its options, validated once: what the request
 * pipeline's stages read. Never changes after construction.
 */
export interface McpAuthConfig {
  readonly resource: string;
  readonly policy: CompiledPolicy;
  readonly verifier: AccessTokenVerifier;
  /** The verifier's synchronous cache answer (`undefined` when it has none). */
  readonly verifySync: ((token: string) => AuthInfo | undefined) | undefined;
  /** True when the verifier does not apply the lifetime rule itself (a custom verifier). */
  readonly checkExpiry: boolean;
  readonly expiryToleranceMs: number;
  /** The decision reads the JSON-RPC body: the policy needs it, or sessions are bound. */
  readonly needsBody: boolean;
  readonly cors: Cors;
  readonly sessions: SessionStore | undefined;
  /** Bindings in the shared `store` as well (set only with a `store` and session binding on). */
  readonly sharedSessions: SharedSessions | undefined;
  /** A 403 challenge also names the granted scopes that are in this set. */
  readonly grantedInChallenge: ReadonlySet<string> | undefined;
  readonly maxTokenLength: number | undefined;
  readonly onDecision: DecisionListener | undefined;
  readonly metadata: McpAuthMetadata;
  readonly logger: McpAuthLogger | undefined;
  /** Describes the cause of a 503 (and tells the logger, once per cause and 30 s). */
  readonly reportOutage: (failure: unknown) => string;
  /** DPoP when on (`allowed` or `required`); `undefined` when off. */
  readonly dpop: ResolvedDpop | undefined;
  /** Scheme and authority of `resource`: what a proof's `htu` starts with. */
  readonly resourceOrigin: string;
}

/** Never named in a challenge: a client asks for them itself when it wants them. */
const EXCLUDED_FROM_CHALLENGE = new Set(['offline_access', 'openid']);

/** The resource (or root resource) as a URL: https (http on loopback), no fragment or query. */
function validateResource(option: string, value: string): URL {
  const url = assertSecureUrl(option, value);
  if (value.includes('#')) throw new McpAuthConfigError(option, 'must not have a fragment');
  if (value.includes('?')) throw new McpAuthConfigError(option, 'must not have a query');
  return url;
}

/** PRM `authorization_servers`: as configured, else `[issuer]`, else the verifier's own list. */
function resolveAuthorizationServers(o: McpAuthOptions): string[] {
  const fromVerifier = authorizationServersOf(o.verifier);
  const servers =
    o.authorizationServers ??
    (o.issuer !== undefined ? [o.issuer] : fromVerifier.length > 0 ? fromVerifier : undefined);
  if (servers === undefined) {
    throw new McpAuthConfigError(
      'authorizationServers',
      'must list at least one authorization server when no issuer is given',
    );
  }
  servers.forEach((a, i) => {
    assertSecureUrl(`authorizationServers[${i}]`, a);
  });
  return servers;
}

function resolveVerifier(o: McpAuthOptions, dpop: boolean): AccessTokenVerifier {
  if (o.verifier !== undefined && o.jwt !== undefined) {
    throw new McpAuthConfigError('jwt', 'cannot be combined with verifier');
  }
  if (o.verifier !== undefined) return o.verifier;
  if (o.issuer === undefined) {
    throw new McpAuthConfigError('issuer', 'is required unless a verifier is given');
  }
  assertSecureUrl('issuer', o.issuer);
  return createJwtVerifier({
    // One token-length limit for the endpoint: the verifier takes the top-level one unless
    // `jwt.maxTokenLength` says otherwise.
    ...(o.maxTokenLength === undefined ? {} : { maxTokenLength: o.maxTokenLength }),
    ...(o.jwt as Omit<JwtVerifierOptions, 'issuer' | 'resource'> | undefined),
    // With DPoP on, bound tokens reach the decision, which checks each request's proof.
    ...(dpop ? { acceptBoundTokens: true } : {}),
    issuer: o.issuer,
    resource: o.resource,
  });
}

function resolveSessions(o: McpAuthOptions, policy: CompiledPolicy): SessionStore | undefined {
  const binding = o.sessionBinding;
  if (binding === false) return undefined;
  if (typeof binding === 'object' && binding.onSubjectLimit === 'replace-oldest') {
    if (binding.onSessionEnd === undefined) {
      throw new McpAuthConfigError(
        'sessionBinding.onSessionEnd',
        "is required with onSubjectLimit: 'replace-oldest' (close the replaced session's transport there, or the application keeps it forever)",
      );
    }
  }
  if (policy.publicMethods.has('initialize')) {
    throw new McpAuthConfigError(
      'policy.publicMethods',
      'must not contain initialize while sessionBinding is on (a session needs an owner); set sessionBinding: false for a server without sessions',
    );
  }
  return createSessionStore(typeof binding === 'object' ? binding : {});
}

/**
 * Validates `createMcpAuth`'s options and derives everything constant from them: the
 * compiled policy, the verifier, the metadata documents, CORS, the session store.
 * Throws `McpAuthConfigError` (a `TypeError`) naming the first bad option.
 */
export function resolveOptions(options: McpAuthOptions): McpAuthConfig {
  if (typeof options !== 'object' || options === null) {
    throw new McpAuthConfigError('options', 'must be an object');
  }
  assertKnownNames(options);
  checkOptionValues(options as unknown as Record<string, unknown>);
  const o = options;
  const resourceUrl = validateResource('resource', o.resource);
  const policySource = o.policy ?? {}; // one object, so it is compiled once
  const policy = compilePolicy(policySource);
  const mentioned = policyScopes(policySource);
  if (policy.initial.includes('offline_access')) {
    throw new McpAuthConfigError(
      'policy.initialScopes',
      'must not contain offline_access (a client adds it itself when it wants a refresh token)',
    );
  }
  if (mentioned.includes('offline_access')) {
    throw new McpAuthConfigError('policy', 'must not require offline_access');
  }
  // A shared store also remembers DPoP proofs, so a proof replayed on another instance is caught.
  const dpop = resolveDpopOptions(o.dpop, o.store);
  const verifier = resolveVerifier(o, dpop !== undefined);
  const authorizationServers = resolveAuthorizationServers(o);
  const { rootResource, ...extra } = o.metadata ?? {};
  if (rootResource !== undefined) validateResource('metadata.rootResource', rootResource);
  const metadata = buildMetadata({
    resource: o.resource,
    resourceUrl,
    rootResource,
    authorizationServers,
    scopesSupported: o.scopesSupported ?? mentioned,
    resourceName: o.resourceName,
    extra:
      dpop === undefined
        ? extra
        : {
            ...extra,
            dpop_signing_alg_values_supported: [...dpop.rule.algorithms],
            ...(dpop.mode === 'required' ? { dpop_bound_access_tokens_required: true } : {}),
          },
  });
  const advertised = new Set(metadata.document.scopes_supported ?? []);
  const unlisted = policy.initial.find((scope) => !advertised.has(scope));
  if (unlisted !== undefined) {
    throw new McpAuthConfigError(
      'policy.initialScopes',
      `names "${unlisted}", which scopesSupported does not list (a 401 would ask for a scope the metadata does not advertise): add it to scopesSupported`,
    );
  }
  const sessions = resolveSessions(o, policy);
  const reportOutage = createOutageReporter(o.logger);
  const binding = typeof o.sessionBinding === 'object' ? o.sessionBinding : {};
  const sharedSessions: SharedSessions | undefined =
    sessions === undefined || o.store === undefined
      ? undefined
      : {
          store: o.store,
          ttlMs: binding.ttlMs ?? DEFAULT_SESSION_TTL_MS,
          onSessionEnd: binding.onSessionEnd,
          report: reportOutage,
        };
  const supported = (metadata.document.scopes_supported ?? []).filter(
    (s) => !EXCLUDED_FROM_CHALLENGE.has(s),
  );
  const lifetime = verifier as { checksLifetime?: unknown; clockToleranceMs?: unknown };
  const tolerance = lifetime.clockToleranceMs;
  return {
    resource: o.resource,
    policy,
    verifier,
    verifySync: (verifier as { [VERIFY_SYNC]?: (token: string) => AuthInfo | undefined })[
      VERIFY_SYNC
    ],
    checkExpiry: lifetime.checksLifetime !== true,
    expiryToleranceMs:
      typeof tolerance === 'number' && tolerance >= 0 ? tolerance : DEFAULT_CLOCK_TOLERANCE_MS,
    // With session binding the core must see whether a POST is an `initialize` (room is
    // reserved for it before the application runs), so the body is read whatever the policy.
    needsBody: policy.needsBody || sessions !== undefined,
    cors: createCors(
      {
        ...o.cors,
        allowedOrigins:
          o.cors?.allowedOrigins ?? (isLoopbackHost(resourceUrl.hostname) ? ['loopback'] : '*'),
      },
      dpop !== undefined,
    ),
    sessions,
    sharedSessions,
    grantedInChallenge:
      (o.challengeScopes ?? 'required-and-granted') === 'required-and-granted'
        ? new Set(supported)
        : undefined,
    maxTokenLength: o.maxTokenLength,
    onDecision: o.onDecision,
    metadata,
    logger: o.logger,
    reportOutage,
    dpop,
    resourceOrigin: resourceUrl.origin,
  };
}
