import type { PlainResponse } from './types.js';
import { isLoopbackHost } from './url.js';

/**
 * CORS options for the MCP endpoint.
 * @example
 * ```ts
 * createMcpAuth({ ...options, cors: { allowedOrigins: ['https://app.example'], maxAgeSeconds: 600 } });
 * ```
 */
export interface CorsOptions {
  /**
   * `'*'` (default) or the exact origins (`https://app.example`) allowed to call; the list may
   * include `'loopback'` for any `http`/`https` origin on a loopback host, any port.
   */
  allowedOrigins?: '*' | readonly string[];
  /** Preflight cache lifetime in seconds (`Access-Control-Max-Age`). Default 7200. */
  maxAgeSeconds?: number;
}

/**
 * CORS headers and preflight answers, precomputed once from {@link CorsOptions}.
 * @example
 * ```ts
 * const cors = createCors();
 * res.set(cors.responseHeaders(req.headers.origin));
 * ```
 */
export interface Cors {
  /** False only when origins are listed and the request's `Origin` is not among them. */
  isAllowed(origin: string | undefined): boolean;
  /**
   * Headers for an actual response (allow or deny), a fresh object: none without an `Origin`;
   * with one, `Vary: Origin` and — when it is allowed — Allow-Origin and Expose-Headers.
   */
  responseHeaders(origin: string | undefined): Record<string, string>;
  /** 204 with the Allow-* headers, or 403 for an origin that is not allowed. */
  preflight(origin: string | undefined): PlainResponse;
}

/**
 * Methods a preflight allows on the MCP endpoint.
 * @example
 * ```ts
 * headers['Access-Control-Allow-Methods'] = CORS_ALLOW_METHODS;
 * ```
 */
export const CORS_ALLOW_METHODS = 'GET, POST, DELETE, OPTIONS';
/**
 * Request headers a preflight allows on the MCP endpoint.
 * @example
 * ```ts
 * headers['Access-Control-Allow-Headers'] = CORS_ALLOW_HEADERS;
 * ```
 */
export const CORS_ALLOW_HEADERS =
  'Authorization, Content-Type, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID';
/**
 * Response headers exposed to browser scripts.
 * @example
 * ```ts
 * headers['Access-Control-Expose-Headers'] = CORS_EXPOSE_HEADERS;
 * ```
 */
export const CORS_EXPOSE_HEADERS = 'WWW-Authenticate, Mcp-Session-Id';

/**
 * Precomputes CORS headers for the MCP endpoint. They go only on answers to requests that
 * carry an `Origin` (a browser's): a server-side client, the common case, never reads them.
 * Such an answer carries `Vary: Origin`, since its headers depend on that request header. With
 * `'*'` an allowed answer has `Access-Control-Allow-Origin: *`; with a list, a listed `Origin`
 * is echoed and any other gets no Allow-Origin (and a 403 from `authorize`). Allowed answers
 * expose `WWW-Authenticate, Mcp-Session-Id` so browser-based hosts can read challenges.
 *
 * @example
 * ```ts
 * const cors = createCors({ allowedOrigins: ['https://app.example'] });
 * cors.responseHeaders('https://app.example');
 * // { 'Access-Control-Allow-Origin': 'https://app.example', 'Access-Control-Expose-Headers': 'WWW-Authenticate, Mcp-Session-Id', Vary: 'Origin' }
 * cors.responseHeaders(undefined); // {}
 * ```
 */
export function createCors(options: CorsOptions = {}, dpop = false): Cors {
  const allowed = options.allowedOrigins ?? '*';
  // With DPoP a browser client sends the `DPoP` proof header and reads `DPoP-Nonce`.
  const allowHeaders = dpop ? `${CORS_ALLOW_HEADERS}, DPoP` : CORS_ALLOW_HEADERS;
  const exposeHeaders = dpop ? `${CORS_EXPOSE_HEADERS}, DPoP-Nonce` : CORS_EXPOSE_HEADERS;
  const maxAge = String(options.maxAgeSeconds ?? 7200);
  if (allowed === '*') {
    const headers = Object.freeze({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Expose-Headers': exposeHeaders,
      Vary: 'Origin',
    });
    const preflightHeaders = Object.freeze({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': CORS_ALLOW_METHODS,
      'Access-Control-Allow-Headers': allowHeaders,
      'Access-Control-Max-Age': maxAge,
    });
    return {
      isAllowed: () => true,
      // Object.assign, not spread: spreading these header records is ~20× slower in V8.
      responseHeaders: (origin) => (origin === undefined ? {} : Object.assign({}, headers)),
      preflight: () => ({ status: 204, headers: Object.assign({}, preflightHeaders) }),
    };
  }
  const loopback = allowed.includes('loopback');
  const origins = new Set(allowed.filter((o) => o !== 'loopback').map((o) => new URL(o).origin));
  const listed = (origin: string) => origins.has(origin) || (loopback && isLoopbackOrigin(origin));
  const isAllowed = (origin: string | undefined) => origin === undefined || listed(origin);
  return {
    isAllowed,
    responseHeaders(origin): Record<string, string> {
      if (origin === undefined) return {};
      if (!listed(origin)) return { Vary: 'Origin' };
      return {
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Expose-Headers': exposeHeaders,
        Vary: 'Origin',
      };
    },
    preflight(origin) {
      if (!isAllowed(origin)) {
        return {
          status: 403,
          headers: { 'Content-Type': 'application/json', Vary: 'Origin' },
          body: { error: 'invalid_origin', error_description: 'Origin not allowed' },
        };
      }
      const headers: Record<string, string> = {};
      if (origin !== undefined) headers['Access-Control-Allow-Origin'] = origin;
      headers['Access-Control-Allow-Methods'] = CORS_ALLOW_METHODS;
      headers['Access-Control-Allow-Headers'] = allowHeaders;
      headers['Access-Control-Max-Age'] = maxAge;
      headers.Vary = 'Origin';
      return { status: 204, headers };
    },
  };
}

/**
 * True for an `Origin` that is exactly the serialization of an `http` or `https` origin on a
 * loopback host (`localhost`, `*.localhost`, `127.0.0.0/8`, `[::1]`), any port. `null`, paths,
 * userinfo and anything the URL parser would have to repair are refused.
 *
 * @example
 * ```ts
 * isLoopbackOrigin('http://localhost:6274'); // true
 * isLoopbackOrigin('http://127.0.0.1.evil.example'); // false
 * ```
 */
export function isLoopbackOrigin(origin: string): boolean {
  if (!URL.canParse(origin)) return false;
  const url = new URL(origin);
  if (url.origin !== origin) return false;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return isLoopbackHost(url.hostname);
}
