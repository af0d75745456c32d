import { isKeyConfirmation } from './dpop/bound-key.js';
import type { CachedRejection } from './token-cache.js';
import type { IntrospectionResponse } from './introspection-endpoint.js';
import { checkTokenLifetime } from './token-lifetime.js';
import type { AudienceMatcher } from './url.js';

/** What {@link checkIntrospectionResponse} checks an active response against. */
export interface IntrospectionResponseRule {
  /** Clock tolerance for `exp`, `nbf` and `iat`, ms. */
  clockToleranceMs: number;
  /** The configured issuer; a response's `iss`, when present, must equal it. */
  issuer: string | undefined;
  /** Accepts the `aud` claim when it names the resource (or another accepted audience). */
  audienceAccepted: AudienceMatcher;
  /** Refuse a response without `aud`. */
  requireAudience: boolean;
  /** Accept a `cnf` that binds the token to a DPoP key (`jkt`); any other `cnf` is refused. */
  acceptBoundTokens?: boolean;
}

/**
 * The refusal of an `active: false` response.
 * @example
 * ```ts
 * if (!response.active) throw invalidToken(INACTIVE.description, INACTIVE.reason);
 * ```
 */
export const INACTIVE: CachedRejection = Object.freeze({
  description: 'token is not active',
  reason: 'inactive',
});

/**
 * Why an introspection response is refused, or `undefined` when it is acceptable: inactive;
 * `exp`, `nbf` or `iat` against the clock with the tolerance (`checkTokenLifetime`); `iss`
 * other than the configured issuer; `aud` missing (when required) or not naming the resource;
 * `sub` not a string; `cnf` present (a sender-constrained token is not a bearer token).
 *
 * @see RFC 7662 §2.2, RFC 7519 §4.1, RFC 7800 (cnf)
 * @example
 * ```ts
 * const rejection = checkIntrospectionResponse(response, rule, Date.now());
 * if (rejection !== undefined) throw invalidToken(rejection.description, rejection.reason);
 * ```
 */
export function checkIntrospectionResponse(
  response: IntrospectionResponse,
  rule: IntrospectionResponseRule,
  now: number,
): CachedRejection | undefined {
  if (response.active !== true) return INACTIVE;
  const lifetime = checkTokenLifetime(response, rule.clockToleranceMs, now);
  if (lifetime !== undefined) {
    return { description: lifetime.message, reason: lifetime.reason ?? 'invalid_claim' };
  }
  const { iss, aud, sub } = response;
  if (rule.issuer !== undefined && iss !== undefined && iss !== rule.issuer) {
    return { description: 'issuer mismatch', reason: 'issuer' };
  }
  if (aud === undefined || (Array.isArray(aud) && aud.length === 0)) {
    if (rule.requireAudience) return { description: 'missing audience (aud)', reason: 'audience' };
  } else if (!rule.audienceAccepted(aud)) {
    return { description: 'audience mismatch', reason: 'audience' };
  }
  if (sub !== undefined && typeof sub !== 'string') {
    return { description: 'invalid "sub" claim', reason: 'invalid_claim' };
  }
  if (
    response.cnf !== undefined &&
    !(rule.acceptBoundTokens === true && isKeyConfirmation(response.cnf))
  ) {
    return {
      description: 'sender-constrained token (cnf) cannot be used as a bearer token',
      reason: 'sender_constrained',
    };
  }
  return undefined;
}
