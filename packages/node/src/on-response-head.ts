import type { ServerResponse } from 'node:http';

function headerIn(headers: unknown, name: string): unknown {
  if (Array.isArray(headers)) {
    const i = headers.findIndex((v, j) => j % 2 === 0 && String(v).toLowerCase() === name);
    return i < 0 ? undefined : headers[i + 1];
  }
  if (typeof headers !== 'object' || headers === null) return undefined;
  return Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/**
 * The head of a Node response as the core's `onResponse` takes it.
 *
 * @example
 * ```ts
 * const head: NodeResponseHead = { status: 200, sessionId: 'abc' };
 * ```
 */
export interface NodeResponseHead {
  /** The status written, or 0 when the response closed without a head. */
  status: number;
  /** The `Mcp-Session-Id` the head carries, if any. */
  sessionId: string | undefined;
}

/**
 * Calls `listener` once with the status and `Mcp-Session-Id` of the response when its head is
 * written — before any byte reaches the client — whether the header was set with `setHeader` or
 * passed to `writeHead` (as the MCP SDK's transport and Fastify's `reply.send` do); or with
 * status 0 when the connection closes before any head was written — at once, when it is closed
 * already (unless `reportClose: false`: a caller with nothing to give back saves the listener).
 *
 * @example
 * ```ts
 * onResponseHead(res, (head) => core.onResponse(result, head));
 * ```
 */
export function onResponseHead(
  res: ServerResponse,
  listener: (head: NodeResponseHead) => void,
  options: { reportClose?: boolean } = {},
): void {
  const reportClose = options.reportClose ?? true;
  // The connection may be gone already (the client hung up while the body was read or the
  // token verified): no head will ever be written and 'close' has fired, so say so now.
  if (reportClose && (res.destroyed || res.closed || res.socket?.destroyed === true)) {
    listener({ status: 0, sessionId: undefined });
    return;
  }
  let called = false;
  const writeHead = res.writeHead;
  res.writeHead = function writeHeadWithSession(this: ServerResponse, ...args: unknown[]) {
    res.writeHead = writeHead;
    if (!called) {
      called = true;
      const status = typeof args[0] === 'number' ? args[0] : res.statusCode;
      const id = res.getHeader('mcp-session-id') ?? headerIn(args[2] ?? args[1], 'mcp-session-id');
      listener({ status, sessionId: typeof id === 'string' && id !== '' ? id : undefined });
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
  if (!reportClose) return;
  res.once('close', () => {
    if (called) return;
    called = true;
    listener({ status: 0, sessionId: undefined });
  });
}
