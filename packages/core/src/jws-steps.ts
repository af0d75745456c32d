/**
 * The steps of jose 6.2.18's `jwtVerify` around the signature, as the Node signature path takes
 * them (see `createNodeSignatureCheck`): decoding, the protected header's `crit`, the claims
 * set, the key's fitness for an algorithm — each failing with jose's error code at that step.
 */
import type { CryptoKey as JoseCryptoKey, JWTPayload } from 'jose';

/**
 * How each JWS algorithm is checked: the Web Crypto algorithm jose imports the key for (and
 * checks it against) and the `node:crypto` digest and options giving the same verification.
 * The PSS salt length is the digest's size (RFC 7518 §3.5); ECDSA signatures are IEEE P1363
 * `r || s` (RFC 7518 §3.4).
 */
export interface Signing {
  name: string;
  hash?: string;
  namedCurve?: string;
  digest: string | null;
  ecdsa?: true;
  rsa?: true;
  saltLength?: number;
}

const rsa = (bits: number): Signing => ({
  name: 'RSASSA-PKCS1-v1_5',
  hash: `SHA-${bits}`,
  digest: `sha${bits}`,
  rsa: true,
});
const pss = (bits: number): Signing => ({
  name: 'RSA-PSS',
  hash: `SHA-${bits}`,
  digest: `sha${bits}`,
  saltLength: bits / 8,
  rsa: true,
});
const ecdsa = (curve: string, bits: number): Signing => ({
  name: 'ECDSA',
  namedCurve: curve,
  digest: `sha${bits}`,
  ecdsa: true,
});
const ed25519: Signing = { name: 'Ed25519', digest: null };

export const SIGNINGS: Readonly<Record<string, Signing | undefined>> = Object.assign(
  Object.create(null),
  {
    RS256: rsa(256),
    RS384: rsa(384),
    RS512: rsa(512),
    PS256: pss(256),
    PS384: pss(384),
    PS512: pss(512),
    ES256: ecdsa('P-256', 256),
    ES384: ecdsa('P-384', 384),
    ES512: ecdsa('P-521', 512),
    EdDSA: ed25519,
    Ed25519: ed25519,
  },
);

/** The options of jose's `jwtVerify` the verifier uses, as the Node path applies them. */
export interface NodeSignatureRule {
  /** Accepted `iss` values. */
  issuers: readonly string[];
  /** Accepted `alg` values. */
  algorithms: ReadonlySet<string>;
  /** Claims that must be present. */
  requiredClaims: readonly string[];
}

/**
 * The failure jose reports at the same step: its error `code` (and, for claims, the `claim` and
 * `reason`) — all the verifier reads when it describes a failure (`describeJwtFailure`).
 */
export function joseFailure(code: string, claim?: string, reason?: string): Error {
  return Object.assign(new Error(code), { code, claim, reason });
}
export const JWS_INVALID = 'ERR_JWS_INVALID';
export const BAD_SIGNATURE = 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED';
const CLAIM_INVALID = 'ERR_JWT_CLAIM_VALIDATION_FAILED';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const ascii = new TextEncoder();
export type Bytes = Uint8Array;
type BufferLike = { from(value: string, encoding: 'base64url' | 'latin1'): Bytes };
/** Node's `Buffer` decodes base64url and latin1 far faster than `atob` and `TextEncoder`. */
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

/** The JWS signing input's bytes (ASCII: the verifier admits only the base64url alphabet). */
export const signingInput = (text: string): Bytes =>
  NodeBuffer !== undefined ? NodeBuffer.from(text, 'latin1') : ascii.encode(text);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * base64url as jose decodes it, for text already limited to the base64url alphabet (the
 * verifier's compact-JWS check): `null` for a length no base64 text can have.
 */
export function fromBase64url(value: string): Bytes | null {
  if (value.length % 4 === 1) return null;
  if (NodeBuffer !== undefined) return NodeBuffer.from(value, 'base64url');
  const binary = atob(value.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A JSON object from UTF-8 bytes (strict); `null` when they are anything else. */
export function parseJsonObject(bytes: Bytes | null): Record<string, unknown> | null {
  if (bytes === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(bytes));
  } catch {
    return null;
  }
  return isPlainObject(parsed) ? parsed : null;
}

/** jose's `crit` rules for a JWS: only `b64` is understood; returns whether the payload is base64url. */
export function checkCrit(header: Record<string, unknown>): boolean {
  const { crit } = header;
  if (crit === undefined) return true;
  if (
    !Array.isArray(crit) ||
    crit.length === 0 ||
    crit.some((p) => typeof p !== 'string' || p.length === 0)
  ) {
    throw joseFailure(JWS_INVALID);
  }
  for (const parameter of crit as string[]) {
    if (parameter !== 'b64') {
      throw joseFailure('ERR_JOSE_NOT_SUPPORTED');
    }
    if (!Object.hasOwn(header, parameter) || header[parameter] === undefined) {
      throw joseFailure(JWS_INVALID);
    }
  }
  if (typeof header.b64 !== 'boolean') {
    throw joseFailure(JWS_INVALID);
  }
  return header.b64;
}

const notNumber = (claim: string) => joseFailure(CLAIM_INVALID, claim, 'invalid');

/** The claims jose's `validateClaimsSet` checks with the verifier's options. */
export function checkClaimsSet(payload: Bytes, rule: NodeSignatureRule): JWTPayload {
  const claims = parseJsonObject(payload);
  if (claims === null) {
    throw joseFailure('ERR_JWT_INVALID');
  }
  for (const claim of rule.requiredClaims) {
    if (!Object.hasOwn(claims, claim)) {
      throw joseFailure(CLAIM_INVALID, claim, 'missing');
    }
  }
  if (!rule.issuers.includes(claims.iss as string)) {
    throw joseFailure(CLAIM_INVALID, 'iss', 'check_failed');
  }
  // Times are judged by the verifier's shared lifetime check; jose, with the tolerance the
  // verifier gives it (no real date exceeds it), only checks their type — and absurd values.
  const iat = claims.iat;
  const nbf = claims.nbf;
  const exp = claims.exp;
  if (iat !== undefined && typeof iat !== 'number') throw notNumber('iat');
  if (nbf !== undefined && typeof nbf !== 'number') throw notNumber('nbf');
  const now = Math.floor(Date.now() / 1000);
  if (typeof nbf === 'number' && nbf > now + Number.MAX_SAFE_INTEGER) {
    throw joseFailure(CLAIM_INVALID, 'nbf', 'check_failed');
  }
  if (exp !== undefined && typeof exp !== 'number') throw notNumber('exp');
  if (typeof exp === 'number' && exp <= now - Number.MAX_SAFE_INTEGER) {
    throw joseFailure('ERR_JWT_EXPIRED', 'exp', 'check_failed');
  }
  return claims as JWTPayload;
}

/** The key (as jose imported it) checked as jose checks it before a verification. */
export function checkKey(key: JoseCryptoKey, alg: string, signing: Signing): void {
  const algorithm = key.algorithm as {
    name?: string;
    hash?: { name?: string };
    namedCurve?: string;
    modulusLength?: number;
  };
  if (
    key.type !== 'public' ||
    algorithm.name !== signing.name ||
    (signing.hash !== undefined && algorithm.hash?.name !== signing.hash) ||
    (signing.namedCurve !== undefined && algorithm.namedCurve !== signing.namedCurve) ||
    !key.usages.includes('verify')
  ) {
    throw new TypeError(`the key cannot verify ${alg}`);
  }
  if (signing.rsa) {
    const bits = algorithm.modulusLength;
    if (typeof bits !== 'number' || bits < 2048) {
      throw new TypeError(`${alg} requires key modulusLength to be 2048 bits or larger`);
    }
  }
}
