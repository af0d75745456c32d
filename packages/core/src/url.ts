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
 * Canonical form of a resource URI for comparisons (RFC 8707, RFC 3986 §6.2.2–6.2.3):
 * scheme and host lowercased, default port and fragment dropped, no trailing slash. A value
 * that is not an absolute URL is returned unchanged (audiences may be plain strings).
 *
 * @example
 * ```ts
 * canonicalResource('HTTPS://MCP.Example.com:443/mcp/'); // 'https://mcp.example.com/mcp'
 * canonicalResource('https://mcp.example.com/');         // 'https://mcp.example.com'
 * ```
 */
export function canonicalResource(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return uri;
  }
  url.hash = '';
  let text = url.href;
  if (url.search === '' && text.endsWith('/')) text = text.slice(0, -1);
  return text;
}

/**
 * True when two resource URIs are the same resource under {@link canonicalResource}.
 *
 * @example
 * ```ts
 * resourceMatches('https://mcp.example.com/mcp', 'https://MCP.example.com/mcp/'); // true
 * resourceMatches('https://mcp.example.com/mcp', 'https://mcp.example.com/other'); // false
 * ```
 */
export function resourceMatches(a: string, b: string): boolean {
  return a === b || canonicalResource(a) === canonicalResource(b);
}
