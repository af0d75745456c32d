import { base64url } from 'jose';
import { syncTokenHash } from '../token-hash.js';

const encoder = new TextEncoder();

/**
 * base64url(SHA-256(`token`)), the `ath` a DPoP proof carries for its access token: synchronous
 * where the runtime has a one-shot hash, otherwise through Web Crypto.
 *
 * @see RFC 9449 §4.2 (ath)
 * @example
 * ```ts
 * (await accessTokenHash(token)) === payload.ath;
 * ```
 */
export function accessTokenHash(token: string): string | Promise<string> {
  if (syncTokenHash !== undefined) {
    return syncTokenHash(token).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  }
  return crypto.subtle
    .digest('SHA-256', encoder.encode(token))
    .then((digest) => base64url.encode(new Uint8Array(digest)));
}
