import type { AuthInfo } from '../types.js';

/** An RFC 7638 SHA-256 thumbprint: 43 base64url characters. */
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

/**
 * True for a `cnf` (RFC 7800) that binds a token to a DPoP key and to nothing else this library
 * could not check: an object whose only member is `jkt`, a SHA-256 JWK thumbprint.
 * @see RFC 9449 §6.1
 * @example
 * ```ts
 * isKeyConfirmation({ jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' }); // true
 * isKeyConfirmation({ 'x5t#S256': '…' }); // false
 * ```
 */
export function isKeyConfirmation(cnf: unknown): boolean {
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) return false;
  const keys = Object.keys(cnf);
  const { jkt } = cnf as { jkt?: unknown };
  return keys.length === 1 && typeof jkt === 'string' && THUMBPRINT.test(jkt);
}

/**
 * What binds a verified token to a key: `none` (a bearer token), the DPoP key's thumbprint, or
 * `unsupported` for a `cnf` this library cannot check (refused whatever the scheme). Read from
 * `extra.claims.cnf`, where the built-in verifiers put the token's claims, or `extra.cnf`.
 * @example
 * ```ts
 * const binding = keyBindingOf(authInfo);
 * if (binding.kind === 'jkt' && binding.jkt !== proof.jkt) refuse();
 * ```
 */
export function keyBindingOf(
  authInfo: AuthInfo,
): { kind: 'none' } | { kind: 'jkt'; jkt: string } | { kind: 'unsupported' } {
  const extra = authInfo.extra;
  if (extra === undefined || extra === null) return NONE;
  const claims = extra.claims as { cnf?: unknown } | undefined;
  const cnf =
    typeof claims === 'object' && claims !== null && claims.cnf !== undefined
      ? claims.cnf
      : extra.cnf;
  if (cnf === undefined) return NONE;
  if (!isKeyConfirmation(cnf)) return UNSUPPORTED;
  return { kind: 'jkt', jkt: (cnf as { jkt: string }).jkt };
}

const NONE = Object.freeze({ kind: 'none' as const });
const UNSUPPORTED = Object.freeze({ kind: 'unsupported' as const });
