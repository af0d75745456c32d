import { base64url } from 'jose';

/**
 * Returns `token` with its payload changed but its header and signature kept, i.e. a token
 * whose signature no longer matches (tampering tests). `undefined` values remove claims.
 *
 * @example
 * ```ts
 * const tampered = alterTokenPayload(token, { scope: 'admin' });
 * await expect(verifier.verifyAccessToken(tampered)).rejects.toMatchObject({ code: 'invalid_token' });
 * ```
 */
export function alterTokenPayload(token: string, changes: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined) {
    throw new TypeError('alterTokenPayload: not a compact JWS');
  }
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<
    string,
    unknown
  >;
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete claims[name];
    else claims[name] = value;
  }
  const altered = base64url.encode(new TextEncoder().encode(JSON.stringify(claims)));
  return `${header}.${altered}.${signature}`;
}
