import {
  type CompactJWSHeaderParameters,
  type FlattenedJWSInput,
  type CryptoKey as JoseCryptoKey,
  type LocalJWKSet,
  createLocalJWKSet,
} from 'jose';
import { McpAuthError } from './errors.js';
import { assertSecureUrl } from './url.js';

/** A key set older than this is refreshed in the background on the next use. */
const MAX_AGE_MS = 10 * 60_000;

/** Options for {@link createRemoteKeySet}. */
export interface RemoteKeySetOptions {
  /** The issuer; its metadata is fetched when `jwksUri` is absent, and must name it exactly. */
  issuer: string;
  /** JWKS location; discovered from the issuer's metadata when absent. */
  jwksUri?: string | undefined;
  fetch: typeof fetch;
  /** Per-request timeout, ms. */
  timeout: number;
  /** Minimum time between two fetch attempts (after an unknown `kid` or a failure), ms. */
  cooldown: number;
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
  /** Increments every time the fetched key set differs from the previous one. */
  readonly version: number;
  /** Fetches now (joining a fetch in flight); resolves to whether it succeeded. Never rejects. */
  reload(): Promise<boolean>;
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

/**
 * Creates the remote key set a JWT verifier resolves keys from. Discovery (RFC 8414, then
 * OpenID Connect) runs once, on first use, when no `jwksUri` is configured. Fetches are
 * coalesced, bounded by `timeout`, and repeated at most once per `cooldown`; after a failed
 * fetch the last good set keeps serving.
 *
 * @example
 * ```ts
 * const keys = createRemoteKeySet({ issuer, fetch, timeout: 5_000, cooldown: 30_000 });
 * await jwtVerify(token, keys.getKey, { issuer, algorithms: ['RS256'] });
 * ```
 */
export function createRemoteKeySet(options: RemoteKeySetOptions): RemoteKeySet {
  const { issuer, timeout, cooldown } = options;
  const doFetch = options.fetch;
  const now = options.now ?? Date.now;

  let jwksUri = options.jwksUri;
  let local: LocalJWKSet | undefined;
  let fingerprint = '';
  let version = 0;
  let loadedAt = Number.NEGATIVE_INFINITY;
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let lastFailed = false;
  let lastError: unknown;
  let inflight: Promise<boolean> | undefined;

  async function fetchJson(url: string, what: string): Promise<unknown> {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`${what} request timed out after ${timeout} ms`));
      }, timeout);
    });
    const request = (async () => {
      const response = await doFetch(url, {
        headers: { accept: 'application/json' },
        signal: controller.signal,
      });
      if (!response.ok) throw new Error(`${what} request failed with HTTP ${response.status}`);
      return (await response.json()) as unknown;
    })();
    try {
      return await Promise.race([request, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function discover(): Promise<string> {
    const errors: unknown[] = [];
    for (const url of discoveryUrls(issuer)) {
      try {
        const document = await fetchJson(url, 'authorization server metadata');
        if (!isObject(document)) throw new Error('metadata is not a JSON object');
        if (document.issuer !== issuer) {
          throw new Error('metadata "issuer" does not equal the configured issuer');
        }
        return assertSecureUrl('jwks_uri', document.jwks_uri).href;
      } catch (error) {
        errors.push(error);
      }
    }
    throw new AggregateError(errors, 'authorization server metadata discovery failed');
  }

  async function load(): Promise<void> {
    if (jwksUri === undefined) jwksUri = await discover();
    const document = await fetchJson(jwksUri, 'JWKS');
    if (!isObject(document) || !Array.isArray(document.keys)) {
      throw new Error('JWKS response is not a JSON Web Key Set');
    }
    const keys = document.keys.filter(isObject);
    const next = JSON.stringify(keys);
    if (next !== fingerprint || local === undefined) {
      local = createLocalJWKSet({ keys });
      fingerprint = next;
      version++;
    }
    loadedAt = now();
  }

  function reload(): Promise<boolean> {
    if (inflight) return inflight;
    lastAttempt = now();
    const attempt = load().then(
      () => {
        lastFailed = false;
        lastError = undefined;
        return true;
      },
      (error: unknown) => {
        lastFailed = true;
        lastError = error;
        return false;
      },
    );
    inflight = attempt.finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  const mayFetch = (): boolean => inflight !== undefined || now() - lastAttempt >= cooldown;

  function unavailable(): McpAuthError {
    const wait = Math.ceil((lastAttempt + cooldown - now()) / 1000);
    return new McpAuthError(
      'jwks_unavailable',
      "the authorization server's signing keys are unavailable",
      { retryAfter: Math.max(1, wait), cause: lastError },
    );
  }

  async function getKey(
    header: CompactJWSHeaderParameters,
    token: FlattenedJWSInput,
  ): Promise<JoseCryptoKey> {
    if (local === undefined) {
      if (mayFetch()) await reload();
      if (local === undefined) throw unavailable();
    } else if (now() - loadedAt > MAX_AGE_MS && mayFetch()) {
      void reload();
    }
    try {
      return await (local as LocalJWKSet)(header, token);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
      if (mayFetch()) {
        await reload();
        if (!lastFailed) return (local as LocalJWKSet)(header, token);
      }
      if (lastFailed) throw unavailable();
      throw error;
    }
  }

  return {
    getKey,
    get version() {
      return version;
    },
    reload,
  };
}
