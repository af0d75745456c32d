import { VERIFY_SYNC } from './core-brand.js';
import {
  type CryptoKey as JoseCryptoKey,
  type JWTPayload,
  type JWTVerifyOptions,
  type JWTVerifyResult,
  jwtVerify,
} from 'jose';
import { resolveMaxResponseBytes } from './bounded-fetch.js';
import {
  type InvalidTokenReason,
  McpAuthConfigError,
  McpAuthError,
  isMcpAuthError,
} from './errors.js';
import { assertKnownOptions } from './known-options.js';
import {
  DEFAULT_CLIENT_ID_CLAIMS,
  resolveScopeClaims,
  type ScopeClaimOption,
  toAuthInfo,
} from './normalize-claims.js';
import { createRemoteKeySet } from './remote-key-set.js';
import type { AccessTokenVerifier, AuthInfo } from './types.js';
import {
  createTokenCache,
  freezePlainData,
  isRememberedRejection,
  type TokenCache,
  type TokenCacheOptions,
} from './token-cache.js';
import {
  checkTokenLifetime,
  DEFAULT_CLOCK_TOLERANCE,
  type LifetimeCheckingVerifier,
} from './token-lifetime.js';
import { assertSecureUrl, createAudienceMatcher } from './url.js';

/** Options for {@link createJwtVerifier}. Validated once, at construction. */
export interface JwtVerifierOptions {
  /** The authorization server's issuer identifier; compared exactly with `iss`. https (or loopback http). */
  issuer: string;
  /**
   * This server's canonical resource URI; the token's `aud` must name it (RFC 8707): equal
   * to it, or differing only by scheme/host case, an explicit default port, or `/` as the
   * whole path (see `resourceMatches`).
   */
  resource: string;
  /** Other accepted `aud` values, compared the same way. Default none. */
  additionalAudiences?: string[];
  /**
   * Other accepted `iss` values signed by the same keys (one authorization server known under
   * several issuer identifiers, e.g. Entra ID v1 and v2). Each compared exactly. Default none.
   */
  additionalIssuers?: string[];
  /** JWKS location. Default: `jwks_uri` from the issuer's RFC 8414 metadata, else OIDC discovery. */
  jwksUri?: string;
  /** Accepted signing algorithms (asymmetric only). Default RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA. */
  algorithms?: string[];
  /** Claims that must be present. Default `['iss', 'aud', 'exp', 'sub']`. */
  requiredClaims?: string[];
  /**
   * Leeway for `exp`, `nbf` and `iat`, in seconds (applied by `checkTokenLifetime`, the rule
   * every verifier shares). Default 60.
   */
  clockTolerance?: number;
  /**
   * Also accept `typ: JWT` (or no `typ`) for providers that do not send `at+jwt`. Tokens
   * carrying `nonce` or `at_hash` (ID tokens) are still rejected. Default false.
   */
  allowGenericJwtType?: boolean;
  /**
   * Further `typ` values accepted besides `at+jwt` (case-insensitive), for a provider that
   * labels its access tokens with its own media type (e.g. Okta's
   * `application/okta-internal-at+jwt`). Tokens carrying `nonce` or `at_hash` are still
   * rejected. Default none.
   */
  acceptedTypes?: string[];
  /**
   * Claims scopes are read from, each with its shape: `{ claim, format: 'string' | 'array' }`,
   * or a bare name — `'scope'` (always a space-delimited string) or any other name for an
   * array claim (`'scp'`, `'permissions'`, `'roles'`). A claim of another shape grants nothing;
   * values that are not scope-tokens are dropped; both are listed in
   * `authInfo.extra.droppedScopes`. Default `['scope']`.
   */
  scopeClaims?: ScopeClaimOption[];
  /** Claims the client id is read from, first string wins. Default `['client_id', 'azp']`. */
  clientIdClaims?: string[];
  /**
   * Minimum time between JWKS fetches after an unknown `kid` or a failure, ms, counted from
   * the end of the previous fetch. A failure is remembered that long: without a usable key
   * set, requests get 503 with `Retry-After` at once. Default 30 000.
   */
  jwksCooldown?: number;
  /**
   * Total deadline of one key-set fetch, ms: metadata discovery (both locations, when tried)
   * and the JWKS together, connection to last byte. Default 5 000.
   */
  timeout?: number;
  /**
   * Largest metadata or JWKS response read, bytes; a longer one is refused (and the
   * connection dropped) as soon as that many bytes have arrived. Default 262 144 (256 KiB).
   */
  maxResponseBytes?: number;
  /** Tokens longer than this many characters are rejected before parsing. Default 16 384. */
  maxTokenLength?: number;
  /** The `fetch` used for metadata and JWKS. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /**
   * Verified-token cache: repeated tokens skip signature work (scopes are still evaluated by
   * the caller on every request). Keyed by a SHA-256 digest of the token, bounded by entries
   * and bytes, never past `exp` nor `maxAgeMs`, emptied when the key set changes; bad
   * signatures are refused for `negativeTtlMs`. `false` turns it off. Default on (10 000
   * entries, 8 MiB, 5 min, 5 s).
   */
  cache?: false | TokenCacheOptions;
}

/** A verifier of RFC 9068 JWT access tokens; also the MCP SDK's `OAuthTokenVerifier`. */
export interface JwtVerifier extends AccessTokenVerifier, LifetimeCheckingVerifier {
  /**
   * Verifies `token` and returns its {@link AuthInfo}. Rejects only with `McpAuthError`:
   * `invalid_token` (401) for any bad token, `jwks_unavailable` (503, with `retryAfter`)
   * when no key can be had because the key set cannot be fetched.
   */
  verifyAccessToken(token: string): Promise<AuthInfo>;
  /** The configured issuer. */
  readonly issuer: string;
  /** Increments whenever the cached key set changes (for caches to invalidate). */
  readonly keySetVersion: number;
  /** Always `true`: `exp`, `nbf` and `iat` are checked here with {@link clockTolerance}. */
  readonly checksLifetime: true;
  /** The configured clock tolerance, seconds. */
  readonly clockTolerance: number;
}

/**
 * Every option {@link createJwtVerifier} knows (the keys of {@link JwtVerifierOptions});
 * any other key is refused at construction. Inside `createMcpAuth({ jwt })`, `issuer` and
 * `resource` are not among them (they are top-level options there).
 *
 * @example
 * ```ts
 * JWT_VERIFIER_OPTION_NAMES.has('clockTolerance'); // true
 * ```
 */
export const JWT_VERIFIER_OPTION_NAMES: ReadonlySet<string> = new Set<keyof JwtVerifierOptions>([
  'issuer',
  'resource',
  'additionalAudiences',
  'additionalIssuers',
  'jwksUri',
  'algorithms',
  'requiredClaims',
  'clockTolerance',
  'allowGenericJwtType',
  'acceptedTypes',
  'scopeClaims',
  'clientIdClaims',
  'jwksCooldown',
  'timeout',
  'maxResponseBytes',
  'maxTokenLength',
  'fetch',
  'cache',
]);

/**
 * The default algorithm allow-list of {@link createJwtVerifier}: RSA PKCS#1 v1.5 and PSS,
 * ECDSA P-256/P-384 and EdDSA (RFC 9068 §4 requires RS256; asymmetric only).
 *
 * @example
 * ```ts
 * createJwtVerifier({ issuer, resource, algorithms: [...DEFAULT_ALGORITHMS, 'ES512'] });
 * ```
 */
export const DEFAULT_ALGORITHMS: readonly string[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'EdDSA',
];
const SUPPORTED_ALGORITHMS = new Set([...DEFAULT_ALGORITHMS, 'ES512', 'Ed25519']);
const DEFAULT_REQUIRED_CLAIMS: readonly string[] = ['iss', 'aud', 'exp', 'sub'];
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/**
 * jose's own `exp`/`nbf` judgement is switched off with a tolerance no date can exceed: the
 * times are judged once, by `checkTokenLifetime`, the rule every verifier path shares.
 * (jose still checks that the time claims present are numbers.)
 */
const NO_JOSE_TIME_CHECK = Number.MAX_SAFE_INTEGER;

const invalid = (description: string, reason: InvalidTokenReason, cause?: unknown): McpAuthError =>
  new McpAuthError(
    'invalid_token',
    description,
    cause === undefined ? { reason } : { reason, cause },
  );
const badSignature = (): McpAuthError => invalid('invalid signature', 'bad_signature');

function stringList(option: string, value: unknown, fallback: readonly string[]): string[] {
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new McpAuthConfigError(option, 'must be an array of non-empty strings');
  }
  return [...value];
}

function numberOption(
  option: string,
  value: unknown,
  fallback: number,
  min: number,
  minExclusive = false,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    (minExclusive && value === min)
  ) {
    throw new McpAuthConfigError(
      option,
      `must be a finite number ${minExclusive ? 'greater than' : 'of at least'} ${min}`,
    );
  }
  return value;
}

function resolveAlgorithms(value: unknown): string[] {
  const algorithms = stringList('algorithms', value, DEFAULT_ALGORITHMS);
  if (algorithms.length === 0) throw new McpAuthConfigError('algorithms', 'must not be empty');
  for (const alg of algorithms) {
    if (alg.toLowerCase() === 'none' || /^HS\d+$/i.test(alg)) {
      throw new McpAuthConfigError(
        'algorithms',
        `must list asymmetric algorithms only ("${alg}" is never accepted)`,
      );
    }
    if (!SUPPORTED_ALGORITHMS.has(alg)) {
      throw new McpAuthConfigError(
        'algorithms',
        `contains unsupported algorithm "${alg}" (supported: ${[...SUPPORTED_ALGORITHMS].join(', ')})`,
      );
    }
  }
  return algorithms;
}

/** Safe, specific description for a jose (or other) verification failure. */
function describeFailure(error: unknown): McpAuthError {
  if (isMcpAuthError(error)) return error;
  const { code, claim, reason } = (error ?? {}) as {
    code?: unknown;
    claim?: unknown;
    reason?: unknown;
  };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return invalid('token expired', 'expired', error);
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (reason === 'missing') {
        return invalid(`missing required claim "${String(claim)}"`, 'missing_claim', error);
      }
      if (reason === 'check_failed' && claim === 'nbf') {
        return invalid('token not yet valid', 'not_yet_valid', error);
      }
      if (reason === 'check_failed' && claim === 'iss') {
        return invalid('issuer mismatch', 'issuer', error);
      }
      return invalid(`invalid "${String(claim)}" claim`, 'invalid_claim', error);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return invalid('signing algorithm not allowed', 'algorithm', error);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return invalid('invalid signature', 'bad_signature', error);
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return invalid('no signing key matches the token (unknown kid)', 'unknown_key', error);
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return invalid('malformed token', 'malformed', error);
    default:
      return invalid('token could not be verified', 'unverifiable', error);
  }
}

/**
 * Creates a verifier of RFC 9068 JWT access tokens signed by `issuer`'s keys. Options are
 * validated here (a `TypeError` naming the option); each verification only parses and checks
 * the token.
 *
 * Checks: compact JWS shape and size; `typ` `at+jwt`/`application/at+jwt` (case-insensitive;
 * also `JWT` with `allowGenericJwtType`); `alg` in the allow-list; signature against the JWKS;
 * `iss` exactly; required claims; `exp`/`nbf`/`iat` with `clockTolerance` (see
 * `checkTokenLifetime`); `aud` names `resource` or an `additionalAudiences` entry (exactly, or
 * differing only by scheme/host case, an explicit default port, or `/` as the whole path); no
 * `cnf` (sender-constrained tokens are not bearer tokens); no ID tokens. An unknown option is
 * refused like a wrong one.
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
  if (typeof options !== 'object' || options === null) {
    throw new McpAuthConfigError('options', 'must be an object');
  }
  assertKnownOptions(options, JWT_VERIFIER_OPTION_NAMES);
  const issuer = options.issuer;
  assertSecureUrl('issuer', issuer);
  assertSecureUrl('resource', options.resource);
  if (options.resource.includes('#')) {
    throw new McpAuthConfigError('resource', 'must not have a fragment');
  }
  const resource = options.resource;
  const jwksUri =
    options.jwksUri === undefined ? undefined : assertSecureUrl('jwksUri', options.jwksUri).href;
  const additionalAudiences = stringList('additionalAudiences', options.additionalAudiences, []);
  const additionalIssuers = stringList('additionalIssuers', options.additionalIssuers, []);
  additionalIssuers.forEach((value, i) => {
    assertSecureUrl(`additionalIssuers[${i}]`, value);
  });
  const acceptedTypes = new Set(
    stringList('acceptedTypes', options.acceptedTypes, []).map((t) => t.toLowerCase()),
  );
  const algorithms = resolveAlgorithms(options.algorithms);
  const requiredClaims = stringList(
    'requiredClaims',
    options.requiredClaims,
    DEFAULT_REQUIRED_CLAIMS,
  );
  const scopeClaims = resolveScopeClaims('scopeClaims', options.scopeClaims);
  const clientIdClaims = stringList(
    'clientIdClaims',
    options.clientIdClaims,
    DEFAULT_CLIENT_ID_CLAIMS,
  );
  const clockTolerance = numberOption(
    'clockTolerance',
    options.clockTolerance,
    DEFAULT_CLOCK_TOLERANCE,
    0,
  );
  const cooldown = numberOption('jwksCooldown', options.jwksCooldown, 30_000, 0);
  const timeout = numberOption('timeout', options.timeout, 5_000, 0, true);
  const maxResponseBytes = resolveMaxResponseBytes(options.maxResponseBytes);
  const maxTokenLength = numberOption('maxTokenLength', options.maxTokenLength, 16_384, 1);
  if (
    options.allowGenericJwtType !== undefined &&
    typeof options.allowGenericJwtType !== 'boolean'
  ) {
    throw new McpAuthConfigError('allowGenericJwtType', 'must be a boolean');
  }
  const allowGenericJwtType = options.allowGenericJwtType === true;
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new McpAuthConfigError('fetch', 'must be a function');
  }
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const cache = options.cache === false ? undefined : createTokenCache(options.cache ?? {});

  const keySet = createRemoteKeySet({
    issuer,
    jwksUri,
    fetch: doFetch,
    timeout,
    cooldown,
    maxResponseBytes,
  });
  const audienceAccepted = createAudienceMatcher([resource, ...additionalAudiences]);
  const verifyOptions: JWTVerifyOptions = {
    issuer: additionalIssuers.length === 0 ? issuer : [issuer, ...additionalIssuers],
    algorithms,
    clockTolerance: NO_JOSE_TIME_CHECK,
    requiredClaims,
  };

  function isAccessTokenType(typ: unknown): boolean {
    if (typeof typ !== 'string') return false;
    const t = typ.toLowerCase();
    return t === 'at+jwt' || t === 'application/at+jwt';
  }

  function checkType(typ: unknown): void {
    if (isAccessTokenType(typ)) return;
    if (typeof typ === 'string' && acceptedTypes.has(typ.toLowerCase())) return;
    if (allowGenericJwtType) {
      if (typ === undefined) return;
      if (typeof typ === 'string' && ['jwt', 'application/jwt'].includes(typ.toLowerCase())) return;
    }
    throw invalid(
      typ === undefined ? 'missing token type (typ)' : 'token type (typ) is not at+jwt',
      'token_type',
    );
  }

  const getKey: typeof keySet.getKey = (header, token) => {
    checkType(header.typ);
    return keySet.getKey(header, token);
  };

  async function verifySignature(token: string): Promise<JWTVerifyResult> {
    try {
      return await jwtVerify(token, getKey, verifyOptions);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw error;
      // Several keys fit a header without a usable `kid`: try each one.
      for await (const key of error as AsyncIterable<JoseCryptoKey>) {
        try {
          return await jwtVerify(token, key, verifyOptions);
        } catch (inner) {
          if ((inner as { code?: unknown }).code !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') {
            throw inner;
          }
        }
      }
      throw badSignature();
    }
  }

  function checkClaims(payload: JWTPayload, typ: unknown): void {
    const lifetime = checkTokenLifetime(payload, clockTolerance);
    if (lifetime !== undefined) throw lifetime;
    if (payload.aud === undefined) throw invalid('missing audience (aud)', 'audience');
    if (!audienceAccepted(payload.aud)) throw invalid('audience mismatch', 'audience');
    if (payload.sub !== undefined && typeof payload.sub !== 'string') {
      throw invalid('invalid "sub" claim', 'invalid_claim');
    }
    if (payload.cnf !== undefined) {
      throw invalid(
        'sender-constrained token (cnf) cannot be used as a bearer token',
        'sender_constrained',
      );
    }
    if (!isAccessTokenType(typ) && (payload.nonce !== undefined || payload.at_hash !== undefined)) {
      throw invalid('ID tokens are not accepted as access tokens', 'id_token');
    }
  }

  async function verifyUncached(token: string): Promise<AuthInfo> {
    try {
      if (typeof token !== 'string' || token === '') throw invalid('token is empty', 'malformed');
      if (token.length > maxTokenLength) throw invalid('token is too large', 'too_large');
      if (!COMPACT_JWS.test(token)) throw invalid('malformed token', 'malformed');
      const { payload, protectedHeader } = await verifySignature(token);
      checkClaims(payload, protectedHeader.typ);
      return toAuthInfo(token, payload, new URL(resource), scopeClaims, clientIdClaims);
    } catch (error) {
      throw describeFailure(error);
    }
  }

  /** The cache key of `token`, or `undefined` when a custom hash fails (never fails a request). */
  async function cacheKey(token: string): Promise<string | undefined> {
    try {
      return await (cache as TokenCache).key(token);
    } catch {
      return undefined;
    }
  }

  async function verifyAccessToken(token: string): Promise<AuthInfo> {
    if (cache === undefined || typeof token !== 'string' || token.length > maxTokenLength) {
      return verifyUncached(token);
    }
    const before = keySet.version;
    let key: string | undefined;
    // Nothing cached (cold start, or just emptied): no digest to compute before verifying.
    if (cache.size > 0) {
      const digest = cache.key(token);
      key = typeof digest === 'string' ? digest : await digest.catch(() => undefined);
      if (key !== undefined) {
        const hit = cache.lookup(key, token, before);
        if (hit === false) throw badSignature();
        if (hit !== undefined) return hit;
      }
    }
    let info: AuthInfo;
    try {
      info = await verifyUncached(token);
    } catch (error) {
      // Only a bad signature is remembered (briefly), never a 503 or another failure.
      if (isRememberedRejection(error) && (before === 0 || keySet.version === before)) {
        key ??= await cacheKey(token);
        if (key !== undefined) cache.reject(key, keySet.version);
      }
      throw error;
    }
    // A key set that changed during verification: do not vouch for the result.
    if (before === 0 || keySet.version === before) {
      key ??= await cacheKey(token);
      if (key !== undefined) {
        // The claims are shared read-only by every later hit: frozen here rather than copied.
        freezePlainData(info.extra?.claims);
        cache.store(key, info, keySet.version);
      }
    }
    return info;
  }

  function verifyAccessTokenSync(token: string): AuthInfo | undefined {
    if (cache === undefined || cache.size === 0 || typeof token !== 'string') return undefined;
    if (token.length > maxTokenLength) return undefined;
    const key = cache.keySync(token);
    if (key === undefined) return undefined;
    const hit = cache.lookup(key, token, keySet.version);
    if (hit === false) throw badSignature();
    return hit;
  }

  const verifier: JwtVerifier & { [VERIFY_SYNC]: typeof verifyAccessTokenSync } = {
    verifyAccessToken,
    [VERIFY_SYNC]: verifyAccessTokenSync,
    issuer,
    get keySetVersion() {
      return keySet.version;
    },
    checksLifetime: true,
    clockTolerance,
  };
  return verifier;
}
