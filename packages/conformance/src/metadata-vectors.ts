import {
  ALLOWED_ORIGIN,
  call,
  challenge,
  noCors,
  EXPOSE,
  handled,
  noToken,
  oauth,
  RESOURCE,
  rm,
  type Vector,
} from './vector.js';

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
      headers: { 'retry-after': '30', ...noCors },
      handled: false,
    },
  },
  {
    name: 'no token during the outage → still a plain 401',
    request: { method: 'POST', body: call('list_todos') },
    expect: noToken,
  },
];
