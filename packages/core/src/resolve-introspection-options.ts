import { DEFAULT_MAX_TOKEN_LENGTH } from './bearer-token.js';
import { resolveMaxResponseBytes } from './bounded-fetch.js';
import { McpAuthConfigError } from './errors.js';
import { resolveScopeClaims, type ScopeClaim, type ScopeClaimOption } from './normalize-claims.js';
import { isStateStore, type StateStore } from './state-store.js';
import { cacheOption, type TokenCacheOptions } from './token-cache-options.js';
import { DEFAULT_CLOCK_TOLERANCE_MS } from './token-lifetime.js';
import { assertSecureUrl, createAudienceMatcher, type AudienceMatcher } from './url.js';
import {
  assertOptionNames,
  assertOptionsObject,
  fetchOption,
  flagOption,
  numberOption,
  type RenamedOptions,
  resourceOption,
  stringListOption,
} from './verifier-options.js';

/**
 * Options of `createIntrospectionVerifier`. Validated once, at construction.
 * @example
 * ```ts
 * const options: IntrospectionVerifierOptions = {
 *   endpoint: 'https://auth.example.com/oauth2/introspect',
 *   clientId: 'mcp-server',
 *   clientSecret: secret,
 *   resource: 'https://mcp.example.com/mcp',
 *   issuer: 'https://auth.example.com',
 * };
 * ```
 */
export interface IntrospectionVerifierOptions {
  /** The authorization server's `introspection_endpoint`. https (or loopback http). */
  endpoint: string;
  /** This resource server's client id at the authorization server. */
  clientId: string;
  /** Its client secret. Never logged or put in an error. */
  clientSecret: string;
  /** How the client authenticates (RFC 6749 §2.3.1). Default `'client_secret_basic'`. */
  clientAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /**
   * This server's canonical resource URI; the response's `aud` must name it: equal to it, or
   * differing only by scheme/host case, an explicit default port, or `/` as the whole path.
   */
  resource: string;
  /** Other accepted `aud` values. Default none. */
  additionalAudiences?: string[];
  /**
   * Refuse responses without `aud`. Default true; set false only for an authorization server
   * that never returns `aud` and issues tokens for this resource alone.
   */
  requireAudience?: boolean;
  /**
   * Accept tokens bound to a DPoP key (`cnf.jkt`, RFC 9449 §6) and report the binding in
   * `authInfo.extra.claims.cnf`. Only for a caller that then checks the request's DPoP proof
   * against it — `createMcpAuth` does when its `dpop` option is on (and sets this itself for the
   * verifier it builds). Any other `cnf` is still refused. Default false: a `cnf`-bound token is
   * refused (`sender_constrained`).
   */
  acceptBoundTokens?: boolean;
  /** When set, a response's `iss` (if present) must equal it; also the PRM authorization server. */
  issuer?: string;
  /**
   * Claims scopes are read from, each with its shape (as `createJwtVerifier`'s `scopeClaims`):
   * `{ claim, format: 'string' | 'array' }`, `'scope'` (a space-delimited string, RFC 7662
   * §2.2) or another bare name for an array claim. Default `['scope']`.
   */
  scopeClaims?: ScopeClaimOption[];
  /**
   * Leeway for the response's `exp`, `nbf` and `iat`, in milliseconds — the rule every verifier
   * shares (`checkTokenLifetime`). Default 60 000.
   */
  clockToleranceMs?: number;
  /**
   * Cache of introspection results, the same shape as the JWT verifier's: active results are
   * reused for at most `maxAgeMs` (default 60 000 here) and never past the token's `exp`;
   * inactive or refused ones for `negativeTtlMs` (default 5 000); at most `maxEntries` (10 000)
   * results and `maxBytes` (8 MiB). Keyed by the token's SHA-256 digest, never the token.
   * `false` turns it off.
   */
  cache?: false | TokenCacheOptions;
  /**
   * A store shared by every instance (e.g. `@org/mcp-auth-redis`): active results are kept
   * there too, under `introspection:<SHA-256 of the token>`, for the cache's `maxAgeMs` and never
   * past `exp`, so a token introspected by one instance is not introspected again by the others.
   * A result read from the store is judged again (lifetime, audience, issuer) like a fresh one.
   * The store is only a cache: one that fails or does not answer counts as a miss (the endpoint
   * is asked). Not used with `cache: false`. Default none.
   */
  store?: StateStore;
  /** Total deadline of each introspection request, ms: connection to last byte. Default 5 000. */
  timeoutMs?: number;
  /**
   * How long an endpoint that timed out, or answered 429 or 503, is not asked again, ms.
   * Meanwhile requests needing introspection get 503 with `Retry-After` at once; then one
   * request retries while the others keep getting 503. Default 5 000; 0 retries on the next
   * request (still one at a time).
   */
  failureCooldownMs?: number;
  /** Largest introspection response read, bytes; a longer one → 503. Default 262 144 (256 KiB). */
  maxResponseBytes?: number;
  /** Tokens longer than this are rejected without a request. Default 8192. */
  maxTokenLength?: number;
  /** The `fetch` used for introspection. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

const INTROSPECTION_VERIFIER_OPTION_NAMES: ReadonlySet<string> = new Set<
  keyof IntrospectionVerifierOptions
>([
  'endpoint',
  'clientId',
  'clientSecret',
  'clientAuthMethod',
  'resource',
  'additionalAudiences',
  'requireAudience',
  'acceptBoundTokens',
  'issuer',
  'scopeClaims',
  'clockToleranceMs',
  'cache',
  'store',
  'timeoutMs',
  'failureCooldownMs',
  'maxResponseBytes',
  'maxTokenLength',
  'fetch',
]);

/** Former option names of the introspection verifier, with what replaced them. */
const RENAMED_INTROSPECTION_OPTIONS: RenamedOptions = {
  clockTolerance: 'renamed "clockToleranceMs", in milliseconds',
  cacheMaxAge: 'use cache: { maxAgeMs }',
  negativeCacheMaxAge: 'use cache: { negativeTtlMs }',
  maxCacheEntries: 'use cache: { maxEntries }',
  hash: 'removed: the cache keys tokens by their SHA-256 digest, picked for the runtime',
  timeout: 'renamed "timeoutMs"',
  failureCooldown: 'renamed "failureCooldownMs"',
};

/** The introspection cache's own default: an active result is reused for a minute at most. */
const INTROSPECTION_CACHE_DEFAULTS: TokenCacheOptions = { maxAgeMs: 60_000 };

/** {@link IntrospectionVerifierOptions} validated, with every default filled in. */
export interface ResolvedIntrospectionOptions {
  endpoint: string;
  clientId: string;
  clientSecret: string;
  clientAuthMethod: 'client_secret_basic' | 'client_secret_post';
  resource: string;
  audienceAccepted: AudienceMatcher;
  requireAudience: boolean;
  acceptBoundTokens: boolean;
  issuer: string | undefined;
  scopeClaims: readonly ScopeClaim[];
  clockToleranceMs: number;
  /** Validated, defaults filled in; `undefined` when the cache is off. */
  cache: Required<TokenCacheOptions> | undefined;
  /** The shared store of active results; `undefined` when none (or the cache is off). */
  store: StateStore | undefined;
  timeoutMs: number;
  failureCooldownMs: number;
  maxResponseBytes: number;
  maxTokenLength: number;
  fetch: typeof fetch;
}

/** The `store` option, checked; dropped when the cache is off. */
function resolveStore(o: IntrospectionVerifierOptions): StateStore | undefined {
  if (o.store === undefined) return undefined;
  if (!isStateStore(o.store)) {
    throw new McpAuthConfigError(
      'store',
      'must be a StateStore: an object with setIfAbsent, get, touch and delete methods',
    );
  }
  return o.cache === false ? undefined : o.store;
}

function nonEmpty(option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new McpAuthConfigError(option, 'must be a non-empty string');
  }
  return value;
}

/** The endpoint and how this server authenticates to it. */
function resolveClient(o: IntrospectionVerifierOptions) {
  const endpoint = assertSecureUrl('endpoint', o.endpoint).href;
  const clientId = nonEmpty('clientId', o.clientId);
  const clientSecret = nonEmpty('clientSecret', o.clientSecret);
  const clientAuthMethod = o.clientAuthMethod ?? 'client_secret_basic';
  if (clientAuthMethod !== 'client_secret_basic' && clientAuthMethod !== 'client_secret_post') {
    throw new McpAuthConfigError(
      'clientAuthMethod',
      'must be "client_secret_basic" or "client_secret_post"',
    );
  }
  return { endpoint, clientId, clientSecret, clientAuthMethod };
}

/**
 * Validates {@link IntrospectionVerifierOptions} — every one, at construction, with a
 * `TypeError` naming the option and the rule (a former option name gets a hint naming its
 * replacement) — and fills in the defaults.
 *
 * @example
 * ```ts
 * resolveIntrospectionOptions(options).timeoutMs; // 5000
 * ```
 */
export function resolveIntrospectionOptions(
  options: IntrospectionVerifierOptions,
): ResolvedIntrospectionOptions {
  assertOptionsObject(options);
  assertOptionNames(options, INTROSPECTION_VERIFIER_OPTION_NAMES, RENAMED_INTROSPECTION_OPTIONS);
  const o = options;
  const resource = resourceOption(o.resource);
  const audiences = stringListOption('additionalAudiences', o.additionalAudiences, []);
  if (o.issuer !== undefined) assertSecureUrl('issuer', o.issuer);
  return {
    ...resolveClient(o),
    resource,
    audienceAccepted: createAudienceMatcher([resource, ...audiences]),
    requireAudience: flagOption('requireAudience', o.requireAudience, true),
    acceptBoundTokens: flagOption('acceptBoundTokens', o.acceptBoundTokens, false),
    issuer: o.issuer,
    scopeClaims: resolveScopeClaims('scopeClaims', o.scopeClaims),
    clockToleranceMs: numberOption(
      'clockToleranceMs',
      o.clockToleranceMs,
      DEFAULT_CLOCK_TOLERANCE_MS,
      0,
    ),
    cache: cacheOption(o.cache, INTROSPECTION_CACHE_DEFAULTS),
    store: resolveStore(o),
    timeoutMs: numberOption('timeoutMs', o.timeoutMs, 5_000, 0, true),
    failureCooldownMs: numberOption('failureCooldownMs', o.failureCooldownMs, 5_000, 0),
    maxResponseBytes: resolveMaxResponseBytes(o.maxResponseBytes),
    maxTokenLength: numberOption('maxTokenLength', o.maxTokenLength, DEFAULT_MAX_TOKEN_LENGTH, 1),
    fetch: fetchOption(o.fetch),
  };
}
