import {
  createDpopKey,
  createTestIssuer,
  type DpopKey,
  type TestIssuer,
} from '@org/mcp-auth-testing';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIntrospectionVerifier } from '../src/create-introspection-verifier.js';
import { createMcpAuth, type McpAuth, type McpAuthOptions } from '../src/create-mcp-auth.js';
import { createMemoryReplayCache, type ReplayCache } from '../src/dpop/replay-cache.js';
import { McpAuthConfigError } from '../src/errors.js';
import { createMemoryStore } from '../src/state-store.js';
import type { AuthorizeRequest, AuthorizeResult } from '../src/types.js';
import { parseChallenge } from '../src/www-authenticate.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';
const ALGS = 'ES256 ES384 RS256 PS256 EdDSA';
const BODY = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_todos' } };

let issuer: TestIssuer;
let key: DpopKey;
let otherKey: DpopKey;

beforeAll(async () => {
  issuer = await createTestIssuer({
    issuer: 'https://auth.example.com',
    audience: RESOURCE,
    scope: 'todo:read',
  });
  key = await createDpopKey('ES256');
  otherKey = await createDpopKey('ES256');
});

afterEach(() => {
  vi.useRealTimers();
});

function make(dpop: McpAuthOptions['dpop'], extra: Partial<McpAuthOptions> = {}): McpAuth {
  return createMcpAuth({
    resource: RESOURCE,
    issuer: issuer.issuer,
    jwt: { fetch: issuer.fetch },
    policy: { tools: { list_todos: 'todo:read' } },
    dpop,
    ...extra,
  });
}

const bound = (k: DpopKey = key, claims: Record<string, unknown> = {}) =>
  issuer.mintAccessToken({ claims: { cnf: { jkt: k.jkt }, ...claims } });

function dpopRequest(
  token: string,
  proof: string | string[] | undefined,
  overrides: Omit<Partial<AuthorizeRequest>, 'headers'> & {
    headers?: Record<string, string | string[]>;
  } = {},
): AuthorizeRequest {
  const headers: Record<string, string | string[]> = {
    authorization: `DPoP ${token}`,
    'content-type': 'application/json',
    ...(proof === undefined ? {} : { dpop: proof }),
    ...overrides.headers,
  };
  return { method: 'POST', url: '/mcp', body: BODY, ...overrides, headers };
}

function denied(result: AuthorizeResult) {
  if (result.type !== 'deny') throw new Error('expected a denial');
  return result;
}

/** The `DPoP` challenge of a `WWW-Authenticate` value (the second one when Bearer leads). */
function dpopChallenge(header: string | undefined) {
  const at = (header ?? '').indexOf('DPoP ');
  return at < 0 ? undefined : parseChallenge((header ?? '').slice(at));
}

async function expectProofRefused(auth: McpAuth, request: AuthorizeRequest, description: string) {
  const result = denied(await auth.authorize(request));
  expect(result.status).toBe(401);
  expect(result.body).toEqual({ error: 'invalid_dpop_proof', error_description: description });
  const header = result.headers['WWW-Authenticate'];
  // Bearer stays first; the error is on the DPoP challenge.
  expect(header?.startsWith(`Bearer resource_metadata="${PRM}"`)).toBe(true);
  expect(dpopChallenge(header)?.params).toMatchObject({
    error: 'invalid_dpop_proof',
    error_description: description,
    algs: ALGS,
  });
  return result;
}

describe('DPoP allowed: a valid proof', () => {
  it('accepts a bound token with a proof signed by the bound key, and says so in authInfo', async () => {
    const auth = make({ mode: 'allowed' });
    const token = await bound();
    const proof = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    const result = await auth.authorize(dpopRequest(token, proof));
    if (result.type !== 'allow') throw new Error(JSON.stringify(result.body));
    expect(result.authInfo?.token).toBe(token);
    expect((result.authInfo?.extra?.claims as { cnf?: unknown } | undefined)?.cnf).toEqual({
      jkt: key.jkt,
    });
  });

  it.each(['ES384', 'RS256', 'PS256', 'EdDSA'] as const)('accepts a %s proof', async (alg) => {
    const k = await createDpopKey(alg);
    const token = await bound(k);
    const proof = await k.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    expect((await make({ mode: 'allowed' }).authorize(dpopRequest(token, proof))).type).toBe(
      'allow',
    );
  });

  it('compares htu after RFC 3986 normalization only, and ignores the query', async () => {
    const auth = make({ mode: 'allowed' });
    const token = await bound();
    for (const url of [
      'HTTPS://MCP.Example.COM:443/./mcp',
      'https://mcp.example.com/a/../%6dcp',
      'https://mcp.example.com/mcp?ignored=1#frag',
    ]) {
      const proof = await key.proof({ method: 'POST', url, accessToken: token, keepQuery: true });
      const result = await auth.authorize(dpopRequest(token, proof, { url: '/mcp?session=abc' }));
      expect(result.type, url).toBe('allow');
    }
  });

  it('accepts a proof whose iat is within the window either way', async () => {
    const auth = make({ mode: 'allowed', iatWindowMs: 30_000 });
    const token = await bound();
    const now = Math.floor(Date.now() / 1000);
    for (const iat of [now - 25, now + 25]) {
      const proof = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token, iat });
      expect((await auth.authorize(dpopRequest(token, proof))).type).toBe('allow');
    }
  });

  it('still accepts unbound Bearer tokens, with Bearer first in every challenge', async () => {
    const auth = make({ mode: 'allowed' });
    const token = await issuer.mintAccessToken();
    const ok = await auth.authorize({
      method: 'POST',
      url: '/mcp',
      headers: { authorization: `Bearer ${token}` },
      body: BODY,
    });
    expect(ok.type).toBe('allow');
    const none = denied(
      await auth.authorize({ method: 'POST', url: '/mcp', headers: {}, body: BODY }),
    );
    expect(none.headers['WWW-Authenticate']).toBe(
      `Bearer resource_metadata="${PRM}", scope="todo:read", DPoP resource_metadata="${PRM}", scope="todo:read", algs="${ALGS}"`,
    );
  });
});

describe('DPoP allowed: each proof check refuses', () => {
  const auth = () => make({ mode: 'allowed' });

  it('a replayed proof (same jti)', async () => {
    const a = auth();
    const token = await bound();
    const proof = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    expect((await a.authorize(dpopRequest(token, proof))).type).toBe('allow');
    await expectProofRefused(a, dpopRequest(token, proof), 'DPoP proof has already been used');
  });

  it('a bound token with no proof', async () => {
    await expectProofRefused(auth(), dpopRequest(await bound(), undefined), 'DPoP proof missing');
  });

  it('two DPoP headers, separate or joined', async () => {
    const token = await bound();
    const p1 = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    const p2 = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    await expectProofRefused(auth(), dpopRequest(token, [p1, p2]), 'more than one DPoP header');
    await expectProofRefused(
      auth(),
      dpopRequest(token, `${p1}, ${p2}`),
      'more than one DPoP header',
    );
  });

  it('a wrong htm', async () => {
    const token = await bound();
    const proof = await key.proof({ method: 'GET', url: RESOURCE, accessToken: token });
    await expectProofRefused(
      auth(),
      dpopRequest(token, proof),
      'DPoP proof htm does not match the request',
    );
  });

  it('a wrong htu: another host, another path, another scheme, with X-Forwarded-* set to match', async () => {
    const token = await bound();
    for (const url of [
      'https://evil.example.com/mcp',
      'https://mcp.example.com/other',
      'http://mcp.example.com/mcp',
      'https://mcp.example.com:8443/mcp',
    ]) {
      const proof = await key.proof({ method: 'POST', url, accessToken: token });
      const target = new URL(url);
      await expectProofRefused(
        auth(),
        dpopRequest(token, proof, {
          headers: {
            host: target.host,
            'x-forwarded-host': target.host,
            'x-forwarded-proto': target.protocol.slice(0, -1),
          },
        }),
        'DPoP proof htu does not match the request',
      );
    }
  });

  it('an htu built from an absolute request URL uses only its path (never the Host it came from)', async () => {
    const token = await bound();
    const proof = await key.proof({
      method: 'POST',
      url: 'https://evil.example.com/mcp',
      accessToken: token,
    });
    await expectProofRefused(
      auth(),
      dpopRequest(token, proof, { url: 'https://evil.example.com/mcp' }),
      'DPoP proof htu does not match the request',
    );
    const good = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    const result = await auth().authorize(
      dpopRequest(token, good, { url: 'https://evil.example.com/mcp' }),
    );
    expect(result.type).toBe('allow');
  });

  it('a request path that starts with // is a path, not an authority', async () => {
    const token = await bound();
    const proof = await key.proof({
      method: 'POST',
      url: 'https://evil.example/mcp',
      accessToken: token,
    });
    await expectProofRefused(
      auth(),
      dpopRequest(token, proof, { url: '//evil.example/mcp' }),
      'DPoP proof htu does not match the request',
    );
  });

  it('a stale or future iat', async () => {
    const token = await bound();
    const now = Math.floor(Date.now() / 1000);
    for (const iat of [now - 61, now + 61]) {
      const proof = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token, iat });
      await expectProofRefused(
        auth(),
        dpopRequest(token, proof),
        'DPoP proof iat is outside the accepted window',
      );
    }
  });

  it('an ath of another token, or none', async () => {
    const token = await bound();
    const other = await bound();
    const proof = await key.proof({ method: 'POST', url: RESOURCE, accessToken: other });
    await expectProofRefused(
      auth(),
      dpopRequest(token, proof),
      'DPoP proof ath does not match the access token',
    );
    const noAth = await key.proof({ method: 'POST', url: RESOURCE });
    await expectProofRefused(
      auth(),
      dpopRequest(token, noAth),
      'DPoP proof ath does not match the access token',
    );
  });

  it('a missing jti', async () => {
    const token = await bound();
    const proof = await key.proof({
      method: 'POST',
      url: RESOURCE,
      accessToken: token,
      claims: { jti: undefined },
    });
    await expectProofRefused(
      auth(),
      dpopRequest(token, proof),
      'DPoP proof jti missing or too long',
    );
  });

  it('private key material in jwk', async () => {
    const token = await bound();
    const proof = await key.proof({
      method: 'POST',
      url: RESOURCE,
      accessToken: token,
      header: { jwk: key.privateJwk },
    });
    await expectProofRefused(
      auth(),
      dpopRequest(token, proof),
      'DPoP proof jwk must be a public key',
    );
    const symmetric = await key.proof({
      method: 'POST',
      url: RESOURCE,
      accessToken: token,
      header: { alg: 'ES256', jwk: { kty: 'oct', k: 'c2VjcmV0' } },
    });
    await expectProofRefused(
      auth(),
      dpopRequest(token, symmetric),
      'DPoP proof jwk must be a public key',
    );
  });

  it('alg none, HS256, and an asymmetric alg outside the allow-list', async () => {
    const token = await bound();
    for (const alg of ['none', 'HS256']) {
      const proof = await key.proof({
        method: 'POST',
        url: RESOURCE,
        accessToken: token,
        header: { alg },
      });
      await expectProofRefused(auth(), dpopRequest(token, proof), 'DPoP proof alg is not accepted');
    }
    const es512 = await createDpopKey('ES512');
    const token512 = await bound(es512);
    const proof = await es512.proof({ method: 'POST', url: RESOURCE, accessToken: token512 });
    await expectProofRefused(
      auth(),
      dpopRequest(token512, proof),
      'DPoP proof alg is not accepted',
    );
  });

  it('a typ other than dpop+jwt, and a bad signature', async () => {
    const token = await bound();
    const jwtTyp = await key.proof({
      method: 'POST',
      url: RESOURCE,
      accessToken: token,
      header: { typ: 'JWT' },
    });
    await expectProofRefused(auth(), dpopRequest(token, jwtTyp), 'DPoP proof typ is not dpop+jwt');
    // A proof whose embedded key is not the key that signed it.
    const forged = await otherKey.proof({
      method: 'POST',
      url: RESOURCE,
      accessToken: token,
      header: { jwk: key.publicJwk },
    });
    await expectProofRefused(auth(), dpopRequest(token, forged), 'DPoP proof signature is invalid');
    await expectProofRefused(
      auth(),
      dpopRequest(token, 'not-a-jwt'),
      'DPoP proof is not a signed JWT',
    );
  });
});

describe('DPoP key binding', () => {
  it('a proof signed by a key other than the bound one → 401 invalid_token on the DPoP challenge', async () => {
    const token = await bound(key);
    const proof = await otherKey.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    const result = denied(await make({ mode: 'allowed' }).authorize(dpopRequest(token, proof)));
    expect(result.status).toBe(401);
    expect(result.body).toEqual({
      error: 'invalid_token',
      error_description: 'The DPoP proof key does not match the access token binding',
    });
    expect(dpopChallenge(result.headers['WWW-Authenticate'])?.params.error).toBe('invalid_token');
    expect(parseChallenge(result.headers['WWW-Authenticate'] ?? '')?.params.error).toBeUndefined();
  });

  it('a bound token presented as Bearer → 401 invalid_token on the Bearer challenge', async () => {
    const token = await bound();
    const proof = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    const result = denied(
      await make({ mode: 'allowed' }).authorize(
        dpopRequest(token, proof, { headers: { authorization: `Bearer ${token}` } }),
      ),
    );
    expect(result.status).toBe(401);
    const bearer = parseChallenge(result.headers['WWW-Authenticate'] ?? '');
    expect(bearer?.scheme).toBe('Bearer');
    expect(bearer?.params.error).toBe('invalid_token');
    expect(result.body).toMatchObject({
      error_description:
        'A DPoP-bound access token must be sent with the DPoP scheme and a DPoP proof',
    });
  });

  it('an unbound token with the DPoP scheme → 401 invalid_token', async () => {
    const token = await issuer.mintAccessToken();
    const proof = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    const result = denied(await make({ mode: 'allowed' }).authorize(dpopRequest(token, proof)));
    expect(result.body).toEqual({
      error: 'invalid_token',
      error_description: 'The access token is not DPoP-bound',
    });
  });

  it('a cnf other than jkt is refused even with DPoP on', async () => {
    const token = await issuer.mintAccessToken({ claims: { cnf: { 'x5t#S256': 'abc' } } });
    const proof = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    const result = denied(await make({ mode: 'allowed' }).authorize(dpopRequest(token, proof)));
    expect(result.status).toBe(401);
    expect(result.body).toMatchObject({ error: 'invalid_token' });
  });

  it('a cached token verification never skips the proof: each request needs its own proof', async () => {
    const auth = make({ mode: 'allowed' });
    const token = await bound();
    const first = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    expect((await auth.authorize(dpopRequest(token, first))).type).toBe('allow');
    // The token is now in the verifier's cache; the proof is not.
    await expectProofRefused(auth, dpopRequest(token, undefined), 'DPoP proof missing');
    await expectProofRefused(auth, dpopRequest(token, first), 'DPoP proof has already been used');
    const wrongKey = await otherKey.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    expect(denied(await auth.authorize(dpopRequest(token, wrongKey))).status).toBe(401);
    const bearer = denied(
      await auth.authorize(
        dpopRequest(token, undefined, { headers: { authorization: `Bearer ${token}` } }),
      ),
    );
    expect(bearer.status).toBe(401);
    const second = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    expect((await auth.authorize(dpopRequest(token, second))).type).toBe('allow');
  });

  it('a kept proof key is never handed to a proof signed by another key with the same jwk', async () => {
    const auth = make({ mode: 'allowed' });
    const token = await bound(key);
    const good = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    expect((await auth.authorize(dpopRequest(token, good))).type).toBe('allow');
    // The bound key's jwk, now imported and kept, in a proof signed by another key.
    const forged = await otherKey.proof({
      method: 'POST',
      url: RESOURCE,
      accessToken: token,
      header: { jwk: key.publicJwk },
    });
    await expectProofRefused(auth, dpopRequest(token, forged), 'DPoP proof signature is invalid');
    const again = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    expect((await auth.authorize(dpopRequest(token, again))).type).toBe('allow');
  });

  it('a verifier that lets bound tokens through cannot make them bearer tokens, even with DPoP off', async () => {
    const auth = createMcpAuth({
      resource: RESOURCE,
      authorizationServers: [issuer.issuer],
      verifier: {
        async verifyAccessToken(token) {
          return { token, clientId: 'c', scopes: [], extra: { claims: { cnf: { jkt: key.jkt } } } };
        },
      },
    });
    const result = denied(
      await auth.authorize({
        method: 'POST',
        url: '/mcp',
        headers: { authorization: 'Bearer abc' },
        body: BODY,
      }),
    );
    expect(result.status).toBe(401);
    expect(result.headers['WWW-Authenticate']).toContain('error="invalid_token"');
  });

  it('introspection results with cnf.jkt are checked the same way', async () => {
    const token = 'opaque-token-1';
    const verifier = createIntrospectionVerifier({
      endpoint: 'https://auth.example.com/introspect',
      clientId: 'rs',
      clientSecret: 'secret',
      resource: RESOURCE,
      issuer: issuer.issuer,
      acceptBoundTokens: true,
      fetch: (async () =>
        new Response(
          JSON.stringify({
            active: true,
            sub: 'alice',
            aud: RESOURCE,
            scope: 'todo:read',
            exp: Math.floor(Date.now() / 1000) + 600,
            cnf: { jkt: key.jkt },
          }),
          { headers: { 'content-type': 'application/json' } },
        )) as typeof fetch,
    });
    const auth = createMcpAuth({ resource: RESOURCE, verifier, dpop: { mode: 'allowed' } });
    const proof = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    expect((await auth.authorize(dpopRequest(token, proof))).type).toBe('allow');
    const wrong = await otherKey.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    expect(denied(await auth.authorize(dpopRequest(token, wrong))).status).toBe(401);
    const asBearer = denied(
      await auth.authorize(
        dpopRequest(token, undefined, { headers: { authorization: `Bearer ${token}` } }),
      ),
    );
    expect(asBearer.status).toBe(401);
  });
});

describe('DPoP required and off', () => {
  it('required: Bearer refused with a DPoP-only challenge; the PRM says so', async () => {
    const auth = make({ mode: 'required' });
    const token = await issuer.mintAccessToken();
    const result = denied(
      await auth.authorize({
        method: 'POST',
        url: '/mcp',
        headers: { authorization: `Bearer ${token}` },
        body: BODY,
      }),
    );
    expect(result.status).toBe(401);
    expect(result.headers['WWW-Authenticate']).toBe(
      `DPoP error="invalid_token", error_description="This resource requires a DPoP-bound access token and a DPoP proof", resource_metadata="${PRM}", scope="todo:read", algs="${ALGS}"`,
    );
    const none = denied(
      await auth.authorize({ method: 'POST', url: '/mcp', headers: {}, body: BODY }),
    );
    expect(none.headers['WWW-Authenticate']).toBe(
      `DPoP resource_metadata="${PRM}", scope="todo:read", algs="${ALGS}"`,
    );
    expect(auth.metadata.document).toMatchObject({
      dpop_signing_alg_values_supported: ALGS.split(' '),
      dpop_bound_access_tokens_required: true,
    });
    const bt = await bound();
    const proof = await key.proof({ method: 'POST', url: RESOURCE, accessToken: bt });
    expect((await auth.authorize(dpopRequest(bt, proof))).type).toBe('allow');
  });

  it('allowed: the PRM lists the algorithms and does not require DPoP', () => {
    const doc = make({ mode: 'allowed', algorithms: ['ES256'] }).metadata.document;
    expect(doc.dpop_signing_alg_values_supported).toEqual(['ES256']);
    expect(doc.dpop_bound_access_tokens_required).toBeUndefined();
  });

  it('off (the default): bound tokens refused, the DPoP scheme is no credentials, no DPoP in PRM', async () => {
    for (const auth of [make(undefined), make({ mode: 'off' })]) {
      const token = await bound();
      const proof = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
      const asDpop = denied(await auth.authorize(dpopRequest(token, proof)));
      expect(asDpop.status).toBe(401);
      expect(asDpop.headers['WWW-Authenticate']).toBe(
        `Bearer resource_metadata="${PRM}", scope="todo:read"`,
      );
      const asBearer = denied(
        await auth.authorize(
          dpopRequest(token, proof, { headers: { authorization: `Bearer ${token}` } }),
        ),
      );
      expect(asBearer.body).toMatchObject({
        error: 'invalid_token',
        error_description: 'sender-constrained token (cnf) cannot be used as a bearer token',
      });
      expect(auth.metadata.document.dpop_signing_alg_values_supported).toBeUndefined();
    }
  });

  it('CORS: the preflight allows the DPoP header and responses expose DPoP-Nonce', async () => {
    const auth = make({ mode: 'allowed' }, { cors: { allowedOrigins: '*' } });
    const pre = auth.preflight({
      method: 'OPTIONS',
      url: '/mcp',
      headers: { origin: 'https://app.example' },
    });
    expect(pre.headers['Access-Control-Allow-Headers']).toContain('DPoP');
    const result = await auth.authorize({
      method: 'POST',
      url: '/mcp',
      headers: { origin: 'https://app.example' },
      body: BODY,
    });
    expect(result.headers['Access-Control-Expose-Headers']).toBe(
      'WWW-Authenticate, Mcp-Session-Id, DPoP-Nonce',
    );
    const off = make(undefined, { cors: { allowedOrigins: '*' } });
    expect(
      off.preflight({ method: 'OPTIONS', url: '/mcp', headers: { origin: 'https://app.example' } })
        .headers['Access-Control-Allow-Headers'],
    ).not.toContain('DPoP');
  });
});

describe('server nonces (RFC 9449 §8)', () => {
  it('a proof without a nonce → 401 use_dpop_nonce with a fresh DPoP-Nonce; with it, accepted and told the current one', async () => {
    const auth = make({ mode: 'allowed', nonce: true });
    const token = await bound();
    const first = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    const refused = denied(await auth.authorize(dpopRequest(token, first)));
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({
      error: 'use_dpop_nonce',
      error_description: 'DPoP proof nonce required',
    });
    expect(dpopChallenge(refused.headers['WWW-Authenticate'])?.params.error).toBe('use_dpop_nonce');
    const nonce = refused.headers['DPoP-Nonce'];
    expect(nonce).toMatch(/^[\w-]{43}$/);
    const second = await key.proof({
      method: 'POST',
      url: RESOURCE,
      accessToken: token,
      claims: { nonce },
    });
    const ok = await auth.authorize(dpopRequest(token, second));
    expect(ok.type).toBe('allow');
    expect(ok.headers['DPoP-Nonce']).toBe(nonce);
    // Bearer requests are not asked for a nonce.
    const plain = await issuer.mintAccessToken();
    const bearer = await auth.authorize(
      dpopRequest(plain, undefined, { headers: { authorization: `Bearer ${plain}` } }),
    );
    expect(bearer.type).toBe('allow');
    expect(bearer.headers['DPoP-Nonce']).toBeUndefined();
  });

  it('a nonce lasts one to two lifetimes, then is refused with a new one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-07T12:00:00Z'));
    const auth = make({ mode: 'allowed', nonce: { lifetimeMs: 60_000 } });
    const token = await bound();
    const ask = async () =>
      denied(
        await auth.authorize(
          dpopRequest(
            token,
            await key.proof({ method: 'POST', url: RESOURCE, accessToken: token }),
          ),
        ),
      ).headers['DPoP-Nonce'] as string;
    const nonce = await ask();
    const withNonce = async () =>
      auth.authorize(
        dpopRequest(
          token,
          await key.proof({ method: 'POST', url: RESOURCE, accessToken: token, claims: { nonce } }),
        ),
      );
    vi.setSystemTime(new Date('2026-12-07T12:01:30Z')); // the next slot: still accepted
    expect((await withNonce()).type).toBe('allow');
    vi.setSystemTime(new Date('2026-12-07T12:02:30Z')); // two slots later: stale
    const stale = denied(await withNonce());
    expect(stale.body).toEqual({
      error: 'use_dpop_nonce',
      error_description: 'DPoP proof nonce is not current',
    });
    expect(stale.headers['DPoP-Nonce']).not.toBe(nonce);
  });

  it('instances sharing a secret accept each other’s nonces; others do not', async () => {
    const secret = 'a-shared-secret-of-at-least-32-characters';
    const a = make({ mode: 'allowed', nonce: { secret } });
    const b = make({ mode: 'allowed', nonce: { secret } });
    const c = make({ mode: 'allowed', nonce: true });
    const token = await bound();
    const nonce = denied(
      await a.authorize(
        dpopRequest(token, await key.proof({ method: 'POST', url: RESOURCE, accessToken: token })),
      ),
    ).headers['DPoP-Nonce'];
    const proof = () =>
      key.proof({ method: 'POST', url: RESOURCE, accessToken: token, claims: { nonce } });
    expect((await b.authorize(dpopRequest(token, await proof()))).type).toBe('allow');
    expect(denied(await c.authorize(dpopRequest(token, await proof()))).body).toMatchObject({
      error: 'use_dpop_nonce',
    });
  });

  it.each([
    [{ secret: 'short' }, 'dpop.nonce.secret'],
    [{ lifetimeMs: 10 }, 'dpop.nonce.lifetimeMs'],
    [{ ttl: 5 }, 'dpop.nonce.ttl'],
    ['yes', 'dpop.nonce'],
  ])('nonce %j → McpAuthConfigError naming %s', (nonce, option) => {
    expect(() => make({ mode: 'allowed', nonce: nonce as never })).toThrow(
      expect.objectContaining({ option }),
    );
  });
});

describe('the replay cache', () => {
  it('a shared cache gets a key scoped to the proof key and a TTL covering the iat window and clock skew', async () => {
    const calls: Array<[string, number]> = [];
    const replayCache: ReplayCache = {
      async setIfAbsent(k, ttl) {
        calls.push([k, ttl]);
        return true;
      },
    };
    const auth = make({ mode: 'allowed', replayCache, iatWindowMs: 30_000 });
    const token = await bound();
    const proof = await key.proof({
      method: 'POST',
      url: RESOURCE,
      accessToken: token,
      jti: 'j-1',
    });
    expect((await auth.authorize(dpopRequest(token, proof))).type).toBe('allow');
    // Twice the 30 s window, plus the larger of the window and 30 s for other instances' clocks.
    expect(calls).toEqual([[`dpop-jti:${key.jkt}:j-1`, 90_000]]);
  });

  it('refuses an RSA proof key with another exponent or over 4096 bits, before any signature work', async () => {
    const auth = make({ mode: 'allowed' });
    const token = await bound();
    const rsa = await createDpopKey('RS256');
    const base = await rsa.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    const jwk = JSON.parse(Buffer.from(base.split('.')[0] as string, 'base64url').toString()).jwk;
    for (const bad of [
      { ...jwk, e: 'AQAAAQ' },
      { ...jwk, n: 'A'.repeat(684) },
    ]) {
      const proof = await rsa.proof({
        method: 'POST',
        url: RESOURCE,
        accessToken: token,
        header: { jwk: bad },
      });
      const result = denied(await auth.authorize(dpopRequest(token, proof)));
      expect(result.status).toBe(401);
      expect(result.body).toMatchObject({
        error: 'invalid_dpop_proof',
        error_description: 'DPoP proof RSA key must have e = 65537 and at most 4096 bits',
      });
    }
  });

  it('is written only for a valid token bound to the proof key (no filling it without one)', async () => {
    const calls: string[] = [];
    const replayCache: ReplayCache = {
      async setIfAbsent(k) {
        calls.push(k);
        return true;
      },
    };
    const auth = make({ mode: 'allowed', replayCache });
    // Self-signed proofs with a garbage token, a token bound to another key, an unbound token.
    const unbound = await issuer.mintAccessToken();
    for (const token of ['garbage-token', await bound(otherKey), unbound]) {
      const proof = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
      const result = denied(await auth.authorize(dpopRequest(token, proof)));
      expect(result.status).toBe(401);
    }
    expect(calls).toEqual([]);
    const token = await bound();
    const proof = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    expect((await auth.authorize(dpopRequest(token, proof))).type).toBe('allow');
    expect(calls).toHaveLength(1);
  });

  it('a replay cache that fails → 503 with Retry-After (fail closed)', async () => {
    const auth = make({
      mode: 'allowed',
      replayCache: {
        setIfAbsent() {
          throw new Error('connection refused');
        },
      },
    });
    const token = await bound();
    const proof = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
    const result = denied(await auth.authorize(dpopRequest(token, proof)));
    expect(result.status).toBe(503);
    expect(result.headers['Retry-After']).toBe('5');
    expect(result.body).toEqual({
      error: 'dpop_replay_unavailable',
      error_description: 'DPoP replay check unavailable',
    });
  });

  it('the createMcpAuth store is the replay cache: a proof used on one instance is refused on another', async () => {
    const store = createMemoryStore();
    const a = make({ mode: 'allowed' }, { store, sessionBinding: false });
    const b = make({ mode: 'allowed' }, { store, sessionBinding: false });
    const token = await bound();
    const proof = await key.proof({
      method: 'POST',
      url: RESOURCE,
      accessToken: token,
      jti: 'j-2',
    });
    expect((await a.authorize(dpopRequest(token, proof))).type).toBe('allow');
    expect(store.get(`dpop-jti:${key.jkt}:j-2`)).toBe('1');
    await expectProofRefused(b, dpopRequest(token, proof), 'DPoP proof has already been used');
    // An explicit replayCache still wins over the store.
    const own = createMemoryReplayCache();
    const c = make({ mode: 'allowed', replayCache: own }, { store, sessionBinding: false });
    const fresh = await key.proof({
      method: 'POST',
      url: RESOURCE,
      accessToken: token,
      jti: 'j-3',
    });
    expect((await c.authorize(dpopRequest(token, fresh))).type).toBe('allow');
    expect(store.get(`dpop-jti:${key.jkt}:j-3`)).toBeUndefined();
  });

  it('the memory cache forgets an identifier after its TTL, and refuses rather than evicts when full', () => {
    vi.useFakeTimers();
    const cache = createMemoryReplayCache({ maxEntries: 2 });
    expect(cache.setIfAbsent('a', 1000)).toBe(true);
    expect(cache.setIfAbsent('a', 1000)).toBe(false);
    expect(cache.setIfAbsent('b', 1000)).toBe(true);
    expect(() => cache.setIfAbsent('c', 1000)).toThrow('full');
    vi.advanceTimersByTime(1001);
    expect(cache.setIfAbsent('c', 1000)).toBe(true);
    expect(cache.setIfAbsent('a', 1000)).toBe(true);
  });
});

describe('dpop options', () => {
  it.each([
    [{ mode: 'sometimes' }, 'dpop.mode'],
    [{ mode: 'allowed', algorithms: ['HS256'] }, 'dpop.algorithms[0]'],
    [{ mode: 'allowed', algorithms: ['none'] }, 'dpop.algorithms[0]'],
    [{ mode: 'allowed', algorithms: [] }, 'dpop.algorithms'],
    [{ mode: 'allowed', iatWindowMs: 10 }, 'dpop.iatWindowMs'],
    [{ mode: 'allowed', replayCache: {} }, 'dpop.replayCache'],
    [{ mode: 'allowed', iatWindow: 5 }, 'dpop.iatWindow'],
    ['yes', 'dpop'],
  ])('%j → McpAuthConfigError naming %s', (dpop, option) => {
    let error: unknown;
    try {
      make(dpop as McpAuthOptions['dpop']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(McpAuthConfigError);
    expect((error as McpAuthConfigError).option).toBe(option);
  });
});
