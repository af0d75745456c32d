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
 * Builds the SDK-shaped {@link AuthInfo} from a verified token's claims: `clientId` from
 * `client_id`, else `azp`, else `''`; `scopes` per {@link normalizeScopes}; `expiresAt` from
 * `exp`; `extra` with `sub`, `iss` and all verified `claims`.
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
): AuthInfo {
  const clientId =
    typeof payload.client_id === 'string'
      ? payload.client_id
      : typeof payload.azp === 'string'
        ? payload.azp
        : '';
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
