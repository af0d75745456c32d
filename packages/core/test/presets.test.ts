import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { vi } from 'vitest';
import { createJwtVerifier } from '../src/create-jwt-verifier.js';
import { createMcpAuth } from '../src/create-mcp-auth.js';
import { isMcpAuthError, McpAuthConfigError } from '../src/errors.js';
import { auth0 } from '../src/presets/auth0.js';
import { clerk } from '../src/presets/clerk.js';
import { entraId } from '../src/presets/entra-id.js';
import { keycloak } from '../src/presets/keycloak.js';
import { OKTA_ACCESS_TOKEN_TYPE, okta } from '../src/presets/okta.js';
import type { ProviderPreset } from '../src/presets/provider-preset.js';
import { scalekit } from '../src/presets/scalekit.js';
import { workos } from '../src/presets/workos.js';
import { type MockProvider, mockProvider } from './helpers/mock-provider.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A verifier for `preset` whose only network is the provider mock. */
function verifierFor(preset: ProviderPreset, provider: MockProvider) {
  return createJwtVerifier({
    ...preset.jwt,
    issuer: preset.issuer,
    resource: RESOURCE,
    fetch: provider.fetch,
  });
}

/** Mints a token in an exact shape: `typ` (null = no typ header) and the full claim set. */
function mint(
  provider: MockProvider,
  typ: string | null,
  claims: Record<string, unknown>,
): Promise<string> {
  return provider.issuer.mintAccessToken({
    ...(typ === null ? { omitHeader: ['typ'] as Array<'typ'> } : { header: { typ } }),
    claims: { client_id: undefined, jti: undefined, ...claims },
  });
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(isMcpAuthError(error)).toBe(true);
  expect((error as { code: string }).code).toBe('invalid_token');
  return (error as Error).message;
}

describe('scalekit()', () => {
  const env = 'https://acme.scalekit.com';
  const resourceIssuer = `${env}/resources/res_123`;
  const preset = scalekit({ environmentUrl: `${env}/`, resourceId: 'res_123' });

  it('builds both issuer forms, the /keys JWKS, resource id audience and scope claims', () => {
    expect(preset).toEqual({
      issuer: resourceIssuer,
      jwt: {
        additionalIssuers: [env],
        jwksUri: `${env}/keys`,
        additionalAudiences: ['res_123'],
        scopeClaims: ['scope', { claim: 'scopes', format: 'array' }],
        allowGenericJwtType: true,
      },
      authorizationServers: [resourceIssuer],
    });
    expect(scalekit({ environmentUrl: env })).toEqual({
      issuer: env,
      jwt: {
        jwksUri: `${env}/keys`,
        scopeClaims: ['scope', { claim: 'scopes', format: 'array' }],
        allowGenericJwtType: true,
      },
      authorizationServers: [env],
    });
  });

  it('accepts MCP tokens (resource issuer, aud = server URL) and M2M tokens (environment issuer, scopes array)', async () => {
    const provider = await mockProvider({ issuer: resourceIssuer, jwksUri: `${env}/keys` });
    const verifier = verifierFor(preset, provider);
    const mcpToken = await mint(provider, 'JWT', {
      iss: resourceIssuer,
      aud: [RESOURCE],
      sub: 'usr_987654321',
      client_id: 'skc_123',
      scope: 'todo:read todo:write',
      oid: 'org_1',
      sid: 'ses_1',
      jti: 'tkn_1',
      nbf: NOW / 1000,
    });
    const info = await verifier.verifyAccessToken(mcpToken);
    expect(info.scopes).toEqual(['todo:read', 'todo:write']);
    expect(info.clientId).toBe('skc_123');
    const m2mToken = await mint(provider, 'JWT', {
      iss: env,
      aud: ['res_123'],
      sub: 'skc_123',
      client_id: 'skc_123',
      scopes: ['calendar:read'],
    });
    expect((await verifier.verifyAccessToken(m2mToken)).scopes).toEqual(['calendar:read']);
    expect(provider.requests).toEqual([`${env}/keys`]);
  });

  it('rejects another environment, another resource, and ID-token-shaped JWTs', async () => {
    const provider = await mockProvider({ issuer: resourceIssuer, jwksUri: `${env}/keys` });
    const verifier = verifierFor(preset, provider);
    const other = await mint(provider, 'JWT', { iss: 'https://evil.scalekit.com', aud: RESOURCE });
    expect(await rejection(verifier.verifyAccessToken(other))).toBe('issuer mismatch');
    const otherResource = await mint(provider, 'JWT', { iss: env, aud: ['res_999'] });
    expect(await rejection(verifier.verifyAccessToken(otherResource))).toBe('audience mismatch');
    const idToken = await mint(provider, 'JWT', { iss: env, aud: RESOURCE, nonce: 'n' });
    expect(await rejection(verifier.verifyAccessToken(idToken))).toMatch(/ID tokens/);
    const strict = verifierFor(
      scalekit({ environmentUrl: env, resourceId: 'res_123', allowGenericJwtType: false }),
      provider,
    );
    const jwtTyped = await mint(provider, 'JWT', { iss: env, aud: RESOURCE });
    expect(await rejection(strict.verifyAccessToken(jwtTyped))).toMatch(/typ/);
  });

  it('spreads into createMcpAuth: PRM names the resource issuer, tokens are verified', async () => {
    const provider = await mockProvider({ issuer: resourceIssuer, jwksUri: `${env}/keys` });
    const auth = createMcpAuth({
      resource: RESOURCE,
      ...preset,
      jwt: { ...preset.jwt, fetch: provider.fetch },
      policy: { tools: { list_todos: 'todo:read' } },
    });
    expect(auth.metadata.document.authorization_servers).toEqual([resourceIssuer]);
    const token = await mint(provider, 'JWT', {
      iss: resourceIssuer,
      aud: RESOURCE,
      scope: 'todo:read',
    });
    const result = await auth.authorize({
      method: 'POST',
      url: '/mcp',
      headers: { authorization: `Bearer ${token}` },
      body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_todos' } },
    });
    expect(result.type).toBe('allow');
  });

  it('rejects bad options with a TypeError naming the option', () => {
    expect(() => scalekit({ environmentUrl: 'http://acme.scalekit.com' })).toThrow(
      /"environmentUrl"/,
    );
    expect(() => scalekit({ environmentUrl: env, resourceId: 'res 1' })).toThrow(/"resourceId"/);
    expect(() => scalekit({ environmentUrl: `${env}?x=1` })).toThrow(/query/);
    expect(() => scalekit({ environmentUrl: env, audience: [''] })).toThrow(/"audience"/);
    expect(() => scalekit(null as never)).toThrow(McpAuthConfigError);
  });
});

describe('auth0()', () => {
  const issuer = 'https://acme.us.auth0.com/';
  const jwksUri = 'https://acme.us.auth0.com/.well-known/jwks.json';

  it('uses https://<domain>/ as issuer, the well-known JWKS, strict typ by default', () => {
    expect(auth0({ domain: 'acme.us.auth0.com' })).toEqual({
      issuer,
      jwt: { jwksUri, scopeClaims: ['scope'], allowGenericJwtType: false },
      authorizationServers: [issuer],
    });
    expect(
      auth0({
        domain: 'https://acme.us.auth0.com/',
        audience: 'https://api.example.com',
        permissions: true,
        tokenProfile: 'auth0',
      }).jwt,
    ).toEqual({
      jwksUri,
      additionalAudiences: ['https://api.example.com'],
      scopeClaims: ['scope', { claim: 'permissions', format: 'array' }],
      allowGenericJwtType: true,
    });
  });

  it('accepts the RFC 9068 profile (at+jwt, client_id, aud array with userinfo, permissions)', async () => {
    const provider = await mockProvider({ issuer, jwksUri });
    const verifier = verifierFor(
      auth0({ domain: 'acme.us.auth0.com', permissions: true }),
      provider,
    );
    const token = await mint(provider, 'at+jwt', {
      iss: issuer,
      sub: 'auth0|123456',
      aud: [RESOURCE, `${issuer}userinfo`],
      client_id: 'my_client_id',
      scope: 'openid profile todo:read',
      permissions: ['todo:write'],
      jti: '73WakrfVbNJBaAmhQtEeDv',
    });
    const info = await verifier.verifyAccessToken(token);
    expect(info.scopes).toEqual(['openid', 'profile', 'todo:read', 'todo:write']);
    expect(info.clientId).toBe('my_client_id');
    expect(provider.requests).toEqual([jwksUri]);
  });

  it('accepts the Auth0 profile (typ JWT, azp) only with tokenProfile "auth0"', async () => {
    const provider = await mockProvider({ issuer, jwksUri });
    const token = await mint(provider, 'JWT', {
      iss: issuer,
      sub: 'auth0|123456',
      aud: ['https://api.example.com', `${issuer}userinfo`],
      azp: 'my_client_id',
      scope: 'todo:read',
    });
    const strict = verifierFor(
      auth0({ domain: 'acme.us.auth0.com', audience: 'https://api.example.com' }),
      provider,
    );
    expect(await rejection(strict.verifyAccessToken(token))).toMatch(/typ/);
    const relaxed = verifierFor(
      auth0({
        domain: 'acme.us.auth0.com',
        audience: 'https://api.example.com',
        tokenProfile: 'auth0',
      }),
      provider,
    );
    const info = await relaxed.verifyAccessToken(token);
    expect(info.clientId).toBe('my_client_id');
    const noSlash = await mint(provider, 'at+jwt', {
      iss: 'https://acme.us.auth0.com',
      aud: RESOURCE,
    });
    expect(await rejection(strict.verifyAccessToken(noSlash))).toBe('issuer mismatch');
  });

  it('rejects bad options', () => {
    expect(() => auth0({ domain: '' })).toThrow(/"domain"/);
    expect(() => auth0({ domain: 'acme.auth0.com/path' })).toThrow(/without a path/);
    expect(() => auth0({ domain: 'acme.auth0.com', tokenProfile: 'x' as never })).toThrow(
      /"tokenProfile"/,
    );
    expect(() => auth0({ domain: 'acme.auth0.com', permissions: 'yes' as never })).toThrow(
      /"permissions"/,
    );
  });
});

describe('okta()', () => {
  const issuer = 'https://acme.okta.com/oauth2/default';
  const jwksUri = `${issuer}/v1/keys`;
  const claims = {
    ver: 1,
    jti: 'AT.abc',
    iss: issuer,
    aud: 'api://default',
    cid: '0oa1client',
    uid: '00u1user',
    scp: ['todo:read', 'calendar:read'],
    sub: 'alice@example.com',
  };

  it('reads scp, fetches <issuer>/v1/keys, accepts Okta’s own typ and a missing typ', async () => {
    const provider = await mockProvider({ issuer, jwksUri });
    const verifier = verifierFor(okta({ issuer, audience: 'api://default' }), provider);
    for (const typ of [OKTA_ACCESS_TOKEN_TYPE, null]) {
      const info = await verifier.verifyAccessToken(await mint(provider, typ, claims));
      expect(info.scopes).toEqual(['todo:read', 'calendar:read']);
      expect(info.extra?.sub).toBe('alice@example.com');
      expect(info.clientId).toBe('0oa1client');
    }
    expect(provider.requests).toEqual([jwksUri]);
    const odd = await mint(provider, 'application/other+jwt', claims);
    expect(await rejection(verifier.verifyAccessToken(odd))).toMatch(/typ/);
    const noAudience = verifierFor(okta({ issuer }), provider);
    expect(await rejection(noAudience.verifyAccessToken(await mint(provider, null, claims)))).toBe(
      'audience mismatch',
    );
  });

  it('refuses the org authorization server', () => {
    expect(() => okta({ issuer: 'https://acme.okta.com' })).toThrow(/custom authorization server/);
    expect(okta({ issuer: `${issuer}/` }).issuer).toBe(issuer);
  });
});

describe('entraId()', () => {
  const tenantId = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const v2 = `https://login.microsoftonline.com/${tenantId}/v2.0`;
  const v1 = `https://sts.windows.net/${tenantId}/`;
  const jwksUri = `https://login.microsoftonline.com/${tenantId}/discovery/v2.0/keys`;
  const clientId = '6e74172b-be56-4843-9ff4-e66a39bb12e3';
  const v2Claims = {
    iss: v2,
    aud: clientId,
    azp: 'c0ffee00-0000-0000-0000-000000000001',
    scp: 'todo.read todo.write',
    roles: ['Calendar.Write'],
    sub: 'pairwise-subject',
    oid: 'object-id',
    tid: tenantId,
    ver: '2.0',
  };
  const v1Claims = {
    iss: v1,
    aud: 'api://mcp-todo',
    appid: 'c0ffee00-0000-0000-0000-000000000001',
    scp: 'todo.read',
    sub: 'pairwise-subject',
    tid: tenantId,
    ver: '1.0',
  };

  it('accepts v2 tokens (typ JWT, scp string and roles) by default and refuses v1', async () => {
    const provider = await mockProvider({ issuer: v2, jwksUri });
    const preset = entraId({ tenantId, audience: [clientId, 'api://mcp-todo'] });
    expect(preset.authorizationServers).toEqual([v2]);
    const verifier = verifierFor(preset, provider);
    const info = await verifier.verifyAccessToken(await mint(provider, 'JWT', v2Claims));
    expect(info.scopes).toEqual(['todo.read', 'todo.write', 'Calendar.Write']);
    expect(info.clientId).toBe(v2Claims.azp);
    expect(await rejection(verifier.verifyAccessToken(await mint(provider, 'JWT', v1Claims)))).toBe(
      'issuer mismatch',
    );
    expect(provider.requests).toEqual([jwksUri]);
  });

  it('version 1 and "both" pick the issuers', async () => {
    const provider = await mockProvider({ issuer: v2, jwksUri });
    const both = verifierFor(
      entraId({ tenantId, audience: [clientId, 'api://mcp-todo'], version: 'both' }),
      provider,
    );
    await expect(
      both.verifyAccessToken(await mint(provider, 'JWT', v1Claims)),
    ).resolves.toMatchObject({ scopes: ['todo.read'], clientId: v1Claims.appid });
    await expect(
      both.verifyAccessToken(await mint(provider, 'JWT', v2Claims)),
    ).resolves.toBeTruthy();
    const onlyV1 = entraId({
      tenantId: tenantId.toUpperCase(),
      audience: 'api://mcp-todo',
      version: 1,
    });
    expect(onlyV1.issuer).toBe(v1);
    expect(onlyV1.authorizationServers).toEqual([v2]);
  });

  it('rejects tenant aliases, a missing audience and unknown versions', () => {
    expect(() => entraId({ tenantId: 'common', audience: clientId })).toThrow(/"tenantId"/);
    expect(() => entraId({ tenantId, audience: [] })).toThrow(/"audience" is required/);
    expect(() => entraId({ tenantId, audience: clientId, version: 3 as never })).toThrow(
      /"version"/,
    );
  });
});

describe('keycloak()', () => {
  const issuer = 'https://sso.example.com/realms/mcp';
  const jwksUri = `${issuer}/protocol/openid-connect/certs`;

  it('accepts Keycloak access tokens (header typ JWT, payload typ Bearer) and refuses its ID tokens', async () => {
    const provider = await mockProvider({ issuer, jwksUri });
    const preset = keycloak({ baseUrl: 'https://sso.example.com/', realm: 'mcp' });
    expect(preset.issuer).toBe(issuer);
    const verifier = verifierFor(preset, provider);
    const token = await mint(provider, 'JWT', {
      iss: issuer,
      aud: [RESOURCE, 'account'],
      typ: 'Bearer',
      azp: 'mcp-inspector',
      sub: 'f:1234',
      scope: 'openid profile todo:read',
      sid: 's1',
    });
    const info = await verifier.verifyAccessToken(token);
    expect(info).toMatchObject({
      clientId: 'mcp-inspector',
      scopes: ['openid', 'profile', 'todo:read'],
    });
    const idToken = await mint(provider, 'JWT', {
      iss: issuer,
      aud: RESOURCE,
      typ: 'ID',
      azp: 'mcp-inspector',
      at_hash: 'x',
      nonce: 'n',
    });
    expect(await rejection(verifier.verifyAccessToken(idToken))).toMatch(/ID tokens/);
    const defaultAudience = await mint(provider, 'JWT', {
      iss: issuer,
      aud: 'account',
      typ: 'Bearer',
    });
    expect(await rejection(verifier.verifyAccessToken(defaultAudience))).toBe('audience mismatch');
    expect(provider.requests).toEqual([jwksUri]);
  });

  it('keeps a legacy /auth prefix and needs a realm', () => {
    expect(keycloak({ baseUrl: 'https://sso.example.com/auth', realm: 'r 1' }).issuer).toBe(
      'https://sso.example.com/auth/realms/r%201',
    );
    expect(() => keycloak({ baseUrl: 'https://sso.example.com', realm: ' ' })).toThrow(/"realm"/);
  });
});

describe('workos()', () => {
  const issuer = 'https://acme.authkit.app';
  const jwksUri = `${issuer}/oauth2/jwks`;

  it('accepts AuthKit tokens with the resource indicator as aud', async () => {
    const provider = await mockProvider({ issuer, jwksUri });
    const verifier = verifierFor(
      workos({ authkitDomain: 'acme.authkit.app', permissions: true }),
      provider,
    );
    const token = await mint(provider, 'JWT', {
      iss: issuer,
      aud: RESOURCE,
      sub: 'user_01H',
      client_id: 'client_01J',
      scope: 'openid todo:read',
      permissions: ['calendar:read'],
      org_id: 'org_01',
    });
    const info = await verifier.verifyAccessToken(token);
    expect(info.scopes).toEqual(['openid', 'todo:read', 'calendar:read']);
    const clientAudience = await mint(provider, 'JWT', { iss: issuer, aud: 'client_01J' });
    expect(await rejection(verifier.verifyAccessToken(clientAudience))).toBe('audience mismatch');
    expect(provider.requests).toEqual([jwksUri]);
  });
});

describe('clerk()', () => {
  const issuer = 'https://clerk.example.com';
  const jwksUri = `${issuer}/.well-known/jwks.json`;

  it('accepts at+jwt OAuth tokens and refuses session tokens from the same issuer', async () => {
    const provider = await mockProvider({ issuer, jwksUri });
    const verifier = verifierFor(clerk({ frontendApiUrl: issuer }), provider);
    const token = await mint(provider, 'at+jwt', {
      iss: issuer,
      aud: RESOURCE,
      sub: 'user_2x',
      client_id: 'client_2x',
      scope: 'todo:read',
    });
    expect((await verifier.verifyAccessToken(token)).scopes).toEqual(['todo:read']);
    const session = await mint(provider, 'JWT', {
      iss: issuer,
      sub: 'user_2x',
      azp: 'https://app.example.com',
      sid: 'sess_1',
      aud: undefined,
    });
    expect(await rejection(verifier.verifyAccessToken(session))).toMatch(/typ/);
    expect(() => clerk({ frontendApiUrl: 'clerk.example.com' })).toThrow(/"frontendApiUrl"/);
  });
});
