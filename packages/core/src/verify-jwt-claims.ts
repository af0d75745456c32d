import type { JWTPayload } from 'jose';
import { isKeyConfirmation } from './dpop/bound-key.js';
import { invalidToken } from './errors.js';
import { checkTokenLifetime } from './token-lifetime.js';
import type { AudienceMatcher } from './url.js';

/** The `typ` values a JWT verifier accepts, as configured. */
export interface TokenTypeRule {
  /** Further accepted `typ` values, lower-cased. */
  acceptedTypes: ReadonlySet<string>;
  /** Also accept `JWT`, `application/jwt` or no `typ`. */
  allowGenericJwtType: boolean;
}

/** What {@link checkJwtClaims} checks the claims against. */
export interface JwtClaimsRule {
  /** Clock tolerance for `exp`, `nbf` and `iat`, ms. */
  clockToleranceMs: number;
  /** Accepts the `aud` claim when it names the resource (or another accepted audience). */
  audienceAccepted: AudienceMatcher;
  /** Accept a `cnf` that binds the token to a DPoP key (`jkt`); any other `cnf` is refused. */
  acceptBoundTokens?: boolean;
}

/**
 * True for the RFC 9068 access-token type, `at+jwt` or `application/at+jwt` (case-insensitive).
 * @example
 * ```ts
 * isAccessTokenType('AT+JWT'); // true
 * isAccessTokenType('JWT');    // false
 * ```
 */
export function isAccessTokenType(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const t = typ.toLowerCase();
  return t === 'at+jwt' || t === 'application/at+jwt';
}

/**
 * Throws `invalid_token` (reason `token_type`) unless the header's `typ` is accepted:
 * `at+jwt`, one of `acceptedTypes`, or — with `allowGenericJwtType` — `JWT` or none.
 *
 * @see RFC 9068 §4 (typ), RFC 8725 §3.11 (explicit typing)
 * @example
 * ```ts
 * checkTokenType(header.typ, { acceptedTypes: new Set(), allowGenericJwtType: false });
 * ```
 */
export function checkTokenType(typ: unknown, rule: TokenTypeRule): void {
  if (isAccessTokenType(typ)) return;
  if (typeof typ === 'string' && rule.acceptedTypes.has(typ.toLowerCase())) return;
  if (rule.allowGenericJwtType) {
    if (typ === undefined) return;
    if (typeof typ === 'string' && ['jwt', 'application/jwt'].includes(typ.toLowerCase())) return;
  }
  throw invalidToken(
    typ === undefined ? 'missing token type (typ)' : 'token type (typ) is not at+jwt',
    'token_type',
  );
}

/**
 * Checks a signature-verified payload beyond what jose checked (issuer, algorithm, required
 * claims): the lifetime with the clock tolerance (`checkTokenLifetime`), `aud` names the
 * resource, `sub` (when present) is a string, no `cnf` (a sender-constrained token is not a
 * bearer token; with `acceptBoundTokens`, a DPoP `cnf.jkt` is let through for the proof check) and no ID token (`nonce` or `at_hash` in a token not typed `at+jwt`). Throws
 * the `invalid_token` error of the first failure.
 *
 * @see RFC 9068 §4, RFC 7519 §4.1, RFC 8707, RFC 7800 (cnf)
 * @example
 * ```ts
 * checkJwtClaims(payload, protectedHeader.typ, { clockToleranceMs: 60_000, audienceAccepted });
 * ```
 */
export function checkJwtClaims(payload: JWTPayload, typ: unknown, rule: JwtClaimsRule): void {
  const lifetime = checkTokenLifetime(payload, rule.clockToleranceMs);
  if (lifetime !== undefined) throw lifetime;
  if (payload.aud === undefined) throw invalidToken('missing audience (aud)', 'audience');
  if (!rule.audienceAccepted(payload.aud)) throw invalidToken('audience mismatch', 'audience');
  if (payload.sub !== undefined && typeof payload.sub !== 'string') {
    throw invalidToken('invalid "sub" claim', 'invalid_claim');
  }
  if (
    payload.cnf !== undefined &&
    !(rule.acceptBoundTokens === true && isKeyConfirmation(payload.cnf))
  ) {
    throw invalidToken(
      'sender-constrained token (cnf) cannot be used as a bearer token',
      'sender_constrained',
    );
  }
  if (!isAccessTokenType(typ) && (payload.nonce !== undefined || payload.at_hash !== undefined)) {
    throw invalidToken('ID tokens are not accepted as access tokens', 'id_token');
  }
}
