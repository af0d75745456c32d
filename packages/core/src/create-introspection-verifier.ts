import {
  checkIntrospectionResponse,
  type IntrospectionResponseRule,
} from './check-introspection-response.js';
import { invalidToken, isMcpAuthError } from './errors.js';
import { freezePlainData } from './freeze-plain-data.js';
import {
  createIntrospectionEndpoint,
  DEFAULT_RETRY_AFTER,
  type IntrospectionResponse,
  unavailable,
} from './introspection-endpoint.js';
import { toAuthInfo } from './normalize-claims.js';
import {
  type IntrospectionVerifierOptions,
  type ResolvedIntrospectionOptions,
  resolveIntrospectionOptions,
} from './resolve-introspection-options.js';
import { type CachedRejection, createTokenCache } from './token-cache.js';
import { tokenHash } from './token-hash.js';
import type { StateStore } from './state-store.js';
import type { LifetimeCheckingVerifier } from './token-lifetime.js';
import type { AccessTokenVerifier, AuthInfo } from './types.js';

export type { IntrospectionVerifierOptions } from './resolve-introspection-options.js';

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
   * `authorization_server_unavailable` (503, with `retryAfterSeconds`) when the endpoint fails,
   * times out or answers something other than a JSON introspection response.
   */
  verifyAccessToken(token: string): Promise<AuthInfo>;
  /** `[issuer]` when configured, else empty. */
  readonly authorizationServers: readonly string[];
  /** Always `true`: `exp`, `nbf` and `iat` are checked here with {@link clockToleranceMs}. */
  readonly checksLifetime: true;
  /** The configured clock tolerance, milliseconds. */
  readonly clockToleranceMs: number;
}

/** What one introspection concluded: an accepted response (frozen) or why it was refused. */
type Outcome = { response: IntrospectionResponse } | { rejection: CachedRejection };

/**
 * Where this verifier keeps active introspection results in a shared store: under
 * `introspection:<scope>:`, the scope a digest of the endpoint, client id, issuer and resource,
 * so servers that introspect elsewhere, as another client or for another resource never read
 * each other's results even with one store and one key prefix.
 */
function storePrefix(o: ResolvedIntrospectionOptions): string {
  const text = JSON.stringify([o.endpoint, o.clientId, o.issuer ?? null, o.resource]);
  // FNV-1a, two 32-bit lanes: a namespace, not a secret (write access to the store is trust).
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x811c9dc5) ^ (a >>> 13);
  }
  return `introspection:${(a >>> 0).toString(36)}${(b >>> 0).toString(36)}:`;
}

/**
 * An introspection result another instance kept in the shared store, or `undefined`: nothing
 * there, or a store that failed or answered something else (a cache miss, never a refusal).
 */
async function recall(
  store: StateStore | undefined,
  key: string,
): Promise<IntrospectionResponse | undefined> {
  if (store === undefined) return undefined;
  try {
    const text = await store.get(key);
    if (text === undefined) return undefined;
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as IntrospectionResponse)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps an accepted result for the other instances: `maxAgeMs` at most, never past `exp`. */
function share(
  store: StateStore,
  key: string,
  response: IntrospectionResponse,
  maxAgeMs: number,
): void {
  const exp = response.exp;
  const left = typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 - Date.now() : maxAgeMs;
  const ttlMs = Math.floor(Math.min(maxAgeMs, left));
  if (ttlMs < 1) return;
  try {
    const done = store.setIfAbsent(key, ttlMs, JSON.stringify(response));
    if (done instanceof Promise) done.catch(() => undefined);
  } catch {
    // Only a cache: the next instance asks the endpoint itself.
  }
}

/**
 * The {@link AuthInfo} of an accepted introspection response. RFC 7662 makes `iss` optional;
 * the configured issuer stands in, so that the same `sub` from two authorization servers never
 * names one session owner.
 */
function authInfoOf(
  token: string,
  response: IntrospectionResponse,
  options: ResolvedIntrospectionOptions,
): AuthInfo {
  const info = toAuthInfo(token, response, new URL(options.resource), options.scopeClaims);
  if (info.extra !== undefined && info.extra.iss === undefined && options.issuer !== undefined) {
    info.extra.iss = options.issuer;
  }
  return info;
}

/**
 * Creates a verifier that asks the authorization server about each token (RFC 7662): an
 * authenticated `POST` of `token` with `token_type_hint=access_token`. `active: false` →
 * `invalid_token`. On an active token it still checks, itself: `exp`, `nbf` and `iat` against
 * the clock with `clockToleranceMs` (`checkTokenLifetime`), `aud` names `resource` (or an
 * `additionalAudiences` entry; required unless `requireAudience: false`), `iss` equals
 * `issuer` when both are present, no `cnf` (sender-constrained tokens are not bearer tokens).
 * Scopes come from `scope` (a space-delimited string). An unknown option is refused.
 *
 * Results are cached under the token's SHA-256 digest (never the token), in the same cache the
 * JWT verifier uses: active ones at most `cache.maxAgeMs` (60 s) and never past `exp`,
 * refusals for `cache.negativeTtlMs` (5 s). Concurrent lookups of one token share one request.
 * An endpoint that fails, times out, redirects, answers more than `maxResponseBytes` or
 * anything but a JSON introspection response → `authorization_server_unavailable` (503 with
 * `Retry-After`, no challenge) — never a 401, never cached. The request goes through
 * `fetchJsonBounded`: one deadline (`timeoutMs`), redirects refused, body capped. An endpoint
 * that timed out or answered 429/503 is not asked again for `failureCooldownMs`: requests
 * meanwhile get 503 at once (`Retry-After` = the rest of the cooldown), then a single request
 * retries.
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
  const resolved = resolveIntrospectionOptions(options);
  const { issuer, maxTokenLength, store } = resolved;
  const rule: IntrospectionResponseRule = resolved;
  const endpoint = createIntrospectionEndpoint(resolved);
  const cache =
    resolved.cache === undefined
      ? undefined
      : createTokenCache(resolved.cache, { keepWithoutExpiry: true });
  const inflight = new Map<string, Promise<Outcome>>();
  const prefix = storePrefix(resolved);

  /**
   * Asks the shared store, else the endpoint, judges the answer (a stored one as a fresh one:
   * its lifetime may have run out since) and remembers the outcome.
   */
  async function introspect(key: string, token: string): Promise<Outcome> {
    const remembered = await recall(store, prefix + key);
    const response = remembered ?? (await endpoint.introspect(token));
    const rejection = checkIntrospectionResponse(response, rule, Date.now());
    if (rejection !== undefined) {
      cache?.reject(key, rejection, 0);
      return { rejection };
    }
    if (remembered === undefined && store !== undefined && resolved.cache !== undefined) {
      share(store, prefix + key, response, resolved.cache.maxAgeMs);
    }
    // Shared read-only by every request waiting on this lookup, and by later cache hits.
    freezePlainData(response);
    cache?.store(key, authInfoOf(token, response, resolved), 0);
    return { response };
  }

  /** The outcome for `token`: a lookup in flight for the same digest, or a new one. */
  function shared(key: string, token: string): Promise<Outcome> {
    let pending = inflight.get(key);
    // Never wait on a lookup in flight during an outage: it may be the probe.
    if (pending !== undefined) {
      endpoint.refuseDuringOutage();
      return pending;
    }
    pending = introspect(key, token);
    inflight.set(key, pending);
    pending.finally(() => inflight.delete(key)).catch(() => {});
    return pending;
  }

  async function verifyAccessToken(token: string): Promise<AuthInfo> {
    if (typeof token !== 'string' || token === '')
      throw invalidToken('token is empty', 'malformed');
    if (token.length > maxTokenLength) throw invalidToken('token is too large', 'too_large');
    let key: string;
    try {
      key = await tokenHash(token);
    } catch (cause) {
      throw unavailable('token introspection failed', DEFAULT_RETRY_AFTER, cause);
    }
    const hit = cache?.lookup(key, token, 0);
    if (isMcpAuthError(hit)) throw hit;
    if (hit !== undefined) return hit;
    let outcome: Outcome;
    try {
      outcome = await shared(key, token);
    } catch (error) {
      throw isMcpAuthError(error)
        ? error
        : unavailable('token introspection failed', DEFAULT_RETRY_AFTER, error);
    }
    if ('rejection' in outcome) {
      throw invalidToken(outcome.rejection.description, outcome.rejection.reason);
    }
    return authInfoOf(token, outcome.response, resolved);
  }

  return {
    verifyAccessToken,
    authorizationServers: Object.freeze(issuer === undefined ? [] : [issuer]),
    checksLifetime: true,
    clockToleranceMs: resolved.clockToleranceMs,
  };
}
