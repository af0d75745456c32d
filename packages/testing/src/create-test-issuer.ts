import { CompactSign, type JWK, base64url } from 'jose';
import { listenTestIssuer } from './listen-test-issuer.js';
import {
  type TestKey,
  type TestKeyAlgorithm,
  generateTestKey,
  isTestKeyAlgorithm,
} from './test-key.js';

/**
 * How the issuer's endpoints fail during an outage:
 * - `'status'` (or `true`): every endpoint answers `503`;
 * - `'network'`: the request fails like a refused connection (fetch rejects with a `TypeError`);
 * - `'hang'`: no answer until the request's `AbortSignal` fires (to exercise timeouts).
 */
export type OutageMode = 'status' | 'network' | 'hang';

/** Options for {@link createTestIssuer}. */
export interface TestIssuerOptions {
  /** The issuer identifier (`iss`, metadata `issuer`). Default `https://issuer.example`. */
  issuer?: string;
  /** One signing key is generated per algorithm. Default `['RS256', 'ES256', 'EdDSA']`. */
  algorithms?: TestKeyAlgorithm[];
  /** Default `aud` of minted tokens. Default `https://mcp.example/mcp`. */
  audience?: string | string[];
  /** Default `sub`. Default `user-123`. */
  subject?: string;
  /** Default `client_id`. Default `test-client`. */
  clientId?: string;
  /** Default `scope` (space-delimited); the claim is left out when not set. */
  scope?: string;
  /** Default token lifetime in seconds. Default 300. */
  expiresIn?: number;
  /** Which discovery documents are served. Default both. */
  discovery?: { oauth?: boolean; oidc?: boolean };
  /** Fields merged over both metadata documents (e.g. a wrong `issuer`). */
  metadata?: Record<string, unknown>;
}

/** Options for {@link TestIssuer.mintAccessToken}. */
export interface MintAccessTokenOptions {
  /** Claims merged over the defaults; a value of `undefined` removes the claim. */
  claims?: Record<string, unknown>;
  /** Claim names to leave out (e.g. `['exp']`). */
  omit?: string[];
  /**
   * Protected-header overrides. `alg: 'none'` yields an unsigned token; `alg: 'HS256'` (384,
   * 512) signs with `hmacSecret`; any other `alg` differing from the key's is written into the
   * header after signing, so the signature no longer matches.
   */
  header?: { typ?: string; kid?: string; alg?: string; [name: string]: unknown };
  /** Header parameters to leave out. */
  omitHeader?: Array<'typ' | 'kid'>;
  /** The signing key: a {@link TestKey} (published or not) or the algorithm of a current key. */
  key?: TestKey | TestKeyAlgorithm;
  /** Lifetime in seconds from `iat`. Default the issuer's `expiresIn`. */
  expiresIn?: number;
  /** `iat` in seconds since the epoch. Default now (`Date.now()`, so fake timers apply). */
  issuedAt?: number;
  /** Secret for HS* headers (a string is UTF-8 encoded, e.g. a public-key PEM). */
  hmacSecret?: string | Uint8Array;
}

/** Options for {@link TestIssuer.rotateKeys}. */
export interface RotateKeysOptions {
  /** Keep publishing the previous keys (verification of older tokens still works). Default true. */
  keepOld?: boolean;
}

/** A running HTTP listener for a test issuer. */
export interface TestIssuerServer {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** A local OAuth authorization server that publishes keys and metadata and mints tokens. */
export interface TestIssuer {
  /** The issuer identifier, exactly as tokens and metadata carry it. */
  readonly issuer: string;
  /** Where the JWKS is served (`<issuer>/jwks`). */
  readonly jwksUri: string;
  /** RFC 8414 metadata URL (path-inserted `/.well-known/oauth-authorization-server`). */
  readonly metadataUrl: string;
  /** OpenID Connect discovery URL (`<issuer>/.well-known/openid-configuration`). */
  readonly openidConfigurationUrl: string;
  /** Every published key, newest first. */
  readonly keys: readonly TestKey[];
  /** JWKS requests received so far (failed ones during an outage included). */
  readonly jwksFetchCount: number;
  /** RFC 8414 metadata requests received so far. */
  readonly metadataFetchCount: number;
  /** OpenID discovery requests received so far. */
  readonly openidConfigurationFetchCount: number;
  /** The current signing key for `alg` (default: the first configured algorithm). */
  key(alg?: TestKeyAlgorithm): TestKey;
  /** The JWKS document as served. */
  jwks(): { keys: JWK[] };
  /** The RFC 8414 metadata document as served. */
  metadata(): Record<string, unknown>;
  /** Mints an RFC 9068 access token (`typ: at+jwt`). */
  mintAccessToken(options?: MintAccessTokenOptions): Promise<string>;
  /** New signing keys for every algorithm; returns them. */
  rotateKeys(options?: RotateKeysOptions): Promise<TestKey[]>;
  /** Publishes a key in the JWKS (it does not become a default signing key). */
  publishKey(key: TestKey): void;
  /** Removes a key from the JWKS by `kid`. */
  unpublishKey(kid: string): void;
  /** Starts (`true` = `'status'`) or ends (`false`) an outage of every endpoint. */
  setOutage(mode: boolean | OutageMode): void;
  /** Sets the fetch counters back to zero. */
  resetCounts(): void;
  /** Fetch-style handler serving the metadata documents and the JWKS. */
  handler(request: Request): Promise<Response>;
  /**
   * A `fetch` that routes requests for the issuer's origin to {@link handler} (no sockets);
   * other origins fail like an unreachable host.
   */
  fetch: typeof fetch;
  /** Serves {@link handler} over HTTP on 127.0.0.1 (free port). */
  listen(): Promise<TestIssuerServer>;
}

const DEFAULT_ALGORITHMS: TestKeyAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];

function jsonResponse(status: number, body: unknown, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...extra },
  });
}

function encodeSegment(value: unknown): string {
  return base64url.encode(new TextEncoder().encode(JSON.stringify(value)));
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/** Resolves never, rejects when `signal` aborts. */
function waitForAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(abortError(signal));
    else signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
  });
}

/**
 * Creates a test issuer with fresh key pairs. Everything runs in-process: pass
 * `issuer.fetch` to the code under test, or call `listen()` for a real HTTP endpoint
 * (see also {@link startTestIssuer}).
 *
 * @example
 * ```ts
 * const issuer = await createTestIssuer({ audience: 'https://mcp.example/mcp', scope: 'todo:read' });
 * const verifier = createJwtVerifier({
 *   issuer: issuer.issuer,
 *   resource: 'https://mcp.example/mcp',
 *   fetch: issuer.fetch,
 * });
 * const token = await issuer.mintAccessToken({ claims: { sub: 'alice' } });
 * await verifier.verifyAccessToken(token);
 * ```
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const issuer = options.issuer ?? 'https://issuer.example';
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(issuer);
  } catch {
    throw new TypeError('createTestIssuer: option "issuer" must be an absolute URL');
  }
  const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
  if (algorithms.length === 0 || !algorithms.every(isTestKeyAlgorithm)) {
    throw new TypeError('createTestIssuer: option "algorithms" must list supported algorithms');
  }
  const defaults = {
    audience: options.audience ?? 'https://mcp.example/mcp',
    subject: options.subject ?? 'user-123',
    clientId: options.clientId ?? 'test-client',
    scope: options.scope,
    expiresIn: options.expiresIn ?? 300,
  };
  const serveOauth = options.discovery?.oauth ?? true;
  const serveOidc = options.discovery?.oidc ?? true;

  const base = issuer.endsWith('/') ? issuer.slice(0, -1) : issuer;
  const issuerPath = issuerUrl.pathname === '/' ? '' : issuerUrl.pathname.replace(/\/$/, '');
  const jwksPath = `${issuerPath}/jwks`;
  const metadataPath = `/.well-known/oauth-authorization-server${issuerPath}`;
  const oidcPath = `${issuerPath}/.well-known/openid-configuration`;
  const jwksUri = `${base}/jwks`;

  let current = new Map<TestKeyAlgorithm, TestKey>();
  for (const alg of algorithms) current.set(alg, await generateTestKey(alg));
  let published: TestKey[] = [...current.values()];
  let outage: OutageMode | undefined;
  const counts = { jwks: 0, metadata: 0, oidc: 0 };

  const metadata = (): Record<string, unknown> => ({
    issuer,
    jwks_uri: jwksUri,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/token`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'client_credentials'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'none'],
    ...options.metadata,
  });
  const openidConfiguration = (): Record<string, unknown> => ({
    ...metadata(),
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...current.keys()],
    ...options.metadata,
  });
  const jwks = () => ({ keys: published.map((key) => ({ ...key.publicJwk })) });

  const signingKey = (alg?: TestKeyAlgorithm): TestKey => {
    const chosen = alg ?? algorithms[0]!;
    const key = current.get(chosen);
    if (!key) throw new TypeError(`test issuer: no key for algorithm "${chosen}"`);
    return key;
  };

  async function mintAccessToken(mint: MintAccessTokenOptions = {}): Promise<string> {
    const key = typeof mint.key === 'object' ? mint.key : signingKey(mint.key);
    const iat = mint.issuedAt ?? Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      iss: issuer,
      aud: defaults.audience,
      sub: defaults.subject,
      client_id: defaults.clientId,
      iat,
      exp: iat + (mint.expiresIn ?? defaults.expiresIn),
      jti: globalThis.crypto.randomUUID(),
    };
    if (defaults.scope !== undefined) payload.scope = defaults.scope;
    for (const [name, value] of Object.entries(mint.claims ?? {})) {
      if (value === undefined) delete payload[name];
      else payload[name] = value;
    }
    for (const name of mint.omit ?? []) delete payload[name];

    const header: Record<string, unknown> = { alg: key.alg, typ: 'at+jwt', kid: key.kid };
    for (const [name, value] of Object.entries(mint.header ?? {})) {
      if (value === undefined) delete header[name];
      else header[name] = value;
    }
    for (const name of mint.omitHeader ?? []) delete header[name];
    const alg = String(header.alg);
    const payloadBytes = new TextEncoder().encode(JSON.stringify(payload));

    if (alg === 'none') return `${encodeSegment(header)}.${base64url.encode(payloadBytes)}.`;
    if (/^HS(256|384|512)$/.test(alg)) {
      if (mint.hmacSecret === undefined) {
        throw new TypeError('mintAccessToken: an HS* "alg" needs the "hmacSecret" option');
      }
      const secret =
        typeof mint.hmacSecret === 'string'
          ? new TextEncoder().encode(mint.hmacSecret)
          : mint.hmacSecret;
      return new CompactSign(payloadBytes)
        .setProtectedHeader(header as { alg: string })
        .sign(secret);
    }
    const signed = await new CompactSign(payloadBytes)
      .setProtectedHeader({ ...header, alg: key.alg })
      .sign(key.privateKey);
    if (alg === key.alg) return signed;
    const [, body, signature] = signed.split('.');
    return `${encodeSegment(header)}.${body}.${signature}`;
  }

  async function handler(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    let document: (() => unknown) | undefined;
    if (pathname === jwksPath) {
      counts.jwks++;
      document = jwks;
    } else if (pathname === metadataPath) {
      counts.metadata++;
      if (serveOauth) document = metadata;
    } else if (pathname === oidcPath) {
      counts.oidc++;
      if (serveOidc) document = openidConfiguration;
    } else {
      return jsonResponse(404, { error: 'not_found' });
    }
    if (outage === 'network') throw new TypeError('fetch failed: connection refused');
    if (outage === 'hang') return waitForAbort(request.signal);
    if (outage === 'status') {
      return jsonResponse(503, { error: 'temporarily_unavailable' }, { 'retry-after': '30' });
    }
    if (!document) return jsonResponse(404, { error: 'not_found' });
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return jsonResponse(405, { error: 'method_not_allowed' }, { allow: 'GET, HEAD' });
    }
    return jsonResponse(200, document());
  }

  const testFetch = (async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    if (request.signal.aborted) throw abortError(request.signal);
    if (new URL(request.url).origin !== issuerUrl.origin) {
      throw new TypeError(`fetch failed: host not reachable in the test issuer`);
    }
    return handler(request);
  }) as typeof fetch;

  const result: TestIssuer = {
    issuer,
    jwksUri,
    metadataUrl: `${issuerUrl.origin}${metadataPath}`,
    openidConfigurationUrl: `${base}/.well-known/openid-configuration`,
    get keys() {
      return [...published];
    },
    get jwksFetchCount() {
      return counts.jwks;
    },
    get metadataFetchCount() {
      return counts.metadata;
    },
    get openidConfigurationFetchCount() {
      return counts.oidc;
    },
    key: signingKey,
    jwks,
    metadata,
    mintAccessToken,
    async rotateKeys(rotate: RotateKeysOptions = {}) {
      const next = new Map<TestKeyAlgorithm, TestKey>();
      for (const alg of algorithms) next.set(alg, await generateTestKey(alg));
      current = next;
      const fresh = [...next.values()];
      published = rotate.keepOld === false ? fresh : [...fresh, ...published];
      return fresh;
    },
    publishKey(key: TestKey) {
      published = [key, ...published.filter((k) => k.kid !== key.kid)];
    },
    unpublishKey(kid: string) {
      published = published.filter((k) => k.kid !== kid);
    },
    setOutage(mode: boolean | OutageMode) {
      outage = mode === true ? 'status' : mode === false ? undefined : mode;
    },
    resetCounts() {
      counts.jwks = 0;
      counts.metadata = 0;
      counts.oidc = 0;
    },
    handler,
    fetch: testFetch,
    listen() {
      return listenTestIssuer(handler);
    },
  };
  return result;
}
