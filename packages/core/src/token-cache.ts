import { ClockMap } from './clock-map.js';
import { type InvalidTokenReason, invalidToken, type McpAuthError } from './errors.js';
import { frozenExtra } from './freeze-plain-data.js';
import { resolveTokenCacheOptions, type TokenCacheOptions } from './token-cache-options.js';
import { syncTokenHash, tokenHash } from './token-hash.js';
import type { AuthInfo } from './types.js';

export type { TokenCacheOptions } from './token-cache-options.js';

/**
 * A refusal the cache keeps: the `invalid_token` description and its typed reason. A hit on it
 * is raised again as a new `McpAuthError` with both.
 */
export interface CachedRejection {
  readonly description: string;
  readonly reason: InvalidTokenReason;
}

/**
 * How a verifier uses {@link createTokenCache}: its own defaults for the options, whether a
 * result without `expiresAt` may be kept (for `maxAgeMs`), and the clock.
 */
export interface TokenCacheSettings {
  /** The verifier's defaults, before the shared ones (e.g. introspection's 60 s `maxAgeMs`). */
  defaults?: TokenCacheOptions;
  /**
   * Keep a result without `expiresAt` for `maxAgeMs` (introspection: RFC 7662 makes `exp`
   * optional). Default false: such a result is never kept.
   */
  keepWithoutExpiry?: boolean;
  /** The clock in ms. Default `Date.now` (so fake timers apply). */
  now?: () => number;
}

/**
 * A bounded cache of token verifications keyed by the token's SHA-256 digest. Valid entries
 * expire at the token's `exp` or after `maxAgeMs`; rejections after `negativeTtlMs`. Every
 * entry is dropped when a newer key-set `version` is seen (a verifier without key sets passes
 * one constant version).
 * @example
 * ```ts
 * const cache = createTokenCache();
 * const key = await cache.key(token);
 * const hit = cache.lookup(key, token, keySet.version); // AuthInfo | McpAuthError | undefined
 * ```
 */
export interface TokenCache {
  /** The cache key of `token`: its SHA-256 digest (`tokenHash`), synchronous where the runtime allows. */
  key(token: string): string | Promise<string>;
  /**
   * The cache key of `token` when the runtime has a synchronous SHA-256 (`node:crypto`);
   * `undefined` otherwise, without starting an asynchronous digest.
   */
  keySync(token: string): string | undefined;
  /**
   * A fresh `AuthInfo` carrying `token` on a hit, a new `invalid_token` error for a token
   * recently rejected, `undefined` on a miss (absent, expired, or another key-set version).
   */
  lookup(key: string, token: string, version: number): AuthInfo | McpAuthError | undefined;
  /** Remembers a successful verification made under key-set `version`. */
  store(key: string, authInfo: AuthInfo, version: number): void;
  /** Remembers a rejection made under key-set `version` for `negativeTtlMs`. */
  reject(key: string, rejection: CachedRejection, version: number): void;
  /** Number of entries. */
  readonly size: number;
  /** Estimated bytes held by the entries. */
  readonly bytes: number;
}

/**
 * Fixed per-entry cost estimate: Map slot, entry and AuthInfo objects, scopes array, URL. An
 * entry is estimated at this plus 2 bytes per character of its key, client id, resource,
 * scopes and an upper estimate of the JSON length of `extra` (see `frozenExtra`).
 */
const ENTRY_OVERHEAD = 640;
const NEGATIVE_ENTRY_OVERHEAD = 160;

interface Entry {
  /** Verification without the token; `undefined` for a rejected token. */
  info: AuthInfo | undefined;
  rejection: CachedRejection | undefined;
  /** `resource.href`, rebuilt into a fresh URL on each hit. */
  resource: string | undefined;
  /** Epoch ms at which the entry stops being used. */
  expires: number;
  bytes: number;
}

const keySync = (token: string): string | undefined => syncTokenHash?.(token);

/** A fresh `AuthInfo` for `token` from what an entry kept (nothing shared but frozen claims). */
function hitOf(info: AuthInfo, resource: string | undefined, token: string): AuthInfo {
  const out: AuthInfo = { token, clientId: info.clientId, scopes: info.scopes.slice() };
  if (info.expiresAt !== undefined) out.expiresAt = info.expiresAt;
  if (resource !== undefined) out.resource = new URL(resource);
  if (info.extra !== undefined) out.extra = Object.assign({}, info.extra);
  return out;
}

/**
 * `authInfo` as an entry kept until `expires`, or `undefined` when it cannot be kept (its
 * `extra` is not plain data).
 */
function entryOf(key: string, authInfo: AuthInfo, expires: number): Entry | undefined {
  let extra: Record<string, unknown> | undefined;
  let extraChars = 0;
  if (authInfo.extra !== undefined) {
    const kept = frozenExtra(authInfo.extra);
    if (kept === undefined) return undefined;
    extra = kept.extra;
    extraChars = kept.chars;
  }
  const scopes = Array.isArray(authInfo.scopes)
    ? authInfo.scopes.filter((s): s is string => typeof s === 'string')
    : [];
  const clientId = typeof authInfo.clientId === 'string' ? authInfo.clientId : '';
  const info: AuthInfo = { token: '', clientId, scopes };
  if (authInfo.expiresAt !== undefined) info.expiresAt = authInfo.expiresAt;
  if (extra !== undefined) info.extra = extra;
  const resource = authInfo.resource instanceof URL ? authInfo.resource.href : undefined;
  const chars =
    key.length + extraChars + clientId.length + (resource?.length ?? 0) + scopes.join(' ').length;
  return { info, rejection: undefined, resource, expires, bytes: ENTRY_OVERHEAD + 2 * chars };
}

/** The in-memory {@link TokenCache}: a CLOCK map bounded by entries and estimated bytes. */
class MemoryTokenCache implements TokenCache {
  readonly key = tokenHash;
  readonly keySync = keySync;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  readonly #negativeTtlMs: number;
  readonly #now: () => number;
  readonly #keepWithoutExpiry: boolean;
  readonly #entries = new ClockMap<Entry>();
  #bytes = 0;
  #version = Number.NEGATIVE_INFINITY;

  constructor(options: TokenCacheOptions, settings: TokenCacheSettings) {
    const resolved = resolveTokenCacheOptions(options, settings.defaults);
    this.#maxEntries = resolved.maxEntries;
    this.#maxBytes = resolved.maxBytes;
    this.#maxAgeMs = resolved.maxAgeMs;
    this.#negativeTtlMs = resolved.negativeTtlMs;
    this.#now = settings.now ?? Date.now;
    this.#keepWithoutExpiry = settings.keepWithoutExpiry === true;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  lookup(key: string, token: string, v: number): AuthInfo | McpAuthError | undefined {
    if (!this.#current(v)) return undefined;
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires <= this.#now()) {
      this.#remove(key, entry);
      return undefined;
    }
    if (entry.info !== undefined) return hitOf(entry.info, entry.resource, token);
    const { description, reason } = entry.rejection as CachedRejection;
    return invalidToken(description, reason);
  }

  store(key: string, authInfo: AuthInfo, v: number): void {
    if (!this.#current(v) || typeof authInfo !== 'object' || authInfo === null) return;
    const { expiresAt } = authInfo;
    const t = this.#now();
    let expires = t + this.#maxAgeMs;
    if (typeof expiresAt === 'number' && Number.isFinite(expiresAt)) {
      expires = Math.min(expiresAt * 1000, expires);
    } else if (expiresAt !== undefined || !this.#keepWithoutExpiry) {
      return;
    }
    if (expires <= t) return;
    const entry = entryOf(key, authInfo, expires);
    if (entry !== undefined) this.#put(key, entry);
  }

  reject(key: string, rejection: CachedRejection, v: number): void {
    if (this.#negativeTtlMs === 0 || !this.#current(v)) return;
    const { description, reason } = rejection;
    this.#put(key, {
      info: undefined,
      rejection: { description, reason },
      resource: undefined,
      expires: this.#now() + this.#negativeTtlMs,
      bytes: NEGATIVE_ENTRY_OVERHEAD + 2 * (key.length + description.length),
    });
  }

  /** True when entries for `v` may be used; a newer version empties the cache. */
  #current(v: number): boolean {
    if (v === this.#version) return true;
    if (v < this.#version) return false;
    this.#entries.clear();
    this.#bytes = 0;
    this.#version = v;
    return true;
  }

  #remove(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  #put(key: string, entry: Entry): void {
    if (entry.bytes > this.#maxBytes) return;
    const old = this.#entries.get(key);
    if (old !== undefined) this.#remove(key, old);
    // Room first, so the entry being stored is never the one evicted.
    while (this.#entries.size >= this.#maxEntries || this.#bytes + entry.bytes > this.#maxBytes) {
      const evicted = this.#entries.evict();
      if (evicted === undefined) break;
      this.#bytes -= evicted[1].bytes;
    }
    this.#entries.set(key, entry);
    this.#bytes += entry.bytes;
  }
}

/**
 * Validates {@link TokenCacheOptions} (a `TypeError` naming the option) and creates the cache.
 *
 * The key is the token's SHA-256 digest (`tokenHash`), never the token. A hit returns a new
 * `AuthInfo` built from what was stored, carrying the token presented (never another token's);
 * `extra` values are frozen and shared. An entry is used strictly before the token's `exp` (no
 * clock tolerance: past `exp` the token is verified again, and the verifier judges it with its
 * tolerance). What is rejected, and so remembered, is the verifier's choice.
 *
 * @example
 * ```ts
 * const cache = createTokenCache({ maxEntries: 1_000 }, { defaults: { maxAgeMs: 60_000 } });
 * cache.store(await cache.key(token), authInfo, 0);
 * ```
 */
export function createTokenCache(
  options: TokenCacheOptions = {},
  settings: TokenCacheSettings = {},
): TokenCache {
  return new MemoryTokenCache(options, settings);
}
