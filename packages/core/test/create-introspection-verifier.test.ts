import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createIntrospectionVerifier,
  type IntrospectionVerifierOptions,
} from '../src/create-introspection-verifier.js';
import { BoundedFetchError } from '../src/bounded-fetch.js';
import { createMcpAuth } from '../src/create-mcp-auth.js';
import { isMcpAuthError, type McpAuthError } from '../src/errors.js';
import { createMemoryStore } from '../src/state-store.js';
import { tokenHash } from '../src/token-hash.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const ENDPOINT = 'https://auth.example.com/oauth2/introspect';
const ISSUER = 'https://auth.example.com';
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
// Captured before fake timers are installed: a real-time guard for "answers without waiting".
const realSetTimeout = globalThis.setTimeout;
const nowSeconds = NOW / 1000;

interface Call {
  url: string;
  method: string;
  headers: Headers;
  body: URLSearchParams;
}

/** An in-memory introspection endpoint: `answer` decides each response. */
function endpoint(answer: (token: string) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const body = new URLSearchParams(await request.text());
    calls.push({ url: request.url, method: request.method, headers: request.headers, body });
    if (request.url !== ENDPOINT) throw new TypeError('fetch failed: unexpected host in tests');
    return answer(body.get('token') ?? '');
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

const active = (extra: Record<string, unknown> = {}) => ({
  active: true,
  iss: ISSUER,
  aud: RESOURCE,
  sub: 'alice',
  client_id: 'host-app',
  scope: 'todo:read todo:write',
  exp: nowSeconds + 300,
  iat: nowSeconds,
  ...extra,
});

function verifier(
  fetch: typeof globalThis.fetch,
  options: Partial<IntrospectionVerifierOptions> = {},
) {
  return createIntrospectionVerifier({
    endpoint: ENDPOINT,
    clientId: 'mcp server',
    clientSecret: 's3cret:&=',
    resource: RESOURCE,
    issuer: ISSUER,
    fetch,
    ...options,
  });
}

async function failure(promise: Promise<unknown>): Promise<McpAuthError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(isMcpAuthError(error)).toBe(true);
  return error as McpAuthError;
}

/** `promise`'s outcome, which must come without fake time passing (no request was awaited). */
async function withoutWaiting<T>(promise: Promise<T>): Promise<T> {
  const before = Date.now();
  const guard = new Promise<never>((_, reject) => {
    realSetTimeout(() => reject(new Error('waited on a timer')), 1_000);
  });
  const result = await Promise.race([promise, guard]);
  expect(Date.now()).toBe(before);
  return result;
}

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createIntrospectionVerifier (RFC 7662)', () => {
  it('POSTs the token with client_secret_basic and token_type_hint, and maps the response', async () => {
    const { fetch, calls } = endpoint(() => json(active()));
    const info = await verifier(fetch).verifyAccessToken('opaque-token-1');
    expect(info).toMatchObject({
      token: 'opaque-token-1',
      clientId: 'host-app',
      scopes: ['todo:read', 'todo:write'],
      expiresAt: nowSeconds + 300,
      extra: { sub: 'alice', iss: ISSUER },
    });
    expect(info.resource?.href).toBe(RESOURCE);
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.method).toBe('POST');
    expect(call?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    // RFC 6749 §2.3.1: id and secret form-encoded, then Base64.
    expect(call?.headers.get('authorization')).toBe(`Basic ${btoa('mcp+server:s3cret%3A%26%3D')}`);
    expect(Object.fromEntries(call?.body ?? [])).toEqual({
      token: 'opaque-token-1',
      token_type_hint: 'access_token',
    });
  });

  it('a response without iss takes the configured issuer (session owners stay per issuer)', async () => {
    const { iss: _omitted, ...withoutIss } = active();
    const { fetch } = endpoint(() => json(withoutIss));
    const info = await verifier(fetch).verifyAccessToken('t');
    expect(info.extra?.iss).toBe(ISSUER);
    const { fetch: fetch2 } = endpoint(() => json(withoutIss));
    const unnamed = await verifier(fetch2, { issuer: undefined }).verifyAccessToken('t');
    expect(unnamed.extra?.iss).toBeUndefined();
  });

  it('supports client_secret_post', async () => {
    const { fetch, calls } = endpoint(() => json(active()));
    await verifier(fetch, { clientAuthMethod: 'client_secret_post' }).verifyAccessToken('t');
    expect(calls[0]?.headers.get('authorization')).toBeNull();
    expect(calls[0]?.body.get('client_id')).toBe('mcp server');
    expect(calls[0]?.body.get('client_secret')).toBe('s3cret:&=');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['inactive', { active: false }, 'token is not active'],
    ['expired (past the 60 s tolerance)', active({ exp: nowSeconds - 60 }), 'token expired'],
    ['exp not a number', active({ exp: 'soon' }), 'invalid "exp" claim'],
    ['not yet valid', active({ nbf: nowSeconds + 61 }), 'token not yet valid'],
    ['issued in the future', active({ iat: nowSeconds + 61 }), 'token issued in the future'],
    ['nbf not a number', active({ nbf: '0' }), 'invalid "nbf" claim'],
    ['wrong aud', active({ aud: 'https://other.example.com/mcp' }), 'audience mismatch'],
    ['missing aud', active({ aud: undefined }), 'missing audience (aud)'],
    ['empty aud list', active({ aud: [] }), 'missing audience (aud)'],
    ['wrong iss', active({ iss: 'https://evil.example.com' }), 'issuer mismatch'],
    ['sub not a string', active({ sub: 42 }), 'invalid "sub" claim'],
    [
      'sender-constrained',
      active({ cnf: { jkt: 'x' } }),
      'sender-constrained token (cnf) cannot be used as a bearer token',
    ],
  ])('%s → invalid_token (401)', async (_name, body, description) => {
    const { fetch } = endpoint(() => json(body));
    const error = await failure(verifier(fetch).verifyAccessToken('t'));
    expect(error.code).toBe('invalid_token');
    expect(error.status).toBe(401);
    expect(error.message).toBe(description);
  });

  it('accepts aud arrays, canonical forms and additional audiences; requireAudience: false allows none', async () => {
    const { fetch } = endpoint((token) =>
      json(
        token === 'a'
          ? active({ aud: ['x', 'HTTPS://MCP.example.com:443/mcp'] })
          : token === 'b'
            ? active({ aud: 'api://todo' })
            : active({ aud: undefined, iss: undefined }),
      ),
    );
    const v = verifier(fetch, { additionalAudiences: ['api://todo'] });
    await expect(v.verifyAccessToken('a')).resolves.toBeTruthy();
    await expect(v.verifyAccessToken('b')).resolves.toBeTruthy();
    await expect(
      verifier(fetch, { requireAudience: false }).verifyAccessToken('c'),
    ).resolves.toBeTruthy();
  });

  it.each<[string, () => Response | Promise<Response>, RegExp, number]>([
    ['HTTP 500', () => json({ error: 'server_error' }, 500), /HTTP 500/, 5],
    [
      'HTTP 401 (bad client credentials)',
      () => json({ error: 'invalid_client' }, 401),
      /HTTP 401/,
      5,
    ],
    ['non-JSON', () => new Response('<html>oops</html>', { status: 200 }), /not JSON/, 5],
    ['JSON without active', () => json({ scope: 'x' }), /malformed/, 5],
    ['JSON array', () => json([1]), /malformed/, 5],
    [
      'network failure',
      () => {
        throw new TypeError('connection refused');
      },
      /unreachable/,
      5,
    ],
  ])(
    '%s → authorization_server_unavailable (503), not cached',
    async (_n, answer, message, retryAfterSeconds) => {
      const { fetch, calls } = endpoint(answer);
      const v = verifier(fetch);
      const error = await failure(v.verifyAccessToken('t'));
      expect(error).toMatchObject({
        code: 'authorization_server_unavailable',
        status: 503,
        retryAfterSeconds,
      });
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('s3cret');
      await failure(v.verifyAccessToken('t'));
      expect(calls).toHaveLength(2);
    },
  );

  it('HTTP 503 with Retry-After → 503 passing it on; the endpoint is left alone for failureCooldownMs', async () => {
    const { fetch, calls } = endpoint(() => json({}, 503, { 'retry-after': '42' }));
    const v = verifier(fetch);
    const error = await failure(v.verifyAccessToken('t'));
    expect(error).toMatchObject({
      code: 'authorization_server_unavailable',
      status: 503,
      retryAfterSeconds: 42,
    });
    expect(error.message).toMatch(/HTTP 503/);
    expect(error.cause).toBeInstanceOf(BoundedFetchError);
    await vi.advanceTimersByTimeAsync(2_000);
    const again = await failure(v.verifyAccessToken('another token'));
    expect(again).toMatchObject({ code: 'authorization_server_unavailable', retryAfterSeconds: 3 });
    expect(calls).toHaveLength(1);
  });

  it('HTTP 429 with a short Retry-After: left alone only that long, not the whole cooldown', async () => {
    let limited = true;
    const { fetch, calls } = endpoint(() =>
      limited ? json({}, 429, { 'retry-after': '1' }) : json(active()),
    );
    const v = verifier(fetch);
    await failure(v.verifyAccessToken('junk-1'));
    const during = await failure(v.verifyAccessToken('good'));
    expect(during).toMatchObject({
      code: 'authorization_server_unavailable',
      retryAfterSeconds: 1,
    });
    expect(calls).toHaveLength(1);
    limited = false;
    await vi.advanceTimersByTimeAsync(1_001);
    await expect(v.verifyAccessToken('good')).resolves.toMatchObject({ token: 'good' });
    expect(calls).toHaveLength(2);
  });

  it.each<[string, number]>([
    ['HTTP 500', 500],
    ['HTTP 400', 400],
  ])('%s is not remembered: one token cannot lock out the others', async (_n, status) => {
    let failing = true;
    const { fetch, calls } = endpoint(() => (failing ? json({}, status) : json(active())));
    const v = verifier(fetch);
    await failure(v.verifyAccessToken('poison'));
    failing = false;
    await expect(v.verifyAccessToken('good')).resolves.toMatchObject({ token: 'good' });
    expect(calls).toHaveLength(2);
  });

  it('times out after `timeoutMs` with a 503', async () => {
    const { fetch, calls } = endpoint(
      () =>
        new Promise<Response>(() => {
          /* never answers */
        }),
    );
    const pending = failure(verifier(fetch, { timeoutMs: 1_000 }).verifyAccessToken('t'));
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    await vi.advanceTimersByTimeAsync(1_000);
    const error = await pending;
    expect(error).toMatchObject({ code: 'authorization_server_unavailable', status: 503 });
    expect(error.message).toMatch(/timed out/);
  });

  it('a hanging endpoint costs one timeout; then 503 + Retry-After at once for failureCooldownMs, one retry at a time, recovery', async () => {
    let hang = true;
    const calls: string[] = [];
    // Records each request synchronously: every step up to the request is a microtask (or a
    // Web Crypto digest), so fake time is the only clock that matters.
    const fetch = (async (_input: RequestInfo | URL, init?: RequestInit) => {
      calls.push(new URLSearchParams(String(init?.body)).get('token') ?? '');
      return hang ? new Promise<Response>(() => {}) : json(active());
    }) as typeof globalThis.fetch;
    const v = verifier(fetch, { timeoutMs: 1_000 });
    let settled = false;
    const first = failure(v.verifyAccessToken('a')).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await first).toMatchObject({
      code: 'authorization_server_unavailable',
      status: 503,
      retryAfterSeconds: 5,
    });
    expect(((await first).cause as BoundedFetchError).failure).toBe('timeout');

    // Other tokens, within the cooldown: no request, no wait, the rest of the cooldown.
    expect(await withoutWaiting(failure(v.verifyAccessToken('b')))).toMatchObject({
      status: 503,
      retryAfterSeconds: 5,
    });
    await vi.advanceTimersByTimeAsync(3_500);
    expect(await withoutWaiting(failure(v.verifyAccessToken('c')))).toMatchObject({
      retryAfterSeconds: 2,
    });
    expect(calls).toHaveLength(1);

    // Cooldown over: one request retries; nobody else waits on it, the same token included.
    await vi.advanceTimersByTimeAsync(1_500);
    const probe = failure(v.verifyAccessToken('d'));
    await vi.advanceTimersByTimeAsync(400);
    expect(calls).toEqual(['a', 'd']);
    for (const token of ['e', 'd']) {
      expect(await withoutWaiting(failure(v.verifyAccessToken(token)))).toMatchObject({
        status: 503,
        retryAfterSeconds: 1,
      });
    }
    await vi.advanceTimersByTimeAsync(600);
    expect((await probe).retryAfterSeconds).toBe(5);
    expect(calls).toHaveLength(2);

    hang = false;
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(v.verifyAccessToken('f')).resolves.toMatchObject({ token: 'f' });
    // Healthy again: lookups run side by side.
    await Promise.all(['g', 'h', 'i'].map((t) => v.verifyAccessToken(t)));
    expect(calls).toEqual(['a', 'd', 'f', 'g', 'h', 'i']);
  });

  it('refuses a redirect and an oversized answer (503), without following or reading on', async () => {
    const requested: string[] = [];
    const redirecting = (async (input: RequestInfo | URL) => {
      requested.push(String(input));
      return new Response(null, { status: 302, headers: { location: 'https://evil.example/' } });
    }) as typeof globalThis.fetch;
    const moved = await failure(verifier(redirecting).verifyAccessToken('t'));
    expect(moved).toMatchObject({ code: 'authorization_server_unavailable', status: 503 });
    expect((moved.cause as BoundedFetchError).failure).toBe('redirect');
    expect(requested).toEqual([ENDPOINT]);

    const big = endpoint(() => json(active({ pad: 'x'.repeat(2_000) })));
    const capped = verifier(big.fetch, { maxResponseBytes: 1_000 });
    const error = await failure(capped.verifyAccessToken('t'));
    expect(error).toMatchObject({ code: 'authorization_server_unavailable', status: 503 });
    expect((error.cause as BoundedFetchError).failure).toBe('too_large');
    // Not an outage: the next token is asked normally.
    await failure(capped.verifyAccessToken('u'));
    expect(big.calls).toHaveLength(2);
  });

  it('caches active results up to cache.maxAgeMs and never past exp', async () => {
    const { fetch, calls } = endpoint(() => json(active({ exp: nowSeconds + 30 })));
    const v = verifier(fetch, { cache: { maxAgeMs: 60_000 }, clockToleranceMs: 0 });
    await v.verifyAccessToken('t');
    await vi.advanceTimersByTimeAsync(29_000);
    await v.verifyAccessToken('t');
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000); // exp reached: the cached result is gone
    await failure(v.verifyAccessToken('t')); // and the fresh answer says expired
    expect(calls).toHaveLength(2);

    const long = endpoint(() => json(active({ exp: nowSeconds + 3_600 })));
    const w = verifier(long.fetch, { cache: { maxAgeMs: 10_000 } });
    await w.verifyAccessToken('u');
    await vi.advanceTimersByTimeAsync(9_999);
    await w.verifyAccessToken('u');
    expect(long.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await w.verifyAccessToken('u');
    expect(long.calls).toHaveLength(2);

    // Without exp (RFC 7662 makes it optional): reused for maxAgeMs, 60 s by default.
    const { exp: _omitted, ...withoutExp } = active();
    const open = endpoint(() => json(withoutExp));
    const x = verifier(open.fetch);
    await x.verifyAccessToken('v');
    await vi.advanceTimersByTimeAsync(59_999);
    await x.verifyAccessToken('v');
    expect(open.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await x.verifyAccessToken('v');
    expect(open.calls).toHaveLength(2);
  });

  it('a cache hit is a fresh AuthInfo for the token presented; the claims are shared read-only', async () => {
    const { fetch, calls } = endpoint(() => json(active({ roles: ['a'] })));
    const v = verifier(fetch);
    const first = await v.verifyAccessToken('t');
    first.scopes.push('admin');
    (first.extra as Record<string, unknown>).sub = 'mallory';
    const second = await v.verifyAccessToken('t');
    expect(calls).toHaveLength(1);
    expect(second).not.toBe(first);
    expect(second.token).toBe('t');
    expect(second.scopes).toEqual(['todo:read', 'todo:write']);
    expect(second.extra?.sub).toBe('alice');
    const claims = second.extra?.claims as { roles: string[] };
    expect(Object.isFrozen(claims) && Object.isFrozen(claims.roles)).toBe(true);
  });

  it('caches rejections for cache.negativeTtlMs (default 5 s), reason kept; cache: false turns it off', async () => {
    const { fetch, calls } = endpoint(() => json({ active: false }));
    const v = verifier(fetch);
    await failure(v.verifyAccessToken('t'));
    expect(await failure(v.verifyAccessToken('t'))).toMatchObject({
      code: 'invalid_token',
      reason: 'inactive',
      message: 'token is not active',
    });
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_000);
    await failure(v.verifyAccessToken('t'));
    expect(calls).toHaveLength(2);
    const off = endpoint(() => json({ active: false }));
    const w = verifier(off.fetch, { cache: { negativeTtlMs: 0 } });
    await failure(w.verifyAccessToken('t'));
    await failure(w.verifyAccessToken('t'));
    expect(off.calls).toHaveLength(2);
    const good = endpoint(() => json(active()));
    const uncached = verifier(good.fetch, { cache: false });
    await uncached.verifyAccessToken('t');
    await uncached.verifyAccessToken('t');
    expect(good.calls).toHaveLength(2);
  });

  it('coalesces concurrent lookups of one token into one request', async () => {
    let release: (r: Response) => void = () => {};
    const { fetch, calls } = endpoint(
      () => new Promise<Response>((resolve) => (release = resolve)),
    );
    const v = verifier(fetch);
    const all = Promise.all([
      v.verifyAccessToken('t'),
      v.verifyAccessToken('t'),
      v.verifyAccessToken('t'),
    ]);
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    release(json(active()));
    const infos = await all;
    expect(calls).toHaveLength(1);
    expect(infos.map((i) => i.scopes)).toEqual([
      ['todo:read', 'todo:write'],
      ['todo:read', 'todo:write'],
      ['todo:read', 'todo:write'],
    ]);
  });

  it('keeps at most cache.maxEntries results, the least recently used going first', async () => {
    const { fetch, calls } = endpoint(() => json(active()));
    const v = verifier(fetch, { cache: { maxEntries: 2 } });
    await v.verifyAccessToken('a1');
    await v.verifyAccessToken('b1');
    await v.verifyAccessToken('c1'); // evicts a1
    await v.verifyAccessToken('b1');
    expect(calls).toHaveLength(3);
    await v.verifyAccessToken('a1');
    expect(calls).toHaveLength(4);
  });

  it('rejects empty and oversized tokens without a request', async () => {
    const { fetch, calls } = endpoint(() => json(active()));
    const v = verifier(fetch, { maxTokenLength: 10 });
    expect((await failure(v.verifyAccessToken(''))).message).toBe('token is empty');
    expect((await failure(v.verifyAccessToken('x'.repeat(11)))).message).toBe('token is too large');
    // The default is 8192, as for bearer extraction.
    expect((await failure(verifier(fetch).verifyAccessToken('x'.repeat(8193)))).reason).toBe(
      'too_large',
    );
    expect(calls).toHaveLength(0);
    await verifier(fetch).verifyAccessToken('x'.repeat(8192));
    expect(calls).toHaveLength(1);
  });

  it.each<[string, Partial<IntrospectionVerifierOptions>, string]>([
    ['http endpoint', { endpoint: 'http://auth.example.com/introspect' }, 'endpoint'],
    ['no client id', { clientId: '' }, 'clientId'],
    ['no secret', { clientSecret: undefined as never }, 'clientSecret'],
    ['auth method', { clientAuthMethod: 'private_key_jwt' as never }, 'clientAuthMethod'],
    ['resource fragment', { resource: `${RESOURCE}#x` }, 'resource'],
    ['audiences', { additionalAudiences: [''] }, 'additionalAudiences'],
    ['requireAudience', { requireAudience: 'no' as never }, 'requireAudience'],
    ['issuer', { issuer: 'ftp://x' }, 'issuer'],
    ['scopeClaims', { scopeClaims: [] }, 'scopeClaims'],
    ['cache.maxAgeMs', { cache: { maxAgeMs: -1 } }, 'cache.maxAgeMs'],
    ['cache', { cache: 'yes' as never }, 'cache'],
    ['timeoutMs', { timeoutMs: 0 }, 'timeoutMs'],
    ['failureCooldownMs', { failureCooldownMs: -1 }, 'failureCooldownMs'],
    ['clockToleranceMs', { clockToleranceMs: Number.NaN }, 'clockToleranceMs'],
    ['maxResponseBytes', { maxResponseBytes: 0 }, 'maxResponseBytes'],
    ['maxResponseBytes', { maxResponseBytes: 1.5 }, 'maxResponseBytes'],
    ['fetch', { fetch: 1 as never }, 'fetch'],
  ])('misconfiguration (%s) → TypeError naming the option', (_n, options, option) => {
    const { fetch } = endpoint(() => json(active()));
    expect(() => verifier(fetch, options)).toThrow(TypeError);
    expect(() => verifier(fetch, options)).toThrow(`"${option}"`);
    expect(() => createIntrospectionVerifier(null as never)).toThrow(/"options"/);
  });

  it.each<[string, string]>([
    ['cacheMaxAge', 'use cache: { maxAgeMs }'],
    ['negativeCacheMaxAge', 'use cache: { negativeTtlMs }'],
    ['maxCacheEntries', 'use cache: { maxEntries }'],
    ['hash', 'removed: the cache keys tokens by their SHA-256 digest, picked for the runtime'],
    ['clockTolerance', 'renamed "clockToleranceMs", in milliseconds'],
    ['timeout', 'renamed "timeoutMs"'],
    ['failureCooldown', 'renamed "failureCooldownMs"'],
  ])('the former option %s is refused with what replaced it', (option, hint) => {
    const { fetch } = endpoint(() => json(active()));
    expect(() => verifier(fetch, { [option]: 1 } as never)).toThrow(
      `mcp-auth: option "${option}" is not a known option (${hint})`,
    );
  });

  it('through createMcpAuth: 503 JSON without a challenge, 401 with one; PRM defaults to the issuer', async () => {
    let mode: 'down' | 'inactive' | 'ok' = 'down';
    const { fetch } = endpoint(() =>
      mode === 'down' ? json({}, 500) : json(mode === 'ok' ? active() : { active: false }),
    );
    const auth = createMcpAuth({
      resource: RESOURCE,
      verifier: verifier(fetch, { cache: { negativeTtlMs: 0 } }),
    });
    expect(auth.metadata.document.authorization_servers).toEqual([ISSUER]);
    const request = {
      method: 'POST',
      url: '/mcp',
      headers: { authorization: 'Bearer opaque' },
      body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    };
    const down = await auth.authorize(request);
    expect(down).toMatchObject({
      type: 'deny',
      status: 503,
      body: { error: 'authorization_server_unavailable' },
    });
    if (down.type !== 'deny') throw new Error('expected deny');
    expect(down.headers['Retry-After']).toBe('5');
    expect(down.headers['WWW-Authenticate']).toBeUndefined();
    mode = 'inactive';
    const inactive = await auth.authorize(request);
    if (inactive.type !== 'deny') throw new Error('expected deny');
    expect(inactive.status).toBe(401);
    expect(inactive.headers['WWW-Authenticate']).toMatch(/^Bearer error="invalid_token"/);
    mode = 'ok';
    expect((await auth.authorize(request)).type).toBe('allow');
  });
});

describe('introspection results in a shared store (several instances)', () => {
  /** The prefix this file's verifiers use: `introspection:<scope of endpoint, client, issuer, resource>:`. */
  async function prefixOf(options: Partial<IntrospectionVerifierOptions> = {}): Promise<string> {
    const keys: string[] = [];
    const memory = createMemoryStore();
    const recording = {
      ...memory,
      setIfAbsent: (key: string, ttlMs: number, value?: string) => {
        keys.push(key);
        return memory.setIfAbsent(key, ttlMs, value);
      },
    };
    const { fetch } = endpoint(() => json(active({ aud: options.resource ?? RESOURCE })));
    await verifier(fetch, { store: recording, ...options }).verifyAccessToken('probe');
    const [key] = keys;
    expect(key).toMatch(/^introspection:[0-9a-z]+:/);
    return (key as string).slice(0, (key as string).lastIndexOf(':') + 1);
  }

  it('keeps results under a prefix scoped to the endpoint, client, issuer and resource', async () => {
    const mine = await prefixOf();
    expect(await prefixOf()).toBe(mine);
    expect(await prefixOf({ resource: 'https://other.example/mcp' })).not.toBe(mine);
    expect(await prefixOf({ clientId: 'another client' })).not.toBe(mine);
    // Another resource's verifier on the same store asks its own endpoint.
    const store = createMemoryStore();
    const { fetch, calls } = endpoint(() => json(active()));
    await verifier(fetch, { store }).verifyAccessToken('opaque-x');
    await failure(
      verifier(fetch, { store, resource: 'https://other.example/mcp' }).verifyAccessToken(
        'opaque-x',
      ),
    );
    expect(calls).toHaveLength(2);
  });

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
  });
  afterEach(() => vi.useRealTimers());

  it('a token introspected by one instance is not introspected again by another', async () => {
    const store = createMemoryStore();
    const { fetch, calls } = endpoint(() => json(active()));
    const first = verifier(fetch, { store });
    const second = verifier(fetch, { store });
    expect((await first.verifyAccessToken('opaque-1')).extra?.sub).toBe('alice');
    expect(calls).toHaveLength(1);
    const info = await second.verifyAccessToken('opaque-1');
    expect(calls).toHaveLength(1);
    expect(info).toMatchObject({ clientId: 'host-app', scopes: ['todo:read', 'todo:write'] });
    expect(info.extra?.sub).toBe('alice');
    // Kept under the token's digest, never the token, for the cache's 60 s at most.
    const key = (await prefixOf()) + (await tokenHash('opaque-1'));
    expect(JSON.parse(store.get(key) as string)).toMatchObject({
      active: true,
      sub: 'alice',
    });
    vi.setSystemTime(NOW + 60_001);
    expect(store.get(key)).toBeUndefined();
  });

  it('never keeps a result past its exp, and judges a stored result again', async () => {
    const store = createMemoryStore();
    const { fetch, calls } = endpoint(() => json(active({ exp: nowSeconds + 10 })));
    await verifier(fetch, { store }).verifyAccessToken('short');
    const prefix = await prefixOf();
    vi.setSystemTime(NOW + 10_001);
    expect(store.get(prefix + (await tokenHash('short')))).toBeUndefined();
    // A stored result whose audience is not this resource is refused, not trusted.
    store.setIfAbsent(
      prefix + (await tokenHash('planted')),
      60_000,
      JSON.stringify(active({ aud: 'https://other.example/mcp', exp: nowSeconds + 600 })),
    );
    const error = await failure(verifier(fetch, { store }).verifyAccessToken('planted'));
    expect(error).toMatchObject({ code: 'invalid_token', reason: 'audience' });
    expect(calls).toHaveLength(1);
  });

  it('keeps no refusals there, and a failing store is only a miss', async () => {
    const store = createMemoryStore();
    const { fetch, calls } = endpoint((token) =>
      token === 'revoked' ? json({ active: false }) : json(active()),
    );
    await failure(verifier(fetch, { store }).verifyAccessToken('revoked'));
    expect(store.get((await prefixOf()) + (await tokenHash('revoked')))).toBeUndefined();
    const broken = {
      ...store,
      get: () => Promise.reject(new Error('ECONNREFUSED')),
      setIfAbsent: () => {
        throw new Error('ECONNREFUSED');
      },
    };
    expect((await verifier(fetch, { store: broken }).verifyAccessToken('fine')).extra?.sub).toBe(
      'alice',
    );
    expect(calls).toHaveLength(2);
  });

  it('store must be a StateStore; with cache: false it is not used', async () => {
    expect(() => verifier(endpoint(() => json(active())).fetch, { store: {} as never })).toThrow(
      /"store" must be a StateStore/,
    );
    const store = createMemoryStore();
    const { fetch } = endpoint(() => json(active()));
    await verifier(fetch, { store, cache: false }).verifyAccessToken('uncached');
    expect(store.get((await prefixOf()) + (await tokenHash('uncached')))).toBeUndefined();
  });
});
