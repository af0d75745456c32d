import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  type JWK,
  type JWSHeaderParameters,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import { McpAuthError } from '../errors.js';
import { accessTokenHash } from './ath.js';
import { normalizeHtu } from './htu.js';
import type { NonceSource } from './nonce.js';
import type { ProofKey } from './proof-keys.js';
import type { ReplayCache } from './replay-cache.js';

/** What {@link verifyDpopProof} checks a proof against. */
export interface DpopProofRule {
  /** Accepted `alg` values (asymmetric only). */
  readonly algorithms: readonly string[];
  /** How far `iat` may be from the clock, either way, ms. */
  readonly iatWindowMs: number;
  /** Where each proof's `jti` is remembered. */
  readonly replayCache: ReplayCache;
  /** The clock in ms. Default `Date.now`. */
  readonly now?: () => number;
  /** Imported proof keys kept between requests (see `createProofKeys`). Default: none kept. */
  readonly keys?: { get(header: JWSHeaderParameters): Promise<ProofKey> };
  /** Server nonces: the proof's `nonce` must be a current one. Default: no nonce asked. */
  readonly nonces?: NonceSource;
}

/** One request's side of {@link verifyDpopProof}. */
export interface DpopProofRequest {
  /** Every `DPoP` header value the request carried. */
  readonly proofs: readonly string[];
  /** The request method, upper case. */
  readonly method: string;
  /** The normalized request URI without query (see `requestHtu`); `undefined` if none. */
  readonly htu: string | undefined;
  /** The access token the proof must be bound to (`ath`). */
  readonly accessToken: string;
}

/** Longest accepted proof, characters: a proof carries one public key (RSA 4096 fits). */
export const MAX_PROOF_LENGTH = 8192;
/** Longest accepted `jti`, characters (it is remembered, so it is bounded). */
const MAX_JTI_LENGTH = 256;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** The replay cache's answer when it cannot answer, seconds before a retry. */
const REPLAY_RETRY_AFTER_SECONDS = 5;

/** An `invalid_dpop_proof` refusal (401, RFC 9449 §7.1). */
export function invalidProof(description: string, cause?: unknown): McpAuthError {
  return new McpAuthError('invalid_dpop_proof', description, cause === undefined ? {} : { cause });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The least margin a replay mark outlives the iat window by, ms (clocks of other instances). */
const CLOCK_SKEW_MARGIN_MS = 30_000;

/** base64url characters of a 4096-bit RSA modulus (512 bytes). */
const MAX_RSA_MODULUS_CHARS = 683;

/** The one proof of the request, its header checked before any signature work. */
function readProof(proofs: readonly string[], rule: DpopProofRule): string {
  if (proofs.length === 0) throw invalidProof('DPoP proof missing');
  // A Web `Headers` object joins repeated headers with ", "; a compact JWS has no comma.
  if (proofs.length > 1 || (proofs[0] as string).includes(',')) {
    throw invalidProof('more than one DPoP header');
  }
  const proof = (proofs[0] as string).trim();
  if (proof.length > MAX_PROOF_LENGTH) throw invalidProof('DPoP proof too large');
  if (!COMPACT_JWS.test(proof)) throw invalidProof('DPoP proof is not a signed JWT');
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(proof) as Record<string, unknown>;
  } catch (cause) {
    throw invalidProof('DPoP proof header cannot be decoded', cause);
  }
  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'dpop+jwt') {
    throw invalidProof('DPoP proof typ is not dpop+jwt');
  }
  if (typeof header.alg !== 'string' || !rule.algorithms.includes(header.alg)) {
    throw invalidProof('DPoP proof alg is not accepted');
  }
  const { jwk } = header;
  if (!isRecord(jwk)) throw invalidProof('DPoP proof jwk is missing');
  if (jwk.kty === 'oct' || PRIVATE_MEMBERS.some((m) => Object.hasOwn(jwk, m))) {
    throw invalidProof('DPoP proof jwk must be a public key');
  }
  // An RSA key costs what its size and exponent make it cost: at most 4096 bits, e = 65537,
  // so a proof cannot buy many times the CPU of a normal one before its signature fails.
  if (
    jwk.kty === 'RSA' &&
    (jwk.e !== 'AQAB' || typeof jwk.n !== 'string' || jwk.n.length > MAX_RSA_MODULUS_CHARS)
  ) {
    throw invalidProof('DPoP proof RSA key must have e = 65537 and at most 4096 bits');
  }
  return proof;
}

/** Checks the claims against the request; returns the `jti`. */
async function checkClaims(
  payload: JWTPayload,
  request: DpopProofRequest,
  rule: DpopProofRule,
  now: number,
): Promise<string> {
  const { htm, htu, iat, jti, ath } = payload as Record<string, unknown>;
  if (htm !== request.method) throw invalidProof('DPoP proof htm does not match the request');
  if (typeof htu !== 'string' || request.htu === undefined || normalizeHtu(htu) !== request.htu) {
    throw invalidProof('DPoP proof htu does not match the request');
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat))
    throw invalidProof('DPoP proof iat missing');
  if (Math.abs(now - iat * 1000) > rule.iatWindowMs) {
    throw invalidProof('DPoP proof iat is outside the accepted window');
  }
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    throw invalidProof('DPoP proof jti missing or too long');
  }
  if (typeof ath !== 'string' || ath !== (await accessTokenHash(request.accessToken))) {
    throw invalidProof('DPoP proof ath does not match the access token');
  }
  return jti;
}

/**
 * A proof that passed every check but the replay check, which the caller runs with `markUsed`
 * once the access token is verified and bound to `jkt`: a request without a valid bound token
 * never writes to the replay cache (no one can fill it with self-signed proofs alone).
 */
export interface VerifiedDpopProof {
  /** RFC 7638 thumbprint of the proof's key. */
  jkt: string;
  /** Records the proof's `jti`: rejects with `invalid_dpop_proof` when it was used before. */
  markUsed(): Promise<void>;
}

/** The replay check last, so only proofs that passed everything else are remembered. */
async function checkReplay(rule: DpopProofRule, jkt: string, jti: string): Promise<void> {
  let fresh: boolean;
  try {
    // Long enough to cover every moment at which the proof's iat is still in the window, plus
    // a margin for instances whose clocks differ from the one that recorded it.
    fresh = await rule.replayCache.setIfAbsent(
      `dpop-jti:${jkt}:${jti}`,
      2 * rule.iatWindowMs + Math.max(rule.iatWindowMs, CLOCK_SKEW_MARGIN_MS),
    );
  } catch (cause) {
    throw new McpAuthError('dpop_replay_unavailable', 'DPoP replay check unavailable', {
      cause,
      retryAfterSeconds: REPLAY_RETRY_AFTER_SECONDS,
    });
  }
  if (fresh !== true) throw invalidProof('DPoP proof has already been used');
}

/**
 * Verifies the DPoP proof of one request (RFC 9449 §4.3) and returns the RFC 7638 thumbprint
 * (`jkt`) of its key, which the access token's `cnf.jkt` must equal: exactly one `DPoP` header;
 * a compact JWS with `typ` `dpop+jwt`; `alg` in the allow-list; `jwk` a public key (no private
 * or symmetric members); the signature with that key; `htm` equal to the method; `htu` equal to
 * the request URI without query and fragment after RFC 3986 normalization; `iat` within
 * `iatWindowMs` of the clock; `jti` present (and, by `markUsed`, not seen before in `replayCache`); `ath` equal to
 * base64url(SHA-256(access token)); with `nonces`, `nonce` a current server nonce. Rejects with
 * `invalid_dpop_proof` (401), `use_dpop_nonce` (401), or `dpop_replay_unavailable` (503) when
 * the replay cache cannot answer.
 *
 * @see RFC 9449 §4.3, §7.1; RFC 7638
 * @example
 * ```ts
 * const { jkt } = await verifyDpopProof(
 *   { proofs: headerValues(headers, 'dpop'), method: 'POST', htu, accessToken },
 *   { algorithms: ['ES256'], iatWindowMs: 60_000, replayCache },
 * );
 * ```
 */
export async function verifyDpopProof(
  request: DpopProofRequest,
  rule: DpopProofRule,
): Promise<VerifiedDpopProof> {
  const proof = readProof(request.proofs, rule);
  const now = (rule.now ?? Date.now)();
  let payload: JWTPayload;
  let jwk: JWK;
  let jkt: string | undefined;
  const { keys } = rule;
  const getKey =
    keys === undefined
      ? EmbeddedJWK
      : async (header: JWSHeaderParameters) => {
          const found = await keys.get(header);
          jkt = found.jkt;
          return found.key;
        };
  try {
    const result = await jwtVerify(proof, getKey, {
      typ: 'dpop+jwt',
      algorithms: [...rule.algorithms],
      currentDate: new Date(now),
      clockTolerance: Math.ceil(rule.iatWindowMs / 1000),
    });
    payload = result.payload;
    jwk = result.protectedHeader.jwk as JWK;
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    throw invalidProof(
      code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
        ? 'DPoP proof signature is invalid'
        : 'DPoP proof cannot be verified',
      cause,
    );
  }
  const jti = await checkClaims(payload, request, rule, now);
  if (rule.nonces !== undefined && !(await rule.nonces.accepts(payload.nonce))) {
    throw new McpAuthError(
      'use_dpop_nonce',
      payload.nonce === undefined ? 'DPoP proof nonce required' : 'DPoP proof nonce is not current',
    );
  }
  jkt ??= await calculateJwkThumbprint(jwk, 'sha256');
  const key = jkt;
  return { jkt, markUsed: () => checkReplay(rule, key, jti) };
}
