import type { AccessTokenVerifier } from './types.js';

/**
 * The authorization servers a verifier accepts tokens from, as far as it tells: its
 * `authorizationServers` list (multi-issuer, composite and introspection verifiers), else its
 * `issuer` (a JWT verifier), else none. `createMcpAuth` uses it to default the PRM's
 * `authorization_servers` when given a `verifier` without an `issuer`.
 *
 * @example
 * ```ts
 * authorizationServersOf(createMultiIssuerVerifier({ resource, issuers })); // every issuer
 * authorizationServersOf(createJwtVerifier({ issuer, resource }));        // [issuer]
 * ```
 */
export function authorizationServersOf(verifier: AccessTokenVerifier | undefined): string[] {
  if (typeof verifier !== 'object' || verifier === null) return [];
  const { authorizationServers, issuer } = verifier as {
    authorizationServers?: unknown;
    issuer?: unknown;
  };
  if (Array.isArray(authorizationServers)) {
    return authorizationServers.filter((s): s is string => typeof s === 'string' && s !== '');
  }
  return typeof issuer === 'string' && issuer !== '' ? [issuer] : [];
}
