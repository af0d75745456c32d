import {
  alterTokenPayload,
  createTestIssuer,
  generateTestKey,
  publicKeyPem,
  type TestIssuer,
} from '@org/mcp-auth-testing';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo as SdkAuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { base64url } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { createJwtVerifier, type JwtVerifierOptions } from '../src/create-jwt-verifier.js';
import { isMcpAuthError, McpAuthError } from '../src/errors.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const nowSeconds = Math.floor(NOW / 1000);

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer({
    issuer: 'https://auth.example.com',
    audience: RESOURCE,
    scope: 'todo:read todo:write',
  });
});

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});

afterEach(() => {
  vi.useRealTimers();
});

function verifier(options: Partial<JwtVerifierOptions> = {}) {
  return createJwtVerifier({
    issuer: issuer.issuer,
    resource: RESOURCE,
    fetch: issuer.fetch,
    ...options,
  });
}

/** Asserts a rejection with `invalid_token`, status 401 and the exact description. */
async function expectInvalid(promise: Promise<unknown>, description: string | RegExp) {
  const error = await promise.then(
    () => {
      throw new Error('expected the token to be rejected');
    },
    (e: unknown) => e,
  );
  expect(isMcpAuthError(error)).toBe(true);
  const e = error as McpAuthError;
  expect(e).toBeInstanceOf(McpAuthError);
  expect(e.code).toBe('invalid_token');
  expect(e.status).toBe(401);
  if (typeof description === 'string') expect(e.message).toBe(description);
  else expect(e.message).toMatch(description);
  return e;
}

function segment(value: unknown): string {
  return base64url.encode(new TextEncoder().encode(JSON.stringify(value)));
}

describe('RFC 9068 access tokens that verify', () => {
  it.each(['RS256', 'ES256', 'EdDSA'] as const)('accepts a %s-signed token', async (alg) => {
    const token = await issuer.mintAccessToken({ key: alg });
    const info = await verifier().verifyAccessToken(token);
    expect(info.token).toBe(token);
    expect(info.extra?.sub).toBe('user-123');
  });

  it('returns SDK-shaped authInfo from the verified claims', async () => {
    const token = await issuer.mintAccessToken({ claims: { sub: 'alice', client_id: 'app-1' } });
    const info = await verifier().verifyAccessToken(token);
    expect(info.clientId).toBe('app-1');
    expect(info.scopes).toEqual(['todo:read', 'todo:write']);
    expect(info.expiresAt).toBe(nowSeconds + 300);
    expect(info.resource).toBeInstanceOf(URL);
    expect(info.resource?.href).toBe(RESOURCE);
    expect(info.extra).toMatchObject({ sub: 'alice', iss: issuer.issuer });
    expect((info.extra?.claims as Record<string, unknown> | undefined)?.jti).toEqual(
      expect.any(String),
    );
  });

  it("fits the MCP SDK's OAuthTokenVerifier and AuthInfo types", async () => {
    const v = verifier();
    expectTypeOf(v).toExtend<OAuthTokenVerifier>();
    const info = await v.verifyAccessToken(await issuer.mintAccessToken());
    expectTypeOf(info).toExtend<SdkAuthInfo>();
    const sdkVerifier: OAuthTokenVerifier = v;
    await expect(sdkVerifier.verifyAccessToken(info.token)).resolves.toEqual(info);
  });

  it('takes clientId from azp when client_id is absent, else the empty string', async () => {
    const v = verifier();
    const withAzp = await issuer.mintAccessToken({ omit: ['client_id'], claims: { azp: 'spa' } });
    expect((await v.verifyAccessToken(withAzp)).clientId).toBe('spa');
    const neither = await issuer.mintAccessToken({ omit: ['client_id'] });
    expect((await v.verifyAccessToken(neither)).clientId).toBe('');
  });

  it('reads scopes from the configured claims, each in its declared shape', async () => {
    const token = await issuer.mintAccessToken({
      omit: ['scope'],
      claims: { scp: ['calendar:read'], permissions: 'todo:read todo:read' },
    });
    const info = await verifier({
      scopeClaims: ['scp', { claim: 'permissions', format: 'string' }],
    }).verifyAccessToken(token);
    expect(info.scopes).toEqual(['calendar:read', 'todo:read']);
  });

  it('accepts typ application/at+jwt in any case', async () => {
    const v = verifier();
    for (const typ of ['application/at+jwt', 'AT+JWT', 'Application/At+Jwt']) {
      const token = await issuer.mintAccessToken({ header: { typ } });
      await expect(v.verifyAccessToken(token)).resolves.toMatchObject({ token });
    }
  });

  it('accepts a token whose aud array names the resource among others', async () => {
    const token = await issuer.mintAccessToken({
      claims: { aud: ['https://other.example.com', RESOURCE] },
    });
    await expect(verifier().verifyAccessToken(token)).resolves.toMatchObject({ token });
  });

  it('compares aud canonically: scheme/host case and a default port only, not a trailing slash', async () => {
    const v = verifier();
    for (const aud of ['HTTPS://MCP.Example.COM/mcp', 'https://mcp.example.com:443/mcp']) {
      const token = await issuer.mintAccessToken({ claims: { aud } });
      await expect(v.verifyAccessToken(token)).resolves.toMatchObject({ token });
    }
    for (const aud of ['https://mcp.example.com/MCP', 'https://mcp.example.com/mcp/']) {
      const token = await issuer.mintAccessToken({ claims: { aud } });
      await expectInvalid(v.verifyAccessToken(token), 'audience mismatch');
    }
  });

  it('accepts the explicit additionalAudiences, and only those', async () => {
    const v = verifier({ additionalAudiences: ['api://todo'] });
    const extra = await issuer.mintAccessToken({ claims: { aud: 'api://todo' } });
    await expect(v.verifyAccessToken(extra)).resolves.toMatchObject({ token: extra });
    const other = await issuer.mintAccessToken({ claims: { aud: 'api://calendar' } });
    await expectInvalid(v.verifyAccessToken(other), 'audience mismatch');
  });

  it('verifies a token without kid when a single key fits its alg', async () => {
    const token = await issuer.mintAccessToken({ key: 'ES256', omitHeader: ['kid'] });
    await expect(verifier().verifyAccessToken(token)).resolves.toMatchObject({ token });
  });

  it('verifies a token without kid when several keys share the alg (tries each)', async () => {
    const local = await createTestIssuer({ audience: RESOURCE, algorithms: ['RS256'] });
    await local.rotateKeys({ keepOld: true });
    const v = createJwtVerifier({ issuer: local.issuer, resource: RESOURCE, fetch: local.fetch });
    const newest = await local.mintAccessToken({ omitHeader: ['kid'] });
    await expect(v.verifyAccessToken(newest)).resolves.toMatchObject({ token: newest });
    const oldest = await local.mintAccessToken({ key: local.keys[1], omitHeader: ['kid'] });
    await expect(v.verifyAccessToken(oldest)).resolves.toMatchObject({ token: oldest });
    const outsider = await generateTestKey('RS256');
    const forged = await local.mintAccessToken({ key: outsider, omitHeader: ['kid'] });
    await expectInvalid(v.verifyAccessToken(forged), 'invalid signature');
    const expired = await local.mintAccessToken({
      key: local.keys[1],
      omitHeader: ['kid'],
      issuedAt: nowSeconds - 3600,
    });
    await expectInvalid(v.verifyAccessToken(expired), 'token expired');
  });

  it('does not require exp or sub when requiredClaims leaves them out', async () => {
    const token = await issuer.mintAccessToken({ omit: ['exp', 'sub'] });
    const info = await verifier({ requiredClaims: ['iss', 'aud'] }).verifyAccessToken(token);
    expect(info.expiresAt).toBeUndefined();
  });
});

describe('RFC 9068 §4 rejections', () => {
  it('rejects an expired token', async () => {
    const token = await issuer.mintAccessToken({ issuedAt: nowSeconds - 3600, expiresIn: 600 });
    await expectInvalid(verifier().verifyAccessToken(token), 'token expired');
  });

  it('rejects a token whose nbf is in the future', async () => {
    const token = await issuer.mintAccessToken({ claims: { nbf: nowSeconds + 600 } });
    await expectInvalid(verifier().verifyAccessToken(token), 'token not yet valid');
  });

  it('accepts a token expired within the clock tolerance (default 60 s)', async () => {
    const token = await issuer.mintAccessToken({ issuedAt: nowSeconds - 330, expiresIn: 300 });
    await expect(verifier().verifyAccessToken(token)).resolves.toMatchObject({ token });
    const nbf = await issuer.mintAccessToken({ claims: { nbf: nowSeconds + 50 } });
    await expect(verifier().verifyAccessToken(nbf)).resolves.toMatchObject({ token: nbf });
  });

  it('rejects a token expired beyond the clock tolerance', async () => {
    const token = await issuer.mintAccessToken({ issuedAt: nowSeconds - 370, expiresIn: 300 });
    await expectInvalid(verifier().verifyAccessToken(token), 'token expired');
    const nbf = await issuer.mintAccessToken({ claims: { nbf: nowSeconds + 70 } });
    await expectInvalid(verifier().verifyAccessToken(nbf), 'token not yet valid');
  });

  it('honours a configured clock tolerance', async () => {
    const token = await issuer.mintAccessToken({ issuedAt: nowSeconds - 310, expiresIn: 300 });
    await expectInvalid(
      verifier({ clockToleranceMs: 0 }).verifyAccessToken(token),
      'token expired',
    );
    await expect(
      verifier({ clockToleranceMs: 15_000 }).verifyAccessToken(token),
    ).resolves.toBeTruthy();
  });

  it('rejects a token issued in the future beyond the tolerance, accepts it within', async () => {
    const future = await issuer.mintAccessToken({ issuedAt: nowSeconds + 120 });
    await expectInvalid(verifier().verifyAccessToken(future), 'token issued in the future');
    const near = await issuer.mintAccessToken({ issuedAt: nowSeconds + 30 });
    await expect(verifier().verifyAccessToken(near)).resolves.toMatchObject({ token: near });
  });

  it('rejects non-numeric nbf and iat', async () => {
    const nbf = await issuer.mintAccessToken({ claims: { nbf: 'soon' } });
    await expectInvalid(verifier().verifyAccessToken(nbf), 'invalid "nbf" claim');
    const iat = await issuer.mintAccessToken({ claims: { iat: 'now' } });
    await expectInvalid(verifier().verifyAccessToken(iat), 'invalid "iat" claim');
  });

  it('rejects a token from another issuer', async () => {
    const token = await issuer.mintAccessToken({ claims: { iss: 'https://evil.example.com' } });
    await expectInvalid(verifier().verifyAccessToken(token), 'issuer mismatch');
  });

  it('compares iss exactly (a trailing slash is a different issuer)', async () => {
    const token = await issuer.mintAccessToken({ claims: { iss: `${issuer.issuer}/` } });
    await expectInvalid(verifier().verifyAccessToken(token), 'issuer mismatch');
  });

  it('rejects a token for another audience', async () => {
    const token = await issuer.mintAccessToken({
      claims: { aud: 'https://other.example.com/mcp' },
    });
    await expectInvalid(verifier().verifyAccessToken(token), 'audience mismatch');
  });

  it('rejects an aud array that does not name the resource', async () => {
    const token = await issuer.mintAccessToken({
      claims: { aud: ['https://a.example.com', 'https://mcp.example.com/other', 42] },
    });
    await expectInvalid(verifier().verifyAccessToken(token), 'audience mismatch');
  });

  it('rejects a token without aud even when aud is not a required claim', async () => {
    const token = await issuer.mintAccessToken({ omit: ['aud'] });
    await expectInvalid(
      verifier({ requiredClaims: ['iss'] }).verifyAccessToken(token),
      'missing audience (aud)',
    );
  });

  it('rejects alg none', async () => {
    const token = await issuer.mintAccessToken({ header: { alg: 'none' } });
    expect(token.endsWith('.')).toBe(true);
    await expectInvalid(verifier().verifyAccessToken(token), 'signing algorithm not allowed');
  });

  it.each([
    ['without', (pem: string) => pem],
    ['with', (pem: string) => `${pem}\n`],
  ])(
    'rejects HS256 signed with the RSA public key PEM (%s trailing newline) as secret',
    async (_, shape) => {
      const pem = shape(await publicKeyPem(issuer.key('RS256')));
      const token = await issuer.mintAccessToken({ header: { alg: 'HS256' }, hmacSecret: pem });
      await expectInvalid(verifier().verifyAccessToken(token), 'signing algorithm not allowed');
    },
  );

  it('rejects an allowed alg the issuer key does not match', async () => {
    const token = await issuer.mintAccessToken({ key: 'RS256', header: { alg: 'ES256' } });
    await expectInvalid(verifier().verifyAccessToken(token), /no signing key|invalid signature/);
  });

  it('rejects an alg outside a narrowed allow-list', async () => {
    const token = await issuer.mintAccessToken({ key: 'EdDSA' });
    await expectInvalid(
      verifier({ algorithms: ['RS256', 'ES256'] }).verifyAccessToken(token),
      'signing algorithm not allowed',
    );
  });

  it('rejects an unknown kid', async () => {
    const outsider = await generateTestKey('RS256', { kid: 'never-published' });
    const token = await issuer.mintAccessToken({ key: outsider });
    await expectInvalid(
      verifier().verifyAccessToken(token),
      'no signing key matches the token (unknown kid)',
    );
  });

  it('rejects a payload altered after signing', async () => {
    const token = await issuer.mintAccessToken();
    const altered = alterTokenPayload(token, { scope: 'admin' });
    expect(altered).not.toBe(token);
    await expectInvalid(verifier().verifyAccessToken(altered), 'invalid signature');
  });

  it('rejects a signature from a key outside the JWKS that reuses a known kid', async () => {
    const impostor = await generateTestKey('RS256', { kid: issuer.key('RS256').kid });
    const token = await issuer.mintAccessToken({ key: impostor });
    await expectInvalid(verifier().verifyAccessToken(token), 'invalid signature');
  });

  it('rejects a token with two segments', async () => {
    const [header, payload] = (await issuer.mintAccessToken()).split('.');
    await expectInvalid(verifier().verifyAccessToken(`${header}.${payload}`), 'malformed token');
  });

  it('rejects bad base64url', async () => {
    const [header, payload, signature] = (await issuer.mintAccessToken()).split('.');
    const v = verifier();
    await expectInvalid(
      v.verifyAccessToken(`${header}.${payload}+/=.${signature}`),
      'malformed token',
    );
    await expectInvalid(
      v.verifyAccessToken(`${header}.${payload}.${signature}$`),
      'malformed token',
    );
  });

  it('rejects segments that are base64url but not JSON', async () => {
    const [, payload, signature] = (await issuer.mintAccessToken()).split('.');
    await expectInvalid(
      verifier().verifyAccessToken(`${segment('x').slice(0, 3)}.${payload}.${signature}`),
      'malformed token',
    );
  });

  it('rejects a payload that is not a JSON object', async () => {
    const [header, , signature] = (await issuer.mintAccessToken()).split('.');
    await expectInvalid(
      verifier().verifyAccessToken(`${header}.${segment([1, 2])}.${signature}`),
      /malformed token|invalid signature/,
    );
  });

  it('rejects an oversized token before parsing it', async () => {
    const token = await issuer.mintAccessToken({ claims: { pad: 'x'.repeat(20_000) } });
    await expectInvalid(verifier().verifyAccessToken(token), 'token is too large');
    await expect(
      verifier({ maxTokenLength: 64_000 }).verifyAccessToken(token),
    ).resolves.toBeTruthy();
  });

  it('rejects an empty or non-string token', async () => {
    await expectInvalid(verifier().verifyAccessToken(''), 'token is empty');
    await expectInvalid(verifier().verifyAccessToken(42 as unknown as string), 'token is empty');
  });

  it('rejects typ JWT in strict mode (default)', async () => {
    const token = await issuer.mintAccessToken({ header: { typ: 'JWT' } });
    await expectInvalid(verifier().verifyAccessToken(token), 'token type (typ) is not at+jwt');
  });

  it('rejects a token without typ in strict mode', async () => {
    const token = await issuer.mintAccessToken({ omitHeader: ['typ'] });
    await expectInvalid(verifier().verifyAccessToken(token), 'missing token type (typ)');
  });

  it('accepts typ JWT (and no typ) in relaxed mode', async () => {
    const v = verifier({ allowGenericJwtType: true });
    for (const header of [{ typ: 'JWT' }, { typ: 'application/jwt' }, { typ: 'at+jwt' }]) {
      const token = await issuer.mintAccessToken({ header });
      await expect(v.verifyAccessToken(token)).resolves.toMatchObject({ token });
    }
    const none = await issuer.mintAccessToken({ omitHeader: ['typ'] });
    await expect(v.verifyAccessToken(none)).resolves.toMatchObject({ token: none });
    const other = await issuer.mintAccessToken({ header: { typ: 'dpop+jwt' } });
    await expectInvalid(v.verifyAccessToken(other), 'token type (typ) is not at+jwt');
  });

  it('rejects an ID token in relaxed mode', async () => {
    const v = verifier({ allowGenericJwtType: true });
    const idToken = await issuer.mintAccessToken({
      header: { typ: 'JWT' },
      claims: { nonce: 'n-0S6_WzA2Mj', aud: RESOURCE },
    });
    await expectInvalid(
      v.verifyAccessToken(idToken),
      'ID tokens are not accepted as access tokens',
    );
    const atHash = await issuer.mintAccessToken({
      omitHeader: ['typ'],
      claims: { at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' },
    });
    await expectInvalid(v.verifyAccessToken(atHash), 'ID tokens are not accepted as access tokens');
  });

  it('rejects a token without exp', async () => {
    const token = await issuer.mintAccessToken({ omit: ['exp'] });
    await expectInvalid(verifier().verifyAccessToken(token), 'missing required claim "exp"');
  });

  it('rejects a token without sub', async () => {
    const token = await issuer.mintAccessToken({ omit: ['sub'] });
    await expectInvalid(verifier().verifyAccessToken(token), 'missing required claim "sub"');
  });

  it('rejects a missing claim added to requiredClaims', async () => {
    const token = await issuer.mintAccessToken();
    await expectInvalid(
      verifier({ requiredClaims: ['iss', 'aud', 'exp', 'sub', 'tenant'] }).verifyAccessToken(token),
      'missing required claim "tenant"',
    );
  });

  it('rejects a non-string sub', async () => {
    const token = await issuer.mintAccessToken({ claims: { sub: 42 } });
    await expectInvalid(verifier().verifyAccessToken(token), 'invalid "sub" claim');
  });

  it('rejects a non-numeric exp', async () => {
    const token = await issuer.mintAccessToken({ claims: { exp: 'tomorrow' } });
    await expectInvalid(verifier().verifyAccessToken(token), 'invalid "exp" claim');
  });

  it('rejects a cnf-bound (sender-constrained) token presented as a bearer token', async () => {
    const token = await issuer.mintAccessToken({
      claims: { cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } },
    });
    await expectInvalid(
      verifier().verifyAccessToken(token),
      'sender-constrained token (cnf) cannot be used as a bearer token',
    );
  });

  it('never puts the token into the error', async () => {
    const token = await issuer.mintAccessToken({ claims: { aud: 'https://other.example.com' } });
    const error = await expectInvalid(verifier().verifyAccessToken(token), 'audience mismatch');
    expect(JSON.stringify({ m: error.message, s: error.stack })).not.toContain(token);
  });
});
