import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** Every request header as name/value pairs, repeats kept (`req.rawHeaders` keeps them all). */
function rawHeaderPairs(req: IncomingMessage): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    pairs.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  }
  return pairs;
}

/**
 * The request headers for the core: Node's lower-cased `req.headers` record (no copy), or every
 * pair from `req.rawHeaders` when `Authorization` is repeated — `req.headers` keeps only the
 * first one, and the core must see the repeat to refuse it with a 400 (RFC 6750 §2).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2
 * @example
 * ```ts
 * core.authorize({ method: req.method, url: req.url, headers: requestHeaders(req) });
 * ```
 */
export function requestHeaders(
  req: IncomingMessage,
): IncomingHttpHeaders | Array<[string, string]> {
  const raw = req.rawHeaders;
  let seen = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 13 && name.toLowerCase() === 'authorization') {
      if (seen) return rawHeaderPairs(req);
      seen = true;
    }
  }
  return req.headers;
}
