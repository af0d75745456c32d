/**
 * Remembers DPoP proof identifiers (`jti`) for as long as a proof could be accepted, so each
 * proof is used once (RFC 9449 §11.1). The in-memory one is the default; a shared store (e.g.
 * on Redis) lets several instances refuse a proof another instance already accepted.
 *
 * `setIfAbsent` stores `key` for `ttlMs` and answers `true` when it was absent (the proof is
 * fresh), `false` when it is already there (a replay). Throwing or rejecting means the store
 * cannot answer: the request is refused with 503 and `Retry-After` (fail closed).
 *
 * @see RFC 9449 §4.3 (check 12), §11.1
 * @example
 * ```ts
 * const replayCache: ReplayCache = {
 *   async setIfAbsent(key, ttlMs) {
 *     return (await redis.set(key, '1', { NX: true, PX: ttlMs })) === 'OK';
 *   },
 * };
 * createMcpAuth({ ...options, dpop: { mode: 'allowed', replayCache } });
 * ```
 */
export interface ReplayCache {
  setIfAbsent(key: string, ttlMs: number): boolean | Promise<boolean>;
}

/**
 * Options of {@link createMemoryReplayCache}.
 * @example
 * ```ts
 * createMemoryReplayCache({ maxEntries: 10_000 });
 * ```
 */
export interface MemoryReplayCacheOptions {
  /**
   * Most identifiers kept at once. When every one is still live a new proof is refused with
   * 503 rather than forgetting a live one (which would let it be replayed). Default 100 000.
   */
  maxEntries?: number;
  /** The clock in ms. Default `Date.now` (so fake timers apply). */
  now?: () => number;
}

/** Default {@link MemoryReplayCacheOptions.maxEntries}. */
const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * A bounded in-memory {@link ReplayCache} for one process. Entries leave at their expiry
 * (swept from the oldest on each call, O(1) amortized); when the cache is full of live entries
 * `setIfAbsent` throws, so the request gets 503 and no live identifier is ever forgotten.
 *
 * @example
 * ```ts
 * const cache = createMemoryReplayCache();
 * cache.setIfAbsent('jkt:jti', 120_000); // true
 * cache.setIfAbsent('jkt:jti', 120_000); // false: a replay
 * ```
 */
export function createMemoryReplayCache(options: MemoryReplayCacheOptions = {}): ReplayCache {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError('mcp-auth: option "maxEntries" must be an integer of at least 1');
  }
  const now = options.now ?? Date.now;
  // Insertion order; an entry with a shorter TTL behind a longer one leaves a little late,
  // which only keeps an identifier longer than asked.
  const expiries = new Map<string, number>();
  function sweep(t: number): void {
    for (const [key, expires] of expiries) {
      if (expires > t) return;
      expiries.delete(key);
    }
  }
  return {
    setIfAbsent(key, ttlMs) {
      const t = now();
      sweep(t);
      const expires = expiries.get(key);
      if (expires !== undefined && expires > t) return false;
      if (expires !== undefined) expiries.delete(key);
      if (expiries.size >= maxEntries) {
        throw new Error('the DPoP replay cache is full');
      }
      expiries.set(key, t + ttlMs);
      return true;
    },
  };
}
