import { base64url } from 'jose';
import { BoundedFetchError, fetchJsonBounded, resolveMaxResponseBytes } from './bounded-fetch.js';
import { ClockMap } from './clock-map.js';
import {
  type InvalidTokenReason,
  McpAuthConfigError,
  McpAuthError,
  isMcpAuthError,
} from './errors.js';
import { assertKnownOptions } from './known-options.js';
import { resolveScopeClaims, type ScopeClaimOption, toAuthInfo } from './normalize-claims.js';
import {
  checkTokenLifetime,
  DEFAULT_CLOCK_TOLERANCE,
  type LifetimeCheckingVerifier,
} from './token-lifetime.js';
import type { AccessTokenVerifier, AuthInfo } from './types.js';
import { assertSecureUrl, createAudienceMatcher } from './url.js';

type Digest = string | ArrayBuffer | Uint8Array;

/**
 * Options of {@link createIntrospectionVerifier}. Validated once, at construction.
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
  /** When set, a response's `iss` (if present) must equal it; also the PRM authorization server. */
  issuer?: string;
  /**
   * Claims scopes are read from, each with its shape (as `createJwtVerifier`'s `scopeClaims`):
   * `{ claim, format: 'string' | 'array' }`, `'scope'` (a space-delimited string, RFC 7662
   * §2.2) or another bare name for an array claim. Default `['scope']`.
   */
  scopeClaims?: ScopeClaimOption[];
  /**
   * Leeway for the response's `exp`, `nbf` and `iat`, in seconds — the rule every verifier
   * shares (`checkTokenLifetime`). Default 60.
   */
  clockTolerance?: number;
  /** Longest time an active result is reused, ms (never past the token's `exp`). Default 60 000; 0 disables. */
  cacheMaxAge?: number;
  /** How long an inactive or rejected result is reused, ms. Default 5 000; 0 disables. */
  negativeCacheMaxAge?: number;
  /** Most cached results kept (oldest dropped first). Default 10 000. */
  maxCacheEntries?: number;
  /** Total deadline of each introspection request, ms: connection to last byte. Default 5 000. */
  timeout?: number;
  /**
   * How long an endpoint that timed out, or answered 429 or 503, is not asked again, ms.
   * Meanwhile requests needing introspection get 503 with `Retry-After` at once; then one
   * request retries while the others keep getting 503. Default 5 000; 0 retries on the next
   * request (still one at a time).
   */
  failureCooldown?: number;
  /** Largest introspection response read, bytes; a longer one → 503. Default 262 144 (256 KiB). */
  maxResponseBytes?: number;
  /** Tokens longer than this are rejected without a request. Default 16 384. */
  maxTokenLength?: number;
  /**
   * Cache-key digest of a token (a cryptographic hash; the token itself is never a key).
   * Default SHA-256 through Web Crypto. A Node host may inject `node:crypto`'s faster one.
   */
  hash?: (token: string) => Digest | Promise<Digest>;
  /** The `fetch` used for introspection. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/**
 * A verifier of opaque (or any) access tokens by RFC 7662 introspection.
 * @example
 * ```ts
 * const info = await verifier.verifyAccessToken(token);
 * ```
 */
export interface IntrospectionVerifier extends AccessTokenVerifier, LifetimeCheckingVerifier {
  /**
   * Resolves with the token's {@link AuthInfo}; rejects only with `McpAuthError`:
   * `invalid_token` (401) for an inactive or unacceptable token,
   * `authorization_server_unavailable` (503, with `retryAfter`) when the endpoint fails,
   * times out or answers something other than a JSON introspection response.
   */
  verifyAccessToken(token: string): Promise<AuthInfo>;
  /** `[issuer]` when configured, else empty. */
  readonly authorizationServers: readonly string[];
  /** Drops every cached result. */
  clearCache(): void;
  /** Always `true`: `exp`, `nbf` and `iat` are checked here with {@link clockTolerance}. */
  readonly checksLifetime: true;
  /** The configured clock tolerance, seconds. */
  readonly clockTolerance: number;
}

/**
 * Every option {@link createIntrospectionVerifier} knows; any other key is refused at
 * construction.
 */
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
  'issuer',
  'scopeClaims',
  'clockTolerance',
  'cacheMaxAge',
  'negativeCacheMaxAge',
  'maxCacheEntries',
  'timeout',
  'failureCooldown',
  'maxResponseBytes',
  'maxTokenLength',
  'hash',
  'fetch',
]);

type Claims = Record<string, unknown>;
interface Rejection {
  description: string;
  reason: InvalidTokenReason;
}
interface Entry {
  until: number;
  claims?: Claims;
  rejection?: Rejection;
}

const DEFAULT_RETRY_AFTER = 5;

/** Statuses by which an endpoint asks its clients to back off (RFC 6585 §4, RFC 9110 §15.6.4). */
const BACK_OFF_STATUSES = new Set([429, 503]);

/**
 * Whether `error` says the endpoint itself is unavailable — a deadline missed, or an
 * explicit "back off" — rather than something one token could provoke. Only such failures
 * are remembered: a token that makes the endpoint fail must not lock out every other token,
 * and a failure that came back at once costs the next request nothing.
 */
function isOutage(error: unknown): boolean {
  if (!(error instanceof BoundedFetchError)) return false;
  if (error.failure === 'timeout') return true;
  return (
    error.failure === 'http_status' &&
    error.upstreamStatus !== undefined &&
    BACK_OFF_STATUSES.has(error.upstreamStatus)
  );
}

/** Whole seconds to wait for `ms`, at least 1. */
const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

async function sha256TokenHash(token: string): Promise<Digest> {
  return globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
}

function digestKey(digest: Digest): string {
  if (typeof digest === 'string') {
    if (digest === '') throw new TypeError('empty digest');
    return digest;
  }
  if (digest instanceof ArrayBuffer || ArrayBuffer.isView(digest)) {
    const bytes =
      digest instanceof ArrayBuffer
        ? new Uint8Array(digest)
        : new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
    if (bytes.length < 16) throw new TypeError('digest too short');
    return base64url.encode(bytes);
  }
  throw new TypeError('digest must be a string or bytes');
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function numberOption(option: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new McpAuthConfigError(option, `must be a finite number of at least ${min}`);
  }
  return value;
}

function stringList(option: string, value: unknown, fallback: readonly string[]): string[] {
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new McpAuthConfigError(option, 'must be an array of non-empty strings');
  }
  return [...value];
}

function nonEmpty(option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new McpAuthConfigError(option, 'must be a non-empty string');
  }
  return value;
}

const invalid = (description: string, reason: InvalidTokenReason) =>
  new McpAuthError('invalid_token', description, { reason });
const INACTIVE: Rejection = Object.freeze({
  description: 'token is not active',
  reason: 'inactive',
});

/**
 * Creates a verifier that asks the authorization server about each token (RFC 7662): an
 * authenticated `POST` of `token` with `token_type_hint=access_token`. `active: false` →
 * `invalid_token`. On an active token it still checks, itself: `exp`, `nbf` and `iat` against
 * the clock with `clockTolerance` (`checkTokenLifetime`), `aud` names `resource` (or an
 * `additionalAudiences` entry; required unless `requireAudience: false`), `iss` equals
 * `issuer` when both are present, no `cnf` (sender-constrained tokens are not bearer tokens).
 * Scopes come from `scope` (a space-delimited string). An unknown option is refused.
 *
 * Results are cached under a digest of the token (never the token): active ones at most
 * `cacheMaxAge` and never past `exp`, rejections for `negativeCacheMaxAge`. Concurrent
 * lookups of one token share one request. An endpoint that fails, times out, redirects,
 * answers more than `maxResponseBytes` or anything but a JSON introspection response →
 * `authorization_server_unavailable` (503 with `Retry-After`, no challenge) — never a 401,
 * never cached. The request goes through `fetchJsonBounded`: one deadline (`timeout`),
 * redirects refused, body capped. An endpoint that timed out or answered 429/503 is not asked
 * again for `failureCooldown`: requests meanwhile get 503 at once (`Retry-After` = the rest
 * of the cooldown), then a single request retries.
 *
 * @see RFC 7662 §2 (introspection), RFC 9728, MCP authorization (token validation), RFC 6585 §4
 * @example
 * ```ts
 * const verifier = createIntrospectionVerifier({
 *   endpoint: 'https://auth.example.com/oauth2/introspect',
 *   clientId: 'mcp-server',
 *   clientSecret: env.INTROSPECTION_SECRET,
 *   resource: 'https://mcp.example.com/mcp',
 *   issuer: 'https://auth.example.com',
 * });
 * const auth = createMcpAuth({ resource: 'https://mcp.example.com/mcp', verifier });
 * ```
 */
export function createIntrospectionVerifier(
  options: IntrospectionVerifierOptions,
): IntrospectionVerifier {
  if (typeof options !== 'object' || options === null) {
    throw new McpAuthConfigError('options', 'must be an object');
  }
  assertKnownOptions(options, INTROSPECTION_VERIFIER_OPTION_NAMES);
  const endpoint = assertSecureUrl('endpoint', options.endpoint).href;
  const clientId = nonEmpty('clientId', options.clientId);
  const clientSecret = nonEmpty('clientSecret', options.clientSecret);
  const method = options.clientAuthMethod ?? 'client_secret_basic';
  if (method !== 'client_secret_basic' && method !== 'client_secret_post') {
    throw new McpAuthConfigError(
      'clientAuthMethod',
      'must be "client_secret_basic" or "client_secret_post"',
    );
  }
  assertSecureUrl('resource', options.resource);
  if (options.resource.includes('#')) {
    throw new McpAuthConfigError('resource', 'must not have a fragment');
  }
  const resource = options.resource;
  const audienceAccepted = createAudienceMatcher([
    resource,
    ...stringList('additionalAudiences', options.additionalAudiences, []),
  ]);
  if (options.requireAudience !== undefined && typeof options.requireAudience !== 'boolean') {
    throw new McpAuthConfigError('requireAudience', 'must be a boolean');
  }
  const requireAudience = options.requireAudience ?? true;
  const issuer = options.issuer;
  if (issuer !== undefined) assertSecureUrl('issuer', issuer);
  const scopeClaims = resolveScopeClaims('scopeClaims', options.scopeClaims);
  const clockTolerance = numberOption(
    'clockTolerance',
    options.clockTolerance,
    DEFAULT_CLOCK_TOLERANCE,
    0,
  );
  const cacheMaxAge = numberOption('cacheMaxAge', options.cacheMaxAge, 60_000, 0);
  const negativeCacheMaxAge = numberOption(
    'negativeCacheMaxAge',
    options.negativeCacheMaxAge,
    5_000,
    0,
  );
  const maxCacheEntries = numberOption('maxCacheEntries', options.maxCacheEntries, 10_000, 1);
  const timeout = numberOption('timeout', options.timeout, 5_000, 1);
  const failureCooldown = numberOption('failureCooldown', options.failureCooldown, 5_000, 0);
  const maxResponseBytes = resolveMaxResponseBytes(options.maxResponseBytes);
  const maxTokenLength = numberOption('maxTokenLength', options.maxTokenLength, 16_384, 1);
  if (options.hash !== undefined && typeof options.hash !== 'function') {
    throw new McpAuthConfigError('hash', 'must be a function');
  }
  const hash = options.hash ?? sha256TokenHash;
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new McpAuthConfigError('fetch', 'must be a function');
  }
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (method === 'client_secret_basic') {
    headers.authorization = `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`;
  }

  const cache = new ClockMap<Entry>();
  const inflight = new Map<string, Promise<Entry>>();

  function remember(key: string, entry: Entry): void {
    if (entry.until <= Date.now()) return;
    cache.delete(key);
    while (cache.size >= maxCacheEntries && cache.evict() !== undefined);
    cache.set(key, entry);
  }

  function unavailable(description: string, retryAfter: number, cause?: unknown): McpAuthError {
    return new McpAuthError('authorization_server_unavailable', description, {
      retryAfter,
      ...(cause === undefined ? {} : { cause }),
    });
  }

  /** The endpoint is not asked before this time (ms) after an outage. */
  let failedUntil = Number.NEGATIVE_INFINITY;
  /** The last request ended in an outage (see `isOutage`); cleared by any other outcome. */
  let outage = false;
  /** While the one retry after an outage runs: when its deadline passes (ms). */
  let probeDeadline: number | undefined;

  /**
   * During an outage, refuses a request at once (503): until the cooldown is over, and then
   * while one request (the probe) retries.
   */
  function refuseDuringOutage(): void {
    if (!outage) return;
    const t = Date.now();
    if (t < failedUntil) {
      throw unavailable(
        'the token introspection endpoint is unavailable (failed recently)',
        seconds(failedUntil - t),
      );
    }
    if (probeDeadline !== undefined) {
      throw unavailable(
        'the token introspection endpoint is unavailable (being retried)',
        seconds(probeDeadline - t),
      );
    }
  }

  /** Lets a request reach the endpoint (see `refuseDuringOutage`); true when it is the probe. */
  function admit(): boolean {
    refuseDuringOutage();
    if (!outage) return false;
    probeDeadline = Date.now() + timeout;
    return true;
  }

  function settle(probe: boolean, failure: unknown): void {
    if (probe) probeDeadline = undefined;
    if (isOutage(failure)) {
      outage = true;
      // An endpoint that said how long to back off is believed when that is shorter: a burst of
      // junk tokens that trips its rate limit must not shut everyone out for longer than it does.
      const asked = (failure as BoundedFetchError).upstreamRetryAfter;
      const wait = asked === undefined ? failureCooldown : Math.min(asked * 1000, failureCooldown);
      failedUntil = Date.now() + wait;
    } else {
      // The endpoint answered, or failed at once: nothing makes the next request wait.
      outage = false;
    }
  }

  async function post(token: string): Promise<Claims> {
    const body = new URLSearchParams({ token, token_type_hint: 'access_token' });
    if (method === 'client_secret_post') {
      body.set('client_id', clientId);
      body.set('client_secret', clientSecret);
    }
    const probe = admit();
    let document: unknown;
    try {
      document = await fetchJsonBounded(endpoint, {
        fetch: doFetch,
        timeoutMs: timeout,
        maxResponseBytes,
        code: 'authorization_server_unavailable',
        what: 'token introspection',
        method: 'POST',
        headers,
        body: body.toString(),
      });
    } catch (error) {
      settle(probe, error);
      const { message, upstreamRetryAfter } = error as BoundedFetchError;
      const fallback = isOutage(error) ? seconds(failureCooldown) : DEFAULT_RETRY_AFTER;
      throw unavailable(message, upstreamRetryAfter ?? fallback, error);
    }
    settle(probe, undefined);
    if (
      typeof document !== 'object' ||
      document === null ||
      Array.isArray(document) ||
      typeof (document as Claims).active !== 'boolean'
    ) {
      throw unavailable('the token introspection response is malformed', DEFAULT_RETRY_AFTER);
    }
    return document as Claims;
  }

  /** Why the active response is refused, or undefined when it is acceptable. */
  function check(claims: Claims, now: number): Rejection | undefined {
    if (claims.active !== true) return INACTIVE;
    const lifetime = checkTokenLifetime(claims, clockTolerance, now);
    if (lifetime !== undefined) {
      return { description: lifetime.message, reason: lifetime.reason ?? 'invalid_claim' };
    }
    const { iss, aud, sub } = claims;
    if (issuer !== undefined && iss !== undefined && iss !== issuer) {
      return { description: 'issuer mismatch', reason: 'issuer' };
    }
    if (aud === undefined || (Array.isArray(aud) && aud.length === 0)) {
      if (requireAudience) return { description: 'missing audience (aud)', reason: 'audience' };
    } else if (!audienceAccepted(aud)) {
      return { description: 'audience mismatch', reason: 'audience' };
    }
    if (sub !== undefined && typeof sub !== 'string') {
      return { description: 'invalid "sub" claim', reason: 'invalid_claim' };
    }
    if (claims.cnf !== undefined) {
      return {
        description: 'sender-constrained token (cnf) cannot be used as a bearer token',
        reason: 'sender_constrained',
      };
    }
    return undefined;
  }

  async function introspect(token: string): Promise<Entry> {
    const claims = await post(token);
    const now = Date.now();
    const rejection = check(claims, now);
    if (rejection !== undefined) return { until: now + negativeCacheMaxAge, rejection };
    const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : Number.POSITIVE_INFINITY;
    return { until: Math.min(now + cacheMaxAge, exp), claims };
  }

  async function verifyAccessToken(token: string): Promise<AuthInfo> {
    if (typeof token !== 'string' || token === '') throw invalid('token is empty', 'malformed');
    if (token.length > maxTokenLength) throw invalid('token is too large', 'too_large');
    let key: string;
    try {
      key = digestKey(await hash(token));
    } catch (cause) {
      throw unavailable('token introspection failed', DEFAULT_RETRY_AFTER, cause);
    }
    let entry = cache.get(key);
    if (entry !== undefined && entry.until <= Date.now()) {
      cache.delete(key);
      entry = undefined;
    }
    if (entry === undefined) {
      let pending = inflight.get(key);
      // Never wait on a lookup in flight during an outage: it may be the probe.
      if (pending !== undefined) refuseDuringOutage();
      if (pending === undefined) {
        pending = introspect(token).then((result) => {
          remember(key, result);
          return result;
        });
        const settled = pending.finally(() => inflight.delete(key));
        settled.catch(() => {});
        inflight.set(key, pending);
      }
      try {
        entry = await pending;
      } catch (error) {
        throw isMcpAuthError(error)
          ? error
          : unavailable('token introspection failed', DEFAULT_RETRY_AFTER, error);
      }
    }
    if (entry.rejection !== undefined || entry.claims === undefined) {
      const { description, reason } = entry.rejection ?? INACTIVE;
      throw invalid(description, reason);
    }
    const info = toAuthInfo(token, entry.claims, new URL(resource), scopeClaims);
    // RFC 7662 makes `iss` optional; the configured issuer stands in, so that the same `sub`
    // from two authorization servers never names one session owner.
    if (info.extra !== undefined && info.extra.iss === undefined && issuer !== undefined) {
      info.extra.iss = issuer;
    }
    return info;
  }

  return {
    verifyAccessToken,
    authorizationServers: Object.freeze(issuer === undefined ? [] : [issuer]),
    clearCache() {
      cache.clear();
    },
    checksLifetime: true,
    clockTolerance,
  };
}
