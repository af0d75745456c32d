import * as z from 'zod/mini';
import type { DecisionListener } from './audit.js';
import { authorizationServersOf } from './authorization-servers-of.js';
import { VERIFY_SYNC } from './core-brand.js';
import { type Cors, createCors } from './cors.js';
import {
  createJwtVerifier,
  JWT_VERIFIER_OPTION_NAMES,
  type JwtVerifierOptions,
} from './create-jwt-verifier.js';
import { McpAuthConfigError } from './errors.js';
import { assertKnownOptions } from './known-options.js';
import { RENAMED_JWT_OPTIONS } from './resolve-jwt-options.js';
import { assertOptionNames, type RenamedOptions } from './verifier-options.js';
import type { McpAuthOptions } from './mcp-auth-options.js';
import { type McpAuthMetadata, buildMetadata } from './metadata-routes.js';
import { type CompiledPolicy, compilePolicy, policyScopes } from './scope-policy.js';
import { isScopeToken } from './scope-token.js';
import { createSessionStore, type SessionStore } from './session-binding.js';
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
  /** A 403 challenge also names the granted scopes that are in this set. */
  readonly grantedInChallenge: ReadonlySet<string> | undefined;
  readonly maxTokenLength: number | undefined;
  readonly onDecision: DecisionListener | undefined;
  readonly metadata: McpAuthMetadata;
}

const isFunction = (v: unknown) => typeof v === 'function';
const positiveInt = z.int().check(z.positive());
const fn = <T>(message: string) => z.optional(z.custom<T>(isFunction, { error: message }));
const scopeToken = z
  .string()
  .check(z.refine(isScopeToken, { error: 'must contain valid scope tokens' }));

/** An `http:` or `https:` URL with a real origin (never the opaque `null` origin). */
function isHttpOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin !== 'null';
}

const corsSchema = z.strictObject({
  allowedOrigins: z.optional(
    z.union([
      z.literal('*'),
      z.array(
        z.string().check(
          z.refine((o) => o === 'loopback' || isHttpOrigin(o), {
            error: "must be '*' or a list of http(s) origins (https://app.example) and 'loopback'",
          }),
        ),
      ),
    ]),
  ),
  maxAgeSeconds: z.optional(z.int().check(z.nonnegative())),
});

const sessionBindingSchema = z.strictObject({
  maxSessions: z.optional(positiveInt),
  maxSessionsPerSubject: z.optional(positiveInt),
  onSubjectLimit: z.optional(z.enum(['refuse', 'replace-oldest'])),
  onSessionEnd: fn<(sessionId: string) => void>('must be a function'),
  ttlMs: z.optional(positiveInt),
});

const optionsSchema = z.strictObject({
  resource: z.string({ error: 'must be a URL string' }),
  issuer: z.optional(z.string({ error: 'must be a URL string' })),
  verifier: z.optional(
    z.custom<AccessTokenVerifier>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as { verifyAccessToken?: unknown }).verifyAccessToken === 'function',
      { error: 'must be an object with a verifyAccessToken(token) method' },
    ),
  ),
  jwt: z.optional(z.looseObject({})),
  authorizationServers: z.optional(
    z.array(z.string()).check(z.minLength(1, 'must list at least one authorization server')),
  ),
  policy: z.optional(z.unknown()), // compilePolicy checks it, naming the entry
  scopesSupported: z.optional(z.array(scopeToken)),
  resourceName: z.optional(z.string()),
  metadata: z.optional(z.looseObject({ rootResource: z.optional(z.string()) })),
  challengeScopes: z.optional(z.enum(['required-and-granted', 'required'])),
  maxTokenLength: z.optional(positiveInt.check(z.maximum(1_048_576))),
  cors: z.optional(corsSchema),
  sessionBinding: z.optional(z.union([z.boolean(), sessionBindingSchema])),
  onDecision: fn<DecisionListener>('must be a function'),
});

/**
 * Nested option objects whose names are checked before the schema, for a "did you mean" or,
 * for a former name, what replaced it.
 */
const NESTED_OPTION_NAMES: Readonly<
  Record<string, { known: ReadonlySet<string>; renamed?: RenamedOptions }>
> = {
  cors: {
    known: new Set(Object.keys(corsSchema.shape)),
    renamed: { maxAge: 'renamed "maxAgeSeconds", in seconds' },
  },
  sessionBinding: { known: new Set(Object.keys(sessionBindingSchema.shape)) },
  // `jwt` takes the JWT verifier's options except the two `createMcpAuth` sets itself.
  jwt: {
    known: new Set(
      [...JWT_VERIFIER_OPTION_NAMES].filter((name) => name !== 'issuer' && name !== 'resource'),
    ),
    renamed: RENAMED_JWT_OPTIONS,
  },
};
const TOP_LEVEL_OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(optionsSchema.shape));
/** Never named in a challenge: a client asks for them itself when it wants them. */
const EXCLUDED_FROM_CHALLENGE = new Set(['offline_access', 'openid']);

/** `cors.allowedOrigins[2]`: an issue's path as the option is written in code. */
function optionPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : `${out === '' ? '' : '.'}${String(key)}`;
  }
  return out;
}

/** Unknown names first, top level and nested, each with the closest known name as a hint. */
function assertKnownNames(options: object): void {
  assertKnownOptions(options, TOP_LEVEL_OPTION_NAMES);
  for (const [name, { known, renamed }] of Object.entries(NESTED_OPTION_NAMES)) {
    const value = (options as Record<string, unknown>)[name];
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      assertOptionNames(value, known, renamed, `${name}.`);
    }
  }
}

function configError(error: z.core.$ZodError): McpAuthConfigError {
  const issue = error.issues[0] as z.core.$ZodIssue;
  const option = issue.path.length > 0 ? optionPath(issue.path) : 'options';
  const rule = issue.message.startsWith('must') ? issue.message : `is invalid: ${issue.message}`;
  return new McpAuthConfigError(option, rule);
}

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

function resolveVerifier(o: McpAuthOptions): AccessTokenVerifier {
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
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw configError(parsed.error);
  const o = options;
  const resourceUrl = validateResource('resource', o.resource);
  const policySource = o.policy ?? {}; // one object, so it is compiled once
  const policy = compilePolicy(policySource);
  const mentioned = policyScopes(policySource);
  if (mentioned.includes('offline_access')) {
    throw new McpAuthConfigError('policy', 'must not require offline_access');
  }
  const verifier = resolveVerifier(o);
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
    extra,
  });
  const sessions = resolveSessions(o, policy);
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
    cors: createCors({
      ...o.cors,
      allowedOrigins:
        o.cors?.allowedOrigins ?? (isLoopbackHost(resourceUrl.hostname) ? ['loopback'] : '*'),
    }),
    sessions,
    grantedInChallenge:
      (o.challengeScopes ?? 'required-and-granted') === 'required-and-granted'
        ? new Set(supported)
        : undefined,
    maxTokenLength: o.maxTokenLength,
    onDecision: o.onDecision,
    metadata,
  };
}
