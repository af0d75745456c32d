import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCompositeVerifier } from '../src/create-composite-verifier.js';
import { createIntrospectionVerifier } from '../src/create-introspection-verifier.js';
import { createJwtVerifier } from '../src/create-jwt-verifier.js';
import { createMcpAuth, type McpAuthOptions } from '../src/create-mcp-auth.js';
import { createMultiIssuerVerifier } from '../src/create-multi-issuer-verifier.js';
import { isMcpAuthError, type McpAuthError } from '../src/errors.js';
import { checkTokenLifetime, DEFAULT_CLOCK_TOLERANCE_MS } from '../src/token-lifetime.js';
import type { AccessTokenVerifier } from '../src/types.js';

// One expiry rule for every verifier path (RFC 7519 §4.1.4–4.1.6, RFC 9068 §4):
// exp <= now - tolerance → expired; nbf or iat > now + tolerance → refused (tolerance in ms).

const RESOURCE = 'https://mcp.example.com/mcp';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const now = NOW / 1000;

describe('checkTokenLifetime', () => {
  it.each<[string, Record<string, unknown>, number, string | undefined]>([
    ['no time claims', {}, 60_000, undefined],
    ['exp in the future', { exp: now + 1 }, 0, undefined],
    ['exp now, no tolerance', { exp: now }, 0, 'expired'],
    ['exp 30 s ago, 60 s tolerance', { exp: now - 30 }, 60_000, undefined],
    ['exp 59 s ago, 60 s tolerance', { exp: now - 59 }, 60_000, undefined],
    ['exp 60 s ago, 60 s tolerance', { exp: now - 60 }, 60_000, 'expired'],
    ['exp 1 s ago, 1.5 s tolerance', { exp: now - 1 }, 1_500, undefined],
    ['exp 2 s ago, 1.5 s tolerance', { exp: now - 2 }, 1_500, 'expired'],
    ['nbf at the tolerance', { nbf: now + 60 }, 60_000, undefined],
    ['nbf past the tolerance', { nbf: now + 61 }, 60_000, 'not_yet_valid'],
    ['nbf 1 s ahead, 1 s tolerance', { nbf: now + 1 }, 1_000, undefined],
    ['nbf 1 s ahead, 999 ms tolerance', { nbf: now + 1 }, 999, 'not_yet_valid'],
    ['iat at the tolerance', { iat: now + 60 }, 60_000, undefined],
    ['iat past the tolerance', { iat: now + 61 }, 60_000, 'issued_in_future'],
    ['exp not a number', { exp: '9999999999' }, 60_000, 'invalid_claim'],
    ['exp NaN', { exp: Number.NaN }, 60_000, 'invalid_claim'],
    ['exp infinite', { exp: Number.POSITIVE_INFINITY }, 60_000, 'invalid_claim'],
    ['nbf null', { nbf: null }, 60_000, 'invalid_claim'],
    ['iat a string', { iat: 'now' }, 60_000, 'invalid_claim'],
  ])('%s → %s', (_n, claims, tolerance, reason) => {
    const failure = checkTokenLifetime(claims, tolerance, NOW);
    expect(failure?.reason).toBe(reason);
    if (failure !== undefined) {
      expect(failure.code).toBe('invalid_token');
      expect(failure.status).toBe(401);
    }
  });

  it('agrees with whole-second counting (as jose does), and reads Date.now() by default', () => {
    expect(DEFAULT_CLOCK_TOLERANCE_MS).toBe(60_000);
    expect(checkTokenLifetime({ exp: now }, 0, NOW + 999)?.reason).toBe('expired');
    expect(checkTokenLifetime({ exp: now + 1 }, 0, NOW + 999)).toBeUndefined();
    expect(checkTokenLifetime({ nbf: now + 1 }, 0, NOW + 999)?.reason).toBe('not_yet_valid');
    expect(checkTokenLifetime({ nbf: now + 1 }, 0, NOW + 1_000)).toBeUndefined();
    vi.useFakeTimers({ now: NOW });
    try {
      expect(checkTokenLifetime({ exp: now - 61 }, DEFAULT_CLOCK_TOLERANCE_MS)?.reason).toBe(
        'expired',
      );
      expect(checkTokenLifetime({ exp: now - 59 }, DEFAULT_CLOCK_TOLERANCE_MS)).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('every built-in verifier applies it with its clock tolerance', () => {
  let issuer: TestIssuer;
  let other: TestIssuer;

  beforeAll(async () => {
    issuer = await createTestIssuer({
      issuer: 'https://auth.example.com',
      algorithms: ['ES256'],
      audience: RESOURCE,
      scope: 'todo:read',
    });
    other = await createTestIssuer({
      issuer: 'https://other.example.com',
      algorithms: ['ES256'],
      audience: RESOURCE,
    });
  });
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A token (JWT, or an opaque `exp:<seconds>` for introspection) that expired `ago` s ago. */
  const jwtExpired = (ago: number, from = issuer) =>
    from.mintAccessToken({ issuedAt: now - ago - 300, expiresIn: 300 });
  const opaqueExpired = (ago: number) => `exp:${now - ago}`;

  function introspection(clockToleranceMs?: number) {
    const fetch = (async (_input: RequestInfo | URL, init?: RequestInit) => {
      const token = new URLSearchParams(String(init?.body)).get('token') ?? '';
      return new Response(
        JSON.stringify({
          active: true,
          aud: RESOURCE,
          sub: 'alice',
          scope: 'todo:read',
          exp: Number(token.slice(4)),
        }),
        { headers: { 'content-type': 'application/json' } },
      );
    }) as typeof globalThis.fetch;
    return createIntrospectionVerifier({
      endpoint: 'https://auth.example.com/introspect',
      clientId: 'mcp',
      clientSecret: 'secret',
      resource: RESOURCE,
      fetch,
      ...(clockToleranceMs === undefined ? {} : { clockToleranceMs }),
    });
  }

  const jwt = (clockToleranceMs?: number) =>
    createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      fetch: issuer.fetch,
      ...(clockToleranceMs === undefined ? {} : { clockToleranceMs }),
    });

  const multi = (clockToleranceMs?: number) =>
    createMultiIssuerVerifier({
      resource: RESOURCE,
      issuers: [
        {
          issuer: issuer.issuer,
          fetch: issuer.fetch,
          ...(clockToleranceMs === undefined ? {} : { clockToleranceMs }),
        },
        { issuer: other.issuer, fetch: other.fetch, clockToleranceMs: 0 },
      ],
    });

  const composite = (clockToleranceMs?: number) =>
    createCompositeVerifier({
      jwt: multi(clockToleranceMs),
      introspection: introspection(clockToleranceMs),
    });

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

  type Case = [
    string,
    (t?: number) => AccessTokenVerifier,
    (ago: number) => Promise<string> | string,
  ];
  const cases: Case[] = [
    ['createJwtVerifier', jwt, jwtExpired],
    ['createIntrospectionVerifier', introspection, opaqueExpired],
    ['createMultiIssuerVerifier', multi, jwtExpired],
    ['createCompositeVerifier (JWT)', composite, jwtExpired],
    ['createCompositeVerifier (opaque)', composite, opaqueExpired],
  ];

  it.each(cases)('%s accepts a token expired 30 s ago (default 60 s)', async (_n, make, token) => {
    await expect(make().verifyAccessToken(await token(30))).resolves.toMatchObject({
      scopes: ['todo:read'],
    });
  });

  it.each(cases)(
    '%s refuses a token expired 60 s ago (reason "expired")',
    async (_n, make, token) => {
      const error = await rejection(make().verifyAccessToken(await token(60)));
      expect(error.code).toBe('invalid_token');
      expect(error.reason).toBe('expired');
    },
  );

  it.each(cases)(
    '%s refuses a token expired 30 s ago with clockToleranceMs 0',
    async (_n, make, token) => {
      expect((await rejection(make(0).verifyAccessToken(await token(30)))).reason).toBe('expired');
    },
  );

  it('a JWT not yet valid or issued in the future past the tolerance is refused the same way', async () => {
    const v = jwt();
    const early = await issuer.mintAccessToken({ claims: { nbf: now + 61 } });
    expect((await rejection(v.verifyAccessToken(early))).reason).toBe('not_yet_valid');
    const future = await issuer.mintAccessToken({ issuedAt: now + 61 });
    expect((await rejection(v.verifyAccessToken(future))).reason).toBe('issued_in_future');
    const skewed = await issuer.mintAccessToken({ issuedAt: now + 30 });
    await expect(v.verifyAccessToken(skewed)).resolves.toMatchObject({ token: skewed });
  });

  it('says so: checksLifetime and the clockToleranceMs it applies', () => {
    expect(jwt()).toMatchObject({ checksLifetime: true, clockToleranceMs: 60_000 });
    expect(jwt(5_000)).toMatchObject({ checksLifetime: true, clockToleranceMs: 5_000 });
    expect(introspection()).toMatchObject({ checksLifetime: true, clockToleranceMs: 60_000 });
    expect(introspection(10_000)).toMatchObject({ checksLifetime: true, clockToleranceMs: 10_000 });
    // The largest of its issuers' (the second issuer has 0).
    expect(multi(120_000)).toMatchObject({ checksLifetime: true, clockToleranceMs: 120_000 });
    expect(multi(0)).toMatchObject({ checksLifetime: true, clockToleranceMs: 0 });
    expect(composite(30_000)).toMatchObject({ checksLifetime: true, clockToleranceMs: 30_000 });
    const custom: AccessTokenVerifier = {
      verifyAccessToken: async (token) => ({ token, clientId: '', scopes: [] }),
    };
    expect(createCompositeVerifier({ jwt: jwt(5_000), introspection: custom })).toMatchObject({
      checksLifetime: false,
      clockToleranceMs: 5_000,
    });
    expect(createCompositeVerifier({ jwt: custom, introspection: custom })).toMatchObject({
      checksLifetime: false,
      clockToleranceMs: DEFAULT_CLOCK_TOLERANCE_MS,
    });
  });

  it('createMcpAuth gives every verifier path the same answer (no second, stricter exp check)', async () => {
    const body = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
    const decide = async (options: Omit<McpAuthOptions, 'resource'>, token: string) =>
      (
        await createMcpAuth({ resource: RESOURCE, ...options }).authorize({
          method: 'POST',
          url: '/mcp',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
        })
      ).type;
    const paths: Array<[string, Omit<McpAuthOptions, 'resource'>]> = [
      ['issuer', { issuer: issuer.issuer, jwt: { fetch: issuer.fetch } }],
      ['verifier: createJwtVerifier', { verifier: jwt() }],
      ['verifier: createMultiIssuerVerifier', { verifier: multi() }],
      ['verifier: createCompositeVerifier', { verifier: composite() }],
    ];
    for (const [name, options] of paths) {
      expect([name, await decide(options, await jwtExpired(30))]).toEqual([name, 'allow']);
      expect([name, await decide(options, await jwtExpired(60))]).toEqual([name, 'deny']);
    }
  });
});
