import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readValueExports, workspaceSources } from '../src/index-exports.js';
import { listPublishedPackages, repositoryRoot } from '../src/workspace-packages.js';

const root = repositoryRoot();
const packages = listPublishedPackages(root);
const sources = workspaceSources(packages);
const coreIndex = readValueExports(join(root, 'packages/core/src/index.ts'), sources);
const adapterEntry = readValueExports(join(root, 'packages/core/src/adapter.ts'), sources);

/** The application tier of `@org/mcp-auth-core` (27 runtime names). */
const APPLICATION_TIER = [
  'createMcpAuth',
  'createJwtVerifier',
  'createIntrospectionVerifier',
  'createMultiIssuerVerifier',
  'createCompositeVerifier',
  'auth0',
  'clerk',
  'entraId',
  'keycloak',
  'okta',
  'scalekit',
  'workos',
  'presetFromEnv',
  'PROVIDERS',
  'McpAuthError',
  'McpAuthConfigError',
  'isMcpAuthError',
  'buildChallenge',
  'parseChallenge',
  'evaluateScopes',
  'missingScopes',
  'policyScopes',
  'extractBearerToken',
  'buildProtectedResourceMetadata',
  'toResponse',
  'createMemoryStore',
  'prefixStore',
];

/** Names that left the application tier: adapter plumbing, internals and speed tricks. */
const NOT_IN_APPLICATION_TIER = [
  'withTokenHash',
  'emitDecision',
  'normalizeRequirement',
  'expandScopes',
  'headerValue',
  'isJwtShaped',
  'authorizationServersOf',
  'canonicalResource',
  'createSessionStore',
  'checkTokenLifetime',
  'answerMetadataRequest',
  'readBodyText',
  'parseJsonText',
  'isJsonContentType',
  'BODY_TOO_LARGE',
  'decide',
  'resolveAdapter',
  'tokenHash',
];

/** The adapter toolkit, `@org/mcp-auth-core/adapter`. */
const ADAPTER_TIER = [
  'resolveAdapter',
  'isMcpAuth',
  'decide',
  'readBodyText',
  'parseJsonText',
  'isJsonContentType',
  'BODY_TOO_LARGE',
  'answerMetadataRequest',
  'headerValue',
  'toResponse',
  'tokenHash',
  'DEFAULT_MAX_BODY_BYTES',
];

const ADAPTERS = ['express', 'fastify', 'hono'];

describe('@org/mcp-auth-core: two tiers', () => {
  it('exports the application tier, about 25 runtime names', () => {
    expect(coreIndex).toEqual(expect.arrayContaining(APPLICATION_TIER));
    expect(coreIndex.length).toBeLessThanOrEqual(30);
  });

  it('leaves adapter plumbing, internals and DEFAULT_* / JSONRPC_* constants out of it', () => {
    expect(coreIndex.filter((name) => NOT_IN_APPLICATION_TIER.includes(name))).toEqual([]);
    expect(coreIndex.filter((name) => /^(DEFAULT|JSONRPC)_/.test(name))).toEqual([]);
  });

  it('has the adapter toolkit in @org/mcp-auth-core/adapter', () => {
    expect(adapterEntry).toEqual(expect.arrayContaining(ADAPTER_TIER));
  });
});

describe.each(ADAPTERS)('@org/mcp-auth-%s', (dir) => {
  const indexFile = join(root, 'packages', dir, 'src/index.ts');

  it("re-exports the core's application tier with one export *, not a copied list", () => {
    const source = readFileSync(indexFile, 'utf8');
    expect(source).toMatch(/^export \* from '@org\/mcp-auth-core';$/m);
    const exported = readValueExports(indexFile, sources);
    expect(exported).toEqual(expect.arrayContaining([...coreIndex, 'mcpAuth']));
    // Types of the adapter tier may be re-exported (McpAuthAdapterOptions); its functions not.
    expect(exported.filter((name) => NOT_IN_APPLICATION_TIER.includes(name))).toEqual([]);
  });
});
