import type {
  CompactJWSHeaderParameters,
  CryptoKey as JoseCryptoKey,
  JWTPayload,
  JWTVerifyResult,
} from 'jose';
import { invalidToken } from './errors.js';

/** How many parsed protected headers are kept, and the longest kept (encoded, characters). */
const MAX_KEPT_HEADERS = 32;
const MAX_KEPT_HEADER_LENGTH = 1024;

/** The part of `node:crypto` the Node signature path uses. */
export interface NodeSignatureCrypto {
  verify(
    algorithm: string | null,
    data: Uint8Array,
    key: unknown,
    signature: Uint8Array,
    callback?: (error: Error | null, valid: boolean) => void,
  ): boolean;
  KeyObject: { from(key: JoseCryptoKey): unknown };
  constants: { RSA_PKCS1_PSS_PADDING: number };
}

type Runtime = {
  process?: {
    release?: { name?: unknown };
    versions?: Record<string, unknown>;
    getBuiltinModule?: (id: string) => unknown;
  };
  navigator?: { userAgent?: unknown };
};

/**
 * `node:crypto` when the process is Node.js itself, reached through `process.getBuiltinModule`
 * (no `node:` import, so the core stays runtime-neutral); `undefined` elsewhere. Bun and Deno
 * call themselves `node` in `process.release` and offer a partial `node:crypto`; workerd's
 * Node compatibility does too: they keep jose's Web Crypto path.
 *
 * @example
 * ```ts
 * const crypto = findNodeSignatureCrypto(); // undefined on Bun, Deno, Workers, browsers
 * ```
 */
export function findNodeSignatureCrypto(): NodeSignatureCrypto | undefined {
  const { process, navigator } = globalThis as Runtime;
  if (process?.release?.name !== 'node' || typeof process.getBuiltinModule !== 'function') {
    return undefined;
  }
  const versions = process.versions;
  if (typeof versions?.node !== 'string' || versions.bun !== undefined) return undefined;
  if (versions.deno !== undefined) return undefined;
  const agent = navigator?.userAgent;
  if (typeof agent === 'string' && !agent.startsWith('Node.js')) return undefined;
  let crypto: Partial<NodeSignatureCrypto> | undefined;
  try {
    crypto = process.getBuiltinModule('node:crypto') as Partial<NodeSignatureCrypto> | undefined;
  } catch {
    return undefined;
  }
  if (
    typeof crypto?.verify !== 'function' ||
    typeof crypto.KeyObject?.from !== 'function' ||
    typeof crypto.constants?.RSA_PKCS1_PSS_PADDING !== 'number'
  ) {
    return undefined;
  }
  return crypto as NodeSignatureCrypto;
}

/**
 * How each JWS algorithm is checked: the Web Crypto algorithm jose imports the key for (and
 * checks it against) and the `node:crypto` digest and options giving the same verification.
 * The PSS salt length is the digest's size (RFC 7518 §3.5); ECDSA signatures are IEEE P1363
 * `r || s` (RFC 7518 §3.4).
 */
interface Signing {
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

const SIGNINGS: Readonly<Record<string, Signing | undefined>> = Object.assign(Object.create(null), {
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
});

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
 * The key for a protected header, known synchronously (after the verifier's `typ` check);
 * `undefined` when the key set must be asked.
 */
export type KnownKey = (header: CompactJWSHeaderParameters) => JoseCryptoKey | undefined;

/** Resolves the key for a protected header (the verifier's `typ` check, then the key set). */
export type KeyResolver = (
  header: CompactJWSHeaderParameters,
  token: { payload: string; protected: string; signature: string },
) => Promise<JoseCryptoKey>;

/**
 * The failure jose reports at the same step: its error `code` (and, for claims, the `claim` and
 * `reason`) — all the verifier reads when it describes a failure (`describeJwtFailure`).
 */
function joseFailure(code: string, claim?: string, reason?: string): Error {
  return Object.assign(new Error(code), { code, claim, reason });
}
const JWS_INVALID = 'ERR_JWS_INVALID';
const BAD_SIGNATURE = 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED';
const CLAIM_INVALID = 'ERR_JWT_CLAIM_VALIDATION_FAILED';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const ascii = new TextEncoder();
type Bytes = Uint8Array;
type BufferLike = { from(value: string, encoding: 'base64url' | 'latin1'): Bytes };
/** Node's `Buffer` decodes base64url and latin1 far faster than `atob` and `TextEncoder`. */
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

/** The JWS signing input's bytes (ASCII: the verifier admits only the base64url alphabet). */
const signingInput = (text: string): Bytes =>
  NodeBuffer !== undefined ? NodeBuffer.from(text, 'latin1') : ascii.encode(text);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * base64url as jose decodes it, for text already limited to the base64url alphabet (the
 * verifier's compact-JWS check): `null` for a length no base64 text can have.
 */
function fromBase64url(value: string): Bytes | null {
  if (value.length % 4 === 1) return null;
  if (NodeBuffer !== undefined) return NodeBuffer.from(value, 'base64url');
  const binary = atob(value.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A JSON object from UTF-8 bytes (strict); `null` when they are anything else. */
function parseJsonObject(bytes: Bytes | null): Record<string, unknown> | null {
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
function checkCrit(header: Record<string, unknown>): boolean {
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
function checkClaimsSet(payload: Bytes, rule: NodeSignatureRule): JWTPayload {
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
function checkKey(key: JoseCryptoKey, alg: string, signing: Signing): void {
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

/**
 * How signatures are checked: `crypto.verify` on the calling thread (`sync`), in its callback
 * form on libuv's thread pool (`callback`), or `auto` (the default): RSA on the calling thread
 * (an RSA public-key check costs less than the trip to the pool and back), ECDSA and EdDSA on
 * the pool (several times dearer: the event loop goes on serving meanwhile). See
 * `pnpm bench:signatures`.
 */
export type NodeVerifyMode = 'sync' | 'callback' | 'auto';

/**
 * jose's `jwtVerify` for the options the JWT verifier uses, with the signature checked by
 * `node:crypto` instead of Web Crypto. The key set and the choice of key are jose's own (its
 * local JWK set selects and imports the key: `kty`, `crv`, key size, `use`, `key_ops`, `alg`);
 * each imported key becomes a `KeyObject` once and is kept beside it. Everything else follows
 * jose step by step — compact shape, protected header, `crit`, `alg` allow-list, key, RSA key
 * size, signature, payload, `b64`, claims set (required claims, `iss`, time claim types) — and
 * fails with jose's error code at the same step, so the verifier describes a failure the same
 * way on both paths. These steps are jose 6.2.18's (the version the core pins), held to it by
 * the differential test. Precondition: `token` already matched the verifier's compact-JWS
 * pattern (only the base64url alphabet), as `createJwtVerification` checks first.
 *
 * @example
 * ```ts
 * const check = createNodeSignatureCheck(crypto, rule, { getKey, knownKey });
 * const { payload, protectedHeader } = await check(token);
 * ```
 */
export function createNodeSignatureCheck(
  crypto: NodeSignatureCrypto,
  rule: NodeSignatureRule,
  keys: { getKey: KeyResolver; knownKey: KnownKey },
  mode: NodeVerifyMode = 'auto',
): (token: string) => Promise<JWTVerifyResult> {
  const { getKey, knownKey } = keys;
  const required = [...new Set([...rule.requiredClaims, 'iss'].reverse())];
  const claimsRule = { ...rule, requiredClaims: required };
  /**
   * `crypto.verify`'s key argument per imported key, with the algorithm it was checked for:
   * a key is checked again (as jose checks it on every use) before it serves another.
   */
  const keyInputs = new WeakMap<JoseCryptoKey, { alg: string; input: unknown }>();

  /** The key's `crypto.verify` argument, once the key is checked (as jose does) for `alg`. */
  function keyInput(key: JoseCryptoKey, alg: string, signing: Signing): unknown {
    const kept = keyInputs.get(key);
    if (kept !== undefined && kept.alg === alg) return kept.input;
    checkKey(key, alg, signing);
    const keyObject = crypto.KeyObject.from(key);
    const input = signing.ecdsa
      ? { key: keyObject, dsaEncoding: 'ieee-p1363' }
      : signing.saltLength !== undefined
        ? {
            key: keyObject,
            padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
            saltLength: signing.saltLength,
          }
        : keyObject;
    keyInputs.set(key, { alg, input });
    return input;
  }

  function verifySignature(
    input: unknown,
    signing: Signing,
    data: Bytes,
    signature: Bytes,
  ): boolean | Promise<boolean> {
    if (mode === 'sync' || (mode === 'auto' && signing.rsa === true)) {
      try {
        return crypto.verify(signing.digest, data, input, signature);
      } catch {
        return false;
      }
    }
    return new Promise<boolean>((resolve) => {
      try {
        crypto.verify(signing.digest, data, input, signature, (error, valid) =>
          resolve(error === null && valid),
        );
      } catch {
        resolve(false);
      }
    });
  }

  /** After a valid signature: the payload, `b64` and the claims set, as jose takes them. */
  function finish(
    valid: boolean,
    parts: string[],
    header: CompactJWSHeaderParameters,
    b64: boolean,
  ): JWTVerifyResult {
    if (!valid) throw joseFailure(BAD_SIGNATURE);
    keepHeader(parts[0] as string, header);
    // jose decodes a base64url payload after the signature; an unencoded one (b64: false) is
    // verified as it is, then refused: a JWT must not use one.
    if (!b64) throw joseFailure('ERR_JWT_INVALID');
    const claims = fromBase64url(parts[1] as string);
    if (claims === null) throw joseFailure(JWS_INVALID);
    return { payload: checkClaimsSet(claims, claimsRule), protectedHeader: header };
  }

  /** The signature with `key`, then the rest: jose's steps after key resolution. */
  function withKey(
    parts: string[],
    header: CompactJWSHeaderParameters,
    b64: boolean,
    signing: Signing,
    key: JoseCryptoKey,
  ): JWTVerifyResult | Promise<JWTVerifyResult> {
    const [encodedHeader, payload, encodedSignature] = parts as [string, string, string];
    const signature = fromBase64url(encodedSignature);
    if (signature === null) {
      throw joseFailure(JWS_INVALID);
    }
    const input = keyInput(key, header.alg as string, signing);
    const data = signingInput(`${encodedHeader}.${payload}`);
    const valid = verifySignature(input, signing, data, signature);
    return typeof valid === 'boolean'
      ? finish(valid, parts, header, b64)
      : valid.then((v) => finish(v, parts, header, b64));
  }

  /**
   * Protected headers of tokens whose signature verified, parsed: the tokens of one issuer
   * share a few headers. The parse is deterministic, so a kept header is the one parsing would
   * give; kept frozen.
   */
  const headers = new Map<string, CompactJWSHeaderParameters | null>();
  function protectedHeader(encoded: string): CompactJWSHeaderParameters | null {
    return (
      headers.get(encoded) ??
      (parseJsonObject(fromBase64url(encoded)) as CompactJWSHeaderParameters | null)
    );
  }
  /** Keeps a header whose token's signature verified (so junk headers cannot crowd them out). */
  function keepHeader(encoded: string, header: CompactJWSHeaderParameters): void {
    if (headers.has(encoded) || encoded.length > MAX_KEPT_HEADER_LENGTH) return;
    if (headers.size >= MAX_KEPT_HEADERS) headers.clear();
    if (Array.isArray(header.crit)) Object.freeze(header.crit);
    headers.set(encoded, Object.freeze(header));
  }

  return async (token) => {
    const parts = token.split('.');
    if (parts.length !== 3) throw joseFailure(JWS_INVALID);
    const [encodedHeader, payload, signature] = parts as [string, string, string];
    const header = protectedHeader(encodedHeader);
    if (header === null) throw joseFailure(JWS_INVALID);
    const b64 = checkCrit(header as Record<string, unknown>);
    const { alg } = header;
    if (typeof alg !== 'string' || alg === '') {
      throw joseFailure(JWS_INVALID);
    }
    if (!rule.algorithms.has(alg)) {
      throw joseFailure('ERR_JOSE_ALG_NOT_ALLOWED');
    }
    // A key already resolved for this header is taken synchronously; else the key set's answer.
    let key = knownKey(header);
    if (key === undefined) {
      try {
        key = await getKey(header, { payload, protected: encodedHeader, signature });
      } catch (error) {
        return tryEachKey(error, parts, header, b64);
      }
    }
    const signing = SIGNINGS[alg];
    if (signing === undefined) {
      throw joseFailure('ERR_JOSE_NOT_SUPPORTED');
    }
    return withKey(parts, header, b64, signing, key);
  };

  /** Several keys fit a header without a usable `kid`: each in turn, as the jose path does. */
  async function tryEachKey(
    error: unknown,
    parts: string[],
    header: CompactJWSHeaderParameters,
    b64: boolean,
  ): Promise<JWTVerifyResult> {
    if ((error as { code?: unknown }).code !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw error;
    const signing = SIGNINGS[header.alg as string];
    if (signing === undefined) throw error;
    for await (const candidate of error as AsyncIterable<JoseCryptoKey>) {
      try {
        return await withKey(parts, header, b64, signing, candidate);
      } catch (inner) {
        if ((inner as { code?: unknown }).code !== BAD_SIGNATURE) {
          throw inner;
        }
      }
    }
    throw invalidToken('invalid signature', 'bad_signature');
  }
}
