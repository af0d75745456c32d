import { McpAuthConfigError } from '../errors.js';
import { auth0 } from './auth0.js';
import { clerk } from './clerk.js';
import { entraId } from './entra-id.js';
import { keycloak } from './keycloak.js';
import { okta } from './okta.js';
import type { ProviderPreset } from './provider-preset.js';
import { scalekit } from './scalekit.js';
import { workos } from './workos.js';

/** Environment variables as a plain record (Node's environment object, `Deno.env.toObject()`, a Workers `env`). */
export type EnvRecord = Readonly<Record<string, string | undefined>>;

/**
 * The `MCP_AUTH_PROVIDER` values {@link presetFromEnv} understands.
 * @example
 * ```ts
 * PROVIDERS.includes('scalekit'); // true
 * ```
 */
export const PROVIDERS = [
  'scalekit',
  'auth0',
  'okta',
  'entra-id',
  'keycloak',
  'workos',
  'clerk',
] as const;

/** One of {@link PROVIDERS}. */
export type ProviderName = (typeof PROVIDERS)[number];

function read(env: EnvRecord, name: string): string | undefined {
  const value = env[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function need(env: EnvRecord, name: string, provider: string): string {
  const value = read(env, name);
  if (value === undefined) {
    throw new McpAuthConfigError(name, `is required when MCP_AUTH_PROVIDER=${provider}`);
  }
  return value;
}

/** A comma-separated list, or undefined when unset. */
function list(env: EnvRecord, name: string): string[] | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.length === 0 ? undefined : items;
}

function flag(env: EnvRecord, name: string): boolean | undefined {
  const value = read(env, name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new McpAuthConfigError(name, 'must be true or false');
}

/**
 * Runs a preset with options read from `names`' variables; a preset's complaint about one of
 * those options is re-raised naming the environment variable the value came from.
 */
function fromEnv<T>(names: Readonly<Record<string, string>>, build: () => T): T {
  try {
    return build();
  } catch (error) {
    const name = error instanceof McpAuthConfigError ? names[error.option] : undefined;
    if (name === undefined) throw error;
    throw new McpAuthConfigError(name, (error as McpAuthConfigError).rule);
  }
}

/** Common optional variables: `<PREFIX>_AUDIENCE` (comma-separated) and `<PREFIX>_ALLOW_GENERIC_JWT_TYPE`. */
function common(env: EnvRecord, prefix: string) {
  const audience = list(env, `${prefix}_AUDIENCE`);
  const allowGenericJwtType = flag(env, `${prefix}_ALLOW_GENERIC_JWT_TYPE`);
  return {
    ...(audience === undefined ? {} : { audience }),
    ...(allowGenericJwtType === undefined ? {} : { allowGenericJwtType }),
  };
}

function scalekitFromEnv(env: EnvRecord): ProviderPreset {
  const resourceId = read(env, 'SCALEKIT_RESOURCE_ID');
  const options = {
    environmentUrl: need(env, 'SCALEKIT_ENVIRONMENT_URL', 'scalekit'),
    ...(resourceId === undefined ? {} : { resourceId }),
    ...common(env, 'SCALEKIT'),
  };
  return fromEnv(
    {
      environmentUrl: 'SCALEKIT_ENVIRONMENT_URL',
      resourceId: 'SCALEKIT_RESOURCE_ID',
      audience: 'SCALEKIT_AUDIENCE',
    },
    () => scalekit(options),
  );
}

function auth0FromEnv(env: EnvRecord): ProviderPreset {
  const tokenProfile = read(env, 'AUTH0_TOKEN_PROFILE');
  if (tokenProfile !== undefined && tokenProfile !== 'rfc9068' && tokenProfile !== 'auth0') {
    throw new McpAuthConfigError('AUTH0_TOKEN_PROFILE', 'must be "rfc9068" or "auth0"');
  }
  const permissions = flag(env, 'AUTH0_PERMISSIONS');
  const options = {
    domain: need(env, 'AUTH0_DOMAIN', 'auth0'),
    ...(tokenProfile === undefined ? {} : { tokenProfile: tokenProfile as 'rfc9068' | 'auth0' }),
    ...(permissions === undefined ? {} : { permissions }),
    ...common(env, 'AUTH0'),
  };
  return fromEnv({ domain: 'AUTH0_DOMAIN', audience: 'AUTH0_AUDIENCE' }, () => auth0(options));
}

function oktaFromEnv(env: EnvRecord): ProviderPreset {
  const options = { issuer: need(env, 'OKTA_ISSUER', 'okta'), ...common(env, 'OKTA') };
  return fromEnv({ issuer: 'OKTA_ISSUER', audience: 'OKTA_AUDIENCE' }, () => okta(options));
}

function entraIdFromEnv(env: EnvRecord): ProviderPreset {
  const version = read(env, 'ENTRA_TOKEN_VERSION');
  if (version !== undefined && !['1', '2', 'both'].includes(version)) {
    throw new McpAuthConfigError('ENTRA_TOKEN_VERSION', 'must be 1, 2 or both');
  }
  const audience = list(env, 'ENTRA_AUDIENCE');
  if (audience === undefined) {
    throw new McpAuthConfigError('ENTRA_AUDIENCE', 'is required when MCP_AUTH_PROVIDER=entra-id');
  }
  const options = {
    tenantId: need(env, 'ENTRA_TENANT_ID', 'entra-id'),
    ...common(env, 'ENTRA'),
    audience,
    ...(version === undefined
      ? {}
      : { version: version === 'both' ? ('both' as const) : (Number(version) as 1 | 2) }),
  };
  return fromEnv({ tenantId: 'ENTRA_TENANT_ID', audience: 'ENTRA_AUDIENCE' }, () =>
    entraId(options),
  );
}

function keycloakFromEnv(env: EnvRecord): ProviderPreset {
  const options = {
    baseUrl: need(env, 'KEYCLOAK_BASE_URL', 'keycloak'),
    realm: need(env, 'KEYCLOAK_REALM', 'keycloak'),
    ...common(env, 'KEYCLOAK'),
  };
  return fromEnv(
    { baseUrl: 'KEYCLOAK_BASE_URL', realm: 'KEYCLOAK_REALM', audience: 'KEYCLOAK_AUDIENCE' },
    () => keycloak(options),
  );
}

function workosFromEnv(env: EnvRecord): ProviderPreset {
  const permissions = flag(env, 'WORKOS_PERMISSIONS');
  const options = {
    authkitDomain: need(env, 'WORKOS_AUTHKIT_DOMAIN', 'workos'),
    ...(permissions === undefined ? {} : { permissions }),
    ...common(env, 'WORKOS'),
  };
  return fromEnv({ authkitDomain: 'WORKOS_AUTHKIT_DOMAIN', audience: 'WORKOS_AUDIENCE' }, () =>
    workos(options),
  );
}

function clerkFromEnv(env: EnvRecord): ProviderPreset {
  const options = {
    frontendApiUrl: need(env, 'CLERK_FRONTEND_API_URL', 'clerk'),
    ...common(env, 'CLERK'),
  };
  return fromEnv({ frontendApiUrl: 'CLERK_FRONTEND_API_URL', audience: 'CLERK_AUDIENCE' }, () =>
    clerk(options),
  );
}

/** How each provider's preset is built from the environment. */
const FROM_ENV: Readonly<Record<ProviderName, (env: EnvRecord) => ProviderPreset>> = {
  scalekit: scalekitFromEnv,
  auth0: auth0FromEnv,
  okta: oktaFromEnv,
  'entra-id': entraIdFromEnv,
  keycloak: keycloakFromEnv,
  workos: workosFromEnv,
  clerk: clerkFromEnv,
};

/**
 * Builds a provider preset from environment variables passed in as a record (the core never
 * reads the environment itself). Returns `undefined` when `MCP_AUTH_PROVIDER` is unset (or
 * `generic`), leaving the caller to use its own issuer settings. Throws a `TypeError` naming
 * the variable when one is missing or malformed.
 *
 * | `MCP_AUTH_PROVIDER` | required | optional |
 * |---|---|---|
 * | `scalekit` | `SCALEKIT_ENVIRONMENT_URL` | `SCALEKIT_RESOURCE_ID`, `SCALEKIT_AUDIENCE` |
 * | `auth0` | `AUTH0_DOMAIN` | `AUTH0_AUDIENCE`, `AUTH0_TOKEN_PROFILE` (`rfc9068`/`auth0`), `AUTH0_PERMISSIONS` |
 * | `okta` | `OKTA_ISSUER` | `OKTA_AUDIENCE` |
 * | `entra-id` | `ENTRA_TENANT_ID`, `ENTRA_AUDIENCE` | `ENTRA_TOKEN_VERSION` (`1`/`2`/`both`) |
 * | `keycloak` | `KEYCLOAK_BASE_URL`, `KEYCLOAK_REALM` | `KEYCLOAK_AUDIENCE` |
 * | `workos` | `WORKOS_AUTHKIT_DOMAIN` | `WORKOS_AUDIENCE`, `WORKOS_PERMISSIONS` |
 * | `clerk` | `CLERK_FRONTEND_API_URL` | `CLERK_AUDIENCE` |
 *
 * Every provider also takes `<PREFIX>_ALLOW_GENERIC_JWT_TYPE` (`true`/`false`) to override
 * the preset's `typ` choice. Audiences are comma-separated.
 *
 * @example
 * ```ts
 * // `env`: the process environment on Node, `Deno.env.toObject()`, or a Workers `env`
 * const preset = presetFromEnv(env);
 * const auth = createMcpAuth({
 *   resource: env.MCP_RESOURCE_URL!,
 *   ...(preset ?? { issuer: env.MCP_AUTH_ISSUER! }),
 * });
 * ```
 */
export function presetFromEnv(env: EnvRecord): ProviderPreset | undefined {
  if (typeof env !== 'object' || env === null) {
    throw new McpAuthConfigError('env', 'must be a record of environment variables');
  }
  const provider = read(env, 'MCP_AUTH_PROVIDER')?.toLowerCase();
  if (provider === undefined || provider === 'generic') return undefined;
  const build = Object.hasOwn(FROM_ENV, provider) ? FROM_ENV[provider as ProviderName] : undefined;
  if (build === undefined) {
    throw new McpAuthConfigError(
      'MCP_AUTH_PROVIDER',
      `must be one of ${PROVIDERS.join(', ')} or generic (got "${provider.slice(0, 40)}")`,
    );
  }
  return build(env);
}
