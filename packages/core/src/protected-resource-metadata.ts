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

const isString = (v: unknown) => typeof v === 'string';
const isUrl = (v: unknown) => typeof v === 'string' && URL.canParse(v);
const BEARER_METHODS: readonly unknown[] = ['header', 'body', 'query'];

/** The rule a field of the document breaks, with the field's name; `undefined` when valid. */
type FieldCheck = (value: unknown) => string | undefined;

const optional =
  (checkValue: FieldCheck): FieldCheck =>
  (value) =>
    value === undefined ? undefined : checkValue(value);
const url: FieldCheck = (v) =>
  typeof v !== 'string' ? 'must be a string' : isUrl(v) ? undefined : 'must be an absolute URL';
const listOf =
  (item: FieldCheck): FieldCheck =>
  (v) => {
    if (!Array.isArray(v)) return 'must be an array';
    for (const x of v) {
      const rule = item(x);
      if (rule !== undefined) return rule;
    }
    return undefined;
  };
const string: FieldCheck = (v) => (isString(v) ? undefined : 'must be a string');
const scope: FieldCheck = (v) => {
  if (typeof v !== 'string') return 'must be a string';
  if (!isScopeToken(v)) return 'must be a valid scope token';
  if (v === 'offline_access') {
    return 'must not contain offline_access (MCP 2026-07-28: never advertised)';
  }
  return undefined;
};
const flag: FieldCheck = (v) => (typeof v === 'boolean' ? undefined : 'must be a boolean');

/** The fields this library knows, checked in this order; others pass as they are. */
const FIELD_CHECKS: Readonly<Record<string, FieldCheck>> = {
  resource: (v) => url(v) ?? ((v as string).includes('#') ? 'must not have a fragment' : undefined),
  authorization_servers: (v) =>
    listOf(url)(v) ??
    ((v as unknown[]).length === 0 ? 'must list at least one authorization server' : undefined),
  bearer_methods_supported: listOf((m) =>
    BEARER_METHODS.includes(m) ? undefined : 'must be "header", "body" or "query"',
  ),
  scopes_supported: optional(listOf(scope)),
  resource_name: optional(string),
  resource_documentation: optional(url),
  resource_policy_uri: optional(url),
  resource_tos_uri: optional(url),
  jwks_uri: optional(url),
  resource_signing_alg_values_supported: optional(listOf(string)),
  authorization_details_types_supported: optional(listOf(string)),
  dpop_signing_alg_values_supported: optional(listOf(string)),
  dpop_bound_access_tokens_required: optional(flag),
  tls_client_certificate_bound_access_tokens: optional(flag),
};

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
  for (const [field, checkField] of Object.entries(FIELD_CHECKS)) {
    const rule = checkField(doc[field]);
    if (rule !== undefined) {
      throw new McpAuthConfigError(OPTION_NAMES[field] ?? `metadata.${field}`, rule);
    }
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
