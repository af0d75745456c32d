import { McpAuthConfigError } from './errors.js';
import { assertOptionNames, type RenamedOptions } from './verifier-options.js';

/**
 * Options of a verifier's cache of verified tokens — the same shape for every built-in
 * verifier (`createJwtVerifier({ cache })`, `createIntrospectionVerifier({ cache })`,
 * `createMcpAuth({ jwt: { cache } })`); `cache: false` turns it off. Every bound applies at once.
 * @example
 * ```ts
 * createJwtVerifier({ issuer, resource, cache: { maxEntries: 5_000, maxAgeMs: 60_000 } });
 * ```
 */
export interface TokenCacheOptions {
  /** Most entries kept (valid and rejected tokens); the least recently used go first (CLOCK, an O(1) approximation of LRU). Default 10 000. */
  maxEntries?: number;
  /** Upper bound of the estimated memory held by entries, bytes (at least 1024). Default 8 MiB. */
  maxBytes?: number;
  /**
   * Longest time a verification is reused, ms; never past the token's `exp` either. 0 keeps no
   * valid result. Default 300 000 (5 min) for the JWT verifier, 60 000 for introspection.
   */
  maxAgeMs?: number;
  /**
   * How long a rejected token is refused without asking again, ms (0 = never; at most 60 000).
   * The JWT verifier remembers bad signatures only; introspection every refusal. Default 5 000.
   */
  negativeTtlMs?: number;
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
 * Default {@link TokenCacheOptions.maxAgeMs} of the JWT verifier: 5 minutes.
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
/** The largest {@link TokenCacheOptions.negativeTtlMs}: a rejection is never kept longer. */
const MAX_NEGATIVE_TTL_MS = 60_000;

const CACHE_OPTION_NAMES: ReadonlySet<string> = new Set<keyof TokenCacheOptions>([
  'maxEntries',
  'maxBytes',
  'maxAgeMs',
  'negativeTtlMs',
]);

const RENAMED_CACHE_OPTIONS: RenamedOptions = {
  hash: 'removed: the cache keys tokens by their SHA-256 digest, picked for the runtime',
};

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
 * Validates a `cache` option (a `TypeError` naming e.g. `cache.maxEntries`) and fills in the
 * defaults, a verifier's own ones (`defaults`) before the shared ones.
 *
 * @example
 * ```ts
 * resolveTokenCacheOptions({ maxEntries: 100 }, { maxAgeMs: 60_000 });
 * // { maxEntries: 100, maxBytes: 8388608, maxAgeMs: 60000, negativeTtlMs: 5000 }
 * ```
 */
export function resolveTokenCacheOptions(
  options: unknown,
  defaults: TokenCacheOptions = {},
): Required<TokenCacheOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new McpAuthConfigError('cache', 'must be false or an object');
  }
  assertOptionNames(options, CACHE_OPTION_NAMES, RENAMED_CACHE_OPTIONS, 'cache.');
  const o = options as TokenCacheOptions;
  return {
    maxEntries: limit(
      'cache.maxEntries',
      o.maxEntries,
      defaults.maxEntries ?? DEFAULT_TOKEN_CACHE_ENTRIES,
      1,
    ),
    maxBytes: limit(
      'cache.maxBytes',
      o.maxBytes,
      defaults.maxBytes ?? DEFAULT_TOKEN_CACHE_BYTES,
      1024,
    ),
    maxAgeMs: limit(
      'cache.maxAgeMs',
      o.maxAgeMs,
      defaults.maxAgeMs ?? DEFAULT_TOKEN_CACHE_MAX_AGE_MS,
      0,
    ),
    negativeTtlMs: limit(
      'cache.negativeTtlMs',
      o.negativeTtlMs,
      defaults.negativeTtlMs ?? DEFAULT_NEGATIVE_TTL_MS,
      0,
      MAX_NEGATIVE_TTL_MS,
    ),
  };
}

/**
 * A verifier's `cache` option: `undefined` for `false` (no cache), else the options validated
 * with the defaults filled in (see {@link resolveTokenCacheOptions}); absent means defaults.
 *
 * @example
 * ```ts
 * cacheOption(false);                         // undefined
 * cacheOption(undefined, { maxAgeMs: 60_000 }); // { maxEntries: 10000, …, maxAgeMs: 60000 }
 * ```
 */
export function cacheOption(
  value: unknown,
  defaults: TokenCacheOptions = {},
): Required<TokenCacheOptions> | undefined {
  return value === false ? undefined : resolveTokenCacheOptions(value ?? {}, defaults);
}
