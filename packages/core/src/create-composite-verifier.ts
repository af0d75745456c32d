import { decodeProtectedHeader } from 'jose';
import { authorizationServersOf } from './authorization-servers-of.js';
import { McpAuthConfigError } from './errors.js';
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
export interface CompositeVerifier extends AccessTokenVerifier {
  verifyAccessToken(token: string): Promise<AuthInfo>;
  /** The authorization servers of both verifiers, deduplicated. */
  readonly authorizationServers: readonly string[];
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
  return {
    verifyAccessToken(token: string): Promise<AuthInfo> {
      return isJwtShaped(token)
        ? jwt.verifyAccessToken(token)
        : introspection.verifyAccessToken(token);
    },
    authorizationServers: Object.freeze(servers),
  };
}
