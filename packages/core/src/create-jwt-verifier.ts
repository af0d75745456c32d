import { PREPARE, type Prepare, VERIFY_SYNC } from './core-brand.js';
import { type InvalidTokenReason, isMcpAuthError } from './errors.js';
import { freezePlainData } from './freeze-plain-data.js';
import { createRemoteKeySet } from './remote-key-set.js';
import { type JwtVerifierOptions, resolveJwtOptions } from './resolve-jwt-options.js';
import { type CachedRejection, createTokenCache, type TokenCache } from './token-cache.js';
import type { LifetimeCheckingVerifier } from './token-lifetime.js';
import type { AccessTokenVerifier, AuthInfo } from './types.js';
import { createJwtVerification } from './verify-jwt.js';

export type { JwtVerifierOptions } from './resolve-jwt-options.js';
export {
  DEFAULT_ALGORITHMS,
  JWT_VERIFIER_OPTION_NAMES,
  RENAMED_JWT_OPTIONS,
} from './resolve-jwt-options.js';

/**
 * A verifier of RFC 9068 JWT access tokens; also the MCP SDK's `OAuthTokenVerifier`.
 * @example
 * ```ts
 * const verifier: JwtVerifier = createJwtVerifier({ issuer, resource });
 * verifier.clockToleranceMs; // 60000
 * ```
 */
export interface JwtVerifier extends AccessTokenVerifier, LifetimeCheckingVerifier {
  /**
   * Verifies `token` and returns its {@link AuthInfo}. Rejects only with `McpAuthError`:
   * `invalid_token` (401) for any bad token, `jwks_unavailable` (503, with `retryAfterSeconds`)
   * when no key can be had because the key set cannot be fetched.
   */
  verifyAccessToken(token: string): Promise<AuthInfo>;
  /** The configured issuer. */
  readonly issuer: string;
  /** Always `true`: `exp`, `nbf` and `iat` are checked here with {@link clockToleranceMs}. */
  readonly checksLifetime: true;
  /** The configured clock tolerance, milliseconds. */
  readonly clockToleranceMs: number;
}

/**
 * The failures the JWT verifier's negative cache remembers: a bad signature stays bad until the
 * key set changes, and forging tokens must not cost a signature check each. Nothing else is
 * remembered: an expired, not-yet-valid or wrongly addressed token may be fine a moment later
 * (or with another clock), and an unavailable key set is an outage, not a verdict.
 */
const REMEMBERED_REASONS: ReadonlySet<InvalidTokenReason> = new Set(['bad_signature']);

/**
 * The rejection the JWT verifier's negative cache keeps for `error`: an `invalid_token`
 * `McpAuthError` whose typed `reason` is `bad_signature`; `undefined` for any other failure.
 * Keyed on the reason, never on the message (a description that may be reworded).
 *
 * @example
 * ```ts
 * const rejection = rememberedRejection(error);
 * if (rejection !== undefined) cache.reject(key, rejection, keySet.version);
 * ```
 */
export function rememberedRejection(error: unknown): CachedRejection | undefined {
  if (!isMcpAuthError(error) || error.code !== 'invalid_token') return undefined;
  const { reason } = error;
  if (reason === undefined || !REMEMBERED_REASONS.has(reason)) return undefined;
  return { description: error.message, reason };
}

/** `cache.key(token)`, or `undefined` when the digest fails (which never fails a request). */
async function cacheKey(cache: TokenCache, token: string): Promise<string | undefined> {
  try {
    return await cache.key(token);
  } catch {
    return undefined;
  }
}

/**
 * Creates a verifier of RFC 9068 JWT access tokens signed by `issuer`'s keys. Options are
 * validated here (a `TypeError` naming the option); each verification only parses and checks
 * the token.
 *
 * Checks: compact JWS shape and size; `typ` `at+jwt`/`application/at+jwt` (case-insensitive;
 * also `JWT` with `allowGenericJwtType`); `alg` in the allow-list; signature against the JWKS;
 * `iss` exactly; required claims; `exp`/`nbf`/`iat` with `clockToleranceMs` (see
 * `checkTokenLifetime`); `aud` names `resource` or an `additionalAudiences` entry (exactly, or
 * differing only by scheme/host case, an explicit default port, or `/` as the whole path); no
 * `cnf` (sender-constrained tokens are not bearer tokens); no ID tokens. An unknown option is
 * refused like a wrong one.
 *
 * Verified tokens are cached (see {@link JwtVerifierOptions.cache}) under their SHA-256 digest;
 * where the runtime has a synchronous SHA-256 a cache hit can be answered without a promise.
 *
 * @see RFC 9068 §4 (validating JWT access tokens), RFC 8414 §3 (metadata), RFC 8707 (audience).
 * @example
 * ```ts
 * const verifier = createJwtVerifier({
 *   issuer: 'https://auth.example.com',
 *   resource: 'https://mcp.example.com/mcp',
 * });
 * const authInfo = await verifier.verifyAccessToken(token); // or McpAuthError
 * authInfo.scopes; // ['todo:read']
 * ```
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const resolved = resolveJwtOptions(options);
  const { maxTokenLength } = resolved;
  const cache = resolved.cache === undefined ? undefined : createTokenCache(resolved.cache);
  const keySet = createRemoteKeySet({
    issuer: resolved.issuer,
    jwksUri: resolved.jwksUri,
    fetch: resolved.fetch,
    timeoutMs: resolved.timeoutMs,
    cooldownMs: resolved.jwksCooldownMs,
    maxResponseBytes: resolved.maxResponseBytes,
  });
  const verifyUncached = createJwtVerification(resolved, keySet);

  async function verifyCached(c: TokenCache, token: string): Promise<AuthInfo> {
    const before = keySet.version;
    let key: string | undefined;
    // Nothing cached (cold start, or just emptied): no digest to compute before verifying.
    if (c.size > 0) {
      key = c.keySync(token) ?? (await cacheKey(c, token));
      const hit = key === undefined ? undefined : c.lookup(key, token, before);
      if (isMcpAuthError(hit)) throw hit;
      if (hit !== undefined) return hit;
    }
    // A key set that changes during verification: do not vouch for the result.
    const unchanged = () => before === 0 || keySet.version === before;
    let info: AuthInfo;
    try {
      info = await verifyUncached(token);
    } catch (error) {
      const rejection = rememberedRejection(error);
      if (rejection !== undefined && unchanged()) {
        key ??= c.keySync(token) ?? (await cacheKey(c, token));
        if (key !== undefined) c.reject(key, rejection, keySet.version);
      }
      throw error;
    }
    if (unchanged()) {
      key ??= c.keySync(token) ?? (await cacheKey(c, token));
      if (key !== undefined) {
        // The claims are shared read-only by every later hit: frozen here rather than copied.
        freezePlainData(info.extra?.claims);
        c.store(key, info, keySet.version);
      }
    }
    return info;
  }

  function verifyAccessToken(token: string): Promise<AuthInfo> {
    if (cache === undefined || typeof token !== 'string' || token.length > maxTokenLength) {
      return verifyUncached(token);
    }
    return verifyCached(cache, token);
  }

  /** The cache's answer without a promise; `undefined` when real work is needed. */
  function verifyAccessTokenSync(token: string): AuthInfo | undefined {
    if (cache === undefined || cache.size === 0 || typeof token !== 'string') return undefined;
    if (token.length > maxTokenLength) return undefined;
    const key = cache.keySync(token);
    if (key === undefined) return undefined;
    const hit = cache.lookup(key, token, keySet.version);
    if (isMcpAuthError(hit)) throw hit;
    return hit;
  }

  const prepare: Prepare = async () =>
    (await keySet.reload()) ? [] : [{ issuer: resolved.issuer, error: keySet.lastError }];

  const verifier: JwtVerifier & {
    [VERIFY_SYNC]: typeof verifyAccessTokenSync;
    [PREPARE]: Prepare;
  } = {
    verifyAccessToken,
    [VERIFY_SYNC]: verifyAccessTokenSync,
    [PREPARE]: prepare,
    issuer: resolved.issuer,
    checksLifetime: true,
    clockToleranceMs: resolved.clockToleranceMs,
  };
  return verifier;
}
