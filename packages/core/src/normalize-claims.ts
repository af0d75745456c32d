import type { AuthInfo } from './types.js';

/**
 * The default claims scopes are read from: `scope` (RFC 9068 §2.2.3).
 *
 * @example
 * ```ts
 * normalizeScopes(payload, [...DEFAULT_SCOPE_CLAIMS, 'scp']);
 * ```
 */
export const DEFAULT_SCOPE_CLAIMS: readonly string[] = ['scope'];

/**
 * The default claims the client id is read from, in order: `client_id` (RFC 9068 §2.2), `azp`.
 *
 * @example
 * ```ts
 * toAuthInfo(token, payload, resource, ['scp'], ['cid', ...DEFAULT_CLIENT_ID_CLAIMS]);
 * ```
 */
export const DEFAULT_CLIENT_ID_CLAIMS: readonly string[] = ['client_id', 'azp'];

/**
 * Collects the granted scopes from `payload`: each claim named in `scopeClaims` may be a
 * space-delimited string (`scope`, RFC 9068 §2.2.3) or an array of strings (`scp`, `scopes`,
 * `permissions`). Order is kept, duplicates and non-string entries dropped.
 *
 * @param scopeClaims - claims to read, default `['scope']`.
 * @example
 * ```ts
 * normalizeScopes({ scope: 'todo:read todo:write' });            // ['todo:read', 'todo:write']
 * normalizeScopes({ scp: ['a', 'b'], scope: 'b c' }, ['scp', 'scope']); // ['a', 'b', 'c']
 * ```
 */
export function normalizeScopes(
  payload: Record<string, unknown>,
  scopeClaims: readonly string[] = DEFAULT_SCOPE_CLAIMS,
): string[] {
  const scopes = new Set<string>();
  for (const claim of scopeClaims) {
    const value = payload[claim];
    if (typeof value === 'string') {
      for (const scope of value.split(/\s+/)) if (scope !== '') scopes.add(scope);
    } else if (Array.isArray(value)) {
      for (const entry of value) {
        if (typeof entry === 'string' && entry !== '') scopes.add(entry);
      }
    }
  }
  return [...scopes];
}

/**
 * Builds the SDK-shaped {@link AuthInfo} from a verified token's claims: `clientId` from the
 * first string among `clientIdClaims` (default `client_id`, then `azp`), else `''`; `scopes` per
 * {@link normalizeScopes}; `expiresAt` from `exp`; `extra` with `sub`, `iss` and all verified
 * `claims`.
 *
 * @example
 * ```ts
 * const info = toAuthInfo(token, payload, new URL('https://mcp.example.com/mcp'));
 * info.extra?.sub; // the token's subject
 * ```
 */
export function toAuthInfo(
  token: string,
  payload: Record<string, unknown>,
  resource: URL,
  scopeClaims: readonly string[] = DEFAULT_SCOPE_CLAIMS,
  clientIdClaims: readonly string[] = DEFAULT_CLIENT_ID_CLAIMS,
): AuthInfo {
  let clientId = '';
  for (const claim of clientIdClaims) {
    const value = payload[claim];
    if (typeof value === 'string') {
      clientId = value;
      break;
    }
  }
  const info: AuthInfo = {
    token,
    clientId,
    scopes: normalizeScopes(payload, scopeClaims),
    resource,
    extra: { sub: payload.sub, iss: payload.iss, claims: payload },
  };
  if (typeof payload.exp === 'number') info.expiresAt = payload.exp;
  return info;
}
