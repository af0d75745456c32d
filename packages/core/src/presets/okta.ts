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
 * Options of {@link okta}.
 * @example
 * ```ts
 * const options: OktaPresetOptions = { issuer: 'https://acme.okta.com/oauth2/default' };
 * ```
 */
export interface OktaPresetOptions extends PresetBaseOptions {
  /** A custom authorization server's issuer, `https://<org>.okta.com/oauth2/<id>` (`default` included). */
  issuer: string;
}

/**
 * The `typ` Okta custom authorization servers write into access tokens (observed in the field;
 * Okta's documentation shows headers without `typ`).
 *
 * @example
 * ```ts
 * createJwtVerifier({ issuer, resource, acceptedTypes: [OKTA_ACCESS_TOKEN_TYPE] });
 * ```
 */
export const OKTA_ACCESS_TOKEN_TYPE = 'application/okta-internal-at+jwt';

/**
 * Verifier options for access tokens issued by an Okta custom authorization server.
 *
 * Token shape: RS256 JWT; `iss` is the authorization server's issuer
 * (`https://<org>.okta.com/oauth2/<id>`); keys at `<issuer>/v1/keys`; `aud` is the
 * authorization server's audience (`api://default` unless changed); scopes in the `scp` array;
 * the client in `cid` (read into `clientId`). `typ` is either absent (Okta's documented
 * examples) or `application/okta-internal-at+jwt` (what Okta sends today): both are accepted —
 * the second through `acceptedTypes`, the first through `allowGenericJwtType` (ID tokens are
 * still refused).
 *
 * Tokens of the org authorization server (`https://<org>.okta.com`, no `/oauth2/…`) are meant
 * for Okta's own APIs only and cannot be validated by others: such an issuer is refused here.
 *
 * Provider settings: set the authorization server's audience to the MCP server's resource URI
 * (or pass it as `audience`); define the scopes (`todo:read`, …) and an access policy.
 *
 * @see https://developer.okta.com/docs/guides/validate-access-tokens/
 * @example
 * ```ts
 * const auth = createMcpAuth({
 *   resource: 'https://mcp.example.com/mcp',
 *   ...okta({ issuer: 'https://acme.okta.com/oauth2/default', audience: 'api://default' }),
 * });
 * ```
 */
export function okta(options: OktaPresetOptions): ProviderPreset {
  assertOptions(options, 'okta', ['issuer']);
  const issuer = baseUrl('issuer', options.issuer);
  if (!/^\/oauth2\/[^/]+$/.test(new URL(issuer).pathname)) {
    throw new McpAuthConfigError(
      'issuer',
      'must be a custom authorization server issuer such as https://<org>.okta.com/oauth2/default (org authorization server tokens cannot be validated by third parties)',
    );
  }
  const audiences = audienceList('audience', options.audience);
  return {
    issuer,
    jwt: {
      jwksUri: `${issuer}/v1/keys`,
      ...(audiences.length === 0 ? {} : { additionalAudiences: audiences }),
      scopeClaims: [{ claim: 'scp', format: 'array' }],
      clientIdClaims: ['cid', 'client_id'],
      acceptedTypes: [OKTA_ACCESS_TOKEN_TYPE],
      allowGenericJwtType: booleanOption('allowGenericJwtType', options.allowGenericJwtType, true),
    },
    authorizationServers: [issuer],
  };
}
