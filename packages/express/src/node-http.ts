import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { PlainResponse } from '@org/mcp-auth-core';

/** Largest request body read for the scope policy (the MCP SDK's own limit is 4 MB). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Every request header as name/value pairs, repeats kept: Node's `req.headers` keeps only the
 * first `Authorization`, `req.rawHeaders` keeps them all (SPEC item 19).
 *
 * @example
 * ```ts
 * rawHeaderPairs(req); // [['Authorization', 'Bearer a'], ['Authorization', 'Bearer b'], …]
 * ```
 */
export function rawHeaderPairs(req: IncomingMessage): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    pairs.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  }
  return pairs;
}

/**
 * The request headers for the core: Node's lower-cased `req.headers` record (no copy), or every
 * pair from `req.rawHeaders` when `Authorization` is repeated — `req.headers` keeps only the
 * first one, and a repeat must be refused (SPEC item 19).
 *
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

/**
 * True when the request still has an unread JSON body (nothing upstream parsed it).
 *
 * @example
 * ```ts
 * if (core.needsBody && hasUnreadJsonBody(req)) raw = await readRawBody(req);
 * ```
 */
export function hasUnreadJsonBody(req: IncomingMessage): boolean {
  const parsedUpstream = (req as { _body?: unknown })._body === true || req.readableEnded;
  return !parsedUpstream && JSON_TYPE.test(req.headers['content-type'] ?? '');
}

/**
 * Reads the whole request stream. Resolves `undefined` past {@link MAX_BODY_BYTES} (the rest
 * is drained, not kept, so the response can still be written).
 *
 * @example
 * ```ts
 * const raw = await readRawBody(req); // undefined when too large
 * ```
 */
export async function readRawBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  (req as { _body?: unknown })._body = true; // body parsers skip a body already read
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks);
}

/**
 * The parsed JSON value, or the text itself when it does not parse (the core answers -32700).
 *
 * @example
 * ```ts
 * parseJsonBody(Buffer.from('{"a":1}')); // { a: 1 }
 * parseJsonBody(Buffer.from('{')); // '{'
 * ```
 */
export function parseJsonBody(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A JSON-RPC error response (body too large: 413; body unreadable: 400).
 *
 * @example
 * ```ts
 * writePlain(res, rpcError(413, -32600, 'Request body too large'));
 * ```
 */
export function rpcError(status: number, code: number, message: string): PlainResponse {
  return { status, headers: {}, body: { jsonrpc: '2.0', id: null, error: { code, message } } };
}

/**
 * Writes a core response (metadata, preflight, denial) as-is, JSON-encoding its body.
 *
 * @example
 * ```ts
 * writePlain(res, core.preflight(request));
 * ```
 */
export function writePlain(res: ServerResponse, response: PlainResponse): void {
  const { status, headers, body } = response;
  if (res.headersSent) return void res.end();
  res.writeHead(
    status,
    body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
  );
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

function headerIn(headers: unknown, name: string): unknown {
  if (Array.isArray(headers)) {
    const i = headers.findIndex((v, j) => j % 2 === 0 && String(v).toLowerCase() === name);
    return i < 0 ? undefined : headers[i + 1];
  }
  if (typeof headers !== 'object' || headers === null) return undefined;
  return Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/**
 * Calls `listener` with the `Mcp-Session-Id` of the response when its head is written —
 * before any byte reaches the client — whether it was set with `setHeader` or passed to
 * `writeHead` (as the MCP SDK's transport does).
 *
 * @example
 * ```ts
 * onSessionIdWritten(res, (id) => core.bindSession(id, authInfo));
 * ```
 */
export function onSessionIdWritten(
  res: ServerResponse,
  listener: (sessionId: string) => void,
): void {
  const writeHead = res.writeHead;
  res.writeHead = function writeHeadWithSession(this: ServerResponse, ...args: unknown[]) {
    const id = res.getHeader('mcp-session-id') ?? headerIn(args[2] ?? args[1], 'mcp-session-id');
    if (typeof id === 'string' && id !== '') listener(id);
    res.writeHead = writeHead;
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
}
