import { describe, expect, it } from 'vitest';
import { createMcpAuth } from '../src/create-mcp-auth.js';
import { McpAuthConfigError } from '../src/errors.js';
import { auth0 } from '../src/presets/auth0.js';
import { clerk } from '../src/presets/clerk.js';
import { entraId } from '../src/presets/entra-id.js';
import { keycloak } from '../src/presets/keycloak.js';
import { okta } from '../src/presets/okta.js';
import { PROVIDERS, presetFromEnv } from '../src/presets/preset-from-env.js';
import { scalekit } from '../src/presets/scalekit.js';
import { workos } from '../src/presets/workos.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

describe('presetFromEnv', () => {
  it('returns undefined without MCP_AUTH_PROVIDER (or generic)', () => {
    expect(presetFromEnv({})).toBeUndefined();
    expect(presetFromEnv({ MCP_AUTH_PROVIDER: ' ' })).toBeUndefined();
    expect(
      presetFromEnv({ MCP_AUTH_PROVIDER: 'generic', MCP_AUTH_ISSUER: 'https://x' }),
    ).toBeUndefined();
  });

  it.each<[string, Record<string, string>, unknown]>([
    [
      'scalekit',
      { SCALEKIT_ENVIRONMENT_URL: 'https://acme.scalekit.com', SCALEKIT_RESOURCE_ID: 'res_1' },
      scalekit({ environmentUrl: 'https://acme.scalekit.com', resourceId: 'res_1' }),
    ],
    [
      'auth0',
      {
        AUTH0_DOMAIN: 'acme.us.auth0.com',
        AUTH0_AUDIENCE: 'https://api.example.com, api://two',
        AUTH0_TOKEN_PROFILE: 'auth0',
        AUTH0_PERMISSIONS: 'true',
      },
      auth0({
        domain: 'acme.us.auth0.com',
        audience: ['https://api.example.com', 'api://two'],
        tokenProfile: 'auth0',
        permissions: true,
      }),
    ],
    [
      'okta',
      { OKTA_ISSUER: 'https://acme.okta.com/oauth2/default', OKTA_AUDIENCE: 'api://default' },
      okta({ issuer: 'https://acme.okta.com/oauth2/default', audience: 'api://default' }),
    ],
    [
      'entra-id',
      { ENTRA_TENANT_ID: TENANT, ENTRA_AUDIENCE: 'api://mcp', ENTRA_TOKEN_VERSION: 'both' },
      entraId({ tenantId: TENANT, audience: 'api://mcp', version: 'both' }),
    ],
    [
      'keycloak',
      {
        KEYCLOAK_BASE_URL: 'https://sso.example.com',
        KEYCLOAK_REALM: 'mcp',
        KEYCLOAK_ALLOW_GENERIC_JWT_TYPE: 'false',
      },
      keycloak({ baseUrl: 'https://sso.example.com', realm: 'mcp', allowGenericJwtType: false }),
    ],
    [
      'workos',
      { WORKOS_AUTHKIT_DOMAIN: 'acme.authkit.app', WORKOS_PERMISSIONS: 'no' },
      workos({ authkitDomain: 'acme.authkit.app', permissions: false }),
    ],
    [
      'clerk',
      {
        CLERK_FRONTEND_API_URL: 'https://clerk.example.com',
        CLERK_AUDIENCE: 'https://mcp.example.com',
      },
      clerk({ frontendApiUrl: 'https://clerk.example.com', audience: 'https://mcp.example.com' }),
    ],
  ])('%s maps its variables to the preset', (provider, env, expected) => {
    expect(PROVIDERS).toContain(provider);
    expect(presetFromEnv({ MCP_AUTH_PROVIDER: provider.toUpperCase(), ...env })).toEqual(expected);
  });

  it('entra-id version 1 and 2', () => {
    const base = { MCP_AUTH_PROVIDER: 'entra-id', ENTRA_TENANT_ID: TENANT, ENTRA_AUDIENCE: 'x' };
    expect(presetFromEnv({ ...base, ENTRA_TOKEN_VERSION: '1' })?.issuer).toBe(
      `https://sts.windows.net/${TENANT}/`,
    );
    expect(presetFromEnv({ ...base, ENTRA_TOKEN_VERSION: '2' })?.issuer).toMatch(/v2\.0$/);
  });

  it.each<[Record<string, string | undefined>, string]>([
    [{ MCP_AUTH_PROVIDER: 'scalekit' }, 'SCALEKIT_ENVIRONMENT_URL'],
    [{ MCP_AUTH_PROVIDER: 'auth0' }, 'AUTH0_DOMAIN'],
    [
      { MCP_AUTH_PROVIDER: 'auth0', AUTH0_DOMAIN: 'a.auth0.com', AUTH0_TOKEN_PROFILE: 'x' },
      'AUTH0_TOKEN_PROFILE',
    ],
    [
      { MCP_AUTH_PROVIDER: 'auth0', AUTH0_DOMAIN: 'a.auth0.com', AUTH0_PERMISSIONS: 'maybe' },
      'AUTH0_PERMISSIONS',
    ],
    [{ MCP_AUTH_PROVIDER: 'okta' }, 'OKTA_ISSUER'],
    [{ MCP_AUTH_PROVIDER: 'entra-id', ENTRA_TENANT_ID: TENANT }, 'ENTRA_AUDIENCE'],
    [{ MCP_AUTH_PROVIDER: 'entra-id', ENTRA_AUDIENCE: 'x' }, 'ENTRA_TENANT_ID'],
    [
      {
        MCP_AUTH_PROVIDER: 'entra-id',
        ENTRA_TENANT_ID: TENANT,
        ENTRA_AUDIENCE: 'x',
        ENTRA_TOKEN_VERSION: '3',
      },
      'ENTRA_TOKEN_VERSION',
    ],
    [
      { MCP_AUTH_PROVIDER: 'keycloak', KEYCLOAK_BASE_URL: 'https://sso.example.com' },
      'KEYCLOAK_REALM',
    ],
    [{ MCP_AUTH_PROVIDER: 'workos' }, 'WORKOS_AUTHKIT_DOMAIN'],
    [{ MCP_AUTH_PROVIDER: 'clerk', CLERK_AUDIENCE: ' , ' }, 'CLERK_FRONTEND_API_URL'],
    [{ MCP_AUTH_PROVIDER: 'cognito' }, 'MCP_AUTH_PROVIDER'],
    // Malformed values the presets refuse are reported under the variable they came from.
    [
      { MCP_AUTH_PROVIDER: 'scalekit', SCALEKIT_ENVIRONMENT_URL: 'http://acme.example' },
      'SCALEKIT_ENVIRONMENT_URL',
    ],
    [
      {
        MCP_AUTH_PROVIDER: 'scalekit',
        SCALEKIT_ENVIRONMENT_URL: 'https://acme.scalekit.com',
        SCALEKIT_RESOURCE_ID: 'not a resource id',
      },
      'SCALEKIT_RESOURCE_ID',
    ],
    [{ MCP_AUTH_PROVIDER: 'auth0', AUTH0_DOMAIN: 'https://a.auth0.com/x' }, 'AUTH0_DOMAIN'],
    [{ MCP_AUTH_PROVIDER: 'okta', OKTA_ISSUER: 'not a url' }, 'OKTA_ISSUER'],
    [
      { MCP_AUTH_PROVIDER: 'entra-id', ENTRA_TENANT_ID: 'x', ENTRA_AUDIENCE: 'a' },
      'ENTRA_TENANT_ID',
    ],
    [
      { MCP_AUTH_PROVIDER: 'keycloak', KEYCLOAK_BASE_URL: 'ftp://x', KEYCLOAK_REALM: 'r' },
      'KEYCLOAK_BASE_URL',
    ],
    [
      { MCP_AUTH_PROVIDER: 'workos', WORKOS_AUTHKIT_DOMAIN: 'https://a.authkit.app/p' },
      'WORKOS_AUTHKIT_DOMAIN',
    ],
    [
      { MCP_AUTH_PROVIDER: 'clerk', CLERK_FRONTEND_API_URL: 'http://clerk.example.com' },
      'CLERK_FRONTEND_API_URL',
    ],
  ])('missing or malformed variables → TypeError naming the variable (%j)', (env, variable) => {
    let error: unknown;
    try {
      presetFromEnv(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(McpAuthConfigError);
    expect((error as McpAuthConfigError).option).toBe(variable);
  });

  it('refuses a non-object and feeds createMcpAuth', () => {
    expect(() => presetFromEnv(null as never)).toThrow(/"env"/);
    const preset = presetFromEnv({
      MCP_AUTH_PROVIDER: 'keycloak',
      KEYCLOAK_BASE_URL: 'https://sso.example.com',
      KEYCLOAK_REALM: 'mcp',
    });
    if (preset === undefined) throw new Error('expected a preset');
    const auth = createMcpAuth({ resource: 'https://mcp.example.com/mcp', ...preset });
    expect(auth.metadata.document.authorization_servers).toEqual([
      'https://sso.example.com/realms/mcp',
    ]);
  });
});
