/** The protocol version the checks offer in `initialize`. */
export const PROTOCOL_VERSION = '2025-11-25';

let nextId = 1;

/** An `initialize` request as an MCP client sends it first. */
export function initializeRequest(): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: nextId++,
    method: 'initialize',
    params: {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'mcp-auth-doctor', version: '0.0.0' },
    },
  });
}

/** A JSON-RPC request or (without `id`) notification. */
export function rpcMessage(method: string, params?: Record<string, unknown>, notify = false) {
  return JSON.stringify({
    jsonrpc: '2.0',
    ...(notify ? {} : { id: nextId++ }),
    method,
    ...(params ? { params } : {}),
  });
}

/** Headers of a Streamable HTTP POST. */
export function postHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...extra,
  };
}

/** The first JSON-RPC message of a JSON or `text/event-stream` body. */
export function readRpc(contentType: string, text: string): Record<string, unknown> | undefined {
  let json = text;
  if (contentType.includes('text/event-stream')) {
    const data = text
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trim())
      .find((line) => line.startsWith('{'));
    if (!data) return undefined;
    json = data;
  }
  try {
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
