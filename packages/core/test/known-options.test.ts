import { describe, expect, it } from 'vitest';
import { createCompositeVerifier } from '../src/create-composite-verifier.js';
import { createIntrospectionVerifier } from '../src/create-introspection-verifier.js';
import { createJwtVerifier, JWT_VERIFIER_OPTION_NAMES } from '../src/create-jwt-verifier.js';
import { createMultiIssuerVerifier } from '../src/create-multi-issuer-verifier.js';
import { McpAuthConfigError } from '../src/errors.js';
import { closestOptionName } from '../src/known-options.js';
import { auth0 } from '../src/presets/auth0.js';
import { clerk } from '../src/presets/clerk.js';
import { entraId } from '../src/presets/entra-id.js';
import { keycloak } from '../src/presets/keycloak.js';
import { okta } from '../src/presets/okta.js';
import { scalekit } from '../src/presets/scalekit.js';
import { workos } from '../src/presets/workos.js';
import { createTokenCache } from '../src/token-cache.js';

const ISSUER = 'https://auth.example.com';
const RESOURCE = 'https://mcp.example.com/mcp';
const TENANT = '00000000-0000-0000-0000-000000000000';

/** Asserts `build` throws McpAuthConfigError naming `option`, and the suggestion (or none). */
function expectUnknown(build: () => unknown, option: string, suggestion?: string) {
  let caught: unknown;
  try {
    build();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(McpAuthConfigError);
  expect(caught).toBeInstanceOf(TypeError);
  const error = caught as McpAuthConfigError;
  expect(error.option).toBe(option);
  expect(error.message).toBe(
    `mcp-auth: option "${option}" is not a known option${
      suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`
    }`,
  );
}

const jwtVerifier = () => createJwtVerifier({ issuer: ISSUER, resource: RESOURCE });
const introspectionOptions = {
  endpoint: `${ISSUER}/introspect`,
  clientId: 'mcp',
  clientSecret: 'secret',
  resource: RESOURCE,
};

describe('closestOptionName', () => {
  it.each([
    ['clockToleranceMS', 'clockToleranceMs'],
    ['clockTolerenceMs', 'clockToleranceMs'],
    ['jwksURI', 'jwksUri'],
    ['JWKSURI', 'jwksUri'],
    ['timoutMs', 'timeoutMs'],
    ['fetc', 'fetch'],
    ['scopeClaim', 'scopeClaims'],
    ['additonalAudience', 'additionalAudiences'],
  ])('%s → %s', (name, expected) => {
    expect(closestOptionName(name, JWT_VERIFIER_OPTION_NAMES)).toBe(expected);
  });

  it.each(['x', 'audience', 'verbose', 'tls'])('no suggestion for %s', (name) => {
    expect(closestOptionName(name, JWT_VERIFIER_OPTION_NAMES)).toBeUndefined();
  });
});

describe('createJwtVerifier refuses unknown options', () => {
  it.each([
    ['clockTolerenceMs', 'clockToleranceMs'],
    ['jwksURI', 'jwksUri'],
    ['additionalAudience', 'additionalAudiences'],
    ['audience', undefined],
  ])('%s', (key, suggestion) => {
    expectUnknown(
      () => createJwtVerifier({ issuer: ISSUER, resource: RESOURCE, [key]: 30 } as never),
      key,
      suggestion,
    );
  });

  it('refuses a misspelt key even when its value is undefined', () => {
    expectUnknown(
      () => createJwtVerifier({ issuer: ISSUER, resource: RESOURCE, jwksURI: undefined } as never),
      'jwksURI',
      'jwksUri',
    );
  });

  it('knows every option of JwtVerifierOptions (JWT_VERIFIER_OPTION_NAMES)', () => {
    const all = Object.fromEntries([...JWT_VERIFIER_OPTION_NAMES].map((k) => [k, undefined]));
    expect(() => createJwtVerifier({ ...all, issuer: ISSUER, resource: RESOURCE })).not.toThrow();
    expect([...JWT_VERIFIER_OPTION_NAMES].sort()).toEqual(
      [
        'acceptBoundTokens',
        'acceptedTypes',
        'additionalAudiences',
        'additionalIssuers',
        'algorithms',
        'allowGenericJwtType',
        'cache',
        'clientIdClaims',
        'clockToleranceMs',
        'fetch',
        'issuer',
        'jwksCooldownMs',
        'jwksUri',
        'maxResponseBytes',
        'maxTokenLength',
        'requiredClaims',
        'resource',
        'scopeClaims',
        'timeoutMs',
      ].sort(),
    );
  });

  it('refuses unknown keys of the cache options, as cache.<name>', () => {
    expectUnknown(
      () =>
        createJwtVerifier({ issuer: ISSUER, resource: RESOURCE, cache: { maxEntrys: 5 } as never }),
      'cache.maxEntrys',
      'maxEntries',
    );
    expectUnknown(() => createTokenCache({ ttl: 1 } as never), 'cache.ttl');
  });
});

describe('the other verifiers refuse unknown options', () => {
  it('createIntrospectionVerifier', () => {
    expectUnknown(
      () => createIntrospectionVerifier({ ...introspectionOptions, clientSecrets: 'x' } as never),
      'clientSecrets',
      'clientSecret',
    );
    expect(() =>
      createIntrospectionVerifier({ ...introspectionOptions, clockToleranceMs: 5_000 }),
    ).not.toThrow();
  });

  it('createMultiIssuerVerifier: top level, each issuer, and each preset', () => {
    expectUnknown(
      () => createMultiIssuerVerifier({ resource: RESOURCE, issuer: ISSUER } as never),
      'issuer',
      'issuers',
    );
    expectUnknown(
      () =>
        createMultiIssuerVerifier({
          resource: RESOURCE,
          issuers: [{ issuer: ISSUER }, { issuer: 'https://b.example.com', clockTolerenceMs: 5 }],
        } as never),
      'issuers[1].clockTolerenceMs',
      'clockToleranceMs',
    );
    const preset = okta({ issuer: 'https://acme.okta.com/oauth2/default' });
    expectUnknown(
      () =>
        createMultiIssuerVerifier({
          resource: RESOURCE,
          issuers: [{ ...preset, authorizationServer: [] }],
        } as never),
      'issuers[0].authorizationServer',
      'authorizationServers',
    );
    expectUnknown(
      () =>
        createMultiIssuerVerifier({
          resource: RESOURCE,
          issuers: [{ ...preset, jwt: { ...preset.jwt, jwksURI: 'https://x.example.com' } }],
        } as never),
      'issuers[0].jwt.jwksURI',
      'jwksUri',
    );
  });

  it('createCompositeVerifier', () => {
    const jwt = jwtVerifier();
    const introspection = createIntrospectionVerifier(introspectionOptions);
    expectUnknown(
      () => createCompositeVerifier({ jwt, introspection, introspecton: introspection } as never),
      'introspecton',
      'introspection',
    );
  });
});

describe('presets refuse unknown options', () => {
  it.each<[string, () => unknown, string, string | undefined]>([
    [
      'scalekit',
      () => scalekit({ environmentUrl: 'https://acme.scalekit.com', resourceID: 'res_1' } as never),
      'resourceID',
      'resourceId',
    ],
    ['auth0', () => auth0({ domian: 'acme.auth0.com' } as never), 'domian', 'domain'],
    [
      'auth0 (permission)',
      () => auth0({ domain: 'acme.auth0.com', permission: true } as never),
      'permission',
      'permissions',
    ],
    [
      'okta',
      () => okta({ issuer: 'https://acme.okta.com/oauth2/default', audiences: ['x'] } as never),
      'audiences',
      'audience',
    ],
    [
      'entraId',
      () => entraId({ tenantID: TENANT, audience: 'api://x' } as never),
      'tenantID',
      'tenantId',
    ],
    [
      'keycloak',
      () => keycloak({ baseUrl: 'https://sso.example.com', realm: 'mcp', realms: 'x' } as never),
      'realms',
      'realm',
    ],
    [
      'workos',
      () => workos({ authkitDomain: 'acme.authkit.app', allowGenericJWTType: false } as never),
      'allowGenericJWTType',
      'allowGenericJwtType',
    ],
    [
      'clerk',
      () => clerk({ frontendApiUrl: 'https://clerk.example.com', scopeClaims: ['x'] } as never),
      'scopeClaims',
      undefined,
    ],
  ])('%s', (_name, build, option, suggestion) => {
    expectUnknown(build, option, suggestion);
  });
});
