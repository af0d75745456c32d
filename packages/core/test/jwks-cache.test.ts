import { spyOnSignatureChecks } from './helpers/signature-spy.js';
import {
  createTestIssuer,
  generateTestKey,
  startTestIssuer,
  type TestIssuer,
  type TestIssuerOptions,
} from '@org/mcp-auth-testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createJwtVerifier, type JwtVerifierOptions } from '../src/create-jwt-verifier.js';
import { BoundedFetchError } from '../src/bounded-fetch.js';
import { isMcpAuthError, type McpAuthError } from '../src/errors.js';
import { describeFailure, isTransientFailure, KeySetFetchFailure } from '../src/key-set-failure.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const COOLDOWN = 30_000;
// Captured before fake timers are installed: a real-time guard for "answers without waiting".
const realSetTimeout = globalThis.setTimeout;

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 15, 12, 0, 0) });
});

afterEach(() => {
  vi.useRealTimers();
});

async function setup(
  issuerOptions: TestIssuerOptions = {},
  verifierOptions: Partial<JwtVerifierOptions> = {},
) {
  const issuer = await createTestIssuer({
    issuer: 'https://auth.example.com',
    audience: RESOURCE,
    algorithms: ['ES256'],
    ...issuerOptions,
  });
  const verifier = createJwtVerifier({
    issuer: issuer.issuer,
    resource: RESOURCE,
    fetch: issuer.fetch,
    ...verifierOptions,
  });
  return { issuer, verifier };
}

async function rejection(promise: Promise<unknown>): Promise<McpAuthError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(isMcpAuthError(error)).toBe(true);
  return error as McpAuthError;
}

async function expectUnavailable(promise: Promise<unknown>, retryAfterSeconds?: number) {
  const error = await rejection(promise);
  expect(error.code).toBe('jwks_unavailable');
  expect(error.status).toBe(503);
  if (retryAfterSeconds !== undefined) expect(error.retryAfterSeconds).toBe(retryAfterSeconds);
  else expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  expect(error.message).not.toMatch(/https?:/);
  return error;
}

async function expectUnknownKid(promise: Promise<unknown>) {
  const error = await rejection(promise);
  expect(error.code).toBe('invalid_token');
  expect(error.status).toBe(401);
  expect(error.message).toBe('no signing key matches the token (unknown kid)');
}

/** `promise`'s outcome, which must come without fake time passing (no fetch was awaited). */
async function withoutWaiting<T>(promise: Promise<T>): Promise<T> {
  const before = Date.now();
  const guard = new Promise<never>((_, reject) => {
    realSetTimeout(() => reject(new Error('waited on a timer')), 1_000);
  });
  const result = await Promise.race([promise, guard]);
  expect(Date.now()).toBe(before);
  return result;
}

/** Tokens signed by a key the issuer never published, each with its own kid. */
async function unknownKidTokens(issuer: TestIssuer, count: number, prefix: string) {
  const outsider = await generateTestKey('ES256');
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      issuer.mintAccessToken({ key: outsider, header: { kid: `${prefix}-${i}` } }),
    ),
  );
}

describe('JWKS caching', () => {
  it('fetches the key set once and reuses it', async () => {
    const { issuer, verifier } = await setup();
    for (let i = 0; i < 5; i++) await verifier.verifyAccessToken(await issuer.mintAccessToken());
    expect(issuer.jwksFetchCount).toBe(1);
  });

  it('shares one fetch between concurrent first requests (cold start)', async () => {
    const { issuer, verifier } = await setup();
    const token = await issuer.mintAccessToken();
    const results = await Promise.all(
      Array.from({ length: 25 }, () => verifier.verifyAccessToken(token)),
    );
    expect(results).toHaveLength(25);
    expect(issuer.metadataFetchCount).toBe(1);
    expect(issuer.jwksFetchCount).toBe(1);
  });

  it('picks up a key rotation without restart', async () => {
    const { issuer, verifier } = await setup();
    const before = await issuer.mintAccessToken();
    await verifier.verifyAccessToken(before);

    await issuer.rotateKeys({ keepOld: false });
    vi.advanceTimersByTime(COOLDOWN + 1);
    const after = await issuer.mintAccessToken();
    await expect(verifier.verifyAccessToken(after)).resolves.toMatchObject({ token: after });
    expect(issuer.jwksFetchCount).toBe(2);
    // The retired key is gone from the fresh set: its tokens now fail as unknown kid, even one
    // verified (and cached) before the rotation.
    await expectUnknownKid(verifier.verifyAccessToken(before));
  });

  it('keeps verifying old tokens while the old key is still published', async () => {
    const { issuer, verifier } = await setup();
    const before = await issuer.mintAccessToken();
    await verifier.verifyAccessToken(before);
    await issuer.rotateKeys({ keepOld: true });
    vi.advanceTimersByTime(COOLDOWN + 1);
    await verifier.verifyAccessToken(await issuer.mintAccessToken());
    await expect(verifier.verifyAccessToken(before)).resolves.toMatchObject({ token: before });
  });

  it('does not refetch for an unknown kid within the cooldown', async () => {
    const { issuer, verifier } = await setup();
    await verifier.verifyAccessToken(await issuer.mintAccessToken());
    await issuer.rotateKeys({ keepOld: false });
    const rotated = await issuer.mintAccessToken();
    vi.advanceTimersByTime(COOLDOWN - 1_000);
    await expectUnknownKid(verifier.verifyAccessToken(rotated));
    expect(issuer.jwksFetchCount).toBe(1);
    vi.advanceTimersByTime(1_000);
    await expect(verifier.verifyAccessToken(rotated)).resolves.toMatchObject({ token: rotated });
    expect(issuer.jwksFetchCount).toBe(2);
  });

  it('200 tokens with 200 unknown kids cause at most one fetch per cooldown', async () => {
    const { issuer, verifier } = await setup();
    const good = await issuer.mintAccessToken();
    await verifier.verifyAccessToken(good);
    expect(issuer.jwksFetchCount).toBe(1);

    const first = await unknownKidTokens(issuer, 200, 'a');
    vi.advanceTimersByTime(COOLDOWN);
    for (const token of first) await expectUnknownKid(verifier.verifyAccessToken(token));
    expect(issuer.jwksFetchCount).toBe(2);

    const second = await unknownKidTokens(issuer, 200, 'b');
    vi.advanceTimersByTime(COOLDOWN);
    await Promise.all(second.map((token) => expectUnknownKid(verifier.verifyAccessToken(token))));
    expect(issuer.jwksFetchCount).toBe(3);
    // The key set content did not change, so verifications cached before are still good.
    const signatureChecks = spyOnSignatureChecks();
    await expect(verifier.verifyAccessToken(good)).resolves.toMatchObject({ token: good });
    expect(signatureChecks).not.toHaveBeenCalled();
    signatureChecks.mockRestore();
  });

  it('concurrent unknown-kid requests share one fetch', async () => {
    const { issuer, verifier } = await setup();
    await verifier.verifyAccessToken(await issuer.mintAccessToken());
    await issuer.rotateKeys({ keepOld: false });
    const rotated = await Promise.all(Array.from({ length: 50 }, () => issuer.mintAccessToken()));
    vi.advanceTimersByTime(COOLDOWN);
    const results = await Promise.all(rotated.map((t) => verifier.verifyAccessToken(t)));
    expect(results.map((r) => r.token)).toEqual(rotated);
    expect(issuer.jwksFetchCount).toBe(2);
  });

  it('a kid that names another key after a refresh is checked with the new key, never a remembered one', async () => {
    const { issuer, verifier } = await setup({}, { cache: false });
    const first = await generateTestKey('ES256', { kid: 'moving' });
    const second = await generateTestKey('ES256', { kid: 'moving' });
    issuer.publishKey(first);
    const byFirst = await issuer.mintAccessToken({ key: first, expiresIn: 3600 });
    await verifier.verifyAccessToken(byFirst);
    // The second key takes the kid over; the first is gone from the set.
    issuer.unpublishKey('moving');
    issuer.publishKey(second);
    const bySecond = await issuer.mintAccessToken({ key: second, expiresIn: 3600 });
    // A known kid does not refetch: until the set is refreshed, the kid means the first key.
    expect((await rejection(verifier.verifyAccessToken(bySecond))).reason).toBe('bad_signature');
    vi.advanceTimersByTime(11 * 60_000);
    await verifier.verifyAccessToken(byFirst); // starts the background refresh
    await vi.waitFor(() => expect(issuer.jwksFetchCount).toBe(2));
    await expect(verifier.verifyAccessToken(bySecond)).resolves.toMatchObject({ token: bySecond });
    expect((await rejection(verifier.verifyAccessToken(byFirst))).reason).toBe('bad_signature');
  });

  it('refreshes a key set older than ten minutes in the background', async () => {
    const { issuer, verifier } = await setup();
    await verifier.verifyAccessToken(await issuer.mintAccessToken());
    vi.advanceTimersByTime(11 * 60_000);
    await issuer.rotateKeys({ keepOld: true });
    // The known key answers at once; the refresh runs beside it.
    await verifier.verifyAccessToken(await issuer.mintAccessToken({ key: issuer.keys[1] }));
    await vi.waitFor(() => expect(issuer.jwksFetchCount).toBe(2));
    await verifier.verifyAccessToken(await issuer.mintAccessToken());
    expect(issuer.jwksFetchCount).toBe(2);
  });
});

describe('JWKS outages', () => {
  it.each([
    ['503 answers', 'status'],
    ['network failures', 'network'],
  ] as const)('keeps cached keys working through %s', async (_, mode) => {
    const { issuer, verifier } = await setup();
    const token = await issuer.mintAccessToken();
    await verifier.verifyAccessToken(token);
    issuer.setOutage(mode);
    vi.advanceTimersByTime(5 * COOLDOWN);
    await expect(verifier.verifyAccessToken(token)).resolves.toMatchObject({ token });
    await expect(verifier.verifyAccessToken(await issuer.mintAccessToken())).resolves.toBeTruthy();
    expect(issuer.jwksFetchCount).toBe(1);
  });

  it('answers 503 with Retry-After (not 500) for an unknown kid while the JWKS is down', async () => {
    const { issuer, verifier } = await setup();
    await verifier.verifyAccessToken(await issuer.mintAccessToken());
    await issuer.rotateKeys({ keepOld: false });
    issuer.setOutage(true);
    vi.advanceTimersByTime(COOLDOWN);
    const rotated = await issuer.mintAccessToken();
    await expectUnavailable(verifier.verifyAccessToken(rotated), 30);
    expect(issuer.jwksFetchCount).toBe(2);
    // Within the cooldown: no new fetch, still 503, a shorter wait.
    vi.advanceTimersByTime(10_000);
    await expectUnavailable(verifier.verifyAccessToken(rotated), 20);
    expect(issuer.jwksFetchCount).toBe(2);
  });

  it('answers 503 when no key was ever fetched, without a fetch per request', async () => {
    const { issuer, verifier } = await setup();
    issuer.setOutage('status');
    const token = await issuer.mintAccessToken();
    await expectUnavailable(verifier.verifyAccessToken(token), 30);
    const calls = issuer.metadataFetchCount + issuer.openidConfigurationFetchCount;
    for (let i = 0; i < 20; i++) await expectUnavailable(verifier.verifyAccessToken(token));
    expect(issuer.metadataFetchCount + issuer.openidConfigurationFetchCount).toBe(calls);
  });

  it('recovers after the cooldown once the server is back', async () => {
    const { issuer, verifier } = await setup({}, { jwksUri: 'https://auth.example.com/jwks' });
    issuer.setOutage('network');
    const token = await issuer.mintAccessToken();
    await expectUnavailable(verifier.verifyAccessToken(token), 30);
    issuer.setOutage(false);
    vi.advanceTimersByTime(COOLDOWN - 1);
    await expectUnavailable(verifier.verifyAccessToken(token), 1);
    expect(issuer.jwksFetchCount).toBe(1);
    vi.advanceTimersByTime(1);
    await expect(verifier.verifyAccessToken(token)).resolves.toMatchObject({ token });
    expect(issuer.jwksFetchCount).toBe(2);
  });

  it('gives up on a hanging JWKS after the timeout (default 5 s) with a 503', async () => {
    const { issuer, verifier } = await setup({}, { jwksUri: 'https://auth.example.com/jwks' });
    issuer.setOutage('hang');
    const pending = verifier.verifyAccessToken(await issuer.mintAccessToken());
    let settled = false;
    const outcome = rejection(pending).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(error.code).toBe('jwks_unavailable');
    // The cause names the document and its address; its own cause is the fetch failure.
    expect(error.cause).toBeInstanceOf(KeySetFetchFailure);
    expect((error.cause as Error).message).toBe(
      'JWKS at https://auth.example.com/jwks: JWKS request timed out after 5000 ms',
    );
    const fetchFailure = (error.cause as Error).cause as BoundedFetchError;
    expect(fetchFailure).toBeInstanceOf(BoundedFetchError);
    expect(fetchFailure.failure).toBe('timeout');
  });

  it('a hanging issuer costs one deadline for discovery and JWKS together, then 503 at once for the cooldown', async () => {
    const { issuer, verifier } = await setup();
    issuer.setOutage('hang');
    const token = await issuer.mintAccessToken();
    let settled = false;
    const first = rejection(verifier.verifyAccessToken(token)).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await first).toMatchObject({
      code: 'jwks_unavailable',
      status: 503,
      retryAfterSeconds: 30,
    });
    // The deadline ran out on the RFC 8414 location: the OpenID one was not tried.
    expect(issuer.metadataFetchCount).toBe(1);
    expect(issuer.openidConfigurationFetchCount).toBe(0);

    // The cooldown counts from the end of the failed attempt; until then nothing waits.
    for (const [elapsed, retryAfterSeconds] of [
      [0, 30],
      [10_000, 20],
      [29_000, 1],
    ] as const) {
      vi.setSystemTime(Date.UTC(2026, 0, 15, 12, 0, 5) + elapsed);
      await expectUnavailable(withoutWaiting(verifier.verifyAccessToken(token)), retryAfterSeconds);
    }
    expect(issuer.metadataFetchCount).toBe(1);
  });

  it('after the cooldown one request retries; the others are answered 503 meanwhile; then it recovers', async () => {
    const { issuer, verifier } = await setup({}, { jwksUri: 'https://auth.example.com/jwks' });
    issuer.setOutage('hang');
    const token = await issuer.mintAccessToken();
    const first = rejection(verifier.verifyAccessToken(token));
    await vi.advanceTimersByTimeAsync(5_000);
    await first;
    await vi.advanceTimersByTimeAsync(COOLDOWN);

    const probe = rejection(verifier.verifyAccessToken(token));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(issuer.jwksFetchCount).toBe(2);
    // Not held by the retry in flight: Retry-After is the rest of its deadline.
    await expectUnavailable(withoutWaiting(verifier.verifyAccessToken(token)), 3);
    await vi.advanceTimersByTimeAsync(3_000);
    expect((await probe).code).toBe('jwks_unavailable');
    expect(issuer.jwksFetchCount).toBe(2);

    issuer.setOutage(false);
    await expectUnavailable(withoutWaiting(verifier.verifyAccessToken(token)), 30);
    await vi.advanceTimersByTimeAsync(COOLDOWN);
    await expect(verifier.verifyAccessToken(token)).resolves.toMatchObject({ token });
    expect(issuer.jwksFetchCount).toBe(3);
  });

  it('keeps serving the last good key set while the issuer hangs', async () => {
    const { issuer, verifier } = await setup({}, { jwksUri: 'https://auth.example.com/jwks' });
    await verifier.verifyAccessToken(await issuer.mintAccessToken());
    issuer.setOutage('hang');
    vi.advanceTimersByTime(11 * 60_000); // old enough for a background refresh
    const token = await issuer.mintAccessToken();
    await expect(withoutWaiting(verifier.verifyAccessToken(token))).resolves.toMatchObject({
      token,
    });
    await vi.advanceTimersByTimeAsync(5_000); // the refresh times out
    const next = await issuer.mintAccessToken();
    await expect(withoutWaiting(verifier.verifyAccessToken(next))).resolves.toMatchObject({
      token: next,
    });
    expect(issuer.jwksFetchCount).toBe(2);
  });

  it('applies a configured timeout even when fetch ignores the abort signal', async () => {
    const neverAnswers = (() => new Promise<Response>(() => {})) as typeof fetch;
    const verifier = createJwtVerifier({
      issuer: 'https://auth.example.com',
      resource: RESOURCE,
      jwksUri: 'https://auth.example.com/jwks',
      fetch: neverAnswers,
      timeoutMs: 250,
    });
    const issuer = await createTestIssuer({
      issuer: 'https://auth.example.com',
      audience: RESOURCE,
    });
    const outcome = rejection(verifier.verifyAccessToken(await issuer.mintAccessToken()));
    await vi.advanceTimersByTimeAsync(250);
    expect((await outcome).code).toBe('jwks_unavailable');
  });

  it.each([
    ['a non-JWKS JSON body', () => Response.json({ hello: 'world' })],
    ['a body that is not JSON', () => new Response('<html>', { status: 200 })],
    ['an HTTP 500', () => new Response('oops', { status: 500 })],
    ['a keys member that is not an array', () => Response.json({ keys: 'none' })],
  ])('treats %s as a failed fetch (503 when nothing is cached)', async (_, respond) => {
    const issuer = await createTestIssuer({
      issuer: 'https://auth.example.com',
      audience: RESOURCE,
    });
    const fetchStub = vi.fn(async () => respond());
    const verifier = createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      jwksUri: 'https://auth.example.com/jwks',
      fetch: fetchStub as unknown as typeof fetch,
    });
    await expectUnavailable(verifier.verifyAccessToken(await issuer.mintAccessToken()), 30);
    expect(fetchStub).toHaveBeenCalledTimes(1);
  });

  it('answers 401 when a fetched set holds no key usable for the token', async () => {
    const issuer = await createTestIssuer({
      issuer: 'https://auth.example.com',
      audience: RESOURCE,
    });
    const verifier = createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      jwksUri: 'https://auth.example.com/jwks',
      fetch: (async () => Response.json({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })) as typeof fetch,
    });
    await expectUnknownKid(verifier.verifyAccessToken(await issuer.mintAccessToken()));
  });

  it('answers 401 when the matching JWK cannot be imported', async () => {
    const issuer = await createTestIssuer({
      issuer: 'https://auth.example.com',
      audience: RESOURCE,
    });
    const broken = { ...issuer.key('ES256').publicJwk, x: 'AAAA' };
    const verifier = createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      jwksUri: 'https://auth.example.com/jwks',
      fetch: (async () => Response.json({ keys: [broken] })) as typeof fetch,
    });
    const token = await issuer.mintAccessToken({ key: 'ES256' });
    const error = await rejection(verifier.verifyAccessToken(token));
    expect(error.code).toBe('invalid_token');
    expect(error.message).toBe('token could not be verified');
  });

  it('ignores non-object entries in the key set', async () => {
    const issuer = await createTestIssuer({
      issuer: 'https://auth.example.com',
      audience: RESOURCE,
    });
    const verifier = createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      jwksUri: issuer.jwksUri,
      fetch: (async () =>
        Response.json({ keys: ['junk', null, ...issuer.jwks().keys] })) as typeof fetch,
    });
    const token = await issuer.mintAccessToken();
    await expect(verifier.verifyAccessToken(token)).resolves.toMatchObject({ token });
  });
});

describe('key set discovery', () => {
  it('uses RFC 8414 metadata, discovered once', async () => {
    const { issuer, verifier } = await setup();
    await verifier.verifyAccessToken(await issuer.mintAccessToken());
    expect(issuer.metadataFetchCount).toBe(1);
    expect(issuer.openidConfigurationFetchCount).toBe(0);
    await issuer.rotateKeys({ keepOld: false });
    vi.advanceTimersByTime(COOLDOWN);
    await verifier.verifyAccessToken(await issuer.mintAccessToken());
    expect(issuer.metadataFetchCount).toBe(1);
    expect(issuer.jwksFetchCount).toBe(2);
  });

  it('inserts the well-known path before an issuer path (RFC 8414 §3.1)', async () => {
    const requested: string[] = [];
    const issuer = await createTestIssuer({
      issuer: 'https://auth.example.com/tenants/acme',
      audience: RESOURCE,
    });
    const verifier = createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        requested.push(String(input));
        return issuer.fetch(input, init);
      }) as typeof fetch,
    });
    await verifier.verifyAccessToken(await issuer.mintAccessToken());
    expect(requested).toEqual([
      'https://auth.example.com/.well-known/oauth-authorization-server/tenants/acme',
      'https://auth.example.com/tenants/acme/jwks',
    ]);
  });

  it('falls back to OpenID Connect discovery', async () => {
    const { issuer, verifier } = await setup({
      issuer: 'https://auth.example.com/realms/dev',
      discovery: { oauth: false },
    });
    await verifier.verifyAccessToken(await issuer.mintAccessToken());
    expect(issuer.metadataFetchCount).toBe(1);
    expect(issuer.openidConfigurationFetchCount).toBe(1);
    expect(issuer.jwksFetchCount).toBe(1);
  });

  it('refuses metadata whose issuer differs from the configured one (503)', async () => {
    const { issuer, verifier } = await setup({ metadata: { issuer: 'https://evil.example.com' } });
    await expectUnavailable(verifier.verifyAccessToken(await issuer.mintAccessToken()));
    expect(issuer.jwksFetchCount).toBe(0);
  });

  it('refuses metadata that is not a JSON object (503)', async () => {
    const issuer = await createTestIssuer({
      issuer: 'https://auth.example.com',
      audience: RESOURCE,
    });
    const verifier = createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      fetch: (async () => Response.json([issuer.metadata()])) as typeof fetch,
    });
    const error = await expectUnavailable(
      verifier.verifyAccessToken(await issuer.mintAccessToken()),
    );
    const causes = (error.cause as AggregateError).errors as Error[];
    expect(causes.map((e) => e.message)).toEqual([
      'authorization server metadata at https://auth.example.com/.well-known/oauth-authorization-server: metadata is not a JSON object',
      'authorization server metadata at https://auth.example.com/.well-known/openid-configuration: metadata is not a JSON object',
    ]);
    expect(isTransientFailure(error)).toBe(false);
  });

  it('names both issuers and the slip when the metadata names another issuer', async () => {
    const { issuer, verifier } = await setup({
      metadata: { issuer: 'https://auth.example.com/' },
    });
    const error = await expectUnavailable(
      verifier.verifyAccessToken(await issuer.mintAccessToken()),
    );
    const text = describeFailure(error);
    expect(text).toContain(
      "authorization server metadata at https://auth.example.com/.well-known/oauth-authorization-server: metadata issuer 'https://auth.example.com/' does not equal the configured issuer 'https://auth.example.com' (they differ by a trailing slash",
    );
    expect(text.startsWith("the authorization server's signing keys are unavailable: ")).toBe(true);
    expect(isTransientFailure(error)).toBe(false);
  });

  it('tells an outage (transient) from a mistake', async () => {
    const { issuer, verifier } = await setup({}, { jwksUri: 'https://auth.example.com/jwks' });
    issuer.setOutage('network');
    const down = await expectUnavailable(
      verifier.verifyAccessToken(await issuer.mintAccessToken()),
    );
    expect(isTransientFailure(down)).toBe(true);
    expect(describeFailure(down)).toMatch(
      /JWKS at https:\/\/auth\.example\.com\/jwks: .*unreachable/,
    );
  });

  it('a retry after a failure holds its request half a second at most, then goes on alone', async () => {
    const { issuer, verifier } = await setup({}, { jwksUri: 'https://auth.example.com/jwks' });
    issuer.setOutage('hang');
    const token = await issuer.mintAccessToken();
    const first = rejection(verifier.verifyAccessToken(token));
    await vi.advanceTimersByTimeAsync(5_000);
    await first;
    await vi.advanceTimersByTimeAsync(COOLDOWN);
    let settled = false;
    const probe = rejection(verifier.verifyAccessToken(token)).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(499);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await probe).code).toBe('jwks_unavailable');
    expect(issuer.jwksFetchCount).toBe(2);
  });

  it('refuses a discovered http jwks_uri on a non-loopback host (503)', async () => {
    const { issuer, verifier } = await setup({
      metadata: { jwks_uri: 'http://auth.example.com/jwks' },
    });
    const error = await expectUnavailable(
      verifier.verifyAccessToken(await issuer.mintAccessToken()),
    );
    expect(error.cause).toBeInstanceOf(AggregateError);
  });

  it('retries failed discovery after the cooldown', async () => {
    const { issuer, verifier } = await setup();
    issuer.setOutage('status');
    const token = await issuer.mintAccessToken();
    await expectUnavailable(verifier.verifyAccessToken(token));
    expect(issuer.metadataFetchCount).toBe(1);
    issuer.setOutage(false);
    await expectUnavailable(verifier.verifyAccessToken(token));
    expect(issuer.metadataFetchCount).toBe(1);
    vi.advanceTimersByTime(COOLDOWN);
    await expect(verifier.verifyAccessToken(token)).resolves.toMatchObject({ token });
    expect(issuer.metadataFetchCount).toBe(2);
  });

  it('skips discovery when jwksUri is configured', async () => {
    const { issuer, verifier } = await setup({}, { jwksUri: 'https://auth.example.com/jwks' });
    await verifier.verifyAccessToken(await issuer.mintAccessToken());
    expect(issuer.metadataFetchCount + issuer.openidConfigurationFetchCount).toBe(0);
    expect(issuer.jwksFetchCount).toBe(1);
  });

  // Sockets are a Node concern: skipped when the suite runs in a Web-standard runtime.
  const isEdgeRuntime = typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime === 'string';
  it.skipIf(isEdgeRuntime)(
    'works against a real HTTP issuer on loopback with the global fetch',
    async () => {
      vi.useRealTimers();
      const issuer = await startTestIssuer({ audience: RESOURCE, issuerPath: '/oauth' });
      try {
        expect(issuer.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth$/);
        const verifier = createJwtVerifier({ issuer: issuer.issuer, resource: RESOURCE });
        const token = await issuer.mintAccessToken({ key: 'RS256' });
        await expect(verifier.verifyAccessToken(token)).resolves.toMatchObject({ token });
        expect(issuer.metadataFetchCount).toBe(1);
      } finally {
        await issuer.close();
      }
    },
  );
});
