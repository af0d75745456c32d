import type { AuthInfo } from './types.js';

/** Options of the verified-token cache (`createMcpAuth({ tokenCache })`). */
export interface TokenCacheOptions {
  /** Most tokens remembered; the least recently used is dropped first. Default 1000. */
  maxEntries?: number;
  /**
   * Digest of a token used as the cache key, so the cache never holds raw tokens. Default
   * SHA-256 through Web Crypto (asynchronous, tens of µs on Node); a Node host may inject a
   * synchronous one, e.g. `(t) => createHash('sha256').update(t).digest('base64url')`.
   */
  hash?: (token: string) => string | Promise<string>;
}

/** A bounded cache of verified tokens, keyed by digest, never used past `exp`. */
export interface TokenCache {
  /** The cached AuthInfo for `token` (a fresh copy), if verified under `version` and not expired. */
  get(token: string, version: number): Promise<AuthInfo | undefined>;
  /** Remembers a verification made under key-set `version` (only tokens with `expiresAt`). */
  set(token: string, authInfo: AuthInfo, version: number): Promise<void>;
  readonly size: number;
}

/** Default {@link TokenCacheOptions.maxEntries}. */
export const DEFAULT_TOKEN_CACHE_ENTRIES = 1000;

const encoder = new TextEncoder();

async function sha256(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(token)));
  return String.fromCharCode(...digest);
}

interface Entry {
  /** AuthInfo without the token. */
  info: AuthInfo;
  expiresAtMs: number;
  version: number;
}

/**
 * Creates the verified-token cache used by `createMcpAuth`: repeated tokens skip signature
 * work. Entries expire at the token's `exp`, are dropped when the key set changes (a new
 * `version`), and hold no raw token.
 *
 * @example
 * ```ts
 * const cache = createTokenCache({ maxEntries: 500 });
 * await cache.set(token, authInfo, verifier.keySetVersion);
 * await cache.get(token, verifier.keySetVersion); // a copy of authInfo
 * ```
 */
export function createTokenCache(
  options: TokenCacheOptions = {},
  now: () => number = Date.now,
): TokenCache {
  const max = options.maxEntries ?? DEFAULT_TOKEN_CACHE_ENTRIES;
  const hash = options.hash ?? sha256;
  const entries = new Map<string, Entry>();
  return {
    async get(token, version) {
      const key = await hash(token);
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      entries.delete(key);
      if (entry.version !== version || entry.expiresAtMs <= now()) return undefined;
      entries.set(key, entry);
      const { info } = entry;
      return {
        ...info,
        token,
        scopes: [...info.scopes],
        ...(info.resource === undefined ? {} : { resource: new URL(info.resource.href) }),
        ...(info.extra === undefined ? {} : { extra: { ...info.extra } }),
      };
    },
    async set(token, authInfo, version) {
      if (typeof authInfo.expiresAt !== 'number') return;
      const expiresAtMs = authInfo.expiresAt * 1000;
      if (expiresAtMs <= now()) return;
      const key = await hash(token);
      entries.delete(key);
      const info: AuthInfo = {
        ...authInfo,
        token: '',
        scopes: [...authInfo.scopes],
        ...(authInfo.resource === undefined ? {} : { resource: new URL(authInfo.resource.href) }),
        ...(authInfo.extra === undefined ? {} : { extra: { ...authInfo.extra } }),
      };
      entries.set(key, { info, expiresAtMs, version });
      while (entries.size > max) entries.delete(entries.keys().next().value as string);
    },
    get size() {
      return entries.size;
    },
  };
}
