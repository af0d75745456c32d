import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIntrospectionVerifier } from '../src/create-introspection-verifier.js';
import { createJwtVerifier } from '../src/create-jwt-verifier.js';
import { isMcpAuthError, type McpAuthError } from '../src/errors.js';
import { resourceMatches } from '../src/url.js';

// RFC 8707 / MCP authorization: `aud` must name this resource. It equals the resource, or
// differs only by scheme/host case, an explicit default port, or `/` as the whole path —
// nothing a WHATWG URL parser would "repair" into the resource is accepted.

const RESOURCE = 'https://mcp.example.com/mcp';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

/** Spellings of `RESOURCE` that name it. */
const ACCEPTED: readonly string[] = [
  'https://mcp.example.com/mcp',
  'HTTPS://mcp.example.com/mcp',
  'Https://Mcp.Example.Com/mcp',
  'https://MCP.EXAMPLE.COM/mcp',
  'https://mcp.example.com:443/mcp',
  'HTTPS://MCP.example.com:443/mcp',
];

/** Spellings that do not name `RESOURCE`, with what is wrong with each. */
const REFUSED: ReadonlyArray<readonly [string, string]> = [
  ['https:\\\\mcp.example.com\\mcp', 'backslashes for slashes'],
  ['https://mcp.example.com\\mcp', 'a backslash before the path'],
  ['https:/mcp.example.com/mcp', 'one slash after the scheme'],
  ['https:mcp.example.com/mcp', 'no slashes after the scheme'],
  ['//mcp.example.com/mcp', 'no scheme'],
  ['mcp.example.com/mcp', 'no scheme at all'],
  ['https://mcp.example.com/mcp#frag', 'a fragment'],
  ['https://mcp.example.com/mcp#', 'an empty fragment'],
  ['https://mcp.example.com/mcp/x/..', 'a dot-dot segment'],
  ['https://mcp.example.com/mcp/.', 'a dot segment'],
  ['https://mcp.example.com/./mcp', 'a leading dot segment'],
  ['https://mcp.example.com/x/../mcp', 'a dot-dot segment that leads back'],
  ['https://mcp.example.com//mcp', 'a doubled slash'],
  ['https://mcp.example.com/mcp/', 'a trailing slash after the path'],
  ['https://mcp.example.com/MCP', 'another path case'],
  ['https://mcp.example.com/%6Dcp', 'a percent-encoded path letter'],
  ['https://mcp.example.com/mc%70', 'a percent-encoded last letter'],
  ['https://mcp.example.com/mcp?', 'an empty query'],
  ['https://mcp.example.com/mcp?x=1', 'a query'],
  ['https://mcp.exa\tmple.com/mcp', 'a tab in the host'],
  ['https://mcp.example.com/m\ncp', 'a newline in the path'],
  ['https://mcp.example.com/mcp\r', 'a trailing carriage return'],
  ['\thttps://mcp.example.com/mcp', 'a leading tab'],
  [' https://mcp.example.com/mcp', 'a leading space'],
  ['https://mcp.example.com/mcp ', 'a trailing space'],
  ['https://mcp.example.com/mcp\u0000', 'a NUL'],
  ['https://user@mcp.example.com/mcp', 'userinfo'],
  ['https://user:pw@mcp.example.com/mcp', 'userinfo with a password'],
  ['https://@mcp.example.com/mcp', 'empty userinfo'],
  ['https://mcp.example.com:/mcp', 'an empty port'],
  ['https://mcp.example.com:0443/mcp', 'the default port with a leading zero'],
  ['https://mcp.example.com:80/mcp', 'the http default port on https'],
  ['https://mcp.example.com:8443/mcp', 'another port'],
  ['http://mcp.example.com/mcp', 'another scheme'],
  ['http://mcp.example.com:443/mcp', 'another scheme on port 443'],
  ['https://mcp.example.com./mcp', 'a trailing dot in the host'],
  ['https://mcp%2Eexample.com/mcp', 'a percent-encoded host'],
  ['https://ｍcp.example.com/mcp', 'a full-width letter (IDNA maps it)'],
  ['https://mcp.example.com', 'the origin alone'],
  ['https://mcp.example.com/', 'the origin with /'],
  ['https://mcp.example.com/mcp/mcp', 'a longer path'],
  ['https://mcp.example.com/mc', 'a shorter path'],
  ['https://mcp.example.co/mcp', 'another host'],
  ['', 'the empty string'],
];

/** A resource with `/` as the whole path: only that `/` may be left out. */
const ROOT = 'https://mcp.example.com/';
const ROOT_ACCEPTED: readonly string[] = [
  'https://mcp.example.com/',
  'https://mcp.example.com',
  'HTTPS://MCP.EXAMPLE.COM',
  'https://mcp.example.com:443',
  'https://mcp.example.com:443/',
];
const ROOT_REFUSED: readonly string[] = [
  'https://mcp.example.com//',
  'https://mcp.example.com/.',
  'https://mcp.example.com/#',
  'https://mcp.example.com/?',
  'https://mcp.example.com/\t',
  'https://mcp.example.com\\',
  'https://mcp.example.com:/',
];

/** A loopback development resource: the explicit port is part of it. */
const LOOPBACK = 'http://127.0.0.1:3000/mcp';
const LOOPBACK_ACCEPTED: readonly string[] = [
  'http://127.0.0.1:3000/mcp',
  'HTTP://127.0.0.1:3000/mcp',
];
const LOOPBACK_REFUSED: readonly string[] = [
  'http://127.0.0.1/mcp',
  'http://127.1:3000/mcp',
  'http://0x7f.0.0.1:3000/mcp',
  'http://127.0.0.1:03000/mcp',
  'http://localhost:3000/mcp',
  'http://[::ffff:127.0.0.1]:3000/mcp',
];

describe('resourceMatches: the aud comparison, spelling by spelling', () => {
  it.each(ACCEPTED)('accepts %j', (aud) => {
    expect(resourceMatches(RESOURCE, aud)).toBe(true);
    expect(resourceMatches(aud, RESOURCE)).toBe(true);
  });

  it.each(REFUSED)('refuses %j (%s)', (aud) => {
    expect(resourceMatches(RESOURCE, aud)).toBe(false);
    expect(resourceMatches(aud, RESOURCE)).toBe(false);
  });

  it.each(ROOT_ACCEPTED)('root resource: accepts %j', (aud) => {
    expect(resourceMatches(ROOT, aud)).toBe(true);
  });

  it.each(ROOT_REFUSED)('root resource: refuses %j', (aud) => {
    expect(resourceMatches(ROOT, aud)).toBe(false);
  });

  it.each(LOOPBACK_ACCEPTED)('loopback resource: accepts %j', (aud) => {
    expect(resourceMatches(LOOPBACK, aud)).toBe(true);
  });

  it.each(LOOPBACK_REFUSED)('loopback resource: refuses %j', (aud) => {
    expect(resourceMatches(LOOPBACK, aud)).toBe(false);
  });

  it('compares plain (non-URL) audiences exactly', () => {
    expect(resourceMatches('res_123', 'res_123')).toBe(true);
    expect(resourceMatches('res_123', 'RES_123')).toBe(false);
    expect(resourceMatches('urn:mcp:todo', 'URN:mcp:todo')).toBe(false);
  });

  it('runs in linear time on long hostile spellings', () => {
    const long = `https://${'a.'.repeat(200_000)}com/${'%2F'.repeat(100_000)}`;
    const start = performance.now();
    expect(resourceMatches(RESOURCE, long)).toBe(false);
    expect(resourceMatches(RESOURCE, `${long}\\`)).toBe(false);
    expect(performance.now() - start).toBeLessThan(1000); // quadratic work would take minutes
  });
});

async function rejection(promise: Promise<unknown>): Promise<McpAuthError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the token to be rejected');
    },
    (e: unknown) => e,
  );
  expect(isMcpAuthError(error)).toBe(true);
  return error as McpAuthError;
}

describe('signed JWT access tokens: the same table through createJwtVerifier', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await createTestIssuer({
      issuer: 'https://auth.example.com',
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

  const verifier = (resource = RESOURCE) =>
    createJwtVerifier({ issuer: issuer.issuer, resource, fetch: issuer.fetch, cache: false });

  it('accepts a token whose aud is any accepted spelling (alone or in an array)', async () => {
    const v = verifier();
    for (const aud of ACCEPTED) {
      const alone = await issuer.mintAccessToken({ claims: { aud } });
      await expect(v.verifyAccessToken(alone)).resolves.toMatchObject({ token: alone });
      const listed = await issuer.mintAccessToken({ claims: { aud: ['api://other', aud] } });
      await expect(v.verifyAccessToken(listed)).resolves.toMatchObject({ token: listed });
    }
  });

  it('refuses every refused spelling with invalid_token, reason "audience"', async () => {
    const v = verifier();
    for (const [aud, why] of REFUSED) {
      const token = await issuer.mintAccessToken({ claims: { aud: [aud, 'api://other'] } });
      const error = await rejection(v.verifyAccessToken(token));
      expect({ aud, why, code: error.code, reason: error.reason }).toEqual({
        aud,
        why,
        code: 'invalid_token',
        reason: 'audience',
      });
    }
  });

  it('applies the same rule to a root resource and to additionalAudiences', async () => {
    const root = verifier(ROOT);
    for (const aud of ROOT_ACCEPTED) {
      const token = await issuer.mintAccessToken({ claims: { aud } });
      await expect(root.verifyAccessToken(token)).resolves.toMatchObject({ token });
    }
    for (const aud of ROOT_REFUSED) {
      const token = await issuer.mintAccessToken({ claims: { aud } });
      expect((await rejection(root.verifyAccessToken(token))).reason).toBe('audience');
    }
    const extra = createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      fetch: issuer.fetch,
      additionalAudiences: ['https://api.example.com/todo'],
    });
    const ok = await issuer.mintAccessToken({
      claims: { aud: 'HTTPS://API.example.com:443/todo' },
    });
    await expect(extra.verifyAccessToken(ok)).resolves.toMatchObject({ token: ok });
    const repaired = await issuer.mintAccessToken({
      claims: { aud: 'https://api.example.com/x/../todo' },
    });
    expect((await rejection(extra.verifyAccessToken(repaired))).reason).toBe('audience');
  });
});

describe('introspection responses: the same table through createIntrospectionVerifier', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** An endpoint that answers each token (an index into `auds`) with that `aud`. */
  function verifierFor(auds: readonly string[]) {
    const fetch = (async (_input: RequestInfo | URL, init?: RequestInit) => {
      const token = new URLSearchParams(String(init?.body)).get('token') ?? '';
      return new Response(
        JSON.stringify({
          active: true,
          sub: 'alice',
          scope: 'todo:read',
          exp: NOW / 1000 + 300,
          aud: auds[Number(token)],
        }),
        { status: 200, headers: { 'content-type': 'application/json' } },
      );
    }) as typeof globalThis.fetch;
    return createIntrospectionVerifier({
      endpoint: 'https://auth.example.com/introspect',
      clientId: 'mcp',
      clientSecret: 'secret',
      resource: RESOURCE,
      fetch,
    });
  }

  it('accepts the accepted spellings and refuses the others (reason "audience")', async () => {
    const accepted = verifierFor(ACCEPTED);
    for (let i = 0; i < ACCEPTED.length; i++) {
      await expect(accepted.verifyAccessToken(String(i))).resolves.toMatchObject({
        scopes: ['todo:read'],
      });
    }
    const refusedAuds = REFUSED.map(([aud]) => aud);
    const refused = verifierFor(refusedAuds);
    for (let i = 0; i < refusedAuds.length; i++) {
      const error = await rejection(refused.verifyAccessToken(String(i)));
      expect({ aud: refusedAuds[i], reason: error.reason }).toEqual({
        aud: refusedAuds[i],
        reason: 'audience',
      });
    }
  });
});
