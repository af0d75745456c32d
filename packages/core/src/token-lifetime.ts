import { McpAuthError } from './errors.js';

/**
 * The time claims {@link checkTokenLifetime} reads, in seconds since the epoch (RFC 7519
 * NumericDate). Each is optional; present, it must be a finite number.
 */
export interface TokenLifetimeClaims {
  readonly exp?: unknown;
  readonly nbf?: unknown;
  readonly iat?: unknown;
}

/**
 * The default clock tolerance of the built-in verifiers, in milliseconds: 60 000 (one minute).
 * @example
 * ```ts
 * checkTokenLifetime({ exp: authInfo.expiresAt }, DEFAULT_CLOCK_TOLERANCE_MS);
 * ```
 */
export const DEFAULT_CLOCK_TOLERANCE_MS = 60_000;

/**
 * What a verifier that applied {@link checkTokenLifetime} itself says about it, so the caller
 * (`createMcpAuth`) does not judge `exp` a second time with another tolerance. Every built-in
 * verifier has these two properties.
 * @example
 * ```ts
 * const skip = (verifier as Partial<LifetimeCheckingVerifier>).checksLifetime === true;
 * ```
 */
export interface LifetimeCheckingVerifier {
  /** `true`: every token it accepts passed {@link checkTokenLifetime} with `clockToleranceMs`. */
  readonly checksLifetime: boolean;
  /** The clock tolerance it applies, in milliseconds (the largest, for a verifier over several). */
  readonly clockToleranceMs: number;
}

/**
 * The one expiry rule of every verifier path (RFC 7519 §4.1.4–4.1.6, RFC 9068 §4): with `now`
 * and `toleranceMs` in milliseconds and the claims in seconds, a token is refused when
 * `exp × 1000 <= now − toleranceMs` (`expired`), `nbf × 1000 > now + toleranceMs`
 * (`not_yet_valid`) or `iat × 1000 > now + toleranceMs` (`issued_in_future`); a present `exp`,
 * `nbf` or `iat` that is not a finite number is `invalid_claim`. Absent claims are not
 * required here (the JWT verifier's `requiredClaims` requires `exp`). For whole-second claims
 * and tolerances this is jose's rule, which counts in whole seconds.
 *
 * Returns the `invalid_token` error to raise (its `reason` says which rule failed), or
 * `undefined` when the token's lifetime is acceptable. It never throws.
 *
 * @param toleranceMs - leeway in milliseconds, at least 0 (the verifiers' `clockToleranceMs`,
 *   default {@link DEFAULT_CLOCK_TOLERANCE_MS}).
 * @param now - the current time in ms since the epoch. Default `Date.now()`.
 * @see RFC 7519 §4.1.4 (exp), §4.1.5 (nbf), §4.1.6 (iat); RFC 9068 §4
 * @example
 * ```ts
 * const failure = checkTokenLifetime({ exp: authInfo.expiresAt }, 60_000);
 * if (failure !== undefined) throw failure; // failure.reason === 'expired'
 * ```
 */
export function checkTokenLifetime(
  claims: TokenLifetimeClaims,
  toleranceMs: number,
  now: number = Date.now(),
): McpAuthError | undefined {
  const { exp, nbf, iat } = claims;
  if (exp !== undefined) {
    if (!isNumericDate(exp)) return invalidClaim('exp');
    if (exp * 1000 <= now - toleranceMs) {
      return new McpAuthError('invalid_token', 'token expired', { reason: 'expired' });
    }
  }
  if (nbf !== undefined) {
    if (!isNumericDate(nbf)) return invalidClaim('nbf');
    if (nbf * 1000 > now + toleranceMs) {
      return new McpAuthError('invalid_token', 'token not yet valid', { reason: 'not_yet_valid' });
    }
  }
  if (iat !== undefined) {
    if (!isNumericDate(iat)) return invalidClaim('iat');
    if (iat * 1000 > now + toleranceMs) {
      return new McpAuthError('invalid_token', 'token issued in the future', {
        reason: 'issued_in_future',
      });
    }
  }
  return undefined;
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function invalidClaim(claim: string): McpAuthError {
  return new McpAuthError('invalid_token', `invalid "${claim}" claim`, { reason: 'invalid_claim' });
}
