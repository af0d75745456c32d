import type { CompactJWSHeaderParameters, CryptoKey as JoseCryptoKey, JWTVerifyResult } from 'jose';
import { invalidToken } from './errors.js';
import {
  BAD_SIGNATURE,
  type Bytes,
  checkClaimsSet,
  checkCrit,
  checkKey,
  fromBase64url,
  JWS_INVALID,
  joseFailure,
  type NodeSignatureRule,
  parseJsonObject,
  SIGNINGS,
  type Signing,
  signingInput,
} from './jws-steps.js';
import type { NodeSignatureCrypto } from './node-crypto.js';

/** How many parsed protected headers are kept, and the longest kept (encoded, characters). */
const MAX_KEPT_HEADERS = 32;
const MAX_KEPT_HEADER_LENGTH = 1024;

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
