import {
  assertOptions,
  audienceList,
  booleanOption,
  domainOrigin,
  type PresetBaseOptions,
  type ProviderPreset,
} from './provider-preset.js';

/**
 * Options of {@link workos}.
 * @example
 * ```ts
 * const options: WorkosPresetOptions = { authkitDomain: 'acme.authkit.app' };
 * ```
 */
export interface WorkosPresetOptions extends PresetBaseOptions {
  /** The AuthKit domain (`<subdomain>.authkit.app` or a custom domain), with or without `https://`. */
  authkitDomain: string;
  /** Also read scopes from the `permissions` array (WorkOS roles and permissions). Default false. */
  permissions?: boolean;
}

/**
 * Verifier options for access tokens WorkOS AuthKit issues as an MCP authorization server.
 *
 * Token shape: RS256 JWT; `iss` is the AuthKit domain (`https://<subdomain>.authkit.app`);
 * keys at `<issuer>/oauth2/jwks`; `aud` is the MCP server's resource URI when it is listed as
 * an MCP resource indicator in the dashboard (otherwise the client id, which this preset does
 * not accept unless passed as `audience`); scopes in `scope` (space-delimited), optionally the `permissions` array.
 *
 * `typ`: WorkOS does not document the header's `typ`, so this preset also accepts `JWT` or no
 * `typ` (`allowGenericJwtType`; ID tokens are still refused). Pass `allowGenericJwtType: false`
 * to insist on `at+jwt`.
 *
 * Provider settings: enable MCP auth (dynamic client registration and/or client ID metadata
 * documents) and add the MCP server's resource URI as a resource indicator.
 *
 * @see https://workos.com/docs/user-management/mcp
 * @example
 * ```ts
 * const auth = createMcpAuth({
 *   resource: 'https://mcp.example.com/mcp',
 *   ...workos({ authkitDomain: 'acme.authkit.app' }),
 * });
 * ```
 */
export function workos(options: WorkosPresetOptions): ProviderPreset {
  assertOptions(options, 'workos', ['authkitDomain', 'permissions']);
  const issuer = domainOrigin('authkitDomain', options.authkitDomain);
  const audiences = audienceList('audience', options.audience);
  return {
    issuer,
    jwt: {
      jwksUri: `${issuer}/oauth2/jwks`,
      ...(audiences.length === 0 ? {} : { additionalAudiences: audiences }),
      scopeClaims: booleanOption('permissions', options.permissions, false)
        ? ['scope', { claim: 'permissions', format: 'array' }]
        : ['scope'],
      allowGenericJwtType: booleanOption('allowGenericJwtType', options.allowGenericJwtType, true),
    },
    authorizationServers: [issuer],
  };
}
