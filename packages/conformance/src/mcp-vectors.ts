import {
  ALLOWED_ORIGIN,
  call,
  challenge,
  cors,
  noCors,
  handled,
  invalidToken,
  noToken,
  oauth,
  rm,
  rpcError,
  type Vector,
} from './vector.js';

/** The protected endpoint's vectors (default options: any origin). */
export const MCP_VECTORS: Vector[] = [
  {
    name: 'no Authorization header → 401 without error, scope of the operation',
    request: { method: 'POST', body: call('list_todos') },
    expect: noToken,
  },
  {
    name: "a browser's request (Origin), no token → 401 with CORS and Vary: Origin",
    request: { method: 'POST', headers: { Origin: ALLOWED_ORIGIN }, body: call('list_todos') },
    expect: { ...noToken, headers: cors },
  },
  {
    name: "a browser's request (Origin), valid token → 200 with CORS and Vary: Origin",
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
      headers: cors,
      handled: true,
    },
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
      headers: noCors,
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
      headers: noCors,
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
      headers: noCors,
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
      headers: noCors,
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
      headers: noCors,
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
      headers: noCors,
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
    expect: { status: 200, challenge: null, body: handled(null), headers: noCors, handled: true },
  },
];
