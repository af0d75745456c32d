import {
  assertOptions,
  audienceList,
  baseUrl,
  booleanOption,
  type PresetBaseOptions,
  type ProviderPreset,
  requiredString,
} from './provider-preset.js';

/**
 * Options of {@link keycloak}.
 * @example
 * ```ts
 * const options: KeycloakPresetOptions = { baseUrl: 'https://sso.example.com', realm: 'mcp' };
 * ```
 */
export interface KeycloakPresetOptions extends PresetBaseOptions {
  /** The server's base URL, including a legacy `/auth` prefix if your server uses one. */
  baseUrl: string;
  /** The realm name. */
  realm: string;
}

/**
 * Verifier options for access tokens issued by a Keycloak realm.
 *
 * Token shape: RS256 JWT with header `typ: JWT` (the payload's own `typ` claim is `Bearer`),
 * so this preset sets `allowGenericJwtType` (ID tokens are still refused: they carry
 * `nonce`/`at_hash` and the client id as `aud`); `iss` is `<baseUrl>/realms/<realm>`; keys at
 * `<issuer>/protocol/openid-connect/certs`; scopes in `scope` (space-delimited); client in `azp`.
 * `aud` is only what audience mappers put there (`account` by default).
 *
 * Provider settings: add an audience to the client scope your MCP clients get (an "Audience"
 * mapper with the MCP server's resource URI as "Included Custom Audience"), define the scopes
 * (`todo:read`, …) as client scopes, and allow dynamic client registration if hosts register.
 *
 * @see https://www.keycloak.org/docs/latest/server_admin/ (audience support, client scopes)
 * @example
 * ```ts
 * const auth = createMcpAuth({
 *   resource: 'https://mcp.example.com/mcp',
 *   ...keycloak({ baseUrl: 'https://sso.example.com', realm: 'mcp' }),
 * });
 * ```
 */
export function keycloak(options: KeycloakPresetOptions): ProviderPreset {
  assertOptions(options, 'keycloak', ['baseUrl', 'realm']);
  const base = baseUrl('baseUrl', options.baseUrl);
  const realm = requiredString('realm', options.realm);
  const issuer = `${base}/realms/${encodeURIComponent(realm)}`;
  const audiences = audienceList('audience', options.audience);
  return {
    issuer,
    jwt: {
      jwksUri: `${issuer}/protocol/openid-connect/certs`,
      ...(audiences.length === 0 ? {} : { additionalAudiences: audiences }),
      scopeClaims: ['scope'],
      allowGenericJwtType: booleanOption('allowGenericJwtType', options.allowGenericJwtType, true),
    },
    authorizationServers: [issuer],
  };
}
