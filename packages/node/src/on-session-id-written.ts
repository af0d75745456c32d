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
 * Calls `listener` with the `Mcp-Session-Id` of the response when its head is written —
 * before any byte reaches the client — whether it was set with `setHeader` or passed to
 * `writeHead` (as the MCP SDK's transport and Fastify's `reply.send` do).
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
