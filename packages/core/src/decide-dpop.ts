import { keyBindingOf } from './dpop/bound-key.js';
import { requestHtu } from './dpop/htu.js';
import { type VerifiedDpopProof, verifyDpopProof } from './dpop/verify-dpop-proof.js';
import { isMcpAuthError } from './errors.js';
import { headerValues } from './headers.js';
import type { McpAuthConfig } from './resolve-options.js';
import { type Challenge, oauthDeny, rejectToken } from './respond.js';
import { noteOutage, type Result, type StageRequest, scopeOfRefusal } from './decide-stage.js';
import type { AuthInfo, AuthorizeResult } from './types.js';

/** The DPoP stage's parts: the proof, its refusals, the nonce, the token's key binding. */

/** 401 for a Bearer request where only DPoP is accepted (`mode: 'required'`). */
export function refuseBearer(c: McpAuthConfig, ch: Challenge, r: StageRequest): AuthorizeResult {
  const description = 'This resource requires a DPoP-bound access token and a DPoP proof';
  return oauthDeny(
    r.d,
    401,
    'invalid_token',
    description,
    ch('invalid_token', description, scopeOfRefusal(c, r)),
  );
}

/** Verifies the request's proof (every request: proofs are never cached). */
export function verifyRequestProof(
  c: McpAuthConfig,
  dpop: NonNullable<McpAuthConfig['dpop']>,
  r: StageRequest,
  token: string,
): Promise<VerifiedDpopProof> {
  return verifyDpopProof(
    {
      proofs: headerValues(r.request.headers, 'dpop'),
      method: r.httpMethod,
      htu: requestHtu(c.resourceOrigin, r.request.url),
      accessToken: token,
    },
    dpop.rule,
  );
}

/** With server nonces, every answer to a DPoP request carries the current one. */
export function withNonce(c: McpAuthConfig, result: Result): Result {
  const nonces = c.dpop?.nonces;
  if (nonces === undefined) return result;
  return Promise.all([result, nonces.current()]).then(([decided, nonce]) => {
    decided.headers['DPoP-Nonce'] = nonce;
    return decided;
  });
}

/** 401 for a DPoP proof refused, or 503 when the replay cache cannot answer. */
export function rejectProof(
  c: McpAuthConfig,
  ch: Challenge,
  r: StageRequest,
  failure: unknown,
): Result {
  const scope = scopeOfRefusal(c, r);
  const nonces = c.dpop?.nonces;
  if (isMcpAuthError(failure) && failure.code === 'use_dpop_nonce' && nonces !== undefined) {
    // The fresh nonce the client must put in its next proof (RFC 9449 §8).
    return nonces
      .current()
      .then((nonce) =>
        oauthDeny(
          r.d,
          401,
          'use_dpop_nonce',
          failure.message,
          ch('use_dpop_nonce', failure.message, scope),
          { 'DPoP-Nonce': nonce },
        ),
      );
  }
  if (isMcpAuthError(failure) && failure.code === 'invalid_dpop_proof') {
    return oauthDeny(
      r.d,
      401,
      'invalid_dpop_proof',
      failure.message,
      ch('invalid_dpop_proof', failure.message, scope),
    );
  }
  noteOutage(c, r.d, failure);
  return rejectToken(r.d, ch, failure, scope);
}

/**
 * Why the token's key binding does not fit the request, or `undefined` when it does: a token
 * bound to a DPoP key needs the `DPoP` scheme and a proof signed by that key; the `DPoP` scheme
 * needs a bound token; a binding other than a DPoP key is never accepted. Checked whatever the
 * `dpop` mode, so a verifier that lets bound tokens through cannot make them bearer tokens.
 */
export function checkKeyBinding(r: StageRequest, authInfo: AuthInfo): string | undefined {
  const binding = keyBindingOf(authInfo);
  if (binding.kind === 'unsupported')
    return 'The access token is bound to a key this server cannot check';
  if (r.scheme === 'bearer') {
    return binding.kind === 'jkt'
      ? 'A DPoP-bound access token must be sent with the DPoP scheme and a DPoP proof'
      : undefined;
  }
  if (binding.kind === 'none') return 'The access token is not DPoP-bound';
  return binding.jkt === r.proofJkt
    ? undefined
    : 'The DPoP proof key does not match the access token binding';
}
