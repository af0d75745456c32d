import {
  base64url,
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
} from 'jose';

/**
 * A DPoP client key (RFC 9449): the key pair a client keeps to itself, its public JWK and the
 * thumbprint a bound token carries as `cnf.jkt`.
 *
 * @example
 * ```ts
 * const key = await createDpopClientKey();
 * console.log(key.jkt);
 * ```
 */
export interface DpopClientKey {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  /** RFC 7638 SHA-256 thumbprint of the public key. */
  readonly jkt: string;
  /** Signs a proof for one request (`ath` when an access token is given). */
  proof(method: string, url: string | URL, accessToken?: string): Promise<string>;
}

const encoder = new TextEncoder();

/**
 * Generates an ES256 DPoP key and a proof signer.
 *
 * @example
 * ```ts
 * const proof = await (await createDpopClientKey()).proof('POST', 'http://127.0.0.1:9400/token');
 * ```
 */
export async function createDpopClientKey(): Promise<DpopClientKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const { kty, crv, x, y } = await exportJWK(publicKey);
  const publicJwk: JWK = { kty, crv, x, y } as JWK;
  const jkt = await calculateJwkThumbprint(publicJwk, 'sha256');
  return {
    privateKey,
    publicJwk,
    jkt,
    async proof(method, url, accessToken) {
      const htu = new URL(url);
      htu.search = '';
      htu.hash = '';
      const claims: Record<string, unknown> = {
        jti: crypto.randomUUID(),
        htm: method.toUpperCase(),
        htu: htu.href,
      };
      if (accessToken !== undefined) {
        const digest = await crypto.subtle.digest('SHA-256', encoder.encode(accessToken));
        claims.ath = base64url.encode(new Uint8Array(digest));
      }
      return new SignJWT(claims)
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk })
        .setIssuedAt()
        .sign(privateKey);
    },
  };
}

/**
 * Options of {@link createDpopFetch}.
 *
 * @example
 * ```ts
 * createDpopFetch({ key, tokenEndpoint: `${issuer}/token`, resource });
 * ```
 */
export interface DpopFetchOptions {
  key: DpopClientKey;
  /** The authorization server's token endpoint: token requests get a proof (no `ath`). */
  tokenEndpoint: string;
  /** The MCP endpoint: its requests go as `Authorization: DPoP <token>` with a proof. */
  resource: string;
  /** Called with each proof sent to the MCP endpoint (to show a captured proof replayed). */
  onResourceProof?: (proof: string) => void;
}

/**
 * Wraps `fetch` for an MCP SDK 1.x client, which has no DPoP support of its own: token requests
 * get a `DPoP` proof, so the authorization server binds the token to the key; MCP requests the
 * SDK sends as `Authorization: Bearer <token>` go as `Authorization: DPoP <token>` with a fresh
 * proof carrying the token's hash. Everything else passes through unchanged.
 *
 * @example
 * ```ts
 * const dpopFetch = createDpopFetch({ key, tokenEndpoint, resource });
 * new StreamableHTTPClientTransport(new URL(resource), { authProvider, fetch: dpopFetch });
 * ```
 */
export function createDpopFetch(
  options: DpopFetchOptions,
  base: typeof fetch = fetch,
): typeof fetch {
  const { key, tokenEndpoint, resource } = options;
  return async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : String(input));
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    const target = `${url.origin}${url.pathname}`;
    if (method === 'POST' && target === tokenEndpoint) {
      const headers = new Headers(init?.headers ?? request?.headers);
      headers.set('DPoP', await key.proof(method, url));
      return base(input, { ...init, headers });
    }
    if (target === resource || target === `${resource}/`) {
      const headers = new Headers(init?.headers ?? request?.headers);
      const match = /^Bearer +(\S+)$/i.exec(headers.get('authorization') ?? '');
      if (match?.[1] !== undefined) {
        const token = match[1];
        const proof = await key.proof(method, url, token);
        options.onResourceProof?.(proof);
        headers.set('Authorization', `DPoP ${token}`);
        headers.set('DPoP', proof);
        return base(input, { ...init, headers });
      }
    }
    return base(input, init);
  };
}
