import { isScopeToken } from './scope-token.js';

/**
 * Parameters of a `Bearer` challenge (RFC 6750 §3, RFC 9728 §5.1).
 * @example
 * ```ts
 * buildChallenge({ error: 'insufficient_scope', scope: ['todo:write'], resourceMetadata: url });
 * ```
 */
export interface ChallengeParams {
  /** `error`: omitted when the request carried no credentials (RFC 6750 §3.1). */
  error?: string;
  /** Human-readable `error_description`; forbidden characters are removed. */
  errorDescription?: string;
  /** Scopes for `scope`: deduplicated, space-separated, omitted when empty. */
  scope?: string | readonly string[];
  /** Absolute URL of the Protected Resource Metadata (`resource_metadata`). */
  resourceMetadata?: string;
  /** Optional `realm`. */
  realm?: string;
  /** The scheme. Default `Bearer`; `DPoP` for a DPoP challenge (RFC 9449 §7.1). */
  scheme?: 'Bearer' | 'DPoP';
  /** `algs` of a `DPoP` challenge: the accepted proof algorithms, space-separated. */
  algs?: string | readonly string[];
}

/**
 * A parsed challenge: its scheme and its parameters (names lower-cased).
 * @example
 * ```ts
 * const { scheme, params } = parseChallenge(res.headers.get('www-authenticate') ?? '') ?? {};
 * ```
 */
export interface ParsedChallenge {
  scheme: string;
  params: Record<string, string>;
}

// RFC 6750 §3: quoted values may contain %x20-21 / %x23-5B / %x5D-7E only.
const FORBIDDEN = /[^\x20\x21\x23-\x5b\x5d-\x7e]/g;

/**
 * Removes what RFC 6750 forbids inside a quoted value: `"`, `\`, controls, non-ASCII.
 * @example
 * ```ts
 * sanitizeChallengeValue('bad "token" ✓'); // 'bad token'
 * ```
 */
export function sanitizeChallengeValue(value: string): string {
  return value.replace(FORBIDDEN, '').trim();
}

/**
 * Deduplicated scope tokens with invalid characters dropped, in first-seen order.
 * @example
 * ```ts
 * formatScope(['a', 'b', 'a', 'x"y']); // 'a b'
 * ```
 */
export function formatScope(scope: string | readonly string[] | undefined): string {
  if (scope === undefined) return '';
  const list = typeof scope === 'string' ? scope.split(' ') : scope;
  const seen = new Set<string>();
  for (const s of list) if (isScopeToken(s)) seen.add(s);
  return [...seen].join(' ');
}

/**
 * Builds a `WWW-Authenticate` challenge: `Bearer` (or `scheme`), then `error`,
 * `error_description`, `resource_metadata`, `scope`, `realm` and (DPoP) `algs`, each at most once, always quoted, with the
 * characters RFC 6750 forbids (`"`, `\`, controls, non-ASCII) removed rather than escaped
 * (the MCP SDK's parser reads `"([^"]+)"`). Empty values are omitted.
 *
 * @see RFC 6750 §3, RFC 9728 §5.1
 * @example
 * ```ts
 * buildChallenge({ resourceMetadata: 'https://api.example.com/.well-known/oauth-protected-resource/mcp', scope: ['todo:read'] });
 * // 'Bearer resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp", scope="todo:read"'
 * buildChallenge({ error: 'invalid_token', errorDescription: 'Token expired' });
 * // 'Bearer error="invalid_token", error_description="Token expired"'
 * ```
 */
export function buildChallenge(params: ChallengeParams): string {
  const parts: string[] = [];
  add(parts, 'error', params.error);
  add(parts, 'error_description', params.errorDescription);
  add(parts, 'resource_metadata', params.resourceMetadata);
  const scope = formatScope(params.scope);
  if (scope !== '') parts.push(`scope="${scope}"`);
  add(parts, 'realm', params.realm);
  if (params.algs !== undefined) {
    add(parts, 'algs', typeof params.algs === 'string' ? params.algs : params.algs.join(' '));
  }
  const scheme = params.scheme ?? 'Bearer';
  return parts.length === 0 ? scheme : `${scheme} ${parts.join(', ')}`;
}

function add(parts: string[], name: string, value: string | undefined): void {
  if (value === undefined) return;
  const clean = sanitizeChallengeValue(value);
  if (clean !== '') parts.push(`${name}="${clean}"`);
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/**
 * Parses the first challenge of a `WWW-Authenticate` value into its scheme and parameters
 * (quoted strings unescaped, names lower-cased). Returns `undefined` for a malformed value or
 * a repeated parameter. Meant for tests and clients.
 *
 * @example
 * ```ts
 * parseChallenge('Bearer error="invalid_token", scope="a b"');
 * // { scheme: 'Bearer', params: { error: 'invalid_token', scope: 'a b' } }
 * ```
 */
export function parseChallenge(header: string): ParsedChallenge | undefined {
  let s = header.trimStart();
  const scheme = TOKEN.exec(s)?.[0];
  if (scheme === undefined) return undefined;
  s = s.slice(scheme.length);
  const params: Record<string, string> = {};
  if (s.trim() === '') return { scheme, params };
  if (!/^[ \t]/.test(s)) return undefined;
  s = s.trimStart();
  for (;;) {
    const name = TOKEN.exec(s)?.[0];
    if (name === undefined) return undefined;
    let rest = s.slice(name.length).trimStart();
    if (rest[0] !== '=') {
      // The start of the next challenge (or a token68): stop at this challenge's end.
      return Object.keys(params).length > 0 ? { scheme, params } : undefined;
    }
    rest = rest.slice(1).trimStart();
    let value: string;
    if (rest[0] === '"') {
      let i = 1;
      value = '';
      for (; i < rest.length && rest[i] !== '"'; i++) {
        if (rest[i] === '\\' && i + 1 < rest.length) i++;
        value += rest[i];
      }
      if (i >= rest.length) return undefined;
      rest = rest.slice(i + 1);
    } else {
      const token = TOKEN.exec(rest)?.[0];
      if (token === undefined) return undefined;
      value = token;
      rest = rest.slice(token.length);
    }
    const key = name.toLowerCase();
    if (Object.hasOwn(params, key)) return undefined;
    params[key] = value;
    rest = rest.trimStart();
    if (rest === '') return { scheme, params };
    if (rest[0] !== ',') return undefined;
    s = rest.slice(1).trimStart();
    if (s === '') return { scheme, params };
  }
}
