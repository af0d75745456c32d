import { PREPARE, type Prepare, prepareOf } from './core-brand.js';
import { decodeProtectedHeader } from 'jose';
import { authorizationServersOf } from './authorization-servers-of.js';
import { McpAuthConfigError } from './errors.js';
import { assertKnownOptions } from './known-options.js';
import { DEFAULT_CLOCK_TOLERANCE_MS, type LifetimeCheckingVerifier } from './token-lifetime.js';
import type { AccessTokenVerifier, AuthInfo } from './types.js';

/**
 * Options of {@link createCompositeVerifier}.
 * @example
 * ```ts
 * const options: CompositeVerifierOptions = { jwt: jwtVerifier, introspection: introspectionVerifier };
 * ```
 */
export interface CompositeVerifierOptions {
  /** Verifies JWT-shaped tokens (e.g. {@link createJwtVerifier} or a multi-issuer verifier). */
  jwt: AccessTokenVerifier;
  /** Verifies every other token (e.g. {@link createIntrospectionVerifier}). */
  introspection: AccessTokenVerifier;
}

/**
 * A verifier that routes by token shape.
 * @example
 * ```ts
 * const verifier: CompositeVerifier = createCompositeVerifier({ jwt, introspection });
 * ```
 */
export interface CompositeVerifier extends AccessTokenVerifier, LifetimeCheckingVerifier {
  verifyAccessToken(token: string): Promise<AuthInfo>;
  /** The authorization servers of both verifiers, deduplicated. */
  readonly authorizationServers: readonly string[];
  /**
   * `true` when both verifiers say they check `exp`, `nbf` and `iat` themselves
   * (`checksLifetime: true`, as every built-in verifier does); `false` when either does not,
   * so the caller applies `checkTokenLifetime` to what it accepts.
   */
  readonly checksLifetime: boolean;
  /**
   * The larger of the two verifiers' `clockToleranceMs` (60 000 when neither states one),
   * milliseconds.
   */
  readonly clockToleranceMs: number;
}

const OPTION_NAMES: ReadonlySet<string> = new Set<keyof CompositeVerifierOptions>([
  'jwt',
  'introspection',
]);

/** The `checksLifetime` and `clockToleranceMs` a verifier states, if any. */
function lifetimeOf(verifier: AccessTokenVerifier): Partial<LifetimeCheckingVerifier> {
  return verifier as Partial<LifetimeCheckingVerifier>;
}

const THREE_SEGMENTS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * True when `token` looks like a compact JWS: three base64url segments, the first of which
 * starts with `eyJ` (base64url of `{"`) or otherwise decodes to a JSON object (the protected
 * header). Nothing is verified.
 *
 * @example
 * ```ts
 * isJwtShaped('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln'); // true
 * isJwtShaped('2YotnFZFEjr1zCsicMWpAA');                      // false
 * ```
 */
export function isJwtShaped(token: string): boolean {
  if (typeof token !== 'string' || !THREE_SEGMENTS.test(token)) return false;
  // `eyJ` is base64url for `{"`: the start of every compactly serialised JOSE header.
  if (token.startsWith('eyJ')) return true;
  try {
    decodeProtectedHeader(token);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates a verifier for servers that receive both JWT and opaque access tokens: JWT-shaped
 * tokens (see {@link isJwtShaped}) go to `jwt`, everything else to `introspection`. A token
 * is never tried with both, so a rejected JWT is never sent to the introspection endpoint.
 *
 * @example
 * ```ts
 * const verifier = createCompositeVerifier({
 *   jwt: createJwtVerifier({ issuer, resource }),
 *   introspection: createIntrospectionVerifier({ endpoint, clientId, clientSecret, resource, issuer }),
 * });
 * const auth = createMcpAuth({ resource, verifier });
 * ```
 */
export function createCompositeVerifier(options: CompositeVerifierOptions): CompositeVerifier {
  if (typeof options !== 'object' || options === null) {
    throw new McpAuthConfigError('options', 'must be an object');
  }
  assertKnownOptions(options, OPTION_NAMES);
  for (const name of ['jwt', 'introspection'] as const) {
    const verifier = options[name] as Partial<AccessTokenVerifier> | undefined;
    if (typeof verifier?.verifyAccessToken !== 'function') {
      throw new McpAuthConfigError(
        name,
        'must be an object with a verifyAccessToken(token) method',
      );
    }
  }
  const { jwt, introspection } = options;
  const servers = [
    ...new Set([...authorizationServersOf(jwt), ...authorizationServersOf(introspection)]),
  ];
  const tolerances = [
    lifetimeOf(jwt).clockToleranceMs,
    lifetimeOf(introspection).clockToleranceMs,
  ].filter((t): t is number => typeof t === 'number' && Number.isFinite(t) && t >= 0);
  const prepare: Prepare = async () => {
    const results = await Promise.all([jwt, introspection].map((v) => prepareOf(v)?.() ?? []));
    return results.flat();
  };
  const verifier: CompositeVerifier & { [PREPARE]: Prepare } = {
    [PREPARE]: prepare,
    verifyAccessToken(token: string): Promise<AuthInfo> {
      return isJwtShaped(token)
        ? jwt.verifyAccessToken(token)
        : introspection.verifyAccessToken(token);
    },
    authorizationServers: Object.freeze(servers),
    checksLifetime:
      lifetimeOf(jwt).checksLifetime === true && lifetimeOf(introspection).checksLifetime === true,
    clockToleranceMs:
      tolerances.length === 0 ? DEFAULT_CLOCK_TOLERANCE_MS : Math.max(...tolerances),
  };
  return verifier;
}
