import type { IncomingMessage } from 'node:http';
import {
  BODY_TOO_LARGE,
  isJsonContentType,
  jsonRpcErrorResponse,
  type PlainResponse,
  parseJsonText,
  resolveMaxBodyBytes,
} from '@org/mcp-auth-core/adapter';
import { readRawBody } from './read-raw-body.js';

/**
 * Options of {@link readJsonBody}.
 *
 * @example
 * ```ts
 * const options: ReadJsonBodyOptions = { maxBodyBytes: 1024 * 1024 };
 * ```
 */
export interface ReadJsonBodyOptions {
  /** Largest body read, in bytes (a positive integer). Default `DEFAULT_MAX_BODY_BYTES` (4 MiB). */
  maxBodyBytes?: number;
}

/**
 * What {@link readJsonBody} resolves: the body (parsed JSON, the text when it does not parse,
 * `undefined` when empty), or the JSON-RPC error response to write (413 too large, 400
 * unreadable).
 *
 * @example
 * ```ts
 * const read: ReadJsonBodyResult = await readJsonBody(req);
 * ```
 */
export type ReadJsonBodyResult =
  | { ok: true; body: unknown }
  | { ok: false; reason: 'too_large' | 'unreadable'; response: PlainResponse };

const UNREADABLE = jsonRpcErrorResponse(400, -32700, 'Request body unreadable');

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
  // `readableEnded` first: it is what Express 5's body parsers leave (they no longer set
  // `_body`), and under Express every property read on `req` is a slow, uncached lookup — its
  // request objects get a new hidden class each (see bench/README.md, "Express: where the
  // added time goes").
  const parsedUpstream = req.readableEnded || (req as { _body?: unknown })._body === true;
  return !parsedUpstream && isJsonContentType(req.headers['content-type']);
}

/**
 * Reads and parses a Node request's JSON body, at most `maxBodyBytes` (default 4 MiB), and
 * marks it as read so body parsers after it (`express.json()`) skip it. Never rejects: a body
 * too large or unreadable (the client hung up) resolves to the JSON-RPC error response to
 * write. Throws a `TypeError` (`McpAuthConfigError`) naming a bad `maxBodyBytes`.
 *
 * @example
 * ```ts
 * const read = await readJsonBody(req, { maxBodyBytes: 1024 * 1024 });
 * if (!read.ok) return writeResponse(res, read.response);
 * const result = await core.authorize(toAuthorizeRequest(req, read.body));
 * ```
 */
export function readJsonBody(
  req: IncomingMessage,
  options?: ReadJsonBodyOptions,
): Promise<ReadJsonBodyResult> {
  return readBounded(req, resolveMaxBodyBytes(options?.maxBodyBytes));
}

/**
 * A body declared larger than the limit is refused before a byte is read; the connection closes
 * after the 413, so the server neither waits for nor drains what the client meant to send.
 */
const DECLARED_TOO_LARGE: PlainResponse = Object.freeze({
  ...BODY_TOO_LARGE,
  headers: Object.freeze({ ...BODY_TOO_LARGE.headers, Connection: 'close' }),
});

async function readBounded(
  req: IncomingMessage,
  maxBodyBytes: number,
): Promise<ReadJsonBodyResult> {
  const declared = req.headers?.['content-length'];
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > maxBodyBytes) {
    return { ok: false, reason: 'too_large', response: DECLARED_TOO_LARGE };
  }
  const raw = await readRawBody(req, maxBodyBytes).catch(() => null);
  (req as { _body?: unknown })._body = true; // body parsers skip a body already read
  if (raw === null) return { ok: false, reason: 'unreadable', response: UNREADABLE };
  if (raw === undefined) return { ok: false, reason: 'too_large', response: BODY_TOO_LARGE };
  return { ok: true, body: parseJsonText(raw.toString('utf8')) };
}
