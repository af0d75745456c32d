import {
  base64url,
  type CryptoKey,
  calculateJwkThumbprint,
  CompactSign,
  exportJWK,
  generateKeyPair,
  type JWK,
} from 'jose';
import type { TestKeyAlgorithm } from './test-key.js';

/** What one proof says; every field can be overridden to build a wrong proof on purpose. */
export interface DpopProofOptions {
  /** `htm`. */
  method: string;
  /** `htu`; a query or fragment is removed unless `keepQuery`. */
  url: string;
  /** The access token for `ath`; without it the proof has no `ath`. */
  accessToken?: string;
  /** `iat`, seconds. Default now. */
  iat?: number;
  /** `jti`. Default a random 128-bit id. */
  jti?: string;
  /** Keep the query and fragment of `url` in `htu`. */
  keepQuery?: boolean;
  /** Claim overrides (`undefined` removes a claim). */
  claims?: Record<string, unknown>;
  /**
   * Protected-header overrides (`undefined` removes a member). `alg: 'none'` yields an unsigned
   * proof; `alg: 'HS256'` signs with `hmacSecret`; `jwk` replaces the embedded key (e.g. one
   * with private members).
   */
  header?: Record<string, unknown>;
  /** Secret for `HS*` headers. Default `'secret'`. */
  hmacSecret?: string;
}

/** A client's DPoP key pair and a proof factory (RFC 9449 §4). */
export interface DpopKey {
  readonly alg: TestKeyAlgorithm;
  /** The public key as a JWK (no private members), as embedded in proofs. */
  readonly publicJwk: JWK;
  /** The private key as a JWK, for tests that put private material where it must be refused. */
  readonly privateJwk: JWK;
  readonly privateKey: CryptoKey;
  /** RFC 7638 SHA-256 thumbprint of the public key: the `cnf.jkt` of tokens bound to it. */
  readonly jkt: string;
  /** Signs a proof for one request. */
  proof(options: DpopProofOptions): Promise<string>;
}

const encoder = new TextEncoder();

function encodeJson(value: unknown): string {
  return base64url.encode(encoder.encode(JSON.stringify(value)));
}

/** base64url(SHA-256(token)), a proof's `ath`. */
export async function dpopAccessTokenHash(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(token));
  return base64url.encode(new Uint8Array(digest));
}

function withoutQuery(url: string): string {
  const end = url.search(/[?#]/);
  return end < 0 ? url : url.slice(0, end);
}

/**
 * Generates a DPoP key pair (default ES256) and returns a proof factory. Tokens bound to it
 * carry `cnf: { jkt: key.jkt }` (mint them with `issuer.mintAccessToken({ claims: { cnf } })`).
 *
 * @see RFC 9449 §4.2
 * @example
 * ```ts
 * const key = await createDpopKey();
 * const token = await issuer.mintAccessToken({ claims: { cnf: { jkt: key.jkt } } });
 * const proof = await key.proof({ method: 'POST', url: 'https://mcp.example.com/mcp', accessToken: token });
 * fetch(url, { method: 'POST', headers: { authorization: `DPoP ${token}`, dpop: proof } });
 * ```
 */
export async function createDpopKey(alg: TestKeyAlgorithm = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const full = await exportJWK(publicKey);
  const publicJwk: JWK = { kty: full.kty } as JWK;
  for (const name of ['crv', 'e', 'n', 'x', 'y'] as const) {
    if (full[name] !== undefined) publicJwk[name] = full[name];
  }
  const privateJwk = await exportJWK(privateKey);
  const jkt = await calculateJwkThumbprint(publicJwk, 'sha256');
  async function proof(o: DpopProofOptions): Promise<string> {
    const payload: Record<string, unknown> = {
      jti: o.jti ?? base64url.encode(crypto.getRandomValues(new Uint8Array(16))),
      htm: o.method,
      htu: o.keepQuery === true ? o.url : withoutQuery(o.url),
      iat: o.iat ?? Math.floor(Date.now() / 1000),
    };
    if (o.accessToken !== undefined) payload.ath = await dpopAccessTokenHash(o.accessToken);
    for (const [name, value] of Object.entries(o.claims ?? {})) {
      if (value === undefined) delete payload[name];
      else payload[name] = value;
    }
    const header: Record<string, unknown> = { typ: 'dpop+jwt', alg, jwk: publicJwk };
    for (const [name, value] of Object.entries(o.header ?? {})) {
      if (value === undefined) delete header[name];
      else header[name] = value;
    }
    const bytes = encoder.encode(JSON.stringify(payload));
    const headerAlg = String(header.alg);
    if (headerAlg === 'none') return `${encodeJson(header)}.${base64url.encode(bytes)}.`;
    if (headerAlg.startsWith('HS')) {
      return new CompactSign(bytes)
        .setProtectedHeader(header as { alg: string })
        .sign(encoder.encode(o.hmacSecret ?? 'secret'));
    }
    const signed = await new CompactSign(bytes)
      .setProtectedHeader({ ...header, alg })
      .sign(privateKey);
    if (headerAlg === alg) return signed;
    const [, body, signature] = signed.split('.');
    return `${encodeJson(header)}.${body}.${signature}`;
  }
  return { alg, publicJwk, privateJwk, privateKey, jkt, proof };
}
