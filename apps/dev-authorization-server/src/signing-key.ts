import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/**
 * Signature algorithms the development server can sign access tokens with.
 *
 * @example
 * ```ts
 * const alg: SigningAlg = 'ES256';
 * ```
 */
export type SigningAlg = 'RS256' | 'ES256';

/**
 * A private signing key as a JWK with `kid`, `alg` and `use` set.
 *
 * @example
 * ```ts
 * const key: PrivateSigningJwk = await generateSigningKey('RS256');
 * ```
 */
export type PrivateSigningJwk = JWK & { kid: string; alg: SigningAlg; use: 'sig' };

/**
 * Generate a fresh private signing key. The `kid` is the RFC 7638 thumbprint of the public
 * key, so it is stable for the key and unique across keys.
 *
 * @example
 * ```ts
 * const jwk = await generateSigningKey('ES256');
 * jwk.kid; // e.g. 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
 * ```
 */
export async function generateSigningKey(alg: SigningAlg): Promise<PrivateSigningJwk> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid, alg, use: 'sig' };
}
