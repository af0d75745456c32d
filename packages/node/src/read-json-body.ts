import type { IncomingMessage } from 'node:http';
import { BODY_TOO_LARGE, type PlainResponse } from '@org/mcp-auth-core';
import { isJsonType, parseJsonBody } from './parse-json-body.js';
import { type ReadBodyOptions, readRawBody, resolveMaxBytes } from './read-raw-body.js';

/**
 * What {@link readJsonBody} resolves: the body (parsed JSON, the text when it does not parse,
 * `undefined` when empty) and the bytes read, or the JSON-RPC error response to write (413 too
 * large, 400 unreadable).
 *
 * @example
 * ```ts
 * const read: ReadJsonBodyResult = await readJsonBody(req);
 * ```
 */
export type ReadJsonBodyResult =
  | { ok: true; body: unknown; raw: Buffer }
  | { ok: false; reason: 'too_large' | 'unreadable'; response: PlainResponse };

function rpcError(status: number, code: number, message: string): PlainResponse {
  return { status, headers: {}, body: { jsonrpc: '2.0', id: null, error: { code, message } } };
}

/**
 * True when the request still has an unread JSON body: a JSON content type, and no body parser
 * upstream has consumed the stream.
 *
 * @example
 * ```ts
 * if (core.needsBody && hasUnreadJsonBody(req)) read = await readJsonBody(req);
 * ```
 */
export function hasUnreadJsonBody(req: IncomingMessage): boolean {
  const parsedUpstream = (req as { _body?: unknown })._body === true || req.readableEnded;
  return !parsedUpstream && isJsonType(req.headers['content-type']);
}

/**
 * Reads and parses a request's JSON body (a Node request, or a body stream such as Fastify's
 * `preParsing` payload), at most `maxBytes` (default 4 MiB), and marks it as read so body
 * parsers after it (`express.json()`) skip it. Never rejects: a body
 * too large or unreadable resolves to the JSON-RPC error response to write. Throws a
 * `TypeError` for a bad `maxBytes`.
 *
 * @example
 * ```ts
 * const read = await readJsonBody(req, { maxBytes: 1024 * 1024 });
 * if (!read.ok) return writeResponse(res, read.response);
 * const result = await core.authorize(toAuthorizeRequest(req, read.body));
 * ```
 */
export async function readJsonBody(
  req: IncomingMessage | NodeJS.ReadableStream,
  options?: ReadBodyOptions,
): Promise<ReadJsonBodyResult> {
  const maxBytes = resolveMaxBytes(options, 'readJsonBody');
  const raw = await readRawBody(req, { maxBytes }).catch(() => null);
  (req as { _body?: unknown })._body = true; // body parsers skip a body already read
  if (raw === null) {
    return {
      ok: false,
      reason: 'unreadable',
      response: rpcError(400, -32700, 'Request body unreadable'),
    };
  }
  if (raw === undefined) {
    return {
      ok: false,
      reason: 'too_large',
      response: BODY_TOO_LARGE,
    };
  }
  return { ok: true, body: parseJsonBody(raw), raw };
}
