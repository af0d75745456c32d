import { type PresetJwtOptions, presetFromEnv } from '@org/mcp-auth-express';

/**
 * Where the server listens and whom it trusts.
 *
 * @example
 * ```ts
 * const config: SampleConfig = { port: 3001, host: '127.0.0.1', issuer: 'http://127.0.0.1:9400', allowedOrigins: [] };
 * ```
 */
export interface SampleConfig {
  /** `PORT`; `0` picks a free port. */
  port: number;
  /** `HOST`, the interface to listen on. */
  host: string;
  /** `MCP_AUTH_ISSUER`, or the provider's issuer: compared exactly with `iss`. */
  issuer: string;
  /** `MCP_AUTH_PROVIDER`, when a provider preset supplies the issuer and token rules. */
  provider?: string;
  /** The provider preset's JWT verifier options (JWKS, audiences, scope claims, `typ`). */
  jwt?: PresetJwtOptions;
  /** PRM `authorization_servers` from the provider preset. Default `[issuer]`. */
  authorizationServers?: string[];
  /** `MCP_AUTH_JWKS_URI`: where the signing keys are. Default: the provider's, else from the issuer's metadata. */
  jwksUri?: string;
  /** `MCP_RESOURCE_URL`: this server's canonical URI. Default `http://127.0.0.1:<port>/mcp`. */
  resourceUrl?: string;
  /** `MCP_ALLOWED_ORIGINS`: browser origins allowed besides localhost ones. */
  allowedOrigins: string[];
  /**
   * `MCP_HIDE_UNAUTHORIZED_TOOLS=1`: `tools/list` shows only the tools the token may call.
   * Default off: clients see every tool and step up on a tool's 403.
   */
  hideUnauthorizedTools?: boolean;
  /**
   * `MCP_AUTH_REDIS_URL` (`redis://…`): session bindings (and DPoP replay marks) kept in this
   * Redis, shared by every instance of the server. Default: in this process only.
   */
  redisUrl?: string;
  /**
   * `MCP_STATELESS=1`: every request served on its own, without MCP sessions — what several
   * instances behind a round-robin balancer need (the SDK 1.x transport keeps a session in the
   * process that created it). Default off: stateful sessions.
   */
  stateless?: boolean;
  /**
   * `MCP_AUTH_DPOP=allowed|required`: accept DPoP-bound tokens (RFC 9449) with a proof per
   * request (`allowed`: Bearer too; `required`: DPoP only). Default off: Bearer only.
   */
  dpop?: 'allowed' | 'required';
}

/** Default `PORT`. */
export const DEFAULT_PORT = 3001;
/** Default `MCP_AUTH_ISSUER`: the monorepo's development authorization server. */
export const DEFAULT_ISSUER = 'http://127.0.0.1:9400';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

function url(name: string, value: string, options: { path?: boolean } = {}): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new TypeError(`${name} must be an absolute URL (got "${value}")`);
  }
  if (
    parsed.protocol !== 'https:' &&
    !(parsed.protocol === 'http:' && LOOPBACK.test(parsed.hostname))
  ) {
    throw new TypeError(`${name} must be an https URL (http only for localhost) (got "${value}")`);
  }
  if (options.path === false && (parsed.search !== '' || value.includes('#'))) {
    throw new TypeError(`${name} must not have a query or a fragment (got "${value}")`);
  }
  return value;
}

/**
 * Reads the configuration from environment variables. With `MCP_AUTH_PROVIDER` set (`scalekit`,
 * `auth0`, `okta`, `entra-id`, `keycloak`, `workos`, `clerk`), the provider's variables give
 * the issuer, keys and token rules and `MCP_AUTH_ISSUER` is not read; without it,
 * `MCP_AUTH_ISSUER` does. Throws a `TypeError` naming the variable for any invalid value.
 *
 * @example
 * ```ts
 * const config = readConfig(process.env);
 * ```
 */
export function readConfig(env: Record<string, string | undefined>): SampleConfig {
  const portText = env.PORT?.trim() || String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new TypeError(`PORT must be an integer from 0 to 65535 (got "${env.PORT}")`);
  }
  const host = env.HOST?.trim() || '127.0.0.1';
  const preset = presetFromEnv(env);
  const issuer =
    preset?.issuer ?? url('MCP_AUTH_ISSUER', env.MCP_AUTH_ISSUER?.trim() || DEFAULT_ISSUER);
  const jwksUri = env.MCP_AUTH_JWKS_URI?.trim();
  const resourceUrl = env.MCP_RESOURCE_URL?.trim();
  const allowedOrigins = (env.MCP_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '')
    .map((origin) => {
      if (!URL.canParse(origin) || new URL(origin).origin === 'null') {
        throw new TypeError(
          `MCP_ALLOWED_ORIGINS must list origins like https://app.example (got "${origin}")`,
        );
      }
      return new URL(origin).origin;
    });
  const hide = env.MCP_HIDE_UNAUTHORIZED_TOOLS?.trim().toLowerCase() ?? '';
  if (!['', '0', '1', 'false', 'true'].includes(hide)) {
    throw new TypeError(
      `MCP_HIDE_UNAUTHORIZED_TOOLS must be 1 or 0 (got "${env.MCP_HIDE_UNAUTHORIZED_TOOLS}")`,
    );
  }
  const flag = (name: string): boolean => {
    const value = env[name]?.trim().toLowerCase() ?? '';
    if (!['', '0', '1', 'false', 'true'].includes(value)) {
      throw new TypeError(`${name} must be 1 or 0 (got "${env[name]}")`);
    }
    return value === '1' || value === 'true';
  };
  const redisUrl = env.MCP_AUTH_REDIS_URL?.trim();
  // The value is not echoed: a Redis URL may carry a password.
  if (redisUrl && !/^rediss?:\/\/\S+$/.test(redisUrl)) {
    throw new TypeError('MCP_AUTH_REDIS_URL must be a redis:// or rediss:// URL');
  }
  const dpop = env.MCP_AUTH_DPOP?.trim().toLowerCase() ?? '';
  if (!['', 'off', 'allowed', 'required'].includes(dpop)) {
    throw new TypeError(
      `MCP_AUTH_DPOP must be off, allowed or required (got "${env.MCP_AUTH_DPOP}")`,
    );
  }
  return {
    port,
    host,
    issuer,
    ...(preset
      ? {
          provider: env.MCP_AUTH_PROVIDER?.trim().toLowerCase(),
          jwt: preset.jwt,
          authorizationServers: preset.authorizationServers,
        }
      : {}),
    ...(jwksUri ? { jwksUri: url('MCP_AUTH_JWKS_URI', jwksUri) } : {}),
    ...(resourceUrl ? { resourceUrl: url('MCP_RESOURCE_URL', resourceUrl, { path: false }) } : {}),
    allowedOrigins,
    ...(hide === '1' || hide === 'true' ? { hideUnauthorizedTools: true } : {}),
    ...(redisUrl ? { redisUrl } : {}),
    ...(flag('MCP_STATELESS') ? { stateless: true } : {}),
    ...(dpop === 'allowed' || dpop === 'required' ? { dpop } : {}),
  };
}
