import { McpAuthConfigError } from '../errors.js';
import {
  assertOptions,
  audienceList,
  baseUrl,
  booleanOption,
  type PresetBaseOptions,
  type ProviderPreset,
} from './provider-preset.js';

/**
 * Options of {@link scalekit}.
 * @example
 * ```ts
 * const options: ScalekitPresetOptions = {
 *   environmentUrl: 'https://acme.scalekit.com',
 *   resourceId: 'res_123456789',
 * };
 * ```
 */
export interface ScalekitPresetOptions extends PresetBaseOptions {
  /** The Scalekit environment URL (Dashboard → Settings → API credentials), e.g. `https://acme.scalekit.com`. */
  environmentUrl: string;
  /** The id of the MCP server registered in Scalekit (`res_…`). Accepted as an audience and as the issuer's last segment. */
  resourceId?: string;
}

const RESOURCE_ID = /^[A-Za-z0-9_-]+$/;

/**
 * Verifier options for access tokens issued by Scalekit (MCP Auth and OAuth for APIs).
 *
 * Token shape: RS256 JWT signed by the environment's keys, published at
 * `<environmentUrl>/keys`; `iss` is the environment URL, or `<environmentUrl>/resources/<resourceId>`
 * for a registered MCP server (both accepted, same keys); `aud` names the MCP server URL
 * and/or the resource id (both accepted); scopes in `scope` (space-delimited) or `scopes`
 * (array, client-credentials tokens); `client_id` names the client.
 *
 * `typ`: Scalekit's documentation does not state the header's `typ`, so this preset also
 * accepts `JWT` or no `typ` (`allowGenericJwtType`; ID tokens — with `nonce`/`at_hash` — are
 * still refused). Pass `allowGenericJwtType: false` to insist on `at+jwt`.
 *
 * PRM `authorization_servers`: the resource issuer when `resourceId` is set, else the environment.
 *
 * @see https://docs.scalekit.com (MCP Auth quick start; M2M JWKS cookbook)
 * @example
 * ```ts
 * const auth = createMcpAuth({
 *   resource: 'https://mcp.example.com/mcp',
 *   ...scalekit({ environmentUrl: 'https://acme.scalekit.com', resourceId: 'res_123' }),
 *   policy: { tools: { list_todos: 'todo:read' } },
 * });
 * ```
 */
export function scalekit(options: ScalekitPresetOptions): ProviderPreset {
  assertOptions(options, 'scalekit', ['environmentUrl', 'resourceId']);
  const environment = baseUrl('environmentUrl', options.environmentUrl);
  const { resourceId } = options;
  if (
    resourceId !== undefined &&
    (typeof resourceId !== 'string' || !RESOURCE_ID.test(resourceId))
  ) {
    throw new McpAuthConfigError('resourceId', 'must be a Scalekit resource id such as "res_123"');
  }
  const resourceIssuer =
    resourceId === undefined ? undefined : `${environment}/resources/${resourceId}`;
  const audiences = audienceList('audience', options.audience);
  if (resourceId !== undefined && !audiences.includes(resourceId)) audiences.unshift(resourceId);
  return {
    issuer: resourceIssuer ?? environment,
    jwt: {
      ...(resourceIssuer === undefined ? {} : { additionalIssuers: [environment] }),
      jwksUri: `${environment}/keys`,
      ...(audiences.length === 0 ? {} : { additionalAudiences: audiences }),
      scopeClaims: ['scope', { claim: 'scopes', format: 'array' }],
      allowGenericJwtType: booleanOption('allowGenericJwtType', options.allowGenericJwtType, true),
    },
    authorizationServers: [resourceIssuer ?? environment],
  };
}
