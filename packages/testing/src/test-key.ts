import { type CryptoKey, type JWK, exportJWK, exportSPKI, generateKeyPair } from 'jose';

/** Signing algorithms a {@link TestKey} can be generated for. */
export type TestKeyAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA';

const ALGORITHMS: ReadonlySet<string> = new Set<TestKeyAlgorithm>([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
]);

/** A key pair with the public half as a JWK ready to publish in a JWKS. */
export interface TestKey {
  /** Key id, published as `kid` and put in the header of tokens it signs. */
  readonly kid: string;
  /** The JWS algorithm this key signs with. */
  readonly alg: TestKeyAlgorithm;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** The public key as a JWK with `kid`, `alg` and `use: "sig"`. */
  readonly publicJwk: JWK;
}

/** Options for {@link generateTestKey}. */
export interface GenerateTestKeyOptions {
  /** Key id; default a random id prefixed with the algorithm (`rs256-3f9c…`). */
  kid?: string;
}

/** True when `value` names an algorithm {@link generateTestKey} supports. */
export function isTestKeyAlgorithm(value: unknown): value is TestKeyAlgorithm {
  return typeof value === 'string' && ALGORITHMS.has(value);
}

/**
 * Generates a fresh signing key pair (RSA 2048, P-256/384/521 or Ed25519) with jose.
 *
 * @param alg - JWS algorithm, default `RS256`.
 * @example
 * ```ts
 * const outsider = await generateTestKey('RS256', { kid: issuer.key().kid });
 * const forged = await issuer.mintAccessToken({ key: outsider }); // same kid, wrong key
 * ```
 */
export async function generateTestKey(
  alg: TestKeyAlgorithm = 'RS256',
  options: GenerateTestKeyOptions = {},
): Promise<TestKey> {
  if (!isTestKeyAlgorithm(alg)) {
    throw new TypeError(`generateTestKey: unsupported algorithm "${String(alg)}"`);
  }
  const pair = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const kid = options.kid ?? `${alg.toLowerCase()}-${globalThis.crypto.randomUUID().slice(0, 8)}`;
  const jwk = await exportJWK(pair.publicKey);
  return {
    kid,
    alg,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    publicJwk: { ...jwk, kid, alg, use: 'sig' },
  };
}

/**
 * The public key as an SPKI PEM (`-----BEGIN PUBLIC KEY-----`, no trailing newline), e.g. to
 * check that a verifier refuses an HS256 token that uses the PEM as its HMAC secret.
 *
 * @example
 * ```ts
 * const pem = await publicKeyPem(issuer.key('RS256'));
 * ```
 */
export function publicKeyPem(key: TestKey): Promise<string> {
  return exportSPKI(key.publicKey);
}
