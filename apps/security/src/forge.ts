import { base64url, CompactEncrypt, CompactSign, type CryptoKey, importJWK, type JWK } from 'jose';

const encoder = new TextEncoder();

function segment(value: unknown): string {
  return base64url.encode(encoder.encode(JSON.stringify(value)));
}

/** What {@link signJwt} signs. */
export interface SignJwtOptions {
  /** The whole protected header (`alg` included). */
  header: Record<string, unknown> & { alg: string };
  payload: Record<string, unknown>;
  /** A private key, or the secret of an HS* algorithm. */
  key: CryptoKey | Uint8Array;
  /**
   * Extension parameters to treat as understood while signing, so a `crit` header naming them
   * can be produced (jose refuses to sign an unknown critical parameter otherwise).
   */
  crit?: Record<string, boolean>;
}

/**
 * A compact JWS signed for real with jose: the forgeries an attacker can actually make (their
 * own keys, a public key used as an HMAC secret, arbitrary header parameters).
 *
 * @example
 * ```ts
 * const token = await signJwt({ header: { alg: 'HS256', typ: 'at+jwt' }, payload, key: pemBytes });
 * ```
 */
export function signJwt(options: SignJwtOptions): Promise<string> {
  return new CompactSign(encoder.encode(JSON.stringify(options.payload)))
    .setProtectedHeader(options.header)
    .sign(options.key, options.crit === undefined ? undefined : { crit: options.crit });
}

const SUBTLE_ALGORITHMS: Record<string, AlgorithmIdentifier | EcdsaParams> = {
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
  ES256: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
  EdDSA: { name: 'Ed25519' },
};

/**
 * A compact JWS over the header and payload JSON exactly as written (duplicate members, odd
 * types, an invalid `crit` — things jose refuses to sign), signed with Web Crypto. `alg` picks
 * the signature algorithm (RS256, ES256 or EdDSA) whatever the header says.
 *
 * @example
 * ```ts
 * await signRawJwt('{"alg":"RS256","crit":[]}', JSON.stringify(payload), key.privateKey, 'RS256');
 * ```
 */
export async function signRawJwt(
  headerJson: string,
  payloadJson: string,
  key: CryptoKey,
  alg: 'RS256' | 'ES256' | 'EdDSA',
): Promise<string> {
  const input = `${base64url.encode(encoder.encode(headerJson))}.${base64url.encode(encoder.encode(payloadJson))}`;
  const signature = await crypto.subtle.sign(
    SUBTLE_ALGORITHMS[alg] as AlgorithmIdentifier,
    key as globalThis.CryptoKey,
    encoder.encode(input),
  );
  return `${input}.${base64url.encode(new Uint8Array(signature))}`;
}

/**
 * An unsecured JWT (RFC 7519 §6): `alg` as given (`none`, `None`, …), empty signature unless
 * `signature` is passed.
 *
 * @example
 * ```ts
 * unsecuredJwt({ alg: 'none', typ: 'at+jwt' }, payload);
 * ```
 */
export function unsecuredJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signature = '',
): string {
  return `${segment(header)}.${segment(payload)}.${signature}`;
}

/**
 * A compact JWE (five segments) of `payload`, encrypted to `publicJwk` with RSA-OAEP-256 and
 * A256GCM — the token shape a confused verifier might decrypt instead of refusing.
 *
 * @example
 * ```ts
 * const jwe = await encryptJwt(payload, issuer.key('RS256').publicJwk, { typ: 'at+jwt' });
 * ```
 */
export async function encryptJwt(
  payload: Record<string, unknown>,
  publicJwk: JWK,
  header: Record<string, unknown> = {},
): Promise<string> {
  const key = await importJWK(
    { kty: publicJwk.kty, n: publicJwk.n, e: publicJwk.e },
    'RSA-OAEP-256',
  );
  return new CompactEncrypt(encoder.encode(JSON.stringify(payload)))
    .setProtectedHeader({ ...header, alg: 'RSA-OAEP-256', enc: 'A256GCM' })
    .encrypt(key);
}

/**
 * The header and payload of a compact JWS, decoded (no verification).
 *
 * @example
 * ```ts
 * const { header, payload } = decodeParts(token);
 * ```
 */
export function decodeParts(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [h = '', p = ''] = token.split('.');
  const decode = (s: string) =>
    JSON.parse(new TextDecoder().decode(base64url.decode(s))) as Record<string, unknown>;
  return { header: decode(h), payload: decode(p) };
}
