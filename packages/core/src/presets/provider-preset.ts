import type { JwtVerifierOptions } from '../create-jwt-verifier.js';
import { McpAuthConfigError } from '../errors.js';
import { assertKnownOptions } from '../known-options.js';
import { assertSecureUrl } from '../url.js';

/** The JWT verifier options a preset fills in: everything but `issuer` and `resource`. */
export type PresetJwtOptions = Omit<JwtVerifierOptions, 'issuer' | 'resource'>;

/**
 * What an identity-provider preset returns: the issuer, the options of the JWT verifier for
 * that provider's token shape, and the PRM `authorization_servers`. The three fields are
 * exactly `createMcpAuth` options, so a preset spreads into it.
 *
 * @example
 * ```ts
 * const auth = createMcpAuth({
 *   resource: 'https://mcp.example.com/mcp',
 *   ...auth0({ domain: 'example.us.auth0.com' }),
 *   policy: { tools: { add_todo: 'todo:write' } },
 * });
 * // or the verifier alone:
 * const preset = auth0({ domain: 'example.us.auth0.com' });
 * const verifier = createJwtVerifier({ ...preset.jwt, issuer: preset.issuer, resource });
 * ```
 */
export interface ProviderPreset {
  /** The issuer identifier tokens carry in `iss` (the primary one when several are accepted). */
  issuer: string;
  /** JWT verifier options for the provider's token shape (JWKS, audiences, scope claims, `typ`). */
  jwt: PresetJwtOptions;
  /** PRM `authorization_servers`: where MCP clients go to get tokens. */
  authorizationServers: string[];
}

/** `value` as an https (or loopback http) URL string without a trailing slash. */
export function baseUrl(option: string, value: unknown): string {
  const url = assertSecureUrl(option, value);
  if (url.search !== '' || url.hash !== '') {
    throw new McpAuthConfigError(option, 'must not have a query or fragment');
  }
  return url.href.replace(/\/+$/, '');
}

/** A non-empty string option, trimmed. */
export function requiredString(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new McpAuthConfigError(option, 'must be a non-empty string');
  }
  return value.trim();
}

/** `undefined`, one string or an array of strings → a list of non-empty strings. */
export function audienceList(option: string, value: unknown): string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((v) => typeof v === 'string' && v.trim() !== '')) {
    throw new McpAuthConfigError(option, 'must be a non-empty string or an array of them');
  }
  return [...new Set(list.map((v: string) => v.trim()))];
}

/** An optional boolean option. */
export function booleanOption(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new McpAuthConfigError(option, 'must be a boolean');
  return value;
}

/** The options every preset takes ({@link PresetBaseOptions}). */
const BASE_OPTION_NAMES: readonly (keyof PresetBaseOptions)[] = ['audience', 'allowGenericJwtType'];

/**
 * Rejects an options argument that is not an object, or that has a key other than `names`
 * and the {@link PresetBaseOptions} (naming it, with the close known name when it is a slip).
 */
export function assertOptions(
  value: unknown,
  preset: string,
  names: readonly string[],
): asserts value is object {
  if (typeof value !== 'object' || value === null) {
    throw new McpAuthConfigError('options', `of ${preset}() must be an object`);
  }
  assertKnownOptions(value, new Set([...names, ...BASE_OPTION_NAMES]));
}

/** Options every preset takes. */
export interface PresetBaseOptions {
  /**
   * `aud` values accepted besides the MCP server's own resource URI (which is always
   * accepted), e.g. an API identifier the provider puts in `aud`.
   */
  audience?: string | string[];
  /**
   * Overrides the preset's choice of accepting `typ: JWT` (or no `typ`). Presets of providers
   * that do not send `at+jwt` turn it on; set `false` once the provider is configured to send
   * `at+jwt`.
   */
  allowGenericJwtType?: boolean;
}

/** The host part of a domain option given as `example.com` or `https://example.com[/]`. */
export function domainOrigin(option: string, value: unknown): string {
  const text = requiredString(option, value);
  const url = baseUrl(option, text.includes('://') ? text : `https://${text}`);
  if (new URL(url).pathname !== '/') {
    throw new McpAuthConfigError(option, 'must be a host name without a path');
  }
  return new URL(url).origin;
}
