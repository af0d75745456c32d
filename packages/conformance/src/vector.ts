/**
 * The shape of one RFC 6750 / RFC 9728 vector, the fixed names every harness uses, and the
 * builders the tables share. Each adapter test supplies a harness: an app with the adapter in
 * front of a handler that answers `{ handled, sub, scopes, rpcMethod }`.
 */
import type { McpAuthOptions } from '@org/mcp-auth-core';

/** The resource every vector harness protects. */
export const RESOURCE = 'https://mcp.example/mcp';
/** Where {@link RESOURCE}'s Protected Resource Metadata lives (RFC 9728 §3.1, path-inserted). */
export const PRM_URL = 'https://mcp.example/.well-known/oauth-protected-resource/mcp';
/** The scope policy of every vector harness: reading and writing todos. */
export const POLICY = { tools: { list_todos: 'todo:read', add_todo: 'todo:write' } } as const;
/** The one origin the restricted-CORS table allows. */
export const ALLOWED_ORIGIN = 'https://app.example';
/** The `Access-Control-Expose-Headers` every CORS answer carries. */
export const EXPOSE = 'WWW-Authenticate, Mcp-Session-Id';

/** A request as sent on the wire: repeated headers are repeated pairs. */
export interface HttpRequest {
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body?: string;
}

/** A response as received: header names lower-case. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
}

/** An app with one adapter in front of the recording handler. */
export interface Harness {
  send(request: HttpRequest): Promise<HttpResponse>;
  /** How many times the downstream handler ran. */
  handlerCalls(): number;
  close(): Promise<void>;
}

/** Builds a harness protecting `/mcp` with `options` and serving its metadata. */
export type HarnessFactory = (options: McpAuthOptions) => Promise<Harness>;

/** Which minted token a vector sends (see `describeVectors`). */
export type TokenKind =
  | 'read'
  | 'otherScope'
  | 'write'
  | 'expired'
  | 'wrongAudience'
  | 'wrongIssuer'
  | 'badSignature'
  | 'genericType';
/** One request and the exact answer every adapter must give to it. */
export interface Vector {
  name: string;
  request: {
    method: string;
    path?: string;
    token?: TokenKind;
    authorization?: string[];
    headers?: Record<string, string>;
    /** An object is sent as JSON; a string is sent as-is with a JSON content type. */
    body?: unknown;
  };
  expect: {
    status: number;
    /** Exact `WWW-Authenticate`, or `null` for none. */
    challenge: string | null;
    /** Exact JSON body (`undefined`: no body check; `null`: empty body). */
    body?: unknown;
    headers?: Record<string, string | null>;
    handled: boolean;
  };
  /** Where a Web `Headers` runtime (Hono) differs: it joins repeated headers with ", ". */
  web?: Partial<Vector['expect']>;
}

/** A `tools/call` body for the tool `name`. */
export const call = (name: string, id = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: {} },
});
/** A `WWW-Authenticate` value with the Bearer scheme. */
export const challenge = (params: string) => `Bearer ${params}`;
/** The `resource_metadata` challenge parameter for {@link PRM_URL}. */
export const rm = `resource_metadata="${PRM_URL}"`;
/** An OAuth error body. */
export const oauth = (error: string, description: string) => ({
  error,
  error_description: description,
});
/** A JSON-RPC error body with a `null` id. */
export const rpcError = (code: number, message: string) => ({
  jsonrpc: '2.0',
  id: null,
  error: { code, message },
});
/** The 401 `invalid_token` answer with `description`. */
export const invalidToken = (description: string): Vector['expect'] => ({
  status: 401,
  challenge: challenge(
    `error="invalid_token", error_description="${description}", ${rm}, scope="todo:read"`,
  ),
  body: oauth('invalid_token', description),
  handled: false,
});
/** An answer to a request without an `Origin` (not a browser's): no CORS header at all. */
export const noCors = {
  'access-control-allow-origin': null,
  'access-control-expose-headers': null,
  vary: null,
};
/** The CORS headers of the default (any origin) configuration, for a request with an `Origin`. */
export const cors = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': EXPOSE,
  vary: 'Origin',
};
/** The 401 answer to a request without credentials. */
export const noToken: Vector['expect'] = {
  status: 401,
  challenge: challenge(`${rm}, scope="todo:read"`),
  body: oauth('missing_credentials', 'Authorization required'),
  headers: noCors,
  handled: false,
};
/** What the recording handler answers once the adapter let a request through. */
export const handled = (rpcMethod: string | null, scopes = ['todo:read']) => ({
  handled: true,
  sub: 'user-123',
  scopes,
  rpcMethod,
});
