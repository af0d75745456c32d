import {
  type CompactJWSHeaderParameters,
  type FlattenedJWSInput,
  type CryptoKey as JoseCryptoKey,
  type LocalJWKSet,
  createLocalJWKSet,
} from 'jose';
import { runInBackground } from './background-work.js';
import { fetchJsonBounded } from './bounded-fetch.js';
import { IssuerMismatchError, KeySetFetchFailure } from './key-set-failure.js';
import { createLoadSchedule } from './load-schedule.js';
import { assertSecureUrl } from './url.js';

/** A key set older than this is refreshed in the background on the next use. */
const MAX_AGE_MS = 10 * 60_000;
/** Options for {@link createRemoteKeySet}. */
export interface RemoteKeySetOptions {
  /** The issuer; its metadata is fetched when `jwksUri` is absent, and must name it exactly. */
  issuer: string;
  /** JWKS location; discovered from the issuer's metadata when absent. */
  jwksUri?: string | undefined;
  /** The `fetch` every request goes through (by way of `fetchJsonBounded`). */
  fetch: typeof fetch;
  /**
   * Total deadline of one load, ms: discovery (both metadata locations, when tried) and the
   * JWKS together.
   */
  timeoutMs: number;
  /**
   * Minimum time between the end of one fetch attempt and the start of the next (after an
   * unknown `kid` or a failure), ms.
   */
  cooldownMs: number;
  /** Largest metadata or JWKS body accepted, bytes (see `fetchJsonBounded`). */
  maxResponseBytes: number;
  /** Clock in ms; default `Date.now` (fake timers apply). */
  now?: () => number;
}

/** A cached, self-refreshing JSON Web Key Set fetched from the authorization server. */
export interface RemoteKeySet {
  /**
   * jose key resolver: the key for the token's header. Loads the set on first use, refetches
   * once per cooldown on an unknown `kid`. Rejects with `McpAuthError('jwks_unavailable')`
   * when no key can be had because the set cannot be fetched; with jose's
   * `JWKSNoMatchingKey` when a fresh set has no such key.
   */
  getKey(header: CompactJWSHeaderParameters, token: FlattenedJWSInput): Promise<JoseCryptoKey>;
  /**
   * The key `getKey` last resolved for this header's `alg` and `kid` from the current set,
   * synchronously; `undefined` when there is none yet, or when the set is due for a refresh
   * (then `getKey` starts it). The key set's choice depends only on those two members, so the
   * answer is the one `getKey` would give.
   */
  knownKey(header: CompactJWSHeaderParameters): JoseCryptoKey | undefined;
  /** Increments every time the fetched key set differs from the previous one. */
  readonly version: number;
  /** Fetches now (joining a fetch in flight); resolves to whether it succeeded. Never rejects. */
  reload(): Promise<boolean>;
  /** Why the last load failed (see `describeFailure`); `undefined` after a success. */
  readonly lastError: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The metadata locations tried for `issuer`, in order: RFC 8414 §3.1 (well-known path inserted
 * before the issuer's path) and OpenID Connect Discovery 1.0 §4 (appended).
 *
 * @example
 * ```ts
 * discoveryUrls('https://auth.example.com/tenant');
 * // ['https://auth.example.com/.well-known/oauth-authorization-server/tenant',
 * //  'https://auth.example.com/tenant/.well-known/openid-configuration']
 * ```
 */
export function discoveryUrls(issuer: string): [oauth: string, oidc: string] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
}

/** Fetches `url` (one of the key set's requests) within the load's `deadline`, ms. */
type FetchJson = (url: string, what: string, deadline: number) => Promise<unknown>;

/**
 * The `jwks_uri` of `issuer`'s metadata, from the first location of {@link discoveryUrls}
 * that answers a JSON object naming exactly this issuer; every failure is kept as the cause.
 */
async function discoverJwksUri(
  issuer: string,
  fetchJson: FetchJson,
  deadline: number,
): Promise<string> {
  const errors: unknown[] = [];
  for (const url of discoveryUrls(issuer)) {
    try {
      const document = await fetchJson(url, 'authorization server metadata', deadline);
      if (!isObject(document)) throw new Error('metadata is not a JSON object');
      if (document.issuer !== issuer) throw new IssuerMismatchError(document.issuer, issuer);
      return assertSecureUrl('jwks_uri', document.jwks_uri).href;
    } catch (error) {
      errors.push(new KeySetFetchFailure('authorization server metadata', url, error));
    }
  }
  throw new AggregateError(errors, `no usable authorization server metadata for '${issuer}'`);
}

/** The keys of a JWK Set document (RFC 7517 §5): the objects of its `keys` array. */
function jwksKeys(document: unknown): Record<string, unknown>[] {
  if (!isObject(document) || !Array.isArray(document.keys)) {
    throw new Error('JWKS response is not a JSON Web Key Set');
  }
  return document.keys.filter(isObject);
}

/**
 * Where a resolved key is kept: its header's `alg`, and its `kid` when that is absent or a
 * string (the key set matches no other kid); `undefined` for any other header.
 */
function knownKeyPlace(
  header: CompactJWSHeaderParameters,
): [string, string | undefined] | undefined {
  const { alg, kid } = header;
  if (typeof alg !== 'string' || (kid !== undefined && typeof kid !== 'string')) return undefined;
  return [alg, kid];
}

/**
 * Creates the remote key set a JWT verifier resolves keys from. Discovery (RFC 8414, then
 * OpenID Connect) runs once, on first use, when no `jwksUri` is configured. Every request
 * goes through `fetchJsonBounded` (redirects refused, body capped at `maxResponseBytes`);
 * one load — discovery and JWKS together — has one deadline, `timeoutMs`.
 *
 * Fetches are coalesced and start at most once per `cooldownMs`, counted from the end of the
 * previous attempt. After a failed fetch the last good set keeps serving; without one,
 * requests get `jwks_unavailable` (503, `retryAfterSeconds` = the rest of the cooldown) at once
 * instead of waiting on the server again. When the cooldown is over, one request starts a retry
 * and waits for it at most half a second (the retry goes on until `timeoutMs`), so an issuer
 * that hangs costs the first request one deadline and later ones half a second per cooldown at
 * most; requests arriving during that retry are not held either. The last failure is kept
 * (`lastError`) with the document, address and reason (see `describeFailure`).
 *
 * @see RFC 8414 §3, OpenID Connect Discovery 1.0 §4, RFC 7517 §5
 * @example
 * ```ts
 * const keys = createRemoteKeySet({ issuer, fetch, timeoutMs: 5_000, cooldownMs: 30_000, maxResponseBytes });
 * await jwtVerify(token, keys.getKey, { issuer, algorithms: ['RS256'] });
 * ```
 */
export function createRemoteKeySet(options: RemoteKeySetOptions): RemoteKeySet {
  const { issuer, maxResponseBytes } = options;
  const now = options.now ?? Date.now;
  let jwksUri = options.jwksUri;
  let local: LocalJWKSet | undefined;
  /** Keys resolved from `local`, by `alg`, then `kid`; replaced with `local`. */
  let known = new Map<string, Map<string | undefined, JoseCryptoKey>>();
  let fingerprint = '';
  let version = 0;
  let loadedAt = Number.NEGATIVE_INFINITY;

  const fetchJson: FetchJson = (url, what, deadline) =>
    fetchJsonBounded(url, {
      fetch: options.fetch,
      timeoutMs: deadline - now(),
      maxResponseBytes,
      code: 'jwks_unavailable',
      what,
    });

  async function load(deadline: number): Promise<void> {
    if (jwksUri === undefined) jwksUri = await discoverJwksUri(issuer, fetchJson, deadline);
    const uri = jwksUri;
    let keys: Record<string, unknown>[];
    try {
      keys = jwksKeys(await fetchJson(uri, 'JWKS', deadline));
    } catch (error) {
      throw new KeySetFetchFailure('JWKS', uri, error);
    }
    const next = JSON.stringify(keys);
    if (next !== fingerprint || local === undefined) {
      local = createLocalJWKSet({ keys });
      known = new Map();
      fingerprint = next;
      version++;
    }
    loadedAt = now();
  }

  const schedule = createLoadSchedule(load, options.timeoutMs, options.cooldownMs, now);

  async function getKey(
    header: CompactJWSHeaderParameters,
    token: FlattenedJWSInput,
  ): Promise<JoseCryptoKey> {
    if (local === undefined) {
      await schedule.loadIfDue();
      if (local === undefined) throw schedule.unavailable();
    } else if (now() - loadedAt > MAX_AGE_MS && schedule.idle) {
      runInBackground(schedule.reload()); // see takeBackgroundWork: Workers needs waitUntil
    }
    try {
      return remember(header, local as LocalJWKSet, await (local as LocalJWKSet)(header, token));
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
      const fetched = schedule.loadIfDue();
      if (fetched !== undefined && (await fetched)) return (local as LocalJWKSet)(header, token);
      if (schedule.failed) throw schedule.unavailable();
      throw error;
    }
  }

  /** Keeps the key `from` chose for `header` (while `from` is the current set). */
  function remember(
    header: CompactJWSHeaderParameters,
    from: LocalJWKSet,
    key: JoseCryptoKey,
  ): JoseCryptoKey {
    const place = knownKeyPlace(header);
    if (from !== local || place === undefined) return key;
    const [alg, kid] = place;
    const byKid = known.get(alg) ?? new Map<string | undefined, JoseCryptoKey>();
    known.set(alg, byKid.set(kid, key));
    return key;
  }

  function knownKey(header: CompactJWSHeaderParameters): JoseCryptoKey | undefined {
    if (known.size === 0 || now() - loadedAt > MAX_AGE_MS) return undefined;
    const { alg, kid } = header;
    return typeof alg === 'string' ? known.get(alg)?.get(kid as string | undefined) : undefined;
  }

  return {
    getKey,
    knownKey,
    get version() {
      return version;
    },
    reload: schedule.reload,
    get lastError() {
      return schedule.lastError;
    },
  };
}
