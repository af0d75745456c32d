import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { authorizationServersOf } from '../src/authorization-servers-of.js';
import { createJwtVerifier } from '../src/create-jwt-verifier.js';

const RESOURCE = 'https://mcp.example.com/mcp';
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer({ issuer: 'https://auth.example.com', audience: RESOURCE });
});

describe('createJwtVerifier provider options', () => {
  it('acceptedTypes adds typ values (case-insensitive) without accepting JWT or a missing typ', async () => {
    const verifier = createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      fetch: issuer.fetch,
      acceptedTypes: ['application/vnd.example+jwt'],
    });
    await expect(
      verifier.verifyAccessToken(
        await issuer.mintAccessToken({ header: { typ: 'Application/VND.example+JWT' } }),
      ),
    ).resolves.toBeTruthy();
    await expect(verifier.verifyAccessToken(await issuer.mintAccessToken())).resolves.toBeTruthy();
    await expect(
      verifier.verifyAccessToken(await issuer.mintAccessToken({ header: { typ: 'JWT' } })),
    ).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(
      verifier.verifyAccessToken(await issuer.mintAccessToken({ omitHeader: ['typ'] })),
    ).rejects.toMatchObject({ message: 'missing token type (typ)' });
    await expect(
      verifier.verifyAccessToken(
        await issuer.mintAccessToken({
          header: { typ: 'application/vnd.example+jwt' },
          claims: { nonce: 'n' },
        }),
      ),
    ).rejects.toMatchObject({ message: 'ID tokens are not accepted as access tokens' });
  });

  it('additionalIssuers accepts other iss values signed by the same keys', async () => {
    const verifier = createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      jwksUri: issuer.jwksUri,
      fetch: issuer.fetch,
      additionalIssuers: ['https://auth.example.com/v2'],
    });
    await expect(
      verifier.verifyAccessToken(
        await issuer.mintAccessToken({ claims: { iss: 'https://auth.example.com/v2' } }),
      ),
    ).resolves.toBeTruthy();
    await expect(
      verifier.verifyAccessToken(
        await issuer.mintAccessToken({ claims: { iss: 'https://auth.example.com/v3' } }),
      ),
    ).rejects.toMatchObject({ message: 'issuer mismatch' });
  });

  it('clientIdClaims picks the client id claim, first string wins', async () => {
    const base = { issuer: issuer.issuer, resource: RESOURCE, fetch: issuer.fetch };
    const token = await issuer.mintAccessToken({
      claims: { client_id: 7, cid: 'okta-client', azp: 'azp-client' },
    });
    expect((await createJwtVerifier(base).verifyAccessToken(token)).clientId).toBe('azp-client');
    const okta = createJwtVerifier({ ...base, clientIdClaims: ['cid', 'client_id'] });
    expect((await okta.verifyAccessToken(token)).clientId).toBe('okta-client');
    const none = createJwtVerifier({ ...base, clientIdClaims: ['appid'] });
    expect((await none.verifyAccessToken(token)).clientId).toBe('');
  });

  it('validates both options', () => {
    const base = { issuer: issuer.issuer, resource: RESOURCE };
    expect(() => createJwtVerifier({ ...base, acceptedTypes: [''] })).toThrow(/"acceptedTypes"/);
    expect(() => createJwtVerifier({ ...base, clientIdClaims: 'cid' as never })).toThrow(
      /"clientIdClaims"/,
    );
    expect(() =>
      createJwtVerifier({ ...base, additionalIssuers: ['http://x.example.com'] }),
    ).toThrow(/"additionalIssuers\[0\]"/);
  });
});

describe('authorizationServersOf', () => {
  it('reads authorizationServers, else issuer, else nothing', () => {
    expect(
      authorizationServersOf({
        verifyAccessToken: async () => ({ token: '', clientId: '', scopes: [] }),
      }),
    ).toEqual([]);
    expect(authorizationServersOf(undefined)).toEqual([]);
    expect(
      authorizationServersOf(createJwtVerifier({ issuer: issuer.issuer, resource: RESOURCE })),
    ).toEqual([issuer.issuer]);
    const listed = { authorizationServers: ['https://a', 1, ''], issuer: 'https://b' };
    expect(authorizationServersOf(listed as never)).toEqual(['https://a']);
  });
});
