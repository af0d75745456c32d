import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createMcpAuth } from '../src/create-mcp-auth.js';
import { createMultiIssuerVerifier } from '../src/create-multi-issuer-verifier.js';
import { isMcpAuthError } from '../src/errors.js';
import { auth0 } from '../src/presets/auth0.js';
import { mockProvider } from './helpers/mock-provider.js';

const RESOURCE = 'https://mcp.example.com/mcp';
let a: TestIssuer;
let b: TestIssuer;

beforeAll(async () => {
  a = await createTestIssuer({
    issuer: 'https://tenant-a.example.com',
    audience: RESOURCE,
    scope: 'todo:read',
  });
  b = await createTestIssuer({
    issuer: 'https://tenant-b.example.com/realms/x',
    audience: RESOURCE,
    scope: 'calendar:read',
  });
});

/** One fetch for both issuers, spied on. */
function routedFetch() {
  return vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(new Request(input, init).url);
    return url.origin === new URL(a.issuer).origin ? a.fetch(input, init) : b.fetch(input, init);
  });
}

async function code(promise: Promise<unknown>): Promise<[string, string]> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(isMcpAuthError(error)).toBe(true);
  return [(error as { code: string }).code, (error as Error).message];
}

describe('createMultiIssuerVerifier', () => {
  it('selects the verifier by iss; each issuer uses its own keys and options', async () => {
    const fetch = routedFetch();
    const verifier = createMultiIssuerVerifier({
      resource: RESOURCE,
      fetch,
      issuers: [
        { issuer: a.issuer },
        { issuer: b.issuer, jwksUri: b.jwksUri, scopeClaims: ['scope', 'scp'] },
      ],
    });
    expect(verifier.issuers).toEqual([a.issuer, b.issuer]);
    expect(verifier.authorizationServers).toEqual([a.issuer, b.issuer]);
    expect((await verifier.verifyAccessToken(await a.mintAccessToken())).scopes).toEqual([
      'todo:read',
    ]);
    const fromB = await b.mintAccessToken({ claims: { scp: ['extra'] } });
    expect((await verifier.verifyAccessToken(fromB)).scopes).toEqual(['calendar:read', 'extra']);
    // A token claiming B but signed with A's key is refused by B's key set.
    const forged = await a.mintAccessToken({ claims: { iss: b.issuer } });
    expect((await code(verifier.verifyAccessToken(forged)))[0]).toBe('invalid_token');
  });

  it('rejects an unknown issuer, a missing iss and malformed tokens without any network request', async () => {
    const fetch = routedFetch();
    const verifier = createMultiIssuerVerifier({
      resource: RESOURCE,
      fetch,
      issuers: [{ issuer: a.issuer }],
    });
    const stranger = await createTestIssuer({
      issuer: 'https://stranger.example.com',
      audience: RESOURCE,
    });
    expect(await code(verifier.verifyAccessToken(await stranger.mintAccessToken()))).toEqual([
      'invalid_token',
      'issuer not accepted',
    ]);
    expect(
      await code(verifier.verifyAccessToken(await a.mintAccessToken({ omit: ['iss'] }))),
    ).toEqual(['invalid_token', 'missing issuer (iss)']);
    expect(await code(verifier.verifyAccessToken('not-a-jwt'))).toEqual([
      'invalid_token',
      'malformed token',
    ]);
    expect(await code(verifier.verifyAccessToken(''))).toEqual(['invalid_token', 'token is empty']);
    expect(await code(verifier.verifyAccessToken(`a.${'b'.repeat(20_000)}.c`))).toEqual([
      'invalid_token',
      'token is too large',
    ]);
    // The default limit is 8192 characters, as for bearer extraction.
    expect(await code(verifier.verifyAccessToken(`a.${'b'.repeat(8_189)}.c`))).toEqual([
      'invalid_token',
      'token is too large',
    ]);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('reads iss the way JSON does: nested, escaped, spaced and odd payloads', async () => {
    const fetch = routedFetch();
    const verifier = createMultiIssuerVerifier({
      resource: RESOURCE,
      fetch,
      issuers: [{ issuer: a.issuer }],
    });
    const segment = (text: string) =>
      btoa(text).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
    const unsigned = (payload: string) => `${segment('{"alg":"ES256"}')}.${segment(payload)}.c2ln`;
    const stranger = 'https://stranger.example.com';
    for (const payload of [
      `{ "iss" : "${stranger}" }`,
      `{"iss":"https:\\/\\/stranger.example.com"}`,
      `{"act":{"iss":"${a.issuer}"},"iss":"${stranger}"}`,
      `{"iss":"${stranger}","aud":"iss"}`,
    ]) {
      expect(await code(verifier.verifyAccessToken(unsigned(payload)))).toEqual([
        'invalid_token',
        'issuer not accepted',
      ]);
    }
    for (const bad of [unsigned('[1]'), unsigned('{"iss":'), 'eyJ.!!!.c2ln', 'a.b.c.d', '.b.c']) {
      expect(await code(verifier.verifyAccessToken(bad))).toEqual([
        'invalid_token',
        'malformed token',
      ]);
    }
    expect(fetch).not.toHaveBeenCalled();
    // A nested iss beside the real one: the real one routes, and the token verifies.
    const nested = await a.mintAccessToken({
      claims: { act: { iss: 'https://stranger.example.com', sub: 'x' } },
    });
    await expect(verifier.verifyAccessToken(nested)).resolves.toBeTruthy();
    // Only a nested iss: routed by it, then refused by the verifier (no top-level iss).
    const onlyNested = await a.mintAccessToken({
      omit: ['iss'],
      claims: { act: { iss: a.issuer } },
    });
    expect((await code(verifier.verifyAccessToken(onlyNested)))[0]).toBe('invalid_token');
  });

  it('takes provider presets (additional issuers map to the same verifier) and feeds the PRM', async () => {
    const provider = await mockProvider({
      issuer: 'https://acme.us.auth0.com/',
      jwksUri: 'https://acme.us.auth0.com/.well-known/jwks.json',
    });
    const verifier = createMultiIssuerVerifier({
      resource: RESOURCE,
      issuers: [
        {
          ...auth0({ domain: 'acme.us.auth0.com' }),
          jwt: { ...auth0({ domain: 'acme.us.auth0.com' }).jwt, fetch: provider.fetch },
        },
        { issuer: a.issuer, additionalIssuers: ['https://alias-a.example.com'], fetch: a.fetch },
      ],
    });
    expect(verifier.issuers).toEqual([
      'https://acme.us.auth0.com/',
      a.issuer,
      'https://alias-a.example.com',
    ]);
    const token = await provider.issuer.mintAccessToken({ claims: { aud: RESOURCE, scope: 'x' } });
    expect((await verifier.verifyAccessToken(token)).scopes).toEqual(['x']);
    const alias = await a.mintAccessToken({ claims: { iss: 'https://alias-a.example.com' } });
    await expect(verifier.verifyAccessToken(alias)).resolves.toBeTruthy();
    const auth = createMcpAuth({ resource: RESOURCE, verifier });
    expect(auth.metadata.document.authorization_servers).toEqual([
      'https://acme.us.auth0.com/',
      a.issuer,
    ]);
    const withExplicit = createMcpAuth({
      resource: RESOURCE,
      verifier,
      authorizationServers: [a.issuer],
    });
    expect(withExplicit.metadata.document.authorization_servers).toEqual([a.issuer]);
  });

  it('misconfiguration → TypeError naming the option', () => {
    expect(() => createMultiIssuerVerifier(null as never)).toThrow(/"options"/);
    expect(() => createMultiIssuerVerifier({ resource: RESOURCE, issuers: [] })).toThrow(
      /"issuers" must list/,
    );
    expect(() =>
      createMultiIssuerVerifier({ resource: RESOURCE, issuers: [null as never] }),
    ).toThrow(/"issuers\[0\]"/);
    expect(() =>
      createMultiIssuerVerifier({
        resource: RESOURCE,
        issuers: [{ issuer: a.issuer }, { issuer: a.issuer }],
      }),
    ).toThrow(/"issuers\[1\]\.issuer" duplicates/);
    expect(() =>
      createMultiIssuerVerifier({
        resource: RESOURCE,
        issuers: [{ issuer: a.issuer, jwksUri: 'http://x.example.com' }],
      }),
    ).toThrow(/"issuers\[0\]\.jwksUri" must be an https URL/);
    expect(() =>
      createMultiIssuerVerifier({ resource: 'nope', issuers: [{ issuer: a.issuer }] }),
    ).toThrow(/"resource"/);
    expect(() =>
      createMultiIssuerVerifier({
        resource: RESOURCE,
        issuers: [{ issuer: a.issuer }],
        fetch: 1 as never,
      }),
    ).toThrow(/"fetch"/);
    // A former option name, under its issuer, with what replaced it.
    expect(() =>
      createMultiIssuerVerifier({
        resource: RESOURCE,
        issuers: [{ issuer: a.issuer, clockTolerance: 30 } as never],
      }),
    ).toThrow(
      'option "issuers[0].clockTolerance" is not a known option (renamed "clockToleranceMs", in milliseconds)',
    );
    expect(() =>
      createMultiIssuerVerifier({
        resource: RESOURCE,
        issuers: [
          { issuer: a.issuer, jwt: { timeout: 5 }, authorizationServers: [a.issuer] } as never,
        ],
      }),
    ).toThrow('option "issuers[0].jwt.timeout" is not a known option (renamed "timeoutMs")');
  });
});
