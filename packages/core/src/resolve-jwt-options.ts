import { DEFAULT_MAX_TOKEN_LENGTH } from './bearer-token.js';
import { resolveMaxResponseBytes } from './bounded-fetch.js';
import { McpAuthConfigError } from './errors.js';
import {
  DEFAULT_CLIENT_ID_CLAIMS,
  resolveScopeClaims,
  type ScopeClaim,
  type ScopeClaimOption,
} from './normalize-claims.js';
import { cacheOption, type TokenCacheOptions } from './token-cache-options.js';
import { DEFAULT_CLOCK_TOLERANCE_MS } from './token-lifetime.js';
import { assertSecureUrl } from './url.js';
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

/** Options for `createJwtVerifier`. Validated once, at construction. */
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
   * Leeway for `exp`, `nbf` and `iat`, in milliseconds (applied by `checkTokenLifetime`, the
   * rule every verifier shares). Default 60 000.
   */
  clockToleranceMs?: number;
  /**
   * Also accept `typ: JWT` (or no `typ`) for providers that do not send `at+jwt`. Tokens
   * carrying `nonce` or `at_hash` (ID tokens) are still rejected. Default false.
   */
  allowGenericJwtType?: boolean;
  /**
   * Accept tokens bound to a DPoP key (`cnf.jkt`, RFC 9449 §6) and report the binding in
   * `authInfo.extra.claims.cnf`. Only for a caller that then checks the request's DPoP proof
   * against it — `createMcpAuth` does when its `dpop` option is on (and sets this itself for the
   * verifier it builds). Any other `cnf` is still refused. Default false: a `cnf`-bound token is
   * refused (`sender_constrained`).
   */
  acceptBoundTokens?: boolean;
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
  jwksCooldownMs?: number;
  /**
   * Total deadline of one key-set fetch, ms: metadata discovery (both locations, when tried)
   * and the JWKS together, connection to last byte. Default 5 000.
   */
  timeoutMs?: number;
  /**
   * Largest metadata or JWKS response read, bytes; a longer one is refused (and the
   * connection dropped) as soon as that many bytes have arrived. Default 262 144 (256 KiB).
   */
  maxResponseBytes?: number;
  /** Tokens longer than this many characters are rejected before parsing. Default 8192. */
  maxTokenLength?: number;
  /** The `fetch` used for metadata and JWKS. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /**
   * Verified-token cache: repeated tokens skip signature work (scopes are still evaluated by
   * the caller on every request). Keyed by the token's SHA-256 digest, bounded by entries and
   * bytes, never past `exp` nor `maxAgeMs`, emptied when the key set changes; bad signatures
   * are refused for `negativeTtlMs`. `false` turns it off. Default on (10 000 entries, 8 MiB,
   * 5 min, 5 s).
   */
  cache?: false | TokenCacheOptions;
}

/**
 * Every option `createJwtVerifier` knows (the keys of {@link JwtVerifierOptions}); any other
 * key is refused at construction. Inside `createMcpAuth({ jwt })`, `issuer` and `resource` are
 * not among them (they are top-level options there).
 *
 * @example
 * ```ts
 * JWT_VERIFIER_OPTION_NAMES.has('clockToleranceMs'); // true
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
  'clockToleranceMs',
  'allowGenericJwtType',
  'acceptBoundTokens',
  'acceptedTypes',
  'scopeClaims',
  'clientIdClaims',
  'jwksCooldownMs',
  'timeoutMs',
  'maxResponseBytes',
  'maxTokenLength',
  'fetch',
  'cache',
]);

/**
 * The JWT verifier's former option names, with what replaced them (durations now say their
 * unit, milliseconds): the hint a caller still using one gets.
 *
 * @example
 * ```ts
 * assertOptionNames(options.jwt, JWT_OPTION_NAMES, RENAMED_JWT_OPTIONS, 'jwt.');
 * ```
 */
export const RENAMED_JWT_OPTIONS: RenamedOptions = Object.freeze({
  clockTolerance: 'renamed "clockToleranceMs", in milliseconds',
  jwksCooldown: 'renamed "jwksCooldownMs"',
  timeout: 'renamed "timeoutMs"',
});

/**
 * The default algorithm allow-list of `createJwtVerifier`: RSA PKCS#1 v1.5 and PSS, ECDSA
 * P-256/P-384 and EdDSA (RFC 9068 §4 requires RS256; asymmetric only).
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

/** {@link JwtVerifierOptions} validated, with every default filled in. */
export interface ResolvedJwtOptions {
  issuer: string;
  resource: string;
  additionalAudiences: string[];
  additionalIssuers: string[];
  jwksUri: string | undefined;
  algorithms: string[];
  requiredClaims: string[];
  clockToleranceMs: number;
  allowGenericJwtType: boolean;
  acceptBoundTokens: boolean;
  /** Lower-cased. */
  acceptedTypes: ReadonlySet<string>;
  scopeClaims: readonly ScopeClaim[];
  clientIdClaims: string[];
  jwksCooldownMs: number;
  timeoutMs: number;
  maxResponseBytes: number;
  maxTokenLength: number;
  fetch: typeof fetch;
  /** Validated, defaults filled in; `undefined` when the cache is off. */
  cache: Required<TokenCacheOptions> | undefined;
}

function resolveAlgorithms(value: unknown): string[] {
  const algorithms = stringListOption('algorithms', value, DEFAULT_ALGORITHMS);
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

/** The issuer and its aliases, each an https (or loopback http) URL. */
function resolveIssuers(o: JwtVerifierOptions): { issuer: string; additionalIssuers: string[] } {
  assertSecureUrl('issuer', o.issuer);
  const additionalIssuers = stringListOption('additionalIssuers', o.additionalIssuers, []);
  additionalIssuers.forEach((value, i) => {
    assertSecureUrl(`additionalIssuers[${i}]`, value);
  });
  return { issuer: o.issuer, additionalIssuers };
}

/**
 * Validates {@link JwtVerifierOptions} — every one, at construction, with a `TypeError` naming
 * the option and the rule (a former option name gets a hint naming its replacement) — and fills
 * in the defaults.
 *
 * @example
 * ```ts
 * resolveJwtOptions({ issuer, resource }).clockToleranceMs; // 60000
 * ```
 */
export function resolveJwtOptions(options: JwtVerifierOptions): ResolvedJwtOptions {
  assertOptionsObject(options);
  assertOptionNames(options, JWT_VERIFIER_OPTION_NAMES, RENAMED_JWT_OPTIONS);
  const o = options;
  return {
    ...resolveIssuers(o),
    resource: resourceOption(o.resource),
    additionalAudiences: stringListOption('additionalAudiences', o.additionalAudiences, []),
    jwksUri: o.jwksUri === undefined ? undefined : assertSecureUrl('jwksUri', o.jwksUri).href,
    algorithms: resolveAlgorithms(o.algorithms),
    requiredClaims: stringListOption('requiredClaims', o.requiredClaims, DEFAULT_REQUIRED_CLAIMS),
    clockToleranceMs: numberOption(
      'clockToleranceMs',
      o.clockToleranceMs,
      DEFAULT_CLOCK_TOLERANCE_MS,
      0,
    ),
    allowGenericJwtType: flagOption('allowGenericJwtType', o.allowGenericJwtType, false),
    acceptBoundTokens: flagOption('acceptBoundTokens', o.acceptBoundTokens, false),
    acceptedTypes: new Set(
      stringListOption('acceptedTypes', o.acceptedTypes, []).map((t) => t.toLowerCase()),
    ),
    scopeClaims: resolveScopeClaims('scopeClaims', o.scopeClaims),
    clientIdClaims: stringListOption('clientIdClaims', o.clientIdClaims, DEFAULT_CLIENT_ID_CLAIMS),
    jwksCooldownMs: numberOption('jwksCooldownMs', o.jwksCooldownMs, 30_000, 0),
    timeoutMs: numberOption('timeoutMs', o.timeoutMs, 5_000, 0, true),
    maxResponseBytes: resolveMaxResponseBytes(o.maxResponseBytes),
    maxTokenLength: numberOption('maxTokenLength', o.maxTokenLength, DEFAULT_MAX_TOKEN_LENGTH, 1),
    fetch: fetchOption(o.fetch),
    cache: cacheOption(o.cache),
  };
}
