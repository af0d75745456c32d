import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  alterTokenPayload,
  createTestIssuer,
  generateTestKey,
  isTestKeyAlgorithm,
  publicKeyPem,
  startTestIssuer,
  type TestIssuer,
} from '../src/index.js';

async function verifyWithJwks(issuer: TestIssuer, token: string) {
  return jwtVerify(token, createLocalJWKSet(issuer.jwks()), { issuer: issuer.issuer });
}

describe('createTestIssuer', () => {
  it('generates RS256, ES256 and EdDSA keys and publishes only their public halves', async () => {
    const issuer = await createTestIssuer();
    expect(issuer.issuer).toBe('https://issuer.example');
    expect(issuer.keys.map((k) => k.alg)).toEqual(['RS256', 'ES256', 'EdDSA']);
    const { keys } = issuer.jwks();
    expect(keys.map((k) => [k.kty, k.alg, k.use])).toEqual([
      ['RSA', 'RS256', 'sig'],
      ['EC', 'ES256', 'sig'],
      ['OKP', 'EdDSA', 'sig'],
    ]);
    for (const jwk of keys) expect(jwk).not.toHaveProperty('d');
    expect(new Set(keys.map((k) => k.kid)).size).toBe(3);
  });

  it('describes itself in RFC 8414 and OpenID discovery documents', async () => {
    const issuer = await createTestIssuer({ issuer: 'https://auth.example.com/tenant/' });
    expect(issuer.jwksUri).toBe('https://auth.example.com/tenant/jwks');
    expect(issuer.metadataUrl).toBe(
      'https://auth.example.com/.well-known/oauth-authorization-server/tenant',
    );
    expect(issuer.openidConfigurationUrl).toBe(
      'https://auth.example.com/tenant/.well-known/openid-configuration',
    );
    const oauth = await (await issuer.fetch(issuer.metadataUrl)).json();
    expect(oauth).toMatchObject({
      issuer: 'https://auth.example.com/tenant/',
      jwks_uri: issuer.jwksUri,
      code_challenge_methods_supported: ['S256'],
    });
    const oidc = await (await issuer.fetch(issuer.openidConfigurationUrl)).json();
    expect(oidc).toMatchObject({ issuer: issuer.issuer, jwks_uri: issuer.jwksUri });
    expect(oidc.id_token_signing_alg_values_supported).toEqual(['RS256', 'ES256', 'EdDSA']);
  });

  it('can serve only one discovery document and override metadata fields', async () => {
    const issuer = await createTestIssuer({
      discovery: { oidc: false },
      metadata: { issuer: 'https://wrong.example' },
    });
    expect((await issuer.fetch(issuer.openidConfigurationUrl)).status).toBe(404);
    expect(await (await issuer.fetch(issuer.metadataUrl)).json()).toMatchObject({
      issuer: 'https://wrong.example',
    });
  });

  it('answers 404 for unknown paths and 405 for writes', async () => {
    const issuer = await createTestIssuer();
    expect((await issuer.fetch(`${issuer.issuer}/nope`)).status).toBe(404);
    const post = await issuer.fetch(issuer.jwksUri, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await issuer.handler(new Request(issuer.jwksUri, { method: 'HEAD' }));
    expect(head.status).toBe(200);
  });

  it('fails like an unreachable host for other origins', async () => {
    const issuer = await createTestIssuer();
    await expect(issuer.fetch('https://elsewhere.example/jwks')).rejects.toThrow(TypeError);
  });

  it('counts requests per endpoint, and resets the counts', async () => {
    const issuer = await createTestIssuer();
    await issuer.fetch(issuer.jwksUri);
    await issuer.fetch(issuer.jwksUri);
    await issuer.fetch(issuer.metadataUrl);
    await issuer.fetch(issuer.openidConfigurationUrl);
    expect([
      issuer.jwksFetchCount,
      issuer.metadataFetchCount,
      issuer.openidConfigurationFetchCount,
    ]).toEqual([2, 1, 1]);
    issuer.resetCounts();
    expect(issuer.jwksFetchCount + issuer.metadataFetchCount).toBe(0);
  });

  it('refuses bad options', async () => {
    await expect(createTestIssuer({ issuer: 'not a url' })).rejects.toThrow(/"issuer"/);
    await expect(createTestIssuer({ algorithms: [] })).rejects.toThrow(/"algorithms"/);
    await expect(createTestIssuer({ algorithms: ['HS256' as 'RS256'] })).rejects.toThrow(
      /"algorithms"/,
    );
  });
});

describe('mintAccessToken', () => {
  it('mints RFC 9068 shaped tokens that verify against the JWKS', async () => {
    const issuer = await createTestIssuer({ scope: 'todo:read', audience: 'https://mcp.test/mcp' });
    for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
      const token = await issuer.mintAccessToken({ key: alg });
      const { payload, protectedHeader } = await verifyWithJwks(issuer, token);
      expect(protectedHeader).toEqual({ alg, typ: 'at+jwt', kid: issuer.key(alg).kid });
      expect(payload).toMatchObject({
        iss: issuer.issuer,
        aud: 'https://mcp.test/mcp',
        sub: 'user-123',
        client_id: 'test-client',
        scope: 'todo:read',
      });
      expect(payload.exp! - payload.iat!).toBe(300);
      expect(payload.jti).toEqual(expect.any(String));
    }
  });

  it('overrides, adds and removes claims and header parameters', async () => {
    const issuer = await createTestIssuer();
    const token = await issuer.mintAccessToken({
      claims: { sub: 'alice', cnf: { jkt: 'x' }, client_id: undefined },
      omit: ['jti'],
      header: { typ: 'JWT', extra: 1 },
      omitHeader: ['kid'],
      issuedAt: 1_000,
      expiresIn: 60,
    });
    const payload = decodeJwt(token);
    expect(payload).toMatchObject({ sub: 'alice', cnf: { jkt: 'x' }, iat: 1_000, exp: 1_060 });
    expect(payload).not.toHaveProperty('client_id');
    expect(payload).not.toHaveProperty('jti');
    expect(payload).not.toHaveProperty('scope');
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT', extra: 1 });
    const noTyp = await issuer.mintAccessToken({ header: { typ: undefined } });
    expect(decodeProtectedHeader(noTyp)).not.toHaveProperty('typ');
  });

  it('signs with an unpublished key (same kid attacks)', async () => {
    const issuer = await createTestIssuer();
    const outsider = await generateTestKey('ES256', { kid: issuer.key('ES256').kid });
    const token = await issuer.mintAccessToken({ key: outsider });
    expect(decodeProtectedHeader(token).kid).toBe(issuer.key('ES256').kid);
    await expect(verifyWithJwks(issuer, token)).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
  });

  it('produces unsigned alg none tokens', async () => {
    const issuer = await createTestIssuer();
    const token = await issuer.mintAccessToken({ header: { alg: 'none' } });
    expect(token.split('.')).toHaveLength(3);
    expect(token.endsWith('.')).toBe(true);
    expect(decodeProtectedHeader(token).alg).toBe('none');
  });

  it('signs HS256 with a given secret, e.g. the public key PEM', async () => {
    const issuer = await createTestIssuer();
    const pem = await publicKeyPem(issuer.key('RS256'));
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----$/);
    const token = await issuer.mintAccessToken({ header: { alg: 'HS256' }, hmacSecret: pem });
    const { protectedHeader } = await jwtVerify(token, new TextEncoder().encode(pem));
    expect(protectedHeader.alg).toBe('HS256');
    await expect(issuer.mintAccessToken({ header: { alg: 'HS256' } })).rejects.toThrow(
      /hmacSecret/,
    );
  });

  it('writes a mismatching alg into the header after signing', async () => {
    const issuer = await createTestIssuer();
    const token = await issuer.mintAccessToken({ key: 'RS256', header: { alg: 'PS256' } });
    expect(decodeProtectedHeader(token).alg).toBe('PS256');
    await expect(verifyWithJwks(issuer, token)).rejects.toBeTruthy();
  });

  it('refuses an algorithm the issuer has no key for', async () => {
    const issuer = await createTestIssuer({ algorithms: ['ES256'] });
    await expect(issuer.mintAccessToken({ key: 'RS256' })).rejects.toThrow(/no key/);
  });
});

describe('key rotation', () => {
  it('rotates keys, keeping the old ones published by default', async () => {
    const issuer = await createTestIssuer({ algorithms: ['RS256'] });
    const old = issuer.key();
    const [fresh] = await issuer.rotateKeys();
    expect(fresh!.kid).not.toBe(old.kid);
    expect(issuer.key().kid).toBe(fresh!.kid);
    expect(issuer.jwks().keys.map((k) => k.kid)).toEqual([fresh!.kid, old.kid]);
  });

  it('drops the old keys with keepOld: false', async () => {
    const issuer = await createTestIssuer({ algorithms: ['ES256'] });
    const old = await issuer.mintAccessToken();
    await issuer.rotateKeys({ keepOld: false });
    expect(issuer.keys).toHaveLength(1);
    await expect(verifyWithJwks(issuer, old)).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    await expect(verifyWithJwks(issuer, await issuer.mintAccessToken())).resolves.toBeTruthy();
  });

  it('publishes and unpublishes arbitrary keys', async () => {
    const issuer = await createTestIssuer({ algorithms: ['ES256'] });
    const extra = await generateTestKey('PS256');
    issuer.publishKey(extra);
    expect(issuer.jwks().keys[0]!.kid).toBe(extra.kid);
    issuer.unpublishKey(extra.kid);
    expect(issuer.jwks().keys.map((k) => k.kid)).toEqual([issuer.key().kid]);
  });
});

describe('outages', () => {
  it('answers 503 in a status outage, and recovers', async () => {
    const issuer = await createTestIssuer();
    issuer.setOutage(true);
    const down = await issuer.fetch(issuer.jwksUri);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('30');
    expect((await issuer.fetch(issuer.metadataUrl)).status).toBe(503);
    issuer.setOutage(false);
    expect((await issuer.fetch(issuer.jwksUri)).status).toBe(200);
    expect(issuer.jwksFetchCount).toBe(2);
  });

  it('rejects like a refused connection in a network outage', async () => {
    const issuer = await createTestIssuer();
    issuer.setOutage('network');
    await expect(issuer.fetch(issuer.jwksUri)).rejects.toThrow(TypeError);
  });

  it('hangs until the request is aborted in a hang outage', async () => {
    const issuer = await createTestIssuer();
    issuer.setOutage('hang');
    const controller = new AbortController();
    const pending = issuer.fetch(issuer.jwksUri, { signal: controller.signal });
    controller.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
    await expect(issuer.fetch(issuer.jwksUri, { signal: AbortSignal.abort() })).rejects.toThrow();
  });
});

describe('HTTP listener', () => {
  it('serves the handler on 127.0.0.1 and closes', async () => {
    const issuer = await createTestIssuer();
    const server = await issuer.listen();
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await fetch(`${server.url}/jwks`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toEqual(issuer.jwks());
      const head = await fetch(`${server.url}/jwks`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
      issuer.setOutage('network');
      await expect(fetch(`${server.url}/jwks`)).rejects.toThrow(TypeError);
    } finally {
      await server.close();
    }
    await expect(fetch(`${server.url}/jwks`)).rejects.toThrow(TypeError);
  });

  it('startTestIssuer uses the listener URL (plus a path) as the issuer', async () => {
    const issuer = await startTestIssuer({ issuerPath: '/realms/dev', algorithms: ['ES256'] });
    try {
      expect(issuer.issuer).toBe(`${issuer.url}/realms/dev`);
      const metadata = await (
        await fetch(`${issuer.url}/.well-known/oauth-authorization-server/realms/dev`)
      ).json();
      expect(metadata).toMatchObject({ issuer: issuer.issuer, jwks_uri: issuer.jwksUri });
      const jwks = await (await fetch(metadata.jwks_uri)).json();
      expect(jwks.keys).toHaveLength(1);
      const token = await issuer.mintAccessToken();
      expect(decodeJwt(token).iss).toBe(issuer.issuer);
    } finally {
      await issuer.close();
    }
  });
});

describe('helpers', () => {
  it('alterTokenPayload changes claims and keeps the signature', async () => {
    const issuer = await createTestIssuer();
    const token = await issuer.mintAccessToken();
    const altered = alterTokenPayload(token, { sub: 'mallory', jti: undefined });
    expect(altered.split('.')[2]).toBe(token.split('.')[2]);
    expect(decodeJwt(altered)).toMatchObject({ sub: 'mallory' });
    expect(decodeJwt(altered)).not.toHaveProperty('jti');
    await expect(verifyWithJwks(issuer, altered)).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
    expect(() => alterTokenPayload('a.b', {})).toThrow(TypeError);
  });

  it('generateTestKey validates the algorithm', async () => {
    expect(isTestKeyAlgorithm('EdDSA')).toBe(true);
    expect(isTestKeyAlgorithm('HS256')).toBe(false);
    await expect(generateTestKey('HS256' as 'RS256')).rejects.toThrow(TypeError);
    const key = await generateTestKey('ES384', { kid: 'k1' });
    expect(key.publicJwk).toMatchObject({ kid: 'k1', alg: 'ES384', crv: 'P-384', use: 'sig' });
  });
});
