import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/** Largest request body read for the scope policy (the MCP SDK's own limit is 4 MB). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * True for `application/json` and `application/*+json` content types.
 *
 * @example
 * ```ts
 * isJsonType('application/json; charset=utf-8'); // true
 * ```
 */
export function isJsonType(contentType: string | undefined): boolean {
  return JSON_TYPE.test(contentType ?? '');
}

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
 * Reads a whole body stream. Resolves `undefined` past {@link MAX_BODY_BYTES} (the rest is
 * drained, not kept, so the response can still be written).
 *
 * @example
 * ```ts
 * const raw = await readRawBody(req); // undefined when too large
 * ```
 */
export function readRawBody(
  stream: NodeJS.ReadableStream | AsyncIterable<Buffer | string>,
): Promise<Buffer | undefined> {
  if (!('on' in stream)) return readIterable(stream);
  // Event-based: much cheaper per request than an async iterator over the stream.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size <= MAX_BODY_BYTES) chunks.push(buffer);
    });
    let ended = false;
    stream.on('error', reject);
    stream.on('end', () => {
      ended = true;
      resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks, size));
    });
    // A client that goes away mid-body: never leave the request hanging.
    stream.on('close', () => {
      if (!ended) reject(new Error('request body closed before its end'));
    });
  });
}

async function readIterable(stream: AsyncIterable<Buffer | string>): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size <= MAX_BODY_BYTES) chunks.push(buffer);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks);
}

/**
 * A stream that yields `body` once: the body read for the policy, handed back to Fastify's
 * parser (cheaper than `Readable.from`, which drives an async iterator).
 *
 * @example
 * ```ts
 * return replayBody(raw);
 * ```
 */
export function replayBody(body: Buffer): Readable {
  return new Readable({
    read() {
      this.push(body);
      this.push(null);
    },
  });
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
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
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
 * `writeHead` (as the MCP SDK's transport does, and as Fastify's `reply.send` does).
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
