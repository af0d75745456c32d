import { McpAuthConfigError } from './errors.js';

/**
 * True for loopback hosts: `localhost` (and `*.localhost`), any `127.0.0.0/8` address and
 * `::1` (with or without brackets). Case-insensitive.
 *
 * @example
 * ```ts
 * isLoopbackHost('127.0.0.1'); // true
 * isLoopbackHost('[::1]');     // true
 * isLoopbackHost('example.com'); // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '[::1]') return true;
  const parts = h.split('.');
  return (
    parts.length === 4 &&
    parts[0] === '127' &&
    parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)
  );
}

/**
 * Parses `value` and requires `https:`, or `http:` on a loopback host (development).
 * Throws a `TypeError` ({@link McpAuthConfigError}) naming `option` otherwise.
 *
 * @returns the parsed URL.
 * @example
 * ```ts
 * assertSecureUrl('issuer', 'https://auth.example.com'); // URL
 * assertSecureUrl('issuer', 'http://auth.example.com');  // throws TypeError
 * ```
 */
export function assertSecureUrl(option: string, value: unknown): URL {
  if (typeof value !== 'string' || value === '') {
    throw new McpAuthConfigError(option, 'must be a non-empty URL string');
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new McpAuthConfigError(option, 'must be an absolute URL');
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  throw new McpAuthConfigError(
    option,
    'must be an https URL (http is allowed for loopback hosts only)',
  );
}

/**
 * A URI in the strict form the tolerant comparison applies to: `scheme://host[:port]` then a
 * path and/or query, in ASCII, with no userinfo, fragment, backslash, whitespace or control
 * character. The host is a plain name or IPv4 address (letters, digits, `.`, `-`) or a
 * bracketed IPv6 literal; the rest holds RFC 3986 characters only. Linear: no group can
 * match what a neighbouring one matches.
 */
const STRICT_URI =
  /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]+))?([/?][A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*)?$/;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443' };

/**
 * The comparison key of a resource URI in strict form (see {@link canonicalResource}), or
 * `undefined` when `uri` is not in that form (it then only ever equals itself).
 */
function resourceKey(uri: string): string | undefined {
  const match = STRICT_URI.exec(uri);
  if (match === null) return undefined;
  const scheme = (match[1] as string).toLowerCase();
  const host = (match[2] as string).toLowerCase();
  const port = match[3];
  let rest = match[4] ?? '';
  // `/` as the whole path is the same as an empty path (RFC 3986 §6.2.3).
  if (rest === '/' || rest.startsWith('/?')) rest = rest.slice(1);
  const explicitPort = port === undefined || port === DEFAULT_PORTS[scheme] ? '' : `:${port}`;
  return `${scheme}://${host}${explicitPort}${rest}`;
}

/**
 * Canonical form of a resource URI for audience comparisons (RFC 8707, RFC 3986 §6.2.3):
 * scheme and host lowercased, an explicit default port (`:443` for https, `:80` for http)
 * dropped, and `/` as the whole path dropped — and nothing else. Everything else is compared
 * as written: the path's case and percent-encoding, dot segments, a trailing slash after a
 * path segment, the query. A value outside the strict form — a fragment, userinfo, a
 * backslash, whitespace or a control character anywhere, a percent-encoded or non-ASCII host,
 * an empty port, or no `scheme://` at all (plain audiences such as `res_123`) — is returned
 * unchanged, so it only matches itself. The value is never run through the WHATWG URL
 * parser, which would "repair" such spellings into the resource.
 *
 * @see RFC 3986 §6.2.2.1 (case), §6.2.3 (scheme-based normalization); RFC 8707 §2
 * @example
 * ```ts
 * canonicalResource('HTTPS://MCP.Example.com:443/mcp'); // 'https://mcp.example.com/mcp'
 * canonicalResource('https://mcp.example.com/');        // 'https://mcp.example.com'
 * canonicalResource('https://mcp.example.com/mcp/');    // unchanged: a trailing slash is a different path
 * canonicalResource('https://mcp.example.com/mcp#x');   // unchanged: not a resource identifier
 * ```
 */
export function canonicalResource(uri: string): string {
  return resourceKey(uri) ?? uri;
}

/**
 * True when `a` and `b` name the same resource: equal code point for code point, or both in
 * strict form and differing only by scheme/host case, an explicit default port, or `/` as the
 * whole path (see {@link canonicalResource}).
 *
 * @see RFC 8707 §2, MCP authorization (token audience validation)
 * @example
 * ```ts
 * resourceMatches('https://mcp.example.com/mcp', 'https://MCP.example.com:443/mcp'); // true
 * resourceMatches('https://mcp.example.com/mcp', 'https://mcp.example.com/mcp/'); // false
 * resourceMatches('https://mcp.example.com/mcp', 'https:\\mcp.example.com\\mcp'); // false
 * ```
 */
export function resourceMatches(a: string, b: string): boolean {
  if (a === b) return true;
  const keyA = resourceKey(a);
  return keyA !== undefined && keyA === resourceKey(b);
}

/**
 * The audiences of {@link createAudienceMatcher}: the configured ones, each accepted as
 * written and in the spellings {@link resourceMatches} tolerates.
 */
export type AudienceMatcher = (aud: unknown) => boolean;

/**
 * A matcher for a token's `aud` claim (a string or an array of strings, RFC 7519 §4.1.3):
 * true when some string value {@link resourceMatches} one of `audiences`. Keys are computed
 * once here; each call only keys the token's values.
 *
 * @example
 * ```ts
 * const accepts = createAudienceMatcher(['https://mcp.example.com/mcp', 'api://todo']);
 * accepts(['https://other.example', 'https://MCP.example.com/mcp']); // true
 * ```
 */
export function createAudienceMatcher(audiences: Iterable<string>): AudienceMatcher {
  const exact = new Set(audiences);
  const keys = new Set<string>();
  for (const audience of exact) {
    const key = resourceKey(audience);
    if (key !== undefined) keys.add(key);
  }
  const one = (value: unknown): boolean => {
    if (typeof value !== 'string') return false;
    if (exact.has(value)) return true;
    const key = resourceKey(value);
    return key !== undefined && keys.has(key);
  };
  return (aud) => (Array.isArray(aud) ? aud.some(one) : one(aud));
}
