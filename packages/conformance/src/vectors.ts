/**
 * One table of RFC 6750 / RFC 9728 request → response vectors, run in-process against every
 * adapter (Express 4 and 5, Fastify, Hono). Each adapter test supplies a harness: an app with
 * the adapter in front of a handler that answers `{ handled, sub, scopes, rpcMethod }`.
 */
import type { McpAuthOptions } from '@org/mcp-auth-core';
import { alterTokenPayload, createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import { beforeAll, describe, expect, it } from 'vitest';

export const RESOURCE = 'https://mcp.example/mcp';
export const PRM_URL = 'https://mcp.example/.well-known/oauth-protected-resource/mcp';
export const POLICY = { tools: { list_todos: 'todo:read', add_todo: 'todo:write' } } as const;
export const ALLOWED_ORIGIN = 'https://app.example';
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

type TokenKind =
  | 'read'
  | 'otherScope'
  | 'write'
  | 'expired'
  | 'wrongAudience'
  | 'wrongIssuer'
  | 'badSignature'
  | 'genericType';

interface Vector {
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

const call = (name: string, id = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: {} },
});
const challenge = (params: string) => `Bearer ${params}`;
const rm = `resource_metadata="${PRM_URL}"`;
const oauth = (error: string, description: string) => ({ error, error_description: description });
const rpcError = (code: number, message: string) => ({
  jsonrpc: '2.0',
  id: null,
  error: { code, message },
});
const invalidToken = (description: string): Vector['expect'] => ({
  status: 401,
  challenge: challenge(
    `error="invalid_token", error_description="${description}", ${rm}, scope="todo:read"`,
  ),
  body: oauth('invalid_token', description),
  handled: false,
});
const cors = { 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSE };
const noToken: Vector['expect'] = {
  status: 401,
  challenge: challenge(`${rm}, scope="todo:read"`),
  body: oauth('missing_credentials', 'Authorization required'),
  headers: cors,
  handled: false,
};
const handled = (rpcMethod: string | null, scopes = ['todo:read']) => ({
  handled: true,
  sub: 'user-123',
  scopes,
  rpcMethod,
});

/** The protected endpoint's vectors (default options: any origin). */
export const MCP_VECTORS: Vector[] = [
  {
    name: 'no Authorization header → 401 without error, scope of the operation',
    request: { method: 'POST', body: call('list_todos') },
    expect: noToken,
  },
  {
    name: 'another scheme (Basic) → treated as no credentials',
    request: { method: 'POST', authorization: ['Basic dXNlcjpwYXNz'], body: call('list_todos') },
    expect: noToken,
  },
  {
    name: 'token only in the query string → no credentials (never accepted there)',
    request: { method: 'POST', path: '/mcp?access_token=abc', body: call('list_todos') },
    expect: noToken,
  },
  {
    name: 'malformed Bearer credentials → 400 invalid_request',
    request: { method: 'POST', authorization: ['Bearer abc def'], body: call('list_todos') },
    expect: {
      status: 400,
      challenge: challenge(
        `error="invalid_request", error_description="Malformed bearer token", ${rm}`,
      ),
      body: oauth('invalid_request', 'Malformed bearer token'),
      headers: cors,
      handled: false,
    },
  },
  {
    name: 'empty Bearer credentials → 400 invalid_request',
    request: { method: 'POST', authorization: ['Bearer'], body: call('list_todos') },
    expect: {
      status: 400,
      challenge: challenge(
        `error="invalid_request", error_description="Empty bearer token", ${rm}`,
      ),
      body: oauth('invalid_request', 'Empty bearer token'),
      handled: false,
    },
  },
  {
    name: 'two Authorization headers → 400 invalid_request (rebuilt from rawHeaders on Node)',
    request: {
      method: 'POST',
      authorization: ['Bearer aaa.bbb.ccc', 'Bearer ddd.eee.fff'],
      body: call('list_todos'),
    },
    expect: {
      status: 400,
      challenge: challenge(
        `error="invalid_request", error_description="Multiple Authorization headers", ${rm}`,
      ),
      body: oauth('invalid_request', 'Multiple Authorization headers'),
      headers: cors,
      handled: false,
    },
    web: {
      challenge: challenge(
        `error="invalid_request", error_description="Multiple Authorization credentials", ${rm}`,
      ),
      body: oauth('invalid_request', 'Multiple Authorization credentials'),
    },
  },
  {
    name: 'expired token → 401 invalid_token',
    request: { method: 'POST', token: 'expired', body: call('list_todos') },
    expect: invalidToken('token expired'),
  },
  {
    name: 'token for another audience → 401 invalid_token',
    request: { method: 'POST', token: 'wrongAudience', body: call('list_todos') },
    expect: invalidToken('audience mismatch'),
  },
  {
    name: 'token from another issuer → 401 invalid_token',
    request: { method: 'POST', token: 'wrongIssuer', body: call('list_todos') },
    expect: invalidToken('issuer mismatch'),
  },
  {
    name: 'payload altered after signing → 401 invalid_token',
    request: { method: 'POST', token: 'badSignature', body: call('list_todos') },
    expect: invalidToken('invalid signature'),
  },
  {
    name: 'typ JWT (not at+jwt) → 401 invalid_token',
    request: { method: 'POST', token: 'genericType', body: call('list_todos') },
    expect: invalidToken('token type (typ) is not at+jwt'),
  },
  {
    name: 'insufficient scope for add_todo → 403 naming required and granted scopes',
    request: { method: 'POST', token: 'read', body: call('add_todo') },
    expect: {
      status: 403,
      challenge: challenge(
        `error="insufficient_scope", error_description="Missing required scope: todo:write", ${rm}, scope="todo:write todo:read"`,
      ),
      body: oauth('insufficient_scope', 'Missing required scope: todo:write'),
      headers: cors,
      handled: false,
    },
  },
  {
    name: 'insufficient scope for list_todos → 403; granted scopes outside scopes_supported not named',
    request: { method: 'POST', token: 'otherScope', body: call('list_todos') },
    expect: {
      status: 403,
      challenge: challenge(
        `error="insufficient_scope", error_description="Missing required scope: todo:read", ${rm}, scope="todo:read"`,
      ),
      body: oauth('insufficient_scope', 'Missing required scope: todo:read'),
      handled: false,
    },
  },
  {
    name: 'batch needing the union of its tools → 403',
    request: { method: 'POST', token: 'read', body: [call('list_todos', 1), call('add_todo', 2)] },
    expect: {
      status: 403,
      challenge: challenge(
        `error="insufficient_scope", error_description="Missing required scope: todo:write", ${rm}, scope="todo:read todo:write"`,
      ),
      body: oauth('insufficient_scope', 'Missing required scope: todo:write'),
      handled: false,
    },
  },
  {
    name: 'Mcp-Method header disagreeing with the body → 400 JSON-RPC -32020',
    request: {
      method: 'POST',
      token: 'read',
      headers: { 'Mcp-Method': 'tools/list' },
      body: call('list_todos'),
    },
    expect: {
      status: 400,
      challenge: null,
      body: rpcError(-32020, 'Header mismatch: Mcp-Method/Mcp-Name do not match the request body'),
      headers: cors,
      handled: false,
    },
  },
  {
    name: 'unparseable JSON body → 400 JSON-RPC -32700',
    request: { method: 'POST', token: 'read', body: '{"jsonrpc": "2.0", "method": ' },
    expect: {
      status: 400,
      challenge: null,
      body: rpcError(-32700, 'Parse error: Request body is not valid JSON'),
      headers: cors,
      handled: false,
    },
  },
  {
    name: 'DELETE without a token → 401 (every method on the endpoint is protected)',
    request: { method: 'DELETE', headers: { 'Mcp-Session-Id': 'abc' } },
    expect: { ...noToken, challenge: challenge(rm) },
  },
  {
    name: 'CORS preflight → 204 without authentication',
    request: {
      method: 'OPTIONS',
      headers: {
        Origin: ALLOWED_ORIGIN,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization, content-type',
      },
    },
    expect: {
      status: 204,
      challenge: null,
      body: null,
      headers: {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
        'access-control-allow-headers':
          'Authorization, Content-Type, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID',
      },
      handled: false,
    },
  },
  {
    name: 'JSON body over 4 MiB → 413 JSON-RPC error, before any token check',
    request: {
      method: 'POST',
      token: 'read',
      body: JSON.stringify(call('list_todos')).padEnd(4 * 1024 * 1024 + 1, ' '),
    },
    expect: {
      status: 413,
      challenge: null,
      body: rpcError(-32600, 'Request body too large'),
      handled: false,
    },
  },
  {
    name: 'allowed: list_todos with todo:read → handler runs with auth and parsed body',
    request: { method: 'POST', token: 'read', body: call('list_todos') },
    expect: {
      status: 200,
      challenge: null,
      body: handled('tools/call'),
      headers: cors,
      handled: true,
    },
  },
  {
    name: 'allowed: add_todo with todo:write',
    request: { method: 'POST', token: 'write', body: call('add_todo') },
    expect: {
      status: 200,
      challenge: null,
      body: handled('tools/call', ['todo:read', 'todo:write']),
      handled: true,
    },
  },
  {
    name: 'allowed: GET (SSE stream) with a token',
    request: { method: 'GET', token: 'read' },
    expect: { status: 200, challenge: null, body: handled(null), headers: cors, handled: true },
  },
];

/** Protected Resource Metadata vectors (RFC 9728). */
export const METADATA_VECTORS: Vector[] = [
  {
    name: 'GET path-inserted PRM → 200 document, CORS open',
    request: { method: 'GET', path: '/.well-known/oauth-protected-resource/mcp' },
    expect: {
      status: 200,
      challenge: null,
      body: {
        resource: RESOURCE,
        authorization_servers: ['https://issuer.example'],
        bearer_methods_supported: ['header'],
        scopes_supported: ['todo:read', 'todo:write'],
      },
      headers: { 'access-control-allow-origin': '*' },
      handled: false,
    },
  },
  {
    name: 'GET root PRM → 200 document',
    request: { method: 'GET', path: '/.well-known/oauth-protected-resource' },
    expect: {
      status: 200,
      challenge: null,
      body: {
        resource: RESOURCE,
        authorization_servers: ['https://issuer.example'],
        bearer_methods_supported: ['header'],
        scopes_supported: ['todo:read', 'todo:write'],
      },
      handled: false,
    },
  },
  {
    name: 'HEAD PRM → 200 without a body',
    request: { method: 'HEAD', path: '/.well-known/oauth-protected-resource/mcp' },
    expect: {
      status: 200,
      challenge: null,
      body: null,
      headers: { 'access-control-allow-origin': '*' },
      handled: false,
    },
  },
  {
    name: 'OPTIONS PRM → 204 preflight, unauthenticated',
    request: {
      method: 'OPTIONS',
      path: '/.well-known/oauth-protected-resource/mcp',
      headers: { Origin: ALLOWED_ORIGIN, 'Access-Control-Request-Method': 'GET' },
    },
    expect: {
      status: 204,
      challenge: null,
      body: null,
      headers: {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, HEAD, OPTIONS',
      },
      handled: false,
    },
  },
  {
    name: 'POST PRM → 405 with Allow',
    request: { method: 'POST', path: '/.well-known/oauth-protected-resource/mcp', body: {} },
    expect: {
      status: 405,
      challenge: null,
      headers: { allow: 'GET, HEAD, OPTIONS' },
      handled: false,
    },
  },
  {
    name: 'unknown PRM path → 404 JSON, never 401',
    request: { method: 'GET', path: '/.well-known/oauth-protected-resource/other' },
    expect: {
      status: 404,
      challenge: null,
      body: oauth('not_found', 'No protected resource metadata here'),
      handled: false,
    },
  },
];

/** Vectors for `cors: { allowedOrigins: [ALLOWED_ORIGIN] }`. */
export const RESTRICTED_CORS_VECTORS: Vector[] = [
  {
    name: 'allowed origin, no token → 401 echoing the origin',
    request: { method: 'POST', headers: { Origin: ALLOWED_ORIGIN }, body: call('list_todos') },
    expect: {
      ...noToken,
      headers: {
        'access-control-allow-origin': ALLOWED_ORIGIN,
        'access-control-expose-headers': EXPOSE,
        vary: 'Origin',
      },
    },
  },
  {
    name: 'allowed origin, valid token → 200 echoing the origin',
    request: {
      method: 'POST',
      token: 'read',
      headers: { Origin: ALLOWED_ORIGIN },
      body: call('list_todos'),
    },
    expect: {
      status: 200,
      challenge: null,
      body: handled('tools/call'),
      headers: {
        'access-control-allow-origin': ALLOWED_ORIGIN,
        'access-control-expose-headers': EXPOSE,
      },
      handled: true,
    },
  },
  {
    name: 'other origin with a valid token → 403, no Allow-Origin',
    request: {
      method: 'POST',
      token: 'read',
      headers: { Origin: 'https://evil.example' },
      body: call('list_todos'),
    },
    expect: {
      status: 403,
      challenge: challenge(rm),
      body: oauth('invalid_origin', 'Origin not allowed'),
      headers: { 'access-control-allow-origin': null },
      handled: false,
    },
  },
  {
    name: 'preflight from another origin → 403',
    request: {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    },
    expect: {
      status: 403,
      challenge: null,
      body: oauth('invalid_origin', 'Origin not allowed'),
      headers: { 'access-control-allow-origin': null },
      handled: false,
    },
  },
];

/** Vectors for an authorization server whose keys cannot be fetched (never 500, never a hang). */
export const OUTAGE_VECTORS: Vector[] = [
  {
    name: 'valid-looking token, JWKS unreachable → 503 with Retry-After',
    request: { method: 'POST', token: 'read', body: call('list_todos') },
    expect: {
      status: 503,
      challenge: null,
      body: oauth('jwks_unavailable', "the authorization server's signing keys are unavailable"),
      headers: { 'retry-after': '30', ...cors },
      handled: false,
    },
  },
  {
    name: 'no token during the outage → still a plain 401',
    request: { method: 'POST', body: call('list_todos') },
    expect: noToken,
  },
];

/** The test issuer and the core options every harness is built with. */
export async function createVectorIssuer(): Promise<TestIssuer> {
  return createTestIssuer({ audience: RESOURCE, scope: 'todo:read' });
}

/** Core options for the vectors, verifying through the issuer's in-process `fetch`. */
export function vectorOptions(
  issuer: TestIssuer,
  extra: Partial<McpAuthOptions> = {},
): McpAuthOptions {
  return {
    resource: RESOURCE,
    issuer: issuer.issuer,
    jwt: { fetch: issuer.fetch },
    policy: POLICY,
    ...extra,
  };
}

async function mintTokens(issuer: TestIssuer): Promise<Record<TokenKind, string>> {
  const now = Math.floor(Date.now() / 1000);
  const read = await issuer.mintAccessToken();
  return {
    read,
    write: await issuer.mintAccessToken({ claims: { scope: 'todo:read todo:write' } }),
    otherScope: await issuer.mintAccessToken({ claims: { scope: 'calendar:read' } }),
    expired: await issuer.mintAccessToken({ issuedAt: now - 3600, expiresIn: 600 }),
    wrongAudience: await issuer.mintAccessToken({ claims: { aud: 'https://other.example/mcp' } }),
    wrongIssuer: await issuer.mintAccessToken({ claims: { iss: 'https://evil.example' } }),
    badSignature: alterTokenPayload(read, { scope: 'todo:read todo:write' }),
    genericType: await issuer.mintAccessToken({ header: { typ: 'JWT' } }),
  };
}

function toHttpRequest(vector: Vector, tokens: Record<TokenKind, string>): HttpRequest {
  const { method, path = '/mcp', token, authorization = [], headers = {}, body } = vector.request;
  const pairs: Array<[string, string]> = Object.entries(headers);
  if (token) pairs.push(['Authorization', `Bearer ${tokens[token]}`]);
  for (const value of authorization) pairs.push(['Authorization', value]);
  if (body === undefined) return { method, path, headers: pairs };
  pairs.push(['Content-Type', 'application/json']);
  return {
    method,
    path,
    headers: pairs,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

function check(response: HttpResponse, expected: Vector['expect']): void {
  expect(response.status).toBe(expected.status);
  expect(response.headers['www-authenticate'] ?? null).toBe(expected.challenge);
  if (expected.body === null) expect(response.text).toBe('');
  else if (expected.body !== undefined) {
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.text)).toEqual(expected.body);
  }
  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    expect(response.headers[name] ?? null, name).toBe(value);
  }
  if (expected.status >= 400) {
    expect(response.text).not.toMatch(/at .+\.(?:js|ts):\d+|node_modules|<html/i);
  }
}

/**
 * Registers the whole table for one adapter.
 *
 * @param runtime `'web'` for adapters on Web `Headers` (repeated headers arrive joined).
 */
export function describeVectors(
  name: string,
  factory: HarnessFactory,
  runtime: 'node' | 'web',
): void {
  describe(`${name}: shared RFC 6750 / RFC 9728 vectors`, () => {
    let tokens: Record<TokenKind, string>;
    let issuer: TestIssuer;
    beforeAll(async () => {
      issuer = await createVectorIssuer();
      tokens = await mintTokens(issuer);
    });
    const table = (
      title: string,
      vectors: Vector[],
      extra?: Partial<McpAuthOptions>,
      keysFrom?: () => Promise<TestIssuer>,
    ) =>
      describe(title, () => {
        let harness: Harness;
        beforeAll(async () => {
          harness = await factory(vectorOptions(keysFrom ? await keysFrom() : issuer, extra));
          return () => harness.close();
        });
        for (const vector of vectors) {
          it(vector.name, async () => {
            const before = harness.handlerCalls();
            const response = await harness.send(toHttpRequest(vector, tokens));
            const expected =
              runtime === 'web' ? { ...vector.expect, ...vector.web } : vector.expect;
            check(response, expected);
            expect(harness.handlerCalls() - before, 'handler runs').toBe(expected.handled ? 1 : 0);
          });
        }
      });
    table('MCP endpoint', MCP_VECTORS);
    table('metadata routes', METADATA_VECTORS);
    table('restricted CORS origins', RESTRICTED_CORS_VECTORS, {
      cors: { allowedOrigins: [ALLOWED_ORIGIN] },
    });
    // Same issuer identifier, but its JWKS and metadata answer 503.
    table('authorization server unreachable', OUTAGE_VECTORS, {}, async () => {
      const down = await createVectorIssuer();
      down.setOutage('status');
      return down;
    });
  });
}
