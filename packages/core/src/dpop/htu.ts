/**
 * The `htu` comparison of RFC 9449 §4.3 (check 9): the URI of the request without query and
 * fragment, compared after the syntax-based and scheme-based normalization of RFC 3986
 * §6.2.2–6.2.3 only — case of scheme and host, the default port, the case of percent-escapes,
 * percent-escaped unreserved characters, dot segments, an empty path as `/`.
 */

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** `%xx` upper-cased, and decoded when it stands for an unreserved character (§6.2.2.1–2). */
function normalizePercentEncoding(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const c = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
  });
}

/**
 * `uri` normalized for comparison, without query and fragment; `undefined` when it is not an
 * absolute `http`/`https` URI without userinfo.
 * @example
 * ```ts
 * normalizeHtu('HTTPS://Api.Example.com:443/a/./b/%7euser?x=1'); // 'https://api.example.com/a/b/~user'
 * ```
 */
export function normalizeHtu(uri: string): string | undefined {
  if (typeof uri !== 'string' || !URL.canParse(uri)) return undefined;
  // The WHATWG parser lower-cases scheme and host, drops the default port and removes dot
  // segments; percent-escapes it leaves as they are, so they are normalized here.
  const url = new URL(uri);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  const path = normalizePercentEncoding(url.pathname);
  // Decoding may have produced new dot segments (`%2E%2E`): parse once more to remove them.
  return new URL(`${url.origin}${path === '' ? '/' : path}`).href;
}

/**
 * The `htu` a proof must carry for a request: the scheme and authority of the configured
 * resource (never `Host` or `X-Forwarded-*`) and the path of the request as received,
 * normalized; `undefined` when the request target is not a path.
 * @example
 * ```ts
 * requestHtu('https://mcp.example.com/mcp', '/mcp?session=1'); // 'https://mcp.example.com/mcp'
 * ```
 */
export function requestHtu(resourceOrigin: string, target: string | URL): string | undefined {
  let path: string;
  if (typeof target !== 'string') {
    path = target.pathname;
  } else if (target.startsWith('/')) {
    const end = target.search(/[?#]/);
    path = end < 0 ? target : target.slice(0, end);
  } else if (URL.canParse(target)) {
    // An absolute URL built by the framework (from `Host`): only its path is used.
    path = new URL(target).pathname;
  } else {
    return undefined;
  }
  // Concatenated, not resolved: a path such as `//evil.example/mcp` must stay a path.
  return normalizeHtu(`${resourceOrigin}${path.startsWith('/') ? path : `/${path}`}`);
}
