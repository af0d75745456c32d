import { PREPARE, type Prepare, prepareOf } from './core-brand.js';
import { decodeJwt } from 'jose';
import {
  createJwtVerifier,
  type JwtVerifier,
  type JwtVerifierOptions,
} from './create-jwt-verifier.js';
import { DEFAULT_MAX_TOKEN_LENGTH } from './bearer-token.js';
import { invalidToken, McpAuthConfigError } from './errors.js';
import { assertKnownOptions } from './known-options.js';
import type { ProviderPreset } from './presets/provider-preset.js';
import type { LifetimeCheckingVerifier } from './token-lifetime.js';
import type { AccessTokenVerifier, AuthInfo } from './types.js';

/** One accepted issuer: its identifier and its own JWT verifier options (JWKS, audiences, …). */
export type IssuerOptions = Omit<JwtVerifierOptions, 'resource'>;

/**
 * Options of {@link createMultiIssuerVerifier}.
 * @example
 * ```ts
 * const options: MultiIssuerVerifierOptions = {
 *   resource: 'https://mcp.example.com/mcp',
 *   issuers: [{ issuer: 'https://a.example.com' }, auth0({ domain: 'b.us.auth0.com' })],
 * };
 * ```
 */
export interface MultiIssuerVerifierOptions {
  /** This server's canonical resource URI, shared by every issuer. */
  resource: string;
  /** The allow-list: per-issuer JWT verifier options, or provider presets. At least one. */
  issuers: Array<IssuerOptions | ProviderPreset>;
  /** `fetch` for every issuer that does not set its own. */
  fetch?: typeof fetch;
}

/**
 * A verifier over several issuers; also lists them for the PRM.
 * @example
 * ```ts
 * createMcpAuth({ resource, verifier }); // authorization_servers default to verifier.authorizationServers
 * ```
 */
export interface MultiIssuerVerifier extends AccessTokenVerifier, LifetimeCheckingVerifier {
  verifyAccessToken(token: string): Promise<AuthInfo>;
  /** Every accepted `iss` value. */
  readonly issuers: readonly string[];
  /** PRM `authorization_servers`: each issuer's (presets may name a different one), deduplicated. */
  readonly authorizationServers: readonly string[];
  /** Always `true`: each issuer's JWT verifier checks `exp`, `nbf` and `iat` with its own tolerance. */
  readonly checksLifetime: true;
  /** The largest clock tolerance among the issuers' verifiers, milliseconds. */
  readonly clockToleranceMs: number;
}

const OPTION_NAMES: ReadonlySet<string> = new Set<keyof MultiIssuerVerifierOptions>([
  'resource',
  'issuers',
  'fetch',
]);
const PRESET_NAMES: ReadonlySet<string> = new Set<keyof ProviderPreset>([
  'issuer',
  'jwt',
  'authorizationServers',
]);

const ISS_KEY = '"iss":"';
const SIMPLE_VALUE = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * The unverified `iss` of a compact JWS; nothing is verified (the selected verifier does
 * that). Fast path for the usual compact ASCII payload: the only `"iss"` in the decoded text is
 * read directly (a nested or odd one can only route to a verifier that then rejects the
 * token). Everything else goes through jose's `decodeJwt`.
 */
function unverifiedIssuer(token: string): unknown {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 1 || second < 0 || token.indexOf('.', second + 1) !== -1) {
    throw invalidToken('malformed token', 'malformed');
  }
  try {
    const segment = token.slice(first + 1, second);
    const text = atob(segment.replaceAll('-', '+').replaceAll('_', '/'));
    const at = text.indexOf(ISS_KEY);
    if (at !== -1 && text.indexOf('"iss"', at + 1) === -1) {
      const end = text.indexOf('"', at + ISS_KEY.length);
      const value = text.slice(at + ISS_KEY.length, end);
      if (end !== -1 && SIMPLE_VALUE.test(value)) return value;
    }
    return decodeJwt(token).iss;
  } catch (cause) {
    throw invalidToken('malformed token', 'malformed', cause);
  }
}

function isPreset(entry: IssuerOptions | ProviderPreset): entry is ProviderPreset {
  return typeof (entry as { jwt?: unknown }).jwt === 'object';
}

/**
 * The JWT verifier of `issuers[i]` (its own options, or a preset's, with the shared `resource`
 * and `fetch`), its options and its PRM authorization servers. An option error is re-raised
 * naming it where it was written: `issuers[i].<option>`, or `issuers[i].jwt.<option>`.
 */
function issuerVerifier(
  entry: IssuerOptions | ProviderPreset,
  i: number,
  options: MultiIssuerVerifierOptions,
): { verifier: JwtVerifier; jwtOptions: JwtVerifierOptions; servers: readonly string[] } {
  if (typeof entry !== 'object' || entry === null) {
    throw new McpAuthConfigError(`issuers[${i}]`, 'must be an object');
  }
  const preset = isPreset(entry);
  if (preset) assertKnownOptions(entry, PRESET_NAMES, `issuers[${i}].`);
  const jwtOptions: JwtVerifierOptions = preset
    ? { ...entry.jwt, issuer: entry.issuer, resource: options.resource }
    : { ...entry, resource: options.resource };
  if (jwtOptions.fetch === undefined && options.fetch !== undefined) {
    jwtOptions.fetch = options.fetch;
  }
  try {
    const verifier = createJwtVerifier(jwtOptions);
    return { verifier, jwtOptions, servers: preset ? entry.authorizationServers : [entry.issuer] };
  } catch (error) {
    if (error instanceof McpAuthConfigError && error.option !== 'resource') {
      const where = preset && error.option !== 'issuer' ? `issuers[${i}].jwt.` : `issuers[${i}].`;
      throw new McpAuthConfigError(`${where}${error.option}`, error.rule);
    }
    throw error;
  }
}

/**
 * Creates a verifier that accepts JWT access tokens from several authorization servers
 * (multi-tenant), each with its own JWKS and options. The token's unverified `iss` selects
 * the issuer's verifier before any signature check; a token from an issuer not on the list is
 * rejected with `invalid_token` without any network request.
 *
 * @throws McpAuthConfigError (a `TypeError`) for an empty list, a duplicate issuer, an
 *   unknown option, or any per-issuer option error (named `issuers[i].<option>`, a preset's
 *   JWT options `issuers[i].jwt.<option>`).
 * @example
 * ```ts
 * const verifier = createMultiIssuerVerifier({
 *   resource: 'https://mcp.example.com/mcp',
 *   issuers: [
 *     scalekit({ environmentUrl: 'https://acme.scalekit.com', resourceId: 'res_1' }),
 *     { issuer: 'https://login.partner.example', allowGenericJwtType: true },
 *   ],
 * });
 * const auth = createMcpAuth({ resource: 'https://mcp.example.com/mcp', verifier });
 * ```
 */
export function createMultiIssuerVerifier(
  options: MultiIssuerVerifierOptions,
): MultiIssuerVerifier {
  if (typeof options !== 'object' || options === null) {
    throw new McpAuthConfigError('options', 'must be an object');
  }
  assertKnownOptions(options, OPTION_NAMES);
  if (!Array.isArray(options.issuers) || options.issuers.length === 0) {
    throw new McpAuthConfigError('issuers', 'must list at least one issuer');
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new McpAuthConfigError('fetch', 'must be a function');
  }
  const byIssuer = new Map<string, JwtVerifier>();
  let maxTokenLength = 0;
  let clockToleranceMs = 0;
  const authorizationServers: string[] = [];
  options.issuers.forEach((entry, i) => {
    const { verifier, jwtOptions, servers } = issuerVerifier(entry, i, options);
    clockToleranceMs = Math.max(clockToleranceMs, verifier.clockToleranceMs);
    maxTokenLength = Math.max(
      maxTokenLength,
      jwtOptions.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH,
    );
    for (const iss of [jwtOptions.issuer, ...(jwtOptions.additionalIssuers ?? [])]) {
      if (byIssuer.has(iss)) {
        throw new McpAuthConfigError(`issuers[${i}].issuer`, `duplicates the issuer "${iss}"`);
      }
      byIssuer.set(iss, verifier);
    }
    for (const server of servers) {
      if (!authorizationServers.includes(server)) authorizationServers.push(server);
    }
  });
  const issuers = Object.freeze([...byIssuer.keys()]);

  /** The verifier for `token`'s issuer; throws `invalid_token` when there is none. */
  function select(token: string): JwtVerifier {
    if (typeof token !== 'string' || token === '')
      throw invalidToken('token is empty', 'malformed');
    if (token.length > maxTokenLength) throw invalidToken('token is too large', 'too_large');
    const iss = unverifiedIssuer(token);
    if (typeof iss !== 'string') throw invalidToken('missing issuer (iss)', 'missing_claim');
    const verifier = byIssuer.get(iss);
    if (verifier === undefined) throw invalidToken('issuer not accepted', 'issuer');
    return verifier;
  }

  // Not `async`: the selected verifier's promise is returned as is (one hop less per call).
  function verifyAccessToken(token: string): Promise<AuthInfo> {
    let verifier: JwtVerifier;
    try {
      verifier = select(token);
    } catch (error) {
      return Promise.reject(error);
    }
    return verifier.verifyAccessToken(token);
  }

  const verifiers = [...new Set(byIssuer.values())];
  const prepare: Prepare = async () => {
    const results = await Promise.all(verifiers.map((v) => prepareOf(v)?.() ?? []));
    return results.flat();
  };

  const verifier: MultiIssuerVerifier & { [PREPARE]: Prepare } = {
    verifyAccessToken,
    [PREPARE]: prepare,
    issuers,
    authorizationServers: Object.freeze(authorizationServers),
    checksLifetime: true,
    clockToleranceMs,
  };
  return verifier;
}
