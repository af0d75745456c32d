import { invalidToken, isMcpAuthError, type McpAuthError } from './errors.js';

/**
 * The `McpAuthError` a JWT verification failure becomes: an `McpAuthError` as it is (a 503 from
 * the key set, or a check of ours), and a jose error as `invalid_token` with a safe, specific
 * description and typed reason (`expired`, `missing_claim`, `not_yet_valid`, `issuer`,
 * `invalid_claim`, `algorithm`, `bad_signature`, `unknown_key`, `malformed`; `unverifiable` for
 * anything else). The jose error is kept as `cause`, never shown to clients.
 *
 * @example
 * ```ts
 * try { await jwtVerify(token, getKey, options); } catch (error) { throw describeJwtFailure(error); }
 * ```
 */
export function describeJwtFailure(error: unknown): McpAuthError {
  if (isMcpAuthError(error)) return error;
  const { code, claim, reason } = (error ?? {}) as {
    code?: unknown;
    claim?: unknown;
    reason?: unknown;
  };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return invalidToken('token expired', 'expired', error);
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (reason === 'missing') {
        return invalidToken(`missing required claim "${String(claim)}"`, 'missing_claim', error);
      }
      if (reason === 'check_failed' && claim === 'nbf') {
        return invalidToken('token not yet valid', 'not_yet_valid', error);
      }
      if (reason === 'check_failed' && claim === 'iss') {
        return invalidToken('issuer mismatch', 'issuer', error);
      }
      return invalidToken(`invalid "${String(claim)}" claim`, 'invalid_claim', error);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return invalidToken('signing algorithm not allowed', 'algorithm', error);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return invalidToken('invalid signature', 'bad_signature', error);
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return invalidToken('no signing key matches the token (unknown kid)', 'unknown_key', error);
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return invalidToken('malformed token', 'malformed', error);
    default:
      return invalidToken('token could not be verified', 'unverifiable', error);
  }
}
