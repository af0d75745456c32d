import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestIssuer, generateTestKey, startTestIssuer } from '@org/mcp-auth-testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BoundedFetchError,
  type BoundedFetchFailure,
  type BoundedFetchOptions,
  DEFAULT_MAX_RESPONSE_BYTES,
  fetchJsonBounded,
  resolveMaxResponseBytes,
} from '../src/bounded-fetch.js';
import { createIntrospectionVerifier } from '../src/create-introspection-verifier.js';
import { KeySetFetchFailure } from '../src/key-set-failure.js';
import { createJwtVerifier } from '../src/create-jwt-verifier.js';
import { isMcpAuthError, type McpAuthError } from '../src/errors.js';

/** The fetch failure under a key-set failure (which names the document and its address). */
function fetchFailureOf(error: Error): BoundedFetchError {
  const failure = error.cause;
  expect(failure).toBeInstanceOf(KeySetFetchFailure);
  return (failure as Error).cause as BoundedFetchError;
}

const URL_ = 'https://auth.example.com/jwks';
const RESOURCE = 'http://127.0.0.1/mcp';
const MiB = 1024 * 1024;

afterEach(() => {
  vi.useRealTimers();
});

function options(fetch: typeof globalThis.fetch, extra: Partial<BoundedFetchOptions> = {}) {
  return { fetch, timeoutMs: 5_000, code: 'jwks_unavailable', what: 'JWKS', ...extra } as const;
}

async function refusal(promise: Promise<unknown>, failure: BoundedFetchFailure) {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BoundedFetchError);
  expect(isMcpAuthError(error)).toBe(true);
  expect((error as BoundedFetchError).failure).toBe(failure);
  return error as BoundedFetchError;
}

async function mcpAuthRejection(promise: Promise<unknown>): Promise<McpAuthError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(isMcpAuthError(error)).toBe(true);
  return error as McpAuthError;
}

/** A body of `total` bytes in `chunk`-byte pieces, produced on demand; counts what was pulled. */
function countingStream(total: number, chunk = 64 * 1024) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled >= total) {
        controller.close();
        return;
      }
      const size = Math.min(chunk, total - state.pulled);
      state.pulled += size;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

describe('fetchJsonBounded', () => {
  it('returns the parsed JSON of a 2xx answer and asks for JSON without following redirects', async () => {
    const seen: RequestInit[] = [];
    const fetch = (async (_url: RequestInfo | URL, init?: RequestInit) => {
      seen.push(init ?? {});
      return Response.json({ keys: [] });
    }) as typeof globalThis.fetch;
    await expect(fetchJsonBounded(URL_, options(fetch))).resolves.toEqual({ keys: [] });
    expect(seen[0]?.redirect).toBe('manual');
    expect(seen[0]?.method).toBe('GET');
    expect(seen[0]?.headers).toEqual({ accept: 'application/json' });
    expect(seen[0]?.signal).toBeInstanceOf(AbortSignal);
  });

  it('sends the method, headers and body it is given', async () => {
    let request: Request | undefined;
    const fetch = (async (url: RequestInfo | URL, init?: RequestInit) => {
      request = new Request(url, init);
      return Response.json({ active: false });
    }) as typeof globalThis.fetch;
    await fetchJsonBounded(
      URL_,
      options(fetch, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x=1' }),
    );
    expect(request?.method).toBe('POST');
    expect(request?.headers.get('content-type')).toBe('text/plain');
    expect(await request?.text()).toBe('x=1');
  });

  it.each([301, 302, 303, 307, 308])(
    'refuses a %i redirect without following it',
    async (status) => {
      const fetch = vi.fn(
        async () => new Response(null, { status, headers: { location: 'http://evil.example/' } }),
      );
      const error = await refusal(
        fetchJsonBounded(URL_, options(fetch as unknown as typeof globalThis.fetch)),
        'redirect',
      );
      expect(error.upstreamStatus).toBe(status);
      expect(error).toMatchObject({ code: 'jwks_unavailable', status: 503 });
      expect(error.message).not.toContain('evil');
      expect(fetch).toHaveBeenCalledTimes(1);
    },
  );

  it('refuses an opaque redirect (status 0) as some runtimes return for redirect: manual', async () => {
    const opaque = {
      type: 'opaqueredirect',
      status: 0,
      ok: false,
      redirected: false,
      headers: new Headers(),
      body: null,
    } as unknown as Response;
    await refusal(fetchJsonBounded(URL_, options((async () => opaque) as never)), 'redirect');
  });

  it('refuses a response a custom fetch reached by following a redirect anyway', async () => {
    const followed = Response.json({ keys: [] });
    Object.defineProperty(followed, 'redirected', { value: true });
    await refusal(fetchJsonBounded(URL_, options((async () => followed) as never)), 'redirect');
  });

  it('refuses a declared Content-Length over the cap before reading a byte', async () => {
    const { stream, state } = countingStream(32 * MiB);
    const response = new Response(stream, { headers: { 'content-length': String(32 * MiB) } });
    const error = await refusal(
      fetchJsonBounded(URL_, options((async () => response) as never, { maxResponseBytes: 1024 })),
      'too_large',
    );
    expect(error.message).toMatch(/larger than 1024 bytes/);
    expect(state.pulled).toBeLessThanOrEqual(64 * 1024); // at most what the stream queued up front
    await vi.waitFor(() => expect(state.cancelled).toBe(true));
  });

  it('stops reading a 32 MiB body without Content-Length as soon as it passes the cap', async () => {
    const { stream, state } = countingStream(32 * MiB);
    await refusal(
      fetchJsonBounded(URL_, options((async () => new Response(stream)) as never)),
      'too_large',
    );
    expect(state.pulled).toBeLessThanOrEqual(DEFAULT_MAX_RESPONSE_BYTES + 2 * 64 * 1024);
    expect(state.cancelled).toBe(true);
  });

  it('accepts a body of exactly the cap', async () => {
    const text = JSON.stringify({ pad: 'x'.repeat(100) });
    const fetch = (async () => new Response(text)) as never;
    const bytes = new TextEncoder().encode(text).byteLength;
    await expect(
      fetchJsonBounded(URL_, options(fetch, { maxResponseBytes: bytes })),
    ).resolves.toEqual({ pad: 'x'.repeat(100) });
    await refusal(
      fetchJsonBounded(URL_, options(fetch, { maxResponseBytes: bytes - 1 })),
      'too_large',
    );
  });

  it('times out at the deadline even when fetch ignores the abort signal', async () => {
    vi.useFakeTimers();
    const fetch = (() => new Promise<Response>(() => {})) as typeof globalThis.fetch;
    let settled = false;
    const outcome = refusal(
      fetchJsonBounded(URL_, options(fetch, { timeoutMs: 2_000 })),
      'timeout',
    );
    void outcome.finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await outcome).message).toBe('JWKS request timed out after 2000 ms');
  });

  it('cuts a body that stalls after the headers off at the same deadline', async () => {
    vi.useFakeTimers();
    let cancelled = false;
    let aborted = false;
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"keys":['));
      },
      cancel() {
        cancelled = true;
      },
    });
    const fetch = (async (_u: RequestInfo | URL, init?: RequestInit) => {
      init?.signal?.addEventListener('abort', () => {
        aborted = true;
      });
      return new Response(stalled);
    }) as typeof globalThis.fetch;
    const outcome = refusal(
      fetchJsonBounded(URL_, options(fetch, { timeoutMs: 1_000 })),
      'timeout',
    );
    await vi.advanceTimersByTimeAsync(1_000);
    await outcome;
    expect(aborted).toBe(true);
    expect(cancelled).toBe(true);
  });

  it('fails at once, without a request, when no time is left', async () => {
    const fetch = vi.fn();
    await refusal(fetchJsonBounded(URL_, options(fetch as never, { timeoutMs: 0 })), 'timeout');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('types the other failures: unreachable, HTTP status (with Retry-After), not JSON, cut off', async () => {
    const refused = (async () => {
      throw new TypeError('fetch failed');
    }) as never;
    const unreachable = await refusal(fetchJsonBounded(URL_, options(refused)), 'unreachable');
    expect(unreachable.cause).toBeInstanceOf(TypeError);

    const busy = (async () =>
      new Response('busy', { status: 503, headers: { 'retry-after': '120' } })) as never;
    const status = await refusal(fetchJsonBounded(URL_, options(busy)), 'http_status');
    expect(status).toMatchObject({ upstreamStatus: 503, upstreamRetryAfter: 120 });
    expect(status.message).toBe('JWKS request failed with HTTP 503');

    const dated = (async () =>
      new Response('', {
        status: 500,
        headers: { 'retry-after': 'Fri, 31 Dec 1999 23:59:59 GMT' },
      })) as never;
    expect(
      (await refusal(fetchJsonBounded(URL_, options(dated)), 'http_status')).upstreamRetryAfter,
    ).toBeUndefined();

    const html = (async () => new Response('<html>')) as never;
    await refusal(fetchJsonBounded(URL_, options(html)), 'invalid_json');
    const empty = (async () => new Response(null, { status: 200 })) as never;
    await refusal(fetchJsonBounded(URL_, options(empty)), 'invalid_json');

    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"keys"'));
        controller.error(new TypeError('terminated'));
      },
    });
    await refusal(
      fetchJsonBounded(URL_, options((async () => new Response(broken)) as never)),
      'unreachable',
    );
  });

  it('carries the code the caller chose', async () => {
    const fetch = (async () => new Response('', { status: 500 })) as never;
    const error = await refusal(
      fetchJsonBounded(
        URL_,
        options(fetch, { code: 'authorization_server_unavailable', what: 'token introspection' }),
      ),
      'http_status',
    );
    expect(error).toMatchObject({ code: 'authorization_server_unavailable', status: 503 });
    expect(error.message).toBe('token introspection request failed with HTTP 500');
  });
});

describe('resolveMaxResponseBytes', () => {
  it('defaults to 256 KiB and accepts positive integers', () => {
    expect(resolveMaxResponseBytes(undefined)).toBe(256 * 1024);
    expect(resolveMaxResponseBytes(1)).toBe(1);
  });

  it.each([0, -1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, '1024', null])(
    'refuses %s naming the option',
    (value) => {
      expect(() => resolveMaxResponseBytes(value)).toThrow(TypeError);
      expect(() => resolveMaxResponseBytes(value)).toThrow(
        /"maxResponseBytes" must be a positive integer/,
      );
    },
  );
});

describe('key-set fetches refuse redirects (in process)', () => {
  it('a 302 from the JWKS URL to an address refused as a jwksUri is not followed; its keys are not trusted', async () => {
    const issuer = await createTestIssuer({
      issuer: 'https://auth.example.com',
      audience: RESOURCE,
    });
    const attacker = await generateTestKey('ES256');
    const requested: string[] = [];
    // A fetch that would happily serve the attacker's key set at the redirect target.
    const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      requested.push(url);
      if (url === 'https://auth.example.com/jwks') {
        return new Response(null, {
          status: 302,
          headers: { location: 'http://attacker.example/jwks' },
        });
      }
      if (url === 'http://attacker.example/jwks') {
        return Response.json({ keys: [attacker.publicJwk] });
      }
      return issuer.fetch(input, init);
    }) as typeof globalThis.fetch;
    const verifier = createJwtVerifier({ issuer: issuer.issuer, resource: RESOURCE, fetch });
    const forged = await issuer.mintAccessToken({ key: attacker });
    const error = await mcpAuthRejection(verifier.verifyAccessToken(forged));
    expect(error).toMatchObject({ code: 'jwks_unavailable', status: 503 });
    expect(fetchFailureOf(error).failure).toBe('redirect');
    expect(requested).not.toContain('http://attacker.example/jwks');
  });

  it('a redirect of the metadata document is refused too (then the OpenID location is tried)', async () => {
    const issuer = await createTestIssuer({
      issuer: 'https://auth.example.com',
      audience: RESOURCE,
    });
    const requested: string[] = [];
    const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      requested.push(url);
      if (url.includes('/.well-known/')) {
        return new Response(null, {
          status: 307,
          headers: { location: 'https://elsewhere.example/' },
        });
      }
      return issuer.fetch(input, init);
    }) as typeof globalThis.fetch;
    const verifier = createJwtVerifier({ issuer: issuer.issuer, resource: RESOURCE, fetch });
    const error = await mcpAuthRejection(
      verifier.verifyAccessToken(await issuer.mintAccessToken()),
    );
    expect(error.code).toBe('jwks_unavailable');
    const causes = (error.cause as AggregateError).errors as Error[];
    expect(causes.map((c) => (c.cause as BoundedFetchError).failure)).toEqual([
      'redirect',
      'redirect',
    ]);
    expect(requested.every((url) => url.startsWith('https://auth.example.com/'))).toBe(true);
  });
});

// Sockets are a Node concern: skipped when the suite runs in a Web-standard runtime.
const isEdgeRuntime = typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime === 'string';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** An HTTP server on 127.0.0.1 (free port); counts requests and tracks open sockets. */
async function listen(handler: Handler) {
  const { createServer } = await import('node:http');
  const stats = { requests: 0, closedEarly: 0 };
  const server: Server = createServer((req, res) => {
    stats.requests++;
    res.on('close', () => {
      if (!res.writableFinished) stats.closedEarly++;
    });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes `total` bytes of JSON-ish filler in 64 KiB chunks, respecting backpressure. */
function streamFiller(res: ServerResponse, total: number, written: { bytes: number }) {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const pump = () => {
    while (written.bytes < total && !res.destroyed) {
      written.bytes += chunk.byteLength;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  res.write('{"keys":[], "pad":"');
  pump();
}

describe.skipIf(isEdgeRuntime)('over loopback HTTP with the global fetch', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (closers.length > 0) await closers.pop()?.();
  });

  it('a 302 to another server is not followed: that server never sees a request, its keys are not trusted', async () => {
    const issuer = await startTestIssuer({ audience: RESOURCE });
    closers.push(issuer.close);
    const attacker = await generateTestKey('ES256');
    const evil = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [attacker.publicJwk] }));
    });
    closers.push(evil.close);
    const redirector = await listen((_req, res) => {
      res.writeHead(302, { location: `${evil.url}/jwks` });
      res.end();
    });
    closers.push(redirector.close);

    const verifier = createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      jwksUri: `${redirector.url}/jwks`,
    });
    const forged = await issuer.mintAccessToken({ key: attacker });
    const error = await mcpAuthRejection(verifier.verifyAccessToken(forged));
    expect(error).toMatchObject({ code: 'jwks_unavailable', status: 503 });
    expect(fetchFailureOf(error).failure).toBe('redirect');
    expect(redirector.stats.requests).toBe(1);
    expect(evil.stats.requests).toBe(0);
  });

  it('a 32 MiB JWKS is refused quickly, without reading it all: the connection is cut', async () => {
    const issuer = await startTestIssuer({ audience: RESOURCE });
    closers.push(issuer.close);
    const written = { bytes: 0 };
    const huge = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no Content-Length
      streamFiller(res, 32 * MiB, written);
    });
    closers.push(huge.close);
    const verifier = createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      jwksUri: `${huge.url}/jwks`,
    });
    const started = performance.now();
    const error = await mcpAuthRejection(
      verifier.verifyAccessToken(await issuer.mintAccessToken()),
    );
    const elapsed = performance.now() - started;
    expect(error.code).toBe('jwks_unavailable');
    expect(fetchFailureOf(error).failure).toBe('too_large');
    expect(elapsed).toBeLessThan(2_000);
    await vi.waitFor(() => expect(huge.stats.closedEarly).toBe(1));
    expect(written.bytes).toBeLessThan(8 * MiB);
  });

  it('a declared 32 MiB Content-Length is refused before the body is read', async () => {
    const written = { bytes: 0 };
    const huge = await listen((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': String(32 * MiB + 20),
      });
      streamFiller(res, 32 * MiB, written);
    });
    closers.push(huge.close);
    await refusal(fetchJsonBounded(`${huge.url}/jwks`, options(globalThis.fetch)), 'too_large');
    await vi.waitFor(() => expect(huge.stats.closedEarly).toBe(1));
    expect(written.bytes).toBeLessThan(8 * MiB);
  });

  it('a body that stalls is cut off at the deadline', async () => {
    const stalled = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys":[');
    });
    closers.push(stalled.close);
    const started = performance.now();
    await refusal(
      fetchJsonBounded(`${stalled.url}/jwks`, options(globalThis.fetch, { timeoutMs: 300 })),
      'timeout',
    );
    expect(performance.now() - started).toBeLessThan(1_500);
    await vi.waitFor(() => expect(stalled.stats.closedEarly).toBe(1));
  });

  it('a hanging issuer: the first request waits one deadline, the next get 503 + Retry-After at once, then it recovers', async () => {
    const issuer = await startTestIssuer({ audience: RESOURCE });
    closers.push(issuer.close);
    issuer.setOutage('hang');
    const verifier = createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      timeoutMs: 1_000,
      jwksCooldownMs: 3_000,
    });
    const token = await issuer.mintAccessToken();

    let started = performance.now();
    const first = await mcpAuthRejection(verifier.verifyAccessToken(token));
    const firstWait = performance.now() - started;
    expect(first).toMatchObject({ code: 'jwks_unavailable', status: 503, retryAfterSeconds: 3 });
    // One deadline for discovery as a whole: not one per metadata location.
    // Bounds far apart, so a loaded machine cannot blur "waited one deadline" and "did not wait".
    expect(firstWait).toBeGreaterThanOrEqual(950);
    expect(firstWait).toBeLessThan(2_500);
    expect(issuer.metadataFetchCount + issuer.openidConfigurationFetchCount).toBe(1);

    for (let i = 0; i < 10; i++) {
      started = performance.now();
      const next = await mcpAuthRejection(verifier.verifyAccessToken(token));
      expect(performance.now() - started).toBeLessThan(500);
      expect(next).toMatchObject({ code: 'jwks_unavailable', status: 503 });
      expect(next.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(next.retryAfterSeconds).toBeLessThanOrEqual(3);
    }
    expect(issuer.metadataFetchCount + issuer.openidConfigurationFetchCount).toBe(1);

    issuer.setOutage(false);
    await new Promise((resolve) => setTimeout(resolve, 3_050));
    await expect(verifier.verifyAccessToken(token)).resolves.toMatchObject({ token });
  });

  it('a hanging introspection endpoint: one deadline, then 503 + Retry-After at once, then recovery', async () => {
    let hang = true;
    const endpoint = await listen((req, res) => {
      if (hang) return; // accept, never answer
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ active: true, aud: RESOURCE, sub: 'alice', scope: 'todo:read' }));
      });
    });
    closers.push(endpoint.close);
    const verifier = createIntrospectionVerifier({
      endpoint: `${endpoint.url}/introspect`,
      clientId: 'mcp',
      clientSecret: 'secret',
      resource: RESOURCE,
      timeoutMs: 1_000,
      failureCooldownMs: 3_000,
    });

    let started = performance.now();
    const first = await mcpAuthRejection(verifier.verifyAccessToken('token-0'));
    const firstWait = performance.now() - started;
    expect(first).toMatchObject({ code: 'authorization_server_unavailable', status: 503 });
    // Bounds far apart, so a loaded machine cannot blur "waited one deadline" and "did not wait".
    expect(firstWait).toBeGreaterThanOrEqual(950);
    expect(firstWait).toBeLessThan(2_500);

    for (let i = 1; i <= 10; i++) {
      started = performance.now();
      const next = await mcpAuthRejection(verifier.verifyAccessToken(`token-${i}`));
      expect(performance.now() - started).toBeLessThan(500);
      expect(next).toMatchObject({ code: 'authorization_server_unavailable' });
      expect(next.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(next.retryAfterSeconds).toBeLessThanOrEqual(3);
    }
    expect(endpoint.stats.requests).toBe(1);
    await vi.waitFor(() => expect(endpoint.stats.closedEarly).toBe(1));

    hang = false;
    await new Promise((resolve) => setTimeout(resolve, 3_050));
    await expect(verifier.verifyAccessToken('token-1')).resolves.toMatchObject({
      scopes: ['todo:read'],
    });
    expect(endpoint.stats.requests).toBe(2);
  });
});
