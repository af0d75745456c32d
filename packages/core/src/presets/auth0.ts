import { McpAuthConfigError } from '../errors.js';
import {
  assertOptions,
  audienceList,
  booleanOption,
  domainOrigin,
  type PresetBaseOptions,
  type ProviderPreset,
} from './provider-preset.js';

/**
 * Options of {@link auth0}.
 * @example
 * ```ts
 * const options: Auth0PresetOptions = { domain: 'acme.us.auth0.com', permissions: true };
 * ```
 */
export interface Auth0PresetOptions extends PresetBaseOptions {
  /** The tenant's domain (`acme.us.auth0.com`) or custom domain, with or without `https://`. */
  domain: string;
  /**
   * The API's access token profile (Dashboard → APIs → Settings → JSON Web Token Profile):
   * `'rfc9068'` (`typ: at+jwt`, the strict default) or `'auth0'` (Auth0's default profile,
   * `typ: JWT`, accepted only when chosen here). Default `'rfc9068'`.
   */
  tokenProfile?: 'rfc9068' | 'auth0';
  /** Also read scopes from the RBAC `permissions` claim (Dashboard → APIs → RBAC → Add Permissions in the Access Token). Default false. */
  permissions?: boolean;
}

/**
 * Verifier options for access tokens issued by Auth0 for an API.
 *
 * Token shape: RS256 JWT; `iss` is `https://<domain>/` (with the trailing slash); keys at
 * `https://<domain>/.well-known/jwks.json`; `aud` is the API identifier, alone or in an array
 * with `https://<domain>/userinfo`; scopes in `scope` (space-delimited) and, with RBAC, the
 * `permissions` array; client in `azp` (Auth0 profile) or `client_id` (RFC 9068 profile).
 * `typ` is `at+jwt` with the RFC 9068 profile and `JWT` with the Auth0 profile.
 *
 * Provider settings: create an API whose identifier is the MCP server's resource URI (or
 * pass the identifier as `audience`), and choose the RFC 9068 profile — or pass
 * `tokenProfile: 'auth0'`, which relaxes the `typ` check to `JWT` (ID tokens are still refused).
 *
 * @see https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles
 * @example
 * ```ts
 * const auth = createMcpAuth({
 *   resource: 'https://mcp.example.com/mcp',
 *   ...auth0({ domain: 'acme.us.auth0.com' }),
 * });
 * ```
 */
export function auth0(options: Auth0PresetOptions): ProviderPreset {
  assertOptions(options, 'auth0', ['domain', 'tokenProfile', 'permissions']);
  const origin = domainOrigin('domain', options.domain);
  const profile = options.tokenProfile ?? 'rfc9068';
  if (profile !== 'rfc9068' && profile !== 'auth0') {
    throw new McpAuthConfigError('tokenProfile', 'must be "rfc9068" or "auth0"');
  }
  const audiences = audienceList('audience', options.audience);
  const issuer = `${origin}/`;
  return {
    issuer,
    jwt: {
      jwksUri: `${origin}/.well-known/jwks.json`,
      ...(audiences.length === 0 ? {} : { additionalAudiences: audiences }),
      scopeClaims: booleanOption('permissions', options.permissions, false)
        ? ['scope', { claim: 'permissions', format: 'array' }]
        : ['scope'],
      allowGenericJwtType: booleanOption(
        'allowGenericJwtType',
        options.allowGenericJwtType,
        profile === 'auth0',
      ),
    },
    authorizationServers: [issuer],
  };
}
