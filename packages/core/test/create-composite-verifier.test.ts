import { createTestIssuer } from '@org/mcp-auth-testing';
import { describe, expect, it, vi } from 'vitest';
import { createCompositeVerifier, isJwtShaped } from '../src/create-composite-verifier.js';
import { createIntrospectionVerifier } from '../src/create-introspection-verifier.js';
import { createJwtVerifier } from '../src/create-jwt-verifier.js';
import { createMcpAuth } from '../src/create-mcp-auth.js';
import type { AccessTokenVerifier, AuthInfo } from '../src/types.js';

const RESOURCE = 'https://mcp.example.com/mcp';

function fake(name: string) {
  return {
    verifyAccessToken: vi.fn(
      async (token: string): Promise<AuthInfo> => ({
        token,
        clientId: name,
        scopes: [],
      }),
    ),
  } satisfies AccessTokenVerifier;
}

describe('isJwtShaped', () => {
  it.each<[string, boolean]>([
    ['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln', true],
    ['eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.', true],
    ['2YotnFZFEjr1zCsicMWpAA', false],
    ['a.b.c', false], // segments that are not a JSON header
    ['bm90IGpzb24.eyJzdWIiOiJhIn0.c2ln', false], // "not json"
    ['WzFd.eyJzdWIiOiJhIn0.c2ln', false], // header is an array
    ['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0', false], // two segments
    ['eyJhbGciOiJSUzI1NiJ9.e30.c2ln.x', false], // four segments
    ['', false],
  ])('%s → %s', (token, expected) => {
    expect(isJwtShaped(token)).toBe(expected);
  });
});

describe('createCompositeVerifier', () => {
  it('routes JWT-shaped tokens to the JWT verifier and everything else to introspection', async () => {
    const jwt = fake('jwt');
    const introspection = fake('introspection');
    const verifier = createCompositeVerifier({ jwt, introspection });
    expect(
      (await verifier.verifyAccessToken('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln')).clientId,
    ).toBe('jwt');
    expect((await verifier.verifyAccessToken('opaque.value')).clientId).toBe('introspection');
    expect(jwt.verifyAccessToken).toHaveBeenCalledTimes(1);
    expect(introspection.verifyAccessToken).toHaveBeenCalledTimes(1);
  });

  it('with real verifiers: a bad JWT is rejected by the JWT verifier and never introspected', async () => {
    const issuer = await createTestIssuer({
      issuer: 'https://auth.example.com',
      audience: RESOURCE,
      scope: 'todo:read',
    });
    const introspectionFetch = vi.fn(async () =>
      Response.json({
        active: true,
        aud: RESOURCE,
        sub: 'svc',
        scope: 'calendar:read',
        exp: Math.floor(Date.now() / 1000) + 60,
      }),
    );
    const verifier = createCompositeVerifier({
      jwt: createJwtVerifier({ issuer: issuer.issuer, resource: RESOURCE, fetch: issuer.fetch }),
      introspection: createIntrospectionVerifier({
        endpoint: 'https://auth.example.com/introspect',
        clientId: 'rs',
        clientSecret: 'secret',
        resource: RESOURCE,
        issuer: issuer.issuer,
        fetch: introspectionFetch as unknown as typeof fetch,
      }),
    });
    expect(verifier.authorizationServers).toEqual([issuer.issuer]);
    expect((await verifier.verifyAccessToken(await issuer.mintAccessToken())).scopes).toEqual([
      'todo:read',
    ]);
    expect((await verifier.verifyAccessToken('2YotnFZFEjr1zCsicMWpAA')).scopes).toEqual([
      'calendar:read',
    ]);
    await expect(
      verifier.verifyAccessToken(
        await issuer.mintAccessToken({ claims: { aud: 'https://other.example.com' } }),
      ),
    ).rejects.toMatchObject({ code: 'invalid_token', message: 'audience mismatch' });
    expect(introspectionFetch).toHaveBeenCalledTimes(1);
    const auth = createMcpAuth({ resource: RESOURCE, verifier });
    expect(auth.metadata.document.authorization_servers).toEqual([issuer.issuer]);
  });

  it('misconfiguration → TypeError naming the option', () => {
    expect(() => createCompositeVerifier(null as never)).toThrow(/"options"/);
    expect(() => createCompositeVerifier({ jwt: fake('j'), introspection: {} as never })).toThrow(
      /"introspection"/,
    );
    expect(() =>
      createCompositeVerifier({ jwt: undefined as never, introspection: fake('i') }),
    ).toThrow(/"jwt"/);
  });
});
