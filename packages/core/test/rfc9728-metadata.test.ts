import { describe, expect, it } from 'vitest';
import { McpAuthConfigError } from '../src/errors.js';
import {
  buildProtectedResourceMetadata,
  protectedResourceMetadataPath,
  type ProtectedResourceMetadataOptions,
  protectedResourceMetadataUrl,
  ROOT_METADATA_PATH,
} from '../src/protected-resource-metadata.js';

describe('protectedResourceMetadataPath (RFC 9728 §3.1)', () => {
  it.each([
    ['root resource', 'https://mcp.example.com', '/.well-known/oauth-protected-resource'],
    [
      'root resource with slash',
      'https://mcp.example.com/',
      '/.well-known/oauth-protected-resource',
    ],
    ['path', 'https://mcp.example.com/mcp', '/.well-known/oauth-protected-resource/mcp'],
    [
      'nested path',
      'https://mcp.example.com/a/b/mcp',
      '/.well-known/oauth-protected-resource/a/b/mcp',
    ],
    ['trailing slash', 'https://mcp.example.com/mcp/', '/.well-known/oauth-protected-resource/mcp'],
    [
      'query',
      'https://mcp.example.com/mcp?tenant=a',
      '/.well-known/oauth-protected-resource/mcp?tenant=a',
    ],
    ['uppercase host', 'https://MCP.Example.COM/mcp', '/.well-known/oauth-protected-resource/mcp'],
    ['port', 'http://127.0.0.1:3000/mcp', '/.well-known/oauth-protected-resource/mcp'],
  ])('%s', (_name, resource, path) => {
    expect(protectedResourceMetadataPath(resource)).toBe(path);
  });

  it('builds the absolute URL with a lower-cased host and the port kept', () => {
    expect(protectedResourceMetadataUrl('https://MCP.Example.COM/mcp')).toBe(
      'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    );
    expect(protectedResourceMetadataUrl(new URL('http://127.0.0.1:3000/mcp/'))).toBe(
      'http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp',
    );
    expect(ROOT_METADATA_PATH).toBe('/.well-known/oauth-protected-resource');
  });
});

describe('buildProtectedResourceMetadata (RFC 9728 §2)', () => {
  const base = {
    resource: 'https://mcp.example.com/mcp',
    authorizationServers: ['https://auth.example.com'],
  };

  it('builds the minimal document with bearer_methods_supported ["header"] and omits empty fields', () => {
    expect(
      buildProtectedResourceMetadata({ ...base, scopesSupported: [], resourceName: '' }),
    ).toEqual({
      resource: 'https://mcp.example.com/mcp',
      authorization_servers: ['https://auth.example.com'],
      bearer_methods_supported: ['header'],
    });
  });

  it('echoes the resource character for character and deduplicates lists', () => {
    const doc = buildProtectedResourceMetadata({
      resource: 'https://MCP.example.com/mcp/',
      authorizationServers: ['https://auth.example.com', 'https://auth.example.com'],
      scopesSupported: ['todo:read', 'todo:read', 'todo:write'],
      resourceName: 'Todos',
      extra: {
        resource_documentation: 'https://docs.example.com',
        resource_signing_alg_values_supported: [],
        resource_tos_uri: undefined,
        resource: 'https://ignored.example.com',
        x_custom: 1,
      },
    });
    expect(doc).toEqual({
      resource: 'https://MCP.example.com/mcp/',
      authorization_servers: ['https://auth.example.com'],
      bearer_methods_supported: ['header'],
      scopes_supported: ['todo:read', 'todo:write'],
      resource_name: 'Todos',
      resource_documentation: 'https://docs.example.com',
      x_custom: 1,
    });
  });

  it.each([
    [{ scopesSupported: ['offline_access'] }, 'scopesSupported', /offline_access/],
    [{ scopesSupported: ['bad scope'] }, 'scopesSupported', /scope token/],
    [{ authorizationServers: [] }, 'authorizationServers', /at least one/],
    [{ authorizationServers: ['not a url'] }, 'authorizationServers', /absolute URL/],
    [{ resource: 'https://a.example/#x' }, 'resource', /fragment/],
    [{ extra: { resource_policy_uri: 'nope' } }, 'metadata.resource_policy_uri', /absolute URL/],
    [
      { extra: { dpop_bound_access_tokens_required: 'yes' } },
      'metadata.dpop_bound_access_tokens_required',
      /must be a boolean/,
    ],
    [{ resourceName: 42 }, 'resourceName', /must be a string/],
    [{ scopesSupported: 'todo:read' }, 'scopesSupported', /must be an array/],
    [{ extra: { jwks_uri: 7 } }, 'metadata.jwks_uri', /must be a string/],
    [
      { extra: { resource_signing_alg_values_supported: [1] } },
      'metadata.resource_signing_alg_values_supported',
      /must be a string/,
    ],
    [
      { extra: { bearer_methods_supported: ['cookie'] } },
      'metadata.bearer_methods_supported',
      /must be "header", "body" or "query"/,
    ],
  ])('refuses %o with a TypeError naming the option', (override, option, rule) => {
    let error: unknown;
    try {
      buildProtectedResourceMetadata({ ...base, ...override } as ProtectedResourceMetadataOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toBeInstanceOf(McpAuthConfigError);
    expect((error as McpAuthConfigError).option).toBe(option);
    expect((error as Error).message).toMatch(rule);
  });
});
