import {
  assertOptions,
  audienceList,
  baseUrl,
  booleanOption,
  type PresetBaseOptions,
  type ProviderPreset,
} from './provider-preset.js';

/**
 * Options of {@link clerk}.
 * @example
 * ```ts
 * const options: ClerkPresetOptions = { frontendApiUrl: 'https://clerk.example.com' };
 * ```
 */
export interface ClerkPresetOptions extends PresetBaseOptions {
  /** The instance's Frontend API URL (`https://<slug>.clerk.accounts.dev` or `https://clerk.<your-domain>`). */
  frontendApiUrl: string;
}

/**
 * Verifier options for OAuth access tokens Clerk issues in JWT format ("Generate access tokens
 * as JWTs", the default for applications created since January 2026; opaque tokens need
 * introspection instead).
 *
 * Token shape: RS256 JWT with `typ: at+jwt` (strict check kept; Clerk session tokens and ID
 * tokens from the same issuer are refused); `iss` is the Frontend API URL; keys at
 * `<issuer>/.well-known/jwks.json`; `aud` is the MCP server URL registered in the dashboard;
 * scopes in `scope`; client in `client_id`.
 *
 * Provider settings: add the MCP server (Dashboard → MCP servers) with its full resource URI,
 * and enable dynamic client registration for OAuth applications.
 *
 * @see https://clerk.com/docs (MCP servers; OAuth token formats)
 * @example
 * ```ts
 * const auth = createMcpAuth({
 *   resource: 'https://mcp.example.com/mcp',
 *   ...clerk({ frontendApiUrl: 'https://clerk.example.com' }),
 * });
 * ```
 */
export function clerk(options: ClerkPresetOptions): ProviderPreset {
  assertOptions(options, 'clerk', ['frontendApiUrl']);
  const issuer = baseUrl('frontendApiUrl', options.frontendApiUrl);
  const audiences = audienceList('audience', options.audience);
  return {
    issuer,
    jwt: {
      jwksUri: `${issuer}/.well-known/jwks.json`,
      ...(audiences.length === 0 ? {} : { additionalAudiences: audiences }),
      scopeClaims: ['scope'],
      allowGenericJwtType: booleanOption('allowGenericJwtType', options.allowGenericJwtType, false),
    },
    authorizationServers: [issuer],
  };
}
