import { syncTokenHash } from './token-hash.js';
import { ClockMap } from './clock-map.js';
import { type InvalidTokenReason, isMcpAuthError, McpAuthConfigError } from './errors.js';
import { assertKnownOptions } from './known-options.js';
import type { AuthInfo } from './types.js';

/**
 * A token digest as a hasher may return it: a string (hex, base64, binary) or raw bytes.
 * @example
 * ```ts
 * const digest: TokenDigest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
 * ```
 */
export type TokenDigest = string | ArrayBuffer | Uint8Array;

/**
 * Turns a token into the cache key: a cryptographic digest, synchronous or not. The cache
 * never holds the token itself.
 * @example
 * ```ts
 * // On Node, with `createHash` from the `node:crypto` module (adapters for Node inject this):
 * const hash: TokenHasher = (token) => createHash('sha256').update(token).digest('base64');
 * ```
 */
export type TokenHasher = (token: string) => TokenDigest | Promise<TokenDigest>;

/**
 * Options of the verified-token cache (`createJwtVerifier({ cache })`,
 * `createMcpAuth({ jwt: { cache } })`). Every bound applies at once.
 * @example
 * ```ts
 * createJwtVerifier({ issuer, resource, cache: { maxEntries: 5_000, maxAgeMs: 60_000 } });
 * ```
 */
export interface TokenCacheOptions {
  /** Most entries kept (valid and rejected tokens); the least recently used go first (CLOCK, an O(1) approximation of LRU). Default 10 000. */
  maxEntries?: number;
  /** Upper bound of the estimated memory held by entries, bytes. Default 8 MiB. */
  maxBytes?: number;
  /** Longest time a verification is reused, ms (never past the token's `exp` either). Default 300 000. */
  maxAgeMs?: number;
  /** How long a token with a bad signature is refused without re-checking, ms (0 = never). Default 5 000, at most 60 000. */
  negativeTtlMs?: number;
  /**
   * Digest used as the key. Default SHA-256 through Web Crypto (`crypto.subtle.digest`,
   * asynchronous, tens of µs on Node); Node hosts may inject a synchronous one, e.g.
   * `(t) => createHash('sha256').update(t).digest('base64')` (~2 µs).
   */
  hash?: TokenHasher;
}

/**
 * A bounded LRU cache of token verifications keyed by digest. Valid entries expire at the
 * token's `exp` or after `maxAgeMs`; rejected (bad-signature) entries after `negativeTtlMs`.
 * Every entry is dropped when a newer key-set `version` is seen.
 * @example
 * ```ts
 * const cache = createTokenCache();
 * const key = await cache.key(token);
 * const hit = cache.lookup(key, token, verifier.keySetVersion); // AuthInfo | false | undefined
 * ```
 */
export interface TokenCache {
  /** The cache key of `token` (its digest; synchronous when the hasher is). */
  key(token: string): string | Promise<string>;
  /**
   * The cache key of `token` when the hasher is known to be synchronous (it answered
   * synchronously before); `undefined` otherwise, without starting an asynchronous digest.
   */
  keySync(token: string): string | undefined;
  /**
   * A fresh `AuthInfo` carrying `token` on a hit, `false` for a token recently rejected for
   * its signature, `undefined` on a miss (absent, expired, or another key-set version).
   */
  lookup(key: string, token: string, version: number): AuthInfo | false | undefined;
  /** Remembers a successful verification made under key-set `version`. */
  store(key: string, authInfo: AuthInfo, version: number): void;
  /** Remembers a bad-signature rejection under key-set `version` for `negativeTtlMs`. */
  reject(key: string, version: number): void;
  /** Hashes `token` and looks it up (hits only; a rejected entry reads as a miss). */
  get(token: string, version: number): Promise<AuthInfo | undefined>;
  /** Hashes `token` and stores `authInfo`. */
  set(token: string, authInfo: AuthInfo, version: number): Promise<void>;
  /** Drops every entry. */
  clear(): void;
  /** The keys held, oldest first (digests, never tokens). */
  keys(): IterableIterator<string>;
  /** Number of entries. */
  readonly size: number;
  /** Estimated bytes held by the entries. */
  readonly bytes: number;
}

/**
 * Default {@link TokenCacheOptions.maxEntries}.
 * @example
 * ```ts
 * createJwtVerifier({ issuer, resource, cache: { maxEntries: DEFAULT_TOKEN_CACHE_ENTRIES * 2 } });
 * ```
 */
export const DEFAULT_TOKEN_CACHE_ENTRIES = 10_000;
/**
 * Default {@link TokenCacheOptions.maxBytes}: 8 MiB.
 * @example
 * ```ts
 * createJwtVerifier({ issuer, resource, cache: { maxBytes: DEFAULT_TOKEN_CACHE_BYTES / 2 } });
 * ```
 */
export const DEFAULT_TOKEN_CACHE_BYTES = 8 * 1024 * 1024;
/**
 * Default {@link TokenCacheOptions.maxAgeMs}: 5 minutes.
 * @example
 * ```ts
 * createJwtVerifier({ issuer, resource, cache: { maxAgeMs: DEFAULT_TOKEN_CACHE_MAX_AGE_MS / 5 } });
 * ```
 */
export const DEFAULT_TOKEN_CACHE_MAX_AGE_MS = 300_000;
/**
 * Default {@link TokenCacheOptions.negativeTtlMs}: 5 seconds.
 * @example
 * ```ts
 * createJwtVerifier({ issuer, resource, cache: { negativeTtlMs: DEFAULT_NEGATIVE_TTL_MS } });
 * ```
 */
export const DEFAULT_NEGATIVE_TTL_MS = 5_000;
const MAX_NEGATIVE_TTL_MS = 60_000;

/**
 * The failures {@link TokenCache.reject} is meant for: a bad signature stays bad until the key
 * set changes, and forging tokens must not cost a signature check each. Nothing else is
 * remembered: an expired, not-yet-valid or wrongly addressed token may be fine a moment later
 * (or with another clock), and an unavailable key set is an outage, not a verdict.
 */
const REMEMBERED_REASONS: ReadonlySet<InvalidTokenReason> = new Set(['bad_signature']);

/**
 * True for a verification failure the negative cache remembers: an `invalid_token`
 * `McpAuthError` whose typed `reason` is `bad_signature`. Keyed on the reason, never on the
 * message (a description that may be reworded).
 *
 * @example
 * ```ts
 * if (isRememberedRejection(error)) cache.reject(key, verifier.keySetVersion);
 * ```
 */
export function isRememberedRejection(error: unknown): boolean {
  return (
    isMcpAuthError(error) &&
    error.code === 'invalid_token' &&
    error.reason !== undefined &&
    REMEMBERED_REASONS.has(error.reason)
  );
}

const CACHE_OPTION_NAMES: ReadonlySet<string> = new Set<keyof TokenCacheOptions>([
  'maxEntries',
  'maxBytes',
  'maxAgeMs',
  'negativeTtlMs',
  'hash',
]);

/**
 * Fixed per-entry cost estimate: Map slot, entry and AuthInfo objects, scopes array, URL. An
 * entry is estimated at this plus 2 bytes per character of its key, client id, resource,
 * scopes and an upper estimate of the JSON length of `extra` (counted while walking it, not
 * serialised; see `walk`).
 */
const ENTRY_OVERHEAD = 640;
const NEGATIVE_ENTRY_OVERHEAD = 160;

const encoder = new TextEncoder();

async function webSha256(token: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', encoder.encode(token));
}

function digestToKey(digest: TokenDigest): string {
  if (typeof digest === 'string') return digest;
  const bytes = digest instanceof Uint8Array ? digest : new Uint8Array(digest);
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

function isDigest(value: unknown): value is TokenDigest {
  return typeof value === 'string' || value instanceof ArrayBuffer || value instanceof Uint8Array;
}

/** Most nodes walked in one `extra` value; a larger (or cyclic) value is not cached. */
const MAX_WALK_NODES = 4_096;
/** Characters counted for a number, boolean or null: at least its JSON form. */
const SCALAR_CHARS = 24;

/**
 * Walks a JSON-like value once: freezes it (`freeze`) or checks it is frozen, and returns an
 * upper estimate of the length of its JSON form (a string's length + 2, a key's + 4, 24 per
 * other scalar, 2 per object or array, 1 per element) without serialising it. Returns -1 for
 * anything that is not plain data (a function, symbol, bigint, class instance), a value not
 * frozen when `freeze` is false, or a value larger than {@link MAX_WALK_NODES} nodes.
 */
function walk(value: unknown, freeze: boolean): number {
  let nodes = 0;
  let chars = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (++nodes > MAX_WALK_NODES) return -1;
    switch (typeof v) {
      case 'string':
        chars += v.length + 2;
        continue;
      case 'number':
      case 'boolean':
      case 'undefined':
        chars += SCALAR_CHARS;
        continue;
      case 'object':
        break;
      default:
        return -1;
    }
    if (v === null) {
      chars += SCALAR_CHARS;
      continue;
    }
    const proto = Object.getPrototypeOf(v);
    const isArray = Array.isArray(v);
    if (!isArray && proto !== Object.prototype && proto !== null) return -1;
    if (freeze) Object.freeze(v);
    else if (!Object.isFrozen(v)) return -1;
    chars += 2;
    if (isArray) {
      for (const item of v as unknown[]) {
        chars += 1;
        stack.push(item);
      }
    } else {
      for (const key in v as Record<string, unknown>) {
        chars += key.length + 4;
        stack.push((v as Record<string, unknown>)[key]);
      }
    }
  }
  return chars;
}

/**
 * Freezes a JSON-like value in place, all the way down, so {@link TokenCache.store} can share
 * it instead of copying it; `false` (and possibly partly frozen) when it is not plain data.
 * For values the caller owns and will not mutate, e.g. the claims a verifier just parsed.
 *
 * @example
 * ```ts
 * freezePlainData(payload); // payload and its nested objects are now read-only
 * ```
 */
export function freezePlainData(value: unknown): boolean {
  return walk(value, true) >= 0;
}

/**
 * A read-only copy of `extra` to keep, and the estimated length of its JSON form; `undefined`
 * when it is not plain data. Values already frozen all the way down (the JWT verifier freezes
 * the claims it produced) are shared as they are; any other is copied (`structuredClone`) and
 * the copy frozen, so a caller mutating its own object never changes a cached entry.
 */
function freezeExtra(
  extra: Record<string, unknown>,
): { extra: Record<string, unknown>; chars: number } | undefined {
  const out: Record<string, unknown> = {};
  let chars = 2;
  for (const key in extra) {
    let value = extra[key];
    let size = walk(value, false);
    if (size < 0) {
      try {
        value = structuredClone(value);
      } catch {
        return undefined; // not plain data: do not cache what cannot be copied safely
      }
      size = walk(value, true);
      if (size < 0) return undefined;
    }
    out[key] = value;
    chars += key.length + 4 + size;
  }
  return { extra: Object.freeze(out), chars };
}

interface Entry {
  /** Verification without the token; `undefined` for a rejected token. */
  info: AuthInfo | undefined;
  /** `resource.href`, rebuilt into a fresh URL on each hit. */
  resource: string | undefined;
  /** Epoch ms at which the entry stops being used. */
  expires: number;
  bytes: number;
}

function limit(option: string, value: unknown, fallback: number, min: number, max = Infinity) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    throw new McpAuthConfigError(
      option,
      `must be a number from ${min}${max === Infinity ? '' : ` to ${max}`}`,
    );
  }
  return value;
}

/**
 * Validates {@link TokenCacheOptions} (a `TypeError` naming the option) and creates the cache.
 * `now` is the clock in ms (default `Date.now`, so fake timers apply).
 *
 * The key is a digest of the token, never the token. A hit returns a new `AuthInfo` built
 * from what was stored, carrying the token presented (never another token's); `claims` are
 * frozen and shared. An entry is used strictly before the token's `exp` (no clock tolerance:
 * past `exp` the token is verified again, and the verifier judges it with its tolerance).
 * Refusals are remembered only when {@link isRememberedRejection} says so (a bad signature).
 *
 * @example
 * ```ts
 * const cache = createTokenCache({ maxEntries: 1_000, hash: (t) => createHash('sha256').update(t).digest('base64') });
 * cache.store(cache.key(token) as string, authInfo, verifier.keySetVersion);
 * ```
 */
export function createTokenCache(
  options: TokenCacheOptions = {},
  now: () => number = Date.now,
): TokenCache {
  if (typeof options !== 'object' || options === null) {
    throw new McpAuthConfigError('cache', 'must be false or an object');
  }
  assertKnownOptions(options, CACHE_OPTION_NAMES, 'cache.');
  const maxEntries = limit('cache.maxEntries', options.maxEntries, DEFAULT_TOKEN_CACHE_ENTRIES, 1);
  const maxBytes = limit('cache.maxBytes', options.maxBytes, DEFAULT_TOKEN_CACHE_BYTES, 1024);
  const maxAgeMs = limit('cache.maxAgeMs', options.maxAgeMs, DEFAULT_TOKEN_CACHE_MAX_AGE_MS, 1);
  const negativeTtlMs = limit(
    'cache.negativeTtlMs',
    options.negativeTtlMs,
    DEFAULT_NEGATIVE_TTL_MS,
    0,
    MAX_NEGATIVE_TTL_MS,
  );
  if (options.hash !== undefined && typeof options.hash !== 'function') {
    throw new McpAuthConfigError('cache.hash', 'must be a function returning a digest');
  }
  const hash: TokenHasher = options.hash ?? syncTokenHash ?? webSha256;
  /** Whether `hash` answers synchronously: learnt from its answers (Web Crypto's never does). */
  let syncHash =
    options.hash !== undefined ? undefined : syncTokenHash === undefined ? false : true;
  const entries = new ClockMap<Entry>();
  let bytes = 0;
  let version = Number.NEGATIVE_INFINITY;

  /** True when entries for `v` may be used; a newer version empties the cache. */
  function current(v: number): boolean {
    if (v === version) return true;
    if (v < version) return false;
    entries.clear();
    bytes = 0;
    version = v;
    return true;
  }

  function remove(key: string, entry: Entry): void {
    entries.delete(key);
    bytes -= entry.bytes;
  }

  function put(key: string, entry: Entry): void {
    if (entry.bytes > maxBytes) return;
    const old = entries.get(key);
    if (old !== undefined) remove(key, old);
    // Room first, so the entry being stored is never the one evicted.
    while (entries.size >= maxEntries || bytes + entry.bytes > maxBytes) {
      const evicted = entries.evict();
      if (evicted === undefined) break;
      bytes -= evicted[1].bytes;
    }
    entries.set(key, entry);
    bytes += entry.bytes;
  }

  function key(token: string): string | Promise<string> {
    let digest: ReturnType<TokenHasher>;
    try {
      digest = hash(token);
    } catch (error) {
      return Promise.reject(error);
    }
    if (typeof digest === 'string' || isDigest(digest)) {
      syncHash ??= true;
      return typeof digest === 'string' ? digest : digestToKey(digest);
    }
    syncHash = false;
    return Promise.resolve(digest).then((d) => {
      if (!isDigest(d)) throw new TypeError('cache.hash must return a string or bytes');
      return digestToKey(d);
    });
  }

  function keySync(token: string): string | undefined {
    if (syncHash !== true) return undefined;
    const k = key(token);
    if (typeof k === 'string') return k;
    k.catch(() => undefined); // a hasher that failed (or turned asynchronous): not here
    return undefined;
  }

  function lookup(k: string, token: string, v: number): AuthInfo | false | undefined {
    if (!current(v)) return undefined;
    const entry = entries.get(k);
    if (entry === undefined) return undefined;
    if (entry.expires <= now()) {
      remove(k, entry);
      return undefined;
    }
    const info = entry.info;
    if (info === undefined) return false;
    const out: AuthInfo = { token, clientId: info.clientId, scopes: info.scopes.slice() };
    if (info.expiresAt !== undefined) out.expiresAt = info.expiresAt;
    if (entry.resource !== undefined) out.resource = new URL(entry.resource);
    if (info.extra !== undefined) out.extra = Object.assign({}, info.extra);
    return out;
  }

  function store(k: string, authInfo: AuthInfo, v: number): void {
    if (!current(v) || typeof authInfo !== 'object' || authInfo === null) return;
    const { expiresAt } = authInfo;
    if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return;
    const t = now();
    const expires = Math.min(expiresAt * 1000, t + maxAgeMs);
    if (expires <= t) return;
    let extra: Record<string, unknown> | undefined;
    let extraChars = 0;
    if (authInfo.extra !== undefined) {
      const kept = freezeExtra(authInfo.extra);
      if (kept === undefined) return;
      extra = kept.extra;
      extraChars = kept.chars;
    }
    const scopes = Array.isArray(authInfo.scopes) ? authInfo.scopes.filter(isString) : [];
    const clientId = typeof authInfo.clientId === 'string' ? authInfo.clientId : '';
    const info: AuthInfo = { token: '', clientId, scopes };
    info.expiresAt = expiresAt;
    if (extra !== undefined) info.extra = extra;
    const resource = authInfo.resource instanceof URL ? authInfo.resource.href : undefined;
    const size =
      ENTRY_OVERHEAD +
      2 *
        (k.length +
          extraChars +
          clientId.length +
          (resource?.length ?? 0) +
          scopes.join(' ').length);
    put(k, { info, resource, expires, bytes: size });
  }

  function reject(k: string, v: number): void {
    if (negativeTtlMs === 0 || !current(v)) return;
    put(k, {
      info: undefined,
      resource: undefined,
      expires: now() + negativeTtlMs,
      bytes: NEGATIVE_ENTRY_OVERHEAD + 2 * k.length,
    });
  }

  return {
    key,
    keySync,
    lookup,
    store,
    reject,
    async get(token, v) {
      const hit = lookup(await key(token), token, v);
      return hit === false ? undefined : hit;
    },
    async set(token, authInfo, v) {
      store(await key(token), authInfo, v);
    },
    clear() {
      entries.clear();
      bytes = 0;
    },
    keys: () => entries.keys(),
    get size() {
      return entries.size;
    },
    get bytes() {
      return bytes;
    },
  };
}

/**
 * The options with `hash` as the built-in JWT verifier's cache hash (`jwt.cache.hash`) — how
 * an adapter gives the core a faster, synchronous SHA-256 than Web Crypto's asynchronous one.
 * The options are returned unchanged when a custom `verifier` is used, the cache is off
 * (`jwt.cache: false`), a `hash` is already set, or they are not an object (the core then
 * reports the mistake).
 *
 * @example
 * ```ts
 * const core = createMcpAuth(withTokenHash(options, (t) => createHash('sha256').update(t).digest('base64')));
 * ```
 */
export function withTokenHash<T extends object>(options: T, hash: TokenHasher): T {
  if (typeof options !== 'object' || options === null) return options;
  const { verifier, jwt } = options as { verifier?: unknown; jwt?: unknown };
  if (verifier !== undefined) return options;
  if (jwt !== undefined && (typeof jwt !== 'object' || jwt === null)) return options;
  const cache = (jwt as { cache?: unknown } | undefined)?.cache;
  if (cache !== undefined && (typeof cache !== 'object' || cache === null)) return options;
  if ((cache as TokenCacheOptions | undefined)?.hash !== undefined) return options;
  return { ...options, jwt: { ...jwt, cache: { ...cache, hash } } };
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
