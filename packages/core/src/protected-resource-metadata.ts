import * as z from 'zod/mini';
import { McpAuthConfigError } from './errors.js';
import { isScopeToken } from './scope-token.js';

/**
 * The root well-known location of Protected Resource Metadata (RFC 9728 §3).
 * @example
 * ```ts
 * app.get(ROOT_METADATA_PATH, serveMetadata);
 * ```
 */
export const ROOT_METADATA_PATH = '/.well-known/oauth-protected-resource';

/**
 * The RFC 9728 document this library serves. Only `resource` and
 * `authorization_servers` are required; empty fields are omitted.
 * @example
 * ```ts
 * const doc: ProtectedResourceMetadata = auth.metadata.document;
 * doc.authorization_servers[0]; // 'https://auth.example.com'
 * ```
 */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  bearer_methods_supported: string[];
  scopes_supported?: string[];
  resource_name?: string;
  resource_documentation?: string;
  resource_policy_uri?: string;
  resource_tos_uri?: string;
  jwks_uri?: string;
  resource_signing_alg_values_supported?: string[];
  authorization_details_types_supported?: string[];
  dpop_signing_alg_values_supported?: string[];
  dpop_bound_access_tokens_required?: boolean;
  tls_client_certificate_bound_access_tokens?: boolean;
  [extension: string]: unknown;
}

/**
 * Input of {@link buildProtectedResourceMetadata}.
 * @example
 * ```ts
 * buildProtectedResourceMetadata({ resource: 'https://api.example.com/mcp', authorizationServers: ['https://auth.example.com'] });
 * ```
 */
export interface ProtectedResourceMetadataOptions {
  /** The resource identifier, echoed character for character. */
  resource: string;
  /** At least one authorization server issuer identifier. */
  authorizationServers: readonly string[];
  /** Scopes to advertise; `offline_access` is refused. */
  scopesSupported?: readonly string[];
  /** Human-readable name (`resource_name`). */
  resourceName?: string;
  /** Further RFC 9728 fields, by their JSON names (e.g. `resource_documentation`). */
  extra?: Readonly<Record<string, unknown>>;
}

const mustBeString = { error: 'must be a string' };
const mustBeArray = { error: 'must be an array' };
const mustBeBoolean = { error: 'must be a boolean' };

const url = z
  .string(mustBeString)
  .check(z.refine((v) => URL.canParse(v), { message: 'must be an absolute URL' }));
const scope = z.string(mustBeString).check(
  z.refine(isScopeToken, { message: 'must be a valid scope token' }),
  z.refine((s) => s !== 'offline_access', {
    message: 'must not contain offline_access (MCP 2026-07-28: never advertised)',
  }),
);
const strings = z.optional(z.array(z.string(mustBeString), mustBeArray));
const flag = z.optional(z.boolean(mustBeBoolean));

const documentSchema = z.catchall(
  z.object({
    resource: url.check(z.refine((v) => !v.includes('#'), { message: 'must not have a fragment' })),
    authorization_servers: z
      .array(url, mustBeArray)
      .check(z.minLength(1, { message: 'must list at least one authorization server' })),
    bearer_methods_supported: z.array(
      z.enum(['header', 'body', 'query'], { error: 'must be "header", "body" or "query"' }),
      mustBeArray,
    ),
    scopes_supported: z.optional(z.array(scope, mustBeArray)),
    resource_name: z.optional(z.string(mustBeString)),
    resource_documentation: z.optional(url),
    resource_policy_uri: z.optional(url),
    resource_tos_uri: z.optional(url),
    jwks_uri: z.optional(url),
    resource_signing_alg_values_supported: strings,
    authorization_details_types_supported: strings,
    dpop_signing_alg_values_supported: strings,
    dpop_bound_access_tokens_required: flag,
    tls_client_certificate_bound_access_tokens: flag,
  }),
  z.unknown(),
);

const OPTION_NAMES: Record<string, string> = {
  resource: 'resource',
  authorization_servers: 'authorizationServers',
  scopes_supported: 'scopesSupported',
  resource_name: 'resourceName',
};

/**
 * Builds and validates an RFC 9728 Protected Resource Metadata document:
 * `bearer_methods_supported: ["header"]`, deduplicated `scopes_supported` (never
 * `offline_access`), empty fields omitted. Throws `McpAuthConfigError` (a `TypeError`)
 * naming the offending option.
 *
 * @see RFC 9728 §2
 * @example
 * ```ts
 * buildProtectedResourceMetadata({
 *   resource: 'https://api.example.com/mcp',
 *   authorizationServers: ['https://auth.example.com'],
 *   scopesSupported: ['todo:read', 'todo:write'],
 * });
 * // { resource: 'https://api.example.com/mcp', authorization_servers: [...],
 * //   bearer_methods_supported: ['header'], scopes_supported: ['todo:read', 'todo:write'] }
 * ```
 */
export function buildProtectedResourceMetadata(
  options: ProtectedResourceMetadataOptions,
): ProtectedResourceMetadata {
  const doc: Record<string, unknown> = {
    resource: options.resource,
    authorization_servers: unique(options.authorizationServers),
    bearer_methods_supported: ['header'],
  };
  if (options.scopesSupported !== undefined && options.scopesSupported.length > 0) {
    doc.scopes_supported = unique(options.scopesSupported);
  }
  if (options.resourceName !== undefined && options.resourceName !== '') {
    doc.resource_name = options.resourceName;
  }
  for (const [key, value] of Object.entries(options.extra ?? {})) {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    if (key === 'resource' || key === 'authorization_servers') continue;
    doc[key] = value;
  }
  const parsed = documentSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const top = String(issue?.path[0] ?? 'metadata');
    const option = OPTION_NAMES[top] ?? `metadata.${top}`;
    throw new McpAuthConfigError(option, issue?.message ?? 'is invalid');
  }
  return doc as ProtectedResourceMetadata;
}

/** A list without repeats, in first-seen order; anything else as it is, for the schema to refuse. */
function unique(list: unknown): unknown {
  return Array.isArray(list) ? [...new Set(list)] : list;
}

/**
 * The path-inserted well-known path for a resource (RFC 9728 §3.1): the suffix goes between
 * the host and the resource's path (and query). A terminating slash is removed, as MCP
 * clients do; a resource at the origin root maps to {@link ROOT_METADATA_PATH}.
 *
 * @see RFC 9728 §3.1
 * @example
 * ```ts
 * protectedResourceMetadataPath('https://api.example.com/mcp'); // '/.well-known/oauth-protected-resource/mcp'
 * protectedResourceMetadataPath('https://api.example.com/');    // '/.well-known/oauth-protected-resource'
 * ```
 */
export function protectedResourceMetadataPath(resource: string | URL): string {
  const u = typeof resource === 'string' ? new URL(resource) : resource;
  let path = u.pathname;
  if (path.endsWith('/')) path = path.slice(0, -1);
  return `${ROOT_METADATA_PATH}${path}${u.search}`;
}

/**
 * The absolute path-inserted metadata URL for a resource, as put in `resource_metadata`.
 *
 * @example
 * ```ts
 * protectedResourceMetadataUrl('https://API.example.com/mcp');
 * // 'https://api.example.com/.well-known/oauth-protected-resource/mcp'
 * ```
 */
export function protectedResourceMetadataUrl(resource: string | URL): string {
  const u = typeof resource === 'string' ? new URL(resource) : resource;
  return `${u.origin}${protectedResourceMetadataPath(u)}`;
}
