import { McpAuthConfigError } from './errors.js';
import { isScopeToken } from './scope-token.js';
import type { AuthInfo } from './types.js';

/**
 * The shape of a scope claim: `'string'`, scope-tokens separated by single spaces (U+0020;
 * RFC 6749 §3.3, RFC 9068 §2.2.3), or `'array'`, a JSON array with one scope-token per entry.
 */
export type ScopeClaimFormat = 'string' | 'array';

/**
 * A claim scopes are read from, with its declared shape.
 * @example
 * ```ts
 * const okta: ScopeClaim = { claim: 'scp', format: 'array' };
 * const entra: ScopeClaim = { claim: 'scp', format: 'string' };
 * ```
 */
export interface ScopeClaim {
  /** The claim name, e.g. `scp`. */
  claim: string;
  /** Its shape. `scope` is always `'string'`. */
  format: ScopeClaimFormat;
}

/**
 * An entry of the `scopeClaims` option: a {@link ScopeClaim}, or a bare claim name as
 * shorthand — `'scope'` for `{ claim: 'scope', format: 'string' }` and any other name for
 * `{ claim: name, format: 'array' }` (the shape of Okta's `scp`, Auth0's and WorkOS's
 * `permissions`, Scalekit's `scopes`, Entra ID's `roles`). A space-delimited claim other than
 * `scope` must be declared: `{ claim: 'scp', format: 'string' }` (Entra ID).
 *
 * @example
 * ```ts
 * const scopeClaims: ScopeClaimOption[] = ['scope', 'permissions', { claim: 'scp', format: 'string' }];
 * ```
 */
export type ScopeClaimOption = string | ScopeClaim;

/**
 * A scope value a token carried but was not granted, as reported in
 * `authInfo.extra.droppedScopes`.
 *
 * - `invalid_scope_token`: a string that is not a scope-token (RFC 6749 §3.3:
 *   `%x21 / %x23-5B / %x5D-7E`, so no space, `"` or `\`) — e.g. two scopes joined by a tab
 *   or a no-break space; `value` is the string dropped.
 * - `wrong_shape`: the claim is not of its declared format (an array in `scope`, a string in
 *   an array claim, a number…) and grants nothing, or an array claim has an entry that is not
 *   a string (the other entries still count); `value` is the JSON type found (`'array'`,
 *   `'string'`, `'number'`, `'boolean'`, `'object'` or `'null'`).
 *
 * `value` is printable ASCII: other characters (and `\`) appear as `\uXXXX`, cut at 64
 * characters.
 *
 * @example
 * ```ts
 * const dropped = authInfo.extra?.droppedScopes as DroppedScope[] | undefined;
 * // [{ claim: 'scope', reason: 'invalid_scope_token', value: 'todo:read\\u00a0calendar:write' }]
 * ```
 */
export interface DroppedScope {
  claim: string;
  reason: 'invalid_scope_token' | 'wrong_shape';
  value: string;
}

/** Scopes granted by a token's claims, and what was dropped (see {@link parseScopeClaims}). */
export interface ParsedScopes {
  scopes: string[];
  dropped: DroppedScope[];
}

/**
 * The default claims scopes are read from: `scope`, a space-delimited string (RFC 9068 §2.2.3).
 *
 * @example
 * ```ts
 * normalizeScopes(payload, [...DEFAULT_SCOPE_CLAIMS, { claim: 'scp', format: 'array' }]);
 * ```
 */
export const DEFAULT_SCOPE_CLAIMS: readonly ScopeClaimOption[] = ['scope'];

/**
 * The default claims the client id is read from, in order: `client_id` (RFC 9068 §2.2), `azp`.
 *
 * @example
 * ```ts
 * toAuthInfo(token, payload, resource, ['scp'], ['cid', ...DEFAULT_CLIENT_ID_CLAIMS]);
 * ```
 */
export const DEFAULT_CLIENT_ID_CLAIMS: readonly string[] = ['client_id', 'azp'];

/** Most dropped values reported per token (the rest are dropped all the same). */
const MAX_DROPPED_REPORTED = 16;
const MAX_DROPPED_VALUE_CHARS = 64;

/** Resolves one `scopeClaims` entry (bare name → declared shape); `undefined` when invalid. */
function toScopeClaim(entry: unknown): ScopeClaim | undefined {
  if (typeof entry === 'string') {
    if (entry === '') return undefined;
    return { claim: entry, format: entry === 'scope' ? 'string' : 'array' };
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined;
  const { claim, format } = entry as Partial<ScopeClaim>;
  if (Object.keys(entry).some((k) => k !== 'claim' && k !== 'format')) return undefined;
  if (typeof claim !== 'string' || claim === '') return undefined;
  if (format !== 'string' && format !== 'array') return undefined;
  if (claim === 'scope' && format !== 'string') return undefined;
  return { claim, format };
}

/**
 * Validates a `scopeClaims` option (a `TypeError` naming `option` and the entry) and resolves
 * its shorthands. `undefined` yields `fallback` (default `['scope']`).
 *
 * @throws McpAuthConfigError for a value that is not a non-empty array of claim names or
 *   `{ claim, format }` objects, an unknown format, `scope` declared as an array, or a claim
 *   listed twice.
 * @example
 * ```ts
 * resolveScopeClaims('scopeClaims', ['scope', 'permissions']);
 * // [{ claim: 'scope', format: 'string' }, { claim: 'permissions', format: 'array' }]
 * ```
 */
export function resolveScopeClaims(
  option: string,
  value: unknown,
  fallback: readonly ScopeClaimOption[] = DEFAULT_SCOPE_CLAIMS,
): readonly ScopeClaim[] {
  const list = value === undefined ? fallback : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new McpAuthConfigError(
      option,
      'must be a non-empty array of claim names or { claim, format } objects',
    );
  }
  const seen = new Set<string>();
  return Object.freeze(
    list.map((entry: unknown, i: number) => {
      const resolved = toScopeClaim(entry);
      if (resolved === undefined) {
        const scopeAsArray =
          typeof entry === 'object' &&
          entry !== null &&
          (entry as { claim?: unknown }).claim === 'scope';
        throw new McpAuthConfigError(
          `${option}[${i}]`,
          scopeAsArray
            ? 'declares "scope" with another format than "string" (RFC 6749 §3.3: a space-delimited string)'
            : 'must be a claim name or { claim: string, format: "string" | "array" }',
        );
      }
      if (seen.has(resolved.claim)) {
        throw new McpAuthConfigError(`${option}[${i}]`, `lists "${resolved.claim}" twice`);
      }
      seen.add(resolved.claim);
      return Object.freeze(resolved);
    }),
  );
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** `value` as printable ASCII for a report: `\uXXXX` for anything else (and `\`), cut short. */
function printable(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const piece =
      c >= 0x20 && c <= 0x7e && c !== 0x5c
        ? (value[i] as string)
        : `\\u${c.toString(16).padStart(4, '0')}`;
    if (out.length + piece.length > MAX_DROPPED_VALUE_CHARS) break;
    out += piece;
  }
  return out;
}

/**
 * Reads the granted scopes from `payload` strictly. Each claim named in `scopeClaims` must
 * have its declared shape: a `'string'` claim is split on U+0020 only (empty pieces between
 * spaces ignored), an `'array'` claim has one scope per entry. Every value must be a
 * scope-token (RFC 6749 §3.3); anything else is dropped and listed in `dropped`, and a claim
 * of the wrong shape grants nothing (also listed). Order is kept, duplicates removed. An
 * absent claim is neither granted nor reported.
 *
 * @param scopeClaims - claims to read, default `['scope']` (see {@link ScopeClaimOption}).
 * @see RFC 6749 §3.3, RFC 9068 §2.2.3
 * @example
 * ```ts
 * parseScopeClaims({ scope: 'todo:read\u00a0calendar:write todo:write' });
 * // { scopes: ['todo:write'],
 * //   dropped: [{ claim: 'scope', reason: 'invalid_scope_token', value: 'todo:read\\u00a0calendar:write' }] }
 * ```
 */
export function parseScopeClaims(
  payload: Record<string, unknown>,
  scopeClaims: readonly ScopeClaimOption[] = DEFAULT_SCOPE_CLAIMS,
): ParsedScopes {
  const scopes = new Set<string>();
  const dropped: DroppedScope[] = [];
  const drop = (claim: string, reason: DroppedScope['reason'], value: string) => {
    if (dropped.length < MAX_DROPPED_REPORTED) dropped.push({ claim, reason, value });
  };
  for (const entry of scopeClaims) {
    const spec = toScopeClaim(entry);
    if (spec === undefined) throw new McpAuthConfigError('scopeClaims', 'has an invalid entry');
    const { claim, format } = spec;
    const value = payload[claim];
    if (value === undefined) continue;
    if (format === 'string') {
      if (typeof value !== 'string') {
        drop(claim, 'wrong_shape', jsonType(value));
        continue;
      }
      for (const piece of value.split(' ')) {
        if (piece === '') continue;
        if (isScopeToken(piece)) scopes.add(piece);
        else drop(claim, 'invalid_scope_token', printable(piece));
      }
    } else {
      if (!Array.isArray(value)) {
        drop(claim, 'wrong_shape', jsonType(value));
        continue;
      }
      for (const item of value) {
        if (typeof item !== 'string') drop(claim, 'wrong_shape', jsonType(item));
        else if (isScopeToken(item)) scopes.add(item);
        else drop(claim, 'invalid_scope_token', printable(item));
      }
    }
  }
  return { scopes: [...scopes], dropped };
}

/**
 * The granted scopes of `payload` per {@link parseScopeClaims} (what was dropped is not
 * returned; {@link toAuthInfo} reports it).
 *
 * @param scopeClaims - claims to read, default `['scope']` (see {@link ScopeClaimOption}).
 * @example
 * ```ts
 * normalizeScopes({ scope: 'todo:read todo:write' }); // ['todo:read', 'todo:write']
 * normalizeScopes({ scp: ['a', 'b'], scope: 'b c' }, [{ claim: 'scp', format: 'array' }, 'scope']); // ['a', 'b', 'c']
 * normalizeScopes({ scope: ['a', 'b'] });             // [] (scope is a string claim)
 * ```
 */
export function normalizeScopes(
  payload: Record<string, unknown>,
  scopeClaims: readonly ScopeClaimOption[] = DEFAULT_SCOPE_CLAIMS,
): string[] {
  return parseScopeClaims(payload, scopeClaims).scopes;
}

/**
 * Builds the SDK-shaped {@link AuthInfo} from a verified token's claims: `clientId` from the
 * first string among `clientIdClaims` (default `client_id`, then `azp`), else `''`; `scopes` per
 * {@link parseScopeClaims}; `expiresAt` from `exp`; `extra` with `sub`, `iss`, all verified
 * `claims` and, only when a scope value was not granted, `droppedScopes`
 * ({@link DroppedScope}[], at most 16).
 *
 * @example
 * ```ts
 * const info = toAuthInfo(token, payload, new URL('https://mcp.example.com/mcp'));
 * info.extra?.sub; // the token's subject
 * info.extra?.droppedScopes; // undefined, or e.g. [{ claim: 'scope', reason: 'wrong_shape', value: 'array' }]
 * ```
 */
export function toAuthInfo(
  token: string,
  payload: Record<string, unknown>,
  resource: URL,
  scopeClaims: readonly ScopeClaimOption[] = DEFAULT_SCOPE_CLAIMS,
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
  const { scopes, dropped } = parseScopeClaims(payload, scopeClaims);
  const extra: Record<string, unknown> = { sub: payload.sub, iss: payload.iss, claims: payload };
  if (dropped.length > 0) extra.droppedScopes = dropped;
  const info: AuthInfo = { token, clientId, scopes, resource, extra };
  if (typeof payload.exp === 'number') info.expiresAt = payload.exp;
  return info;
}
