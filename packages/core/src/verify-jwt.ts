import {
  type CompactJWSHeaderParameters,
  type CryptoKey as JoseCryptoKey,
  type JWTVerifyOptions,
  type JWTVerifyResult,
  jwtVerify,
} from 'jose';
import { describeJwtFailure } from './describe-jwt-failure.js';
import { invalidToken } from './errors.js';
import { findNodeSignatureCrypto, type NodeSignatureCrypto } from './node-crypto.js';
import { createNodeSignatureCheck, type NodeVerifyMode } from './node-signatures.js';
import { toAuthInfo } from './normalize-claims.js';
import type { RemoteKeySet } from './remote-key-set.js';
import type { ResolvedJwtOptions } from './resolve-jwt-options.js';
import type { AuthInfo } from './types.js';
import { createAudienceMatcher } from './url.js';
import { checkJwtClaims, checkTokenType, type JwtClaimsRule } from './verify-jwt-claims.js';

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/**
 * jose's own `exp`/`nbf` judgement is switched off with a tolerance no date can exceed: the
 * times are judged once, by `checkTokenLifetime`, the rule every verifier path shares.
 * (jose still checks that the time claims present are numbers.)
 */
const NO_JOSE_TIME_CHECK = Number.MAX_SAFE_INTEGER;

/** Verifies a token's signature: jose's result, or a rejection with jose's error or ours. */
type SignatureCheck = (token: string) => Promise<JWTVerifyResult>;

/** `node:crypto` on Node.js itself, found once (see `findNodeSignatureCrypto`). */
const NODE_CRYPTO = findNodeSignatureCrypto();

/**
 * Which signature path verifies: `node` (`crypto.verify` on `KeyObject`s, chosen on Node.js) or
 * `jose` (Web Crypto, everywhere else). Both accept and reject exactly the same tokens.
 */
export type SignaturePath = 'node' | 'jose';

/** The path this runtime uses. */
export const DEFAULT_SIGNATURE_PATH: SignaturePath = NODE_CRYPTO === undefined ? 'jose' : 'node';

/**
 * The signature check of the verifier: jose's `jwtVerify` against the key set, or the Node
 * path (`createNodeSignatureCheck`) with the same options, with the token type checked before
 * a key is looked up. When several keys fit a header without a usable `kid`, each is tried in
 * turn.
 */
function createSignatureCheck(
  options: ResolvedJwtOptions,
  keySet: RemoteKeySet,
  path: SignaturePath,
  nodeMode: NodeVerifyMode,
): SignatureCheck {
  const issuers = [options.issuer, ...options.additionalIssuers];
  const getKey: RemoteKeySet['getKey'] = (header, token) => {
    checkTokenType(header.typ, options);
    return keySet.getKey(header, token);
  };
  if (path === 'node') {
    if (NODE_CRYPTO === undefined) throw new Error('node:crypto is not available here');
    const knownKey = (header: CompactJWSHeaderParameters) => {
      checkTokenType(header.typ, options);
      return keySet.knownKey(header);
    };
    return createNodeSignatureCheck(
      NODE_CRYPTO as NodeSignatureCrypto,
      { issuers, algorithms: new Set(options.algorithms), requiredClaims: options.requiredClaims },
      { getKey, knownKey },
      nodeMode,
    );
  }
  const verifyOptions: JWTVerifyOptions = {
    issuer: issuers.length === 1 ? options.issuer : issuers,
    algorithms: options.algorithms,
    clockTolerance: NO_JOSE_TIME_CHECK,
    requiredClaims: options.requiredClaims,
  };
  return async (token) => {
    try {
      return await jwtVerify(token, getKey, verifyOptions);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw error;
      for await (const key of error as AsyncIterable<JoseCryptoKey>) {
        try {
          return await jwtVerify(token, key, verifyOptions);
        } catch (inner) {
          if ((inner as { code?: unknown }).code !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') {
            throw inner;
          }
        }
      }
      throw invalidToken('invalid signature', 'bad_signature');
    }
  };
}

/**
 * The uncached verification of the JWT verifier: size and compact-JWS shape, `typ`, `alg`,
 * signature against the key set (on Node.js with `node:crypto`, elsewhere with jose's Web
 * Crypto; `path` and `nodeMode` are for tests and benchmarks), `iss`, required claims, then {@link checkJwtClaims}; the
 * result as {@link AuthInfo}. Rejects only with `McpAuthError` (see `describeJwtFailure`).
 *
 * @see RFC 9068 §4
 * @example
 * ```ts
 * const verify = createJwtVerification(resolveJwtOptions(options), keySet);
 * const authInfo = await verify(token);
 * ```
 */
export function createJwtVerification(
  options: ResolvedJwtOptions,
  keySet: RemoteKeySet,
  path: SignaturePath = DEFAULT_SIGNATURE_PATH,
  nodeMode: NodeVerifyMode = 'auto',
): (token: string) => Promise<AuthInfo> {
  const { maxTokenLength, scopeClaims, clientIdClaims } = options;
  const resource = options.resource;
  const checkSignature = createSignatureCheck(options, keySet, path, nodeMode);
  const claimsRule: JwtClaimsRule = {
    clockToleranceMs: options.clockToleranceMs,
    audienceAccepted: createAudienceMatcher([resource, ...options.additionalAudiences]),
    acceptBoundTokens: options.acceptBoundTokens,
  };
  return async (token) => {
    try {
      if (typeof token !== 'string' || token === '') {
        throw invalidToken('token is empty', 'malformed');
      }
      if (token.length > maxTokenLength) throw invalidToken('token is too large', 'too_large');
      if (!COMPACT_JWS.test(token)) throw invalidToken('malformed token', 'malformed');
      const { payload, protectedHeader } = await checkSignature(token);
      checkJwtClaims(payload, protectedHeader.typ, claimsRule);
      return toAuthInfo(token, payload, new URL(resource), scopeClaims, clientIdClaims);
    } catch (error) {
      throw describeJwtFailure(error);
    }
  };
}
