import { McpAuthError } from './errors.js';

/**
 * The state several instances of one MCP server must share behind a load balancer: session
 * bindings (`session:<id>` → owner), DPoP `jti` replay marks, cached introspection results.
 * Keys are short strings the core builds, values strings; every entry has a TTL, so a store
 * needs no sweeper. Each method may answer synchronously (the in-memory store does, so the
 * default path stays as fast as it was) or with a Promise (a network store).
 *
 * A store that cannot answer throws or rejects — and answers within a bounded time: the core
 * then fails closed (503 + `Retry-After`), never allows. `@org/mcp-auth-redis` implements it on
 * Redis; {@link createMemoryStore} is the single-process one.
 *
 * A `StateStore` is also a DPoP `ReplayCache` (`setIfAbsent(key, ttlMs)`): give each use its own
 * key prefix ({@link prefixStore}).
 *
 * @example
 * ```ts
 * const store: StateStore = createMemoryStore();
 * await store.setIfAbsent('jti:abc', 60_000); // true: first use
 * await store.setIfAbsent('jti:abc', 60_000); // false: a replay
 * ```
 */
export interface StateStore {
  /**
   * Stores `value` (default `'1'`) under `key` for `ttlMs` milliseconds if `key` holds nothing
   * live — atomically, across every instance sharing the store (Redis: `SET key value NX PX`).
   * True when this call stored it, false when the key was taken.
   */
  setIfAbsent(key: string, ttlMs: number, value?: string): boolean | Promise<boolean>;
  /** The live value of `key`, or `undefined`. */
  get(key: string): string | undefined | Promise<string | undefined>;
  /**
   * Makes a live `key` expire `ttlMs` from now (a sliding binding); never creates one. True when
   * the key was live.
   */
  touch(key: string, ttlMs: number): boolean | Promise<boolean>;
  /** Removes `key` (nothing when absent). */
  delete(key: string): void | Promise<void>;
}

/**
 * Options of {@link createMemoryStore}.
 * @example
 * ```ts
 * createMemoryStore({ maxEntries: 50_000 });
 * ```
 */
export interface MemoryStoreOptions {
  /**
   * Most live entries. A live entry is never evicted to make room (a replay mark must not be
   * forgotten early): when the store is full of live entries `setIfAbsent` throws an
   * `McpAuthError` `store_unavailable`, and the request gets 503. Default 100 000.
   */
  maxEntries?: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

interface Entry {
  value: string;
  expires: number;
}

/** Default {@link MemoryStoreOptions.maxEntries}. */
const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * The in-process {@link StateStore}: synchronous, bounded, expired entries dropped when read and
 * swept (at most once a second) when the store is full. Right for one instance; several
 * instances need a shared store such as `@org/mcp-auth-redis`.
 *
 * @example
 * ```ts
 * const store = createMemoryStore();
 * store.setIfAbsent('session:abc', 60_000, 'owner'); // true
 * store.get('session:abc'); // 'owner'
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): StateStore {
  const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new TypeError('createMemoryStore: maxEntries must be a positive integer');
  }
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let sweptAt = Number.NEGATIVE_INFINITY;

  function live(key: string, t: number): Entry | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires > t) return entry;
    entries.delete(key);
    return undefined;
  }

  function makeRoom(t: number): void {
    if (entries.size < max) return;
    if (t - sweptAt >= 1000) {
      sweptAt = t;
      for (const [key, entry] of entries) if (entry.expires <= t) entries.delete(key);
    }
    if (entries.size >= max) {
      throw new McpAuthError('store_unavailable', 'The state store is full; retry later', {
        retryAfterSeconds: 1,
      });
    }
  }

  return {
    setIfAbsent(key, ttlMs, value = '1') {
      const t = now();
      if (live(key, t) !== undefined) return false;
      makeRoom(t);
      entries.set(key, { value, expires: t + ttlMs });
      return true;
    },
    get(key) {
      return live(key, now())?.value;
    },
    touch(key, ttlMs) {
      const t = now();
      const entry = live(key, t);
      if (entry === undefined) return false;
      entry.expires = t + ttlMs;
      return true;
    },
    delete(key) {
      entries.delete(key);
    },
  };
}

/**
 * A view of `store` whose keys all start with `prefix`, so uses sharing one store never meet
 * (e.g. DPoP replay marks beside session bindings).
 *
 * @example
 * ```ts
 * const replayCache = prefixStore(store, 'dpop-jti:'); // a DPoP ReplayCache
 * ```
 */
export function prefixStore(store: StateStore, prefix: string): StateStore {
  return {
    setIfAbsent: (key, ttlMs, value) => store.setIfAbsent(prefix + key, ttlMs, value),
    get: (key) => store.get(prefix + key),
    touch: (key, ttlMs) => store.touch(prefix + key, ttlMs),
    delete: (key) => store.delete(prefix + key),
  };
}

/** True for an object with the four {@link StateStore} methods. */
export function isStateStore(value: unknown): value is StateStore {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.setIfAbsent === 'function' &&
    typeof v.get === 'function' &&
    typeof v.touch === 'function' &&
    typeof v.delete === 'function'
  );
}
