import { type HeaderPairs, jsonRpcMessages, type RawResponse } from './http.js';
import { MCP_PATH, type SecurityServer } from './servers.js';

/** The protocol version the harness's requests speak (the SDK 1.32.2 default). */
export const PROTOCOL_VERSION = '2025-11-25';

/**
 * A JSON-RPC request object.
 *
 * @example
 * ```ts
 * rpc('tools/list', {}, 2); // { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }
 * ```
 */
export function rpc(method: string, params?: unknown, id: number | string = 1) {
  return { jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) };
}

/**
 * A `tools/call` request.
 *
 * @example
 * ```ts
 * toolCall('add_todo', { title: 'x' }, 3);
 * ```
 */
export function toolCall(name: unknown, args: Record<string, unknown> = {}, id: number = 1) {
  return rpc('tools/call', { name, arguments: args }, id);
}

/**
 * Arguments that satisfy each harness tool's input schema.
 *
 * @example
 * ```ts
 * toolCall('add_todo', VALID_ARGS.add_todo);
 * ```
 */
export const VALID_ARGS: Readonly<Record<string, Record<string, unknown>>> = {
  list_todos: {},
  add_todo: { title: 'buy milk' },
  list_events: {},
  create_event: { title: 'standup', start: '2026-12-01T09:00:00Z' },
  whoami: {},
};

/** An `initialize` request, as the SDK client sends it. */
export function initializeRequest(id = 0) {
  return rpc(
    'initialize',
    {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'security-tests', version: '0.0.0' },
    },
    id,
  );
}

/** Options of {@link postMcp} and the other request helpers. */
export interface McpRequestOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** `Mcp-Session-Id`. */
  sessionId?: string;
  /** `Origin`. */
  origin?: string;
  /** More headers (after the defaults; a repeated name is sent twice). */
  headers?: HeaderPairs;
  /** Path as written, e.g. `/%6Dcp`. Default `/mcp`. */
  path?: string;
  /** Replaces the default `Content-Type: application/json` (`null`: none). */
  contentType?: string | null;
}

/**
 * The request headers for `options`: Authorization, session, Origin, the protocol version and
 * the `Accept` the Streamable HTTP transport requires.
 *
 * @example
 * ```ts
 * mcpHeaders({ token, sessionId });
 * ```
 */
export function mcpHeaders(options: McpRequestOptions, json = true): Array<[string, string]> {
  const headers: Array<[string, string]> = [['Accept', 'application/json, text/event-stream']];
  if (json && options.contentType !== null) {
    headers.push(['Content-Type', options.contentType ?? 'application/json']);
  }
  if (options.token !== undefined) headers.push(['Authorization', `Bearer ${options.token}`]);
  if (options.sessionId !== undefined) {
    headers.push(['Mcp-Session-Id', options.sessionId]);
    headers.push(['MCP-Protocol-Version', PROTOCOL_VERSION]);
  }
  if (options.origin !== undefined) headers.push(['Origin', options.origin]);
  for (const [name, value] of options.headers ?? []) headers.push([name, value]);
  return headers;
}

/**
 * POSTs `body` (an object is JSON-encoded, a string sent as written) to the MCP endpoint.
 *
 * @example
 * ```ts
 * const res = await postMcp(server, toolCall('whoami'), { token, sessionId });
 * ```
 */
export function postMcp(
  server: SecurityServer,
  body: unknown,
  options: McpRequestOptions = {},
): Promise<RawResponse> {
  return server.send({
    method: 'POST',
    path: options.path ?? MCP_PATH,
    headers: mcpHeaders(options),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A session opened with {@link openSession}. */
export interface OpenSession {
  sessionId: string;
  /** The `initialize` response. */
  response: RawResponse;
}

/**
 * Opens a stateful MCP session with `token` (initialize, then `notifications/initialized`) and
 * returns its id. Throws if the server does not open one.
 *
 * @example
 * ```ts
 * const { sessionId } = await openSession(server, aliceToken);
 * ```
 */
export async function openSession(
  server: SecurityServer,
  token: string,
  options: Omit<McpRequestOptions, 'token' | 'sessionId'> = {},
): Promise<OpenSession> {
  const response = await postMcp(server, initializeRequest(), { ...options, token });
  const sessionId = response.headers['mcp-session-id'];
  if (response.status !== 200 || sessionId === undefined) {
    throw new Error(`initialize failed on ${server.adapter}: ${response.status} ${response.text}`);
  }
  const initialized = await postMcp(
    server,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { ...options, token, sessionId },
  );
  if (initialized.status !== 202) {
    throw new Error(`notifications/initialized failed: ${initialized.status} ${initialized.text}`);
  }
  return { sessionId, response };
}

/**
 * Sends `body` on session `sessionId` with `token` — which may be another subject's token, or a
 * forged one.
 *
 * @example
 * ```ts
 * const res = await sendOnSession(server, aliceSession, bobToken, toolCall('list_todos'));
 * ```
 */
export function sendOnSession(
  server: SecurityServer,
  sessionId: string,
  token: string | undefined,
  body: unknown,
  options: Omit<McpRequestOptions, 'token' | 'sessionId'> = {},
): Promise<RawResponse> {
  return postMcp(server, body, {
    ...options,
    sessionId,
    ...(token === undefined ? {} : { token }),
  });
}

/**
 * Calls tool `name` on a session.
 *
 * @example
 * ```ts
 * const res = await callTool(server, { token, sessionId }, 'add_todo', { title: 'x' });
 * ```
 */
export function callTool(
  server: SecurityServer,
  options: McpRequestOptions & { sessionId: string },
  name: unknown,
  args: Record<string, unknown> = typeof name === 'string' ? (VALID_ARGS[name] ?? {}) : {},
): Promise<RawResponse> {
  return postMcp(server, toolCall(name, args, 7), options);
}

/**
 * `DELETE`s a session (the transport handles it).
 *
 * @example
 * ```ts
 * await deleteSession(server, sessionId, token);
 * ```
 */
export function deleteSession(
  server: SecurityServer,
  sessionId: string,
  token: string | undefined,
  options: Omit<McpRequestOptions, 'token' | 'sessionId'> = {},
): Promise<RawResponse> {
  return server.send({
    method: 'DELETE',
    path: options.path ?? MCP_PATH,
    headers: mcpHeaders(
      { ...options, sessionId, ...(token === undefined ? {} : { token }) },
      false,
    ),
  });
}

/**
 * Opens the session's standalone SSE stream (`GET`), reads for `readForMs` and hangs up.
 *
 * @example
 * ```ts
 * const res = await openStream(server, sessionId, token);
 * ```
 */
export function openStream(
  server: SecurityServer,
  sessionId: string | undefined,
  token: string | undefined,
  options: Omit<McpRequestOptions, 'token' | 'sessionId'> & { readForMs?: number } = {},
): Promise<RawResponse> {
  return server.send({
    method: 'GET',
    path: options.path ?? MCP_PATH,
    headers: mcpHeaders(
      {
        ...options,
        ...(sessionId === undefined ? {} : { sessionId }),
        ...(token === undefined ? {} : { token }),
      },
      false,
    ),
    readForMs: options.readForMs ?? 150,
  });
}

/**
 * Sends a request to `path` exactly as written (percent-encoded, dot segments, double slashes),
 * e.g. `/%6Dcp` — the path-normalisation attacks.
 *
 * @example
 * ```ts
 * const res = await rawPathRequest(server, '/%6Dcp', { method: 'POST', body: toolCall('whoami') });
 * ```
 */
export function rawPathRequest(
  server: SecurityServer,
  path: string,
  request: { method?: string; body?: unknown } & Omit<McpRequestOptions, 'path'> = {},
): Promise<RawResponse> {
  const { method = 'POST', body, ...options } = request;
  return server.send({
    method,
    path,
    headers: mcpHeaders(options, body !== undefined),
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

/**
 * Adds an `Origin` header to request options.
 *
 * @example
 * ```ts
 * await postMcp(server, body, withOrigin('https://evil.example', { token }));
 * ```
 */
export function withOrigin<T extends McpRequestOptions>(origin: string, options: T): T {
  return { ...options, origin };
}

/**
 * The first JSON-RPC response of a tool call, with `isError` / `error` read out.
 *
 * @example
 * ```ts
 * const { result, error } = rpcResult(res);
 * ```
 */
export function rpcResult(response: RawResponse): {
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
} {
  const message = jsonRpcMessages(response).find((m) => 'result' in m || 'error' in m);
  if (message === undefined) return {};
  return message as { result?: Record<string, unknown>; error?: { code: number; message: string } };
}
