import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCompositeVerifier } from '../src/create-composite-verifier.js';
import { createIntrospectionVerifier } from '../src/create-introspection-verifier.js';
import { createJwtVerifier } from '../src/create-jwt-verifier.js';
import { createMcpAuth, type McpAuthOptions } from '../src/create-mcp-auth.js';
import { createMultiIssuerVerifier } from '../src/create-multi-issuer-verifier.js';
import { isMcpAuthError, type McpAuthError } from '../src/errors.js';
import { checkTokenLifetime, DEFAULT_CLOCK_TOLERANCE } from '../src/token-lifetime.js';
import type { AccessTokenVerifier } from '../src/types.js';

// One expiry rule for every verifier path (RFC 7519 §4.1.4–4.1.6, RFC 9068 §4):
// exp <= now - tolerance → expired; nbf or iat > now + tolerance → refused.

const RESOURCE = 'https://mcp.example.com/mcp';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const now = NOW / 1000;

describe('checkTokenLifetime', () => {
  it.each<[string, Record<string, unknown>, number, string | undefined]>([
    ['no time claims', {}, 60, undefined],
    ['exp in the future', { exp: now + 1 }, 0, undefined],
    ['exp now, no tolerance', { exp: now }, 0, 'expired'],
    ['exp 30 s ago, 60 s tolerance', { exp: now - 30 }, 60, undefined],
    ['exp 59 s ago, 60 s tolerance', { exp: now - 59 }, 60, undefined],
    ['exp 60 s ago, 60 s tolerance', { exp: now - 60 }, 60, 'expired'],
    ['nbf at the tolerance', { nbf: now + 60 }, 60, undefined],
    ['nbf past the tolerance', { nbf: now + 61 }, 60, 'not_yet_valid'],
    ['iat at the tolerance', { iat: now + 60 }, 60, undefined],
    ['iat past the tolerance', { iat: now + 61 }, 60, 'issued_in_future'],
    ['exp not a number', { exp: '9999999999' }, 60, 'invalid_claim'],
    ['exp NaN', { exp: Number.NaN }, 60, 'invalid_claim'],
    ['exp infinite', { exp: Number.POSITIVE_INFINITY }, 60, 'invalid_claim'],
    ['nbf null', { nbf: null }, 60, 'invalid_claim'],
    ['iat a string', { iat: 'now' }, 60, 'invalid_claim'],
  ])('%s → %s', (_n, claims, tolerance, reason) => {
    const failure = checkTokenLifetime(claims, tolerance, NOW);
    expect(failure?.reason).toBe(reason);
    if (failure !== undefined) {
      expect(failure.code).toBe('invalid_token');
      expect(failure.status).toBe(401);
    }
  });

  it('counts in whole seconds, as jose does, and reads Date.now() by default', () => {
    expect(checkTokenLifetime({ exp: now }, 0, NOW + 999)?.reason).toBe('expired');
    expect(checkTokenLifetime({ exp: now + 1 }, 0, NOW + 999)).toBeUndefined();
    vi.useFakeTimers({ now: NOW });
    try {
      expect(checkTokenLifetime({ exp: now - 61 }, DEFAULT_CLOCK_TOLERANCE)?.reason).toBe(
        'expired',
      );
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

  function introspection(clockTolerance?: number) {
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
      ...(clockTolerance === undefined ? {} : { clockTolerance }),
    });
  }

  const jwt = (clockTolerance?: number) =>
    createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      fetch: issuer.fetch,
      ...(clockTolerance === undefined ? {} : { clockTolerance }),
    });

  const multi = (clockTolerance?: number) =>
    createMultiIssuerVerifier({
      resource: RESOURCE,
      issuers: [
        {
          issuer: issuer.issuer,
          fetch: issuer.fetch,
          ...(clockTolerance === undefined ? {} : { clockTolerance }),
        },
        { issuer: other.issuer, fetch: other.fetch, clockTolerance: 0 },
      ],
    });

  const composite = (clockTolerance?: number) =>
    createCompositeVerifier({
      jwt: multi(clockTolerance),
      introspection: introspection(clockTolerance),
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
    '%s refuses a token expired 30 s ago with clockTolerance 0',
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

  it('says so: checksLifetime and the clockTolerance it applies', () => {
    expect(jwt()).toMatchObject({ checksLifetime: true, clockTolerance: 60 });
    expect(jwt(5)).toMatchObject({ checksLifetime: true, clockTolerance: 5 });
    expect(introspection()).toMatchObject({ checksLifetime: true, clockTolerance: 60 });
    expect(introspection(10)).toMatchObject({ checksLifetime: true, clockTolerance: 10 });
    // The largest of its issuers' (the second issuer has 0).
    expect(multi(120)).toMatchObject({ checksLifetime: true, clockTolerance: 120 });
    expect(multi(0)).toMatchObject({ checksLifetime: true, clockTolerance: 0 });
    expect(composite(30)).toMatchObject({ checksLifetime: true, clockTolerance: 30 });
    const custom: AccessTokenVerifier = {
      verifyAccessToken: async (token) => ({ token, clientId: '', scopes: [] }),
    };
    expect(createCompositeVerifier({ jwt: jwt(5), introspection: custom })).toMatchObject({
      checksLifetime: false,
      clockTolerance: 5,
    });
    expect(createCompositeVerifier({ jwt: custom, introspection: custom })).toMatchObject({
      checksLifetime: false,
      clockTolerance: DEFAULT_CLOCK_TOLERANCE,
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
