import type { DevAuthorizationServerOptions, DevUser } from './start-dev-authorization-server.js';
import type { SigningAlg } from './signing-key.js';

/**
 * Default port of the development authorization server (sample apps assume it).
 *
 * @example
 * ```ts
 * const issuer = `http://127.0.0.1:${DEFAULT_PORT}`; // http://127.0.0.1:9400
 * ```
 */
export const DEFAULT_PORT = 9400;

/**
 * Parse `DEV_AS_USERS`: comma-separated `username:password[:sub[:name]]` entries.
 *
 * @example
 * ```ts
 * parseUsers('alice:alice,carol:secret:user-carol:Carol Doe');
 * // [{ username: 'alice', password: 'alice' },
 * //  { username: 'carol', password: 'secret', sub: 'user-carol', name: 'Carol Doe' }]
 * ```
 */
export function parseUsers(value: string): DevUser[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [username, password, sub, ...name] = entry.split(':');
      if (!username || !password) {
        throw new TypeError(
          `DEV_AS_USERS: entry "${entry}" must look like username:password[:sub[:name]]`,
        );
      }
      const user: DevUser = { username, password };
      if (sub) user.sub = sub;
      if (name.length) user.name = name.join(':');
      return user;
    });
}

/**
 * Parse `DEV_AS_SCOPES`: scopes separated by spaces and/or commas.
 *
 * @example
 * ```ts
 * parseScopes('todo:read, todo:write'); // ['todo:read', 'todo:write']
 * ```
 */
export function parseScopes(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

/**
 * Build server options from environment variables (see the README for the list).
 *
 * @example
 * ```ts
 * const options = readEnvOptions({ PORT: '9400', DEV_AS_AUTO_APPROVE: '1' });
 * ```
 */
export function readEnvOptions(
  env: Record<string, string | undefined>,
): DevAuthorizationServerOptions {
  const options: DevAuthorizationServerOptions = {};
  const port = env.PORT?.trim() ? Number(env.PORT) : DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`PORT must be an integer from 0 to 65535 (got "${env.PORT}")`);
  }
  options.port = port;
  options.host = env.HOST?.trim() || '127.0.0.1';
  if (env.DEV_AS_ISSUER?.trim()) {
    options.issuer = env.DEV_AS_ISSUER.trim();
  } else if (port !== 0) {
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    options.issuer = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  }
  if (env.DEV_AS_USERS?.trim()) options.users = parseUsers(env.DEV_AS_USERS);
  if (env.DEV_AS_SCOPES?.trim()) options.scopes = parseScopes(env.DEV_AS_SCOPES);
  if (env.DEV_AS_SIGNING_ALG?.trim()) {
    const alg = env.DEV_AS_SIGNING_ALG.trim().toUpperCase();
    if (alg !== 'RS256' && alg !== 'ES256') {
      throw new TypeError(
        `DEV_AS_SIGNING_ALG must be RS256 or ES256 (got "${env.DEV_AS_SIGNING_ALG}")`,
      );
    }
    options.signingAlg = alg as SigningAlg;
  }
  const auto = env.DEV_AS_AUTO_APPROVE?.trim().toLowerCase();
  if (auto && !['0', 'false', 'no', 'off'].includes(auto)) {
    const user = env.DEV_AS_AUTO_APPROVE_USER?.trim();
    options.autoApprove = user ? { username: user } : true;
  }
  if (env.DEV_AS_ACCESS_TOKEN_TTL?.trim()) {
    options.accessTokenTtl = Number(env.DEV_AS_ACCESS_TOKEN_TTL);
  }
  if (env.DEV_AS_KEY_GRACE_SECONDS?.trim()) {
    options.keyGraceSeconds = Number(env.DEV_AS_KEY_GRACE_SECONDS);
  }
  const dpop = env.DEV_AS_DPOP?.trim().toLowerCase();
  if (dpop) {
    if (['1', 'true', 'yes', 'on'].includes(dpop)) options.dpop = true;
    else if (['0', 'false', 'no', 'off'].includes(dpop)) options.dpop = false;
    else throw new TypeError(`DEV_AS_DPOP must be 1 or 0 (got "${env.DEV_AS_DPOP}")`);
  }
  return options;
}
