import { McpAuthConfigError } from '../errors.js';
import {
  assertOptions,
  audienceList,
  booleanOption,
  type PresetBaseOptions,
  type ProviderPreset,
} from './provider-preset.js';

/**
 * Options of {@link entraId}.
 * @example
 * ```ts
 * const options: EntraIdPresetOptions = {
 *   tenantId: '00000000-0000-0000-0000-000000000000',
 *   audience: ['api://mcp-todo', '11111111-1111-1111-1111-111111111111'],
 * };
 * ```
 */
export interface EntraIdPresetOptions extends PresetBaseOptions {
  /** The directory (tenant) id, a GUID. Multi-tenant aliases (`common`, `organizations`) cannot be pinned as an issuer. */
  tenantId: string;
  /** The API app's Application ID URI and/or client id: what Entra ID puts in `aud`. Required. */
  audience: string | string[];
  /**
   * Access token version the API app receives (its manifest's `accessTokenAcceptedVersion`):
   * `2` (issuer `…/<tenant>/v2.0`), `1` (issuer `https://sts.windows.net/<tenant>/`) or
   * `'both'`. Default 2.
   */
  version?: 1 | 2 | 'both';
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LOGIN = 'https://login.microsoftonline.com';

/**
 * Verifier options for access tokens Microsoft Entra ID issues for your own API (app
 * registration with an exposed API), in the global cloud.
 *
 * Token shape: RS256 JWT with `typ: JWT` (Entra ID never sends `at+jwt`, so this preset sets
 * `allowGenericJwtType`; ID tokens are still refused); `iss` is
 * `https://login.microsoftonline.com/<tenant>/v2.0` (v2 tokens) or
 * `https://sts.windows.net/<tenant>/` (v1 tokens); keys for both at
 * `https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys`; `aud` is the app's client
 * id (v2) or Application ID URI (v1) — Entra ID does not put the MCP server URL there unless
 * it is the Application ID URI; delegated scopes in `scp` (space-delimited), application
 * permissions in the `roles` array (both read as scopes); client in `azp` (v2) or `appid` (v1), both read into
 * `clientId`.
 *
 * Provider settings: register the API, "Expose an API" with the scopes (`todo:read`, …),
 * set `accessTokenAcceptedVersion` to 2 in the manifest (or pick `version`), and pass the
 * Application ID URI and/or client id as `audience`.
 *
 * @see https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 * @example
 * ```ts
 * const auth = createMcpAuth({
 *   resource: 'https://mcp.example.com/mcp',
 *   ...entraId({ tenantId, audience: 'api://mcp-todo' }),
 * });
 * ```
 */
export function entraId(options: EntraIdPresetOptions): ProviderPreset {
  assertOptions(options, 'entraId', ['tenantId', 'version']);
  const { tenantId } = options;
  if (typeof tenantId !== 'string' || !GUID.test(tenantId)) {
    throw new McpAuthConfigError('tenantId', 'must be the directory (tenant) id, a GUID');
  }
  const tenant = tenantId.toLowerCase();
  const audiences = audienceList('audience', options.audience);
  if (audiences.length === 0) {
    throw new McpAuthConfigError('audience', 'is required (the Application ID URI or client id)');
  }
  const version = options.version ?? 2;
  if (version !== 1 && version !== 2 && version !== 'both') {
    throw new McpAuthConfigError('version', 'must be 1, 2 or "both"');
  }
  const v2 = `${LOGIN}/${tenant}/v2.0`;
  const v1 = `https://sts.windows.net/${tenant}/`;
  return {
    issuer: version === 1 ? v1 : v2,
    jwt: {
      ...(version === 'both' ? { additionalIssuers: [v1] } : {}),
      jwksUri: `${LOGIN}/${tenant}/discovery/v2.0/keys`,
      additionalAudiences: audiences,
      scopeClaims: [
        { claim: 'scp', format: 'string' },
        { claim: 'roles', format: 'array' },
      ],
      clientIdClaims: ['azp', 'appid'],
      allowGenericJwtType: booleanOption('allowGenericJwtType', options.allowGenericJwtType, true),
    },
    authorizationServers: [v2],
  };
}
