import { describe, expect, it, vi } from 'vitest';
import type { DecisionEvent } from '../src/audit.js';
import { createMcpAuth, type McpAuthOptions } from '../src/create-mcp-auth.js';
import { McpAuthConfigError, McpAuthError } from '../src/errors.js';
import {
  JSONRPC_HEADER_MISMATCH,
  JSONRPC_INVALID_PARAMS,
  JSONRPC_PARSE_ERROR,
} from '../src/read-operations.js';
import type { AccessTokenVerifier, AuthInfo, AuthorizeResult } from '../src/types.js';
import { parseChallenge } from '../src/www-authenticate.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';
const AS = 'https://auth.example.com';

const tokens: Record<string, AuthInfo> = {
  alice: { token: 'alice', clientId: 'app', scopes: ['todo:read'], extra: { sub: 'alice' } },
  writer: {
    token: 'writer',
    clientId: 'app',
    scopes: ['todo:write', 'offline_access', 'openid'],
    extra: { sub: 'alice' },
  },
  bob: {
    token: 'bob',
    clientId: 'app',
    scopes: ['todo:read', 'todo:write'],
    extra: { sub: 'bob' },
  },
  machine: { token: 'machine', clientId: 'svc', scopes: ['todo:read'] },
  stale: { token: 'stale', clientId: 'app', scopes: [], expiresAt: 1, extra: { sub: 'alice' } },
};

const verifier: AccessTokenVerifier = {
  async verifyAccessToken(token) {
    const info = tokens[token];
    if (info !== undefined) return { ...info, scopes: [...info.scopes] };
    if (token === 'down')
      throw new McpAuthError('jwks_unavailable', 'Signing keys unavailable', {
        retryAfterSeconds: 12.2,
      });
    if (token === 'crash') throw new Error('socket hang up at /srv/secret/path.js:1');
    if (token === 'garbage') return undefined as unknown as AuthInfo;
    if (token === 'expired') throw new McpAuthError('invalid_token', 'Token expired');
    throw new McpAuthError('invalid_token', 'Invalid signature');
  },
};

const policy = {
  tools: { list_todos: 'todo:read', add_todo: 'todo:write' },
  implies: { 'todo:write': ['todo:read'] },
} as const;

function make(overrides: Partial<McpAuthOptions> = {}) {
  return createMcpAuth({
    resource: RESOURCE,
    authorizationServers: [AS],
    verifier,
    policy,
    ...overrides,
  });
}

const call = (name: string, id = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name },
});
function post(headers: Record<string, string | string[]>, ...rest: [body?: unknown, url?: string]) {
  // An explicit `undefined` body means "not read"; no argument means a list_todos call.
  const body = rest.length === 0 ? call('list_todos') : rest[0];
  return { method: 'POST', url: rest[1] ?? '/mcp', headers, body };
}
const bearer = (token: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${token}`,
  ...extra,
});

function denied(result: AuthorizeResult) {
  if (result.type !== 'deny') throw new Error(`expected deny, got allow`);
  return result;
}

describe('createMcpAuth options (TypeError naming the option)', () => {
  const base = { resource: RESOURCE, authorizationServers: [AS], verifier };
  it.each<[string, unknown, string, RegExp]>([
    ['not an object', null, 'options', /must be an object/],
    ['missing resource', { verifier, authorizationServers: [AS] }, 'resource', /URL string/],
    [
      'http on a public host',
      { ...base, resource: 'http://mcp.example.com/mcp' },
      'resource',
      /https/,
    ],
    ['relative resource', { ...base, resource: '/mcp' }, 'resource', /absolute URL/],
    ['fragment', { ...base, resource: `${RESOURCE}#x` }, 'resource', /fragment/],
    ['query', { ...base, resource: `${RESOURCE}?a=1` }, 'resource', /query/],
    ['no issuer or verifier', { resource: RESOURCE }, 'issuer', /required unless a verifier/],
    [
      'verifier without authorization servers',
      { resource: RESOURCE, verifier },
      'authorizationServers',
      /at least one/,
    ],
    [
      'empty authorization servers',
      { ...base, authorizationServers: [] },
      'authorizationServers',
      /at least one/,
    ],
    [
      'http authorization server',
      { ...base, authorizationServers: ['http://as.example.com'] },
      'authorizationServers[0]',
      /https/,
    ],
    ['http issuer', { resource: RESOURCE, issuer: 'http://as.example.com' }, 'issuer', /https/],
    ['unknown option', { ...base, scopes: [] }, 'scopes', /not a known option/],
    [
      'misspelt top-level option',
      { ...base, sessionBindings: false },
      'sessionBindings',
      /not a known option \(did you mean "sessionBinding"\?\)/,
    ],
    ['bad verifier', { ...base, verifier: {} }, 'verifier', /verifyAccessToken/],
    ['jwt with verifier', { ...base, jwt: {} }, 'jwt', /cannot be combined/],
    [
      'policy scope with a space',
      { ...base, policy: { tools: { a: ['x y'] } } },
      'policy.tools.a[0]',
      /scope tokens/,
    ],
    ['unknown policy key', { ...base, policy: { tool: {} } }, 'policy.tool', /not a known option/],
    [
      'offline_access in the policy',
      { ...base, policy: { baseline: 'offline_access' } },
      'policy',
      /offline_access/,
    ],
    [
      'offline_access advertised',
      { ...base, scopesSupported: ['offline_access'] },
      'scopesSupported',
      /offline_access/,
    ],
    [
      'challengeScopes',
      { ...base, challengeScopes: 'all' },
      'challengeScopes',
      /must be 'required-and-granted' or 'required'/,
    ],
    [
      'maxTokenLength',
      { ...base, maxTokenLength: 0 },
      'maxTokenLength',
      /whole number from 1 to 1048576/,
    ],
    ['logger', { ...base, logger: { info() {} } }, 'logger', /warn\(message\)/],
    ['misspelt logger', { ...base, loger: console }, 'loger', /did you mean "logger"/],
    [
      'cors origins',
      { ...base, cors: { allowedOrigins: ['nope'] } },
      'cors.allowedOrigins[0]',
      /origins/,
    ],
    ...['localhost:3000', 'file:///', 'app.example.com:443', 'null', 'ftp://app.example'].map(
      (origin): [string, McpAuthOptions, string, RegExp] => [
        `cors origin with an opaque origin ${origin}`,
        { ...base, cors: { allowedOrigins: ['loopback', 'https://ok.example', origin] } },
        'cors.allowedOrigins[2]',
        /http\(s\) origins/,
      ],
    ),
    [
      'sessionBinding',
      { ...base, sessionBinding: { maxSessions: -1 } },
      'sessionBinding.maxSessions',
      /whole number of at least 1/,
    ],
    ['onDecision', { ...base, onDecision: 'log' }, 'onDecision', /function/],
    [
      'rootResource',
      { ...base, metadata: { rootResource: 'http://mcp.example.com' } },
      'metadata.rootResource',
      /https/,
    ],
    [
      'metadata field',
      { ...base, metadata: { resource_tos_uri: 'x' } },
      'metadata.resource_tos_uri',
      /absolute URL/,
    ],
  ])('%s', (_name, options, option, rule) => {
    let error: unknown;
    try {
      createMcpAuth(options as McpAuthOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toBeInstanceOf(McpAuthConfigError);
    expect((error as McpAuthConfigError).option).toBe(option);
    expect((error as Error).message).toMatch(rule);
    expect((error as Error).message).toContain(`"${option}"`);
  });

  it('accepts http on loopback hosts and an issuer alone as authorization server', () => {
    const auth = createMcpAuth({
      resource: 'http://127.0.0.1:3000/mcp',
      issuer: 'http://localhost:9000',
      verifier,
    });
    expect(auth.metadata.document.authorization_servers).toEqual(['http://localhost:9000']);
    expect(auth.metadata.url).toBe(
      'http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp',
    );
  });
});

describe('authorize: credentials (RFC 6750)', () => {
  it('no token → 401 without error, baseline + operation scope, JSON body, CORS', async () => {
    const result = denied(
      await make().authorize(post({ origin: 'https://app.example' }, call('add_todo'))),
    );
    expect(result.status).toBe(401);
    expect(result.headers).toEqual({
      'WWW-Authenticate': `Bearer resource_metadata="${PRM}", scope="todo:write"`,
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Expose-Headers': 'WWW-Authenticate, Mcp-Session-Id',
      Vary: 'Origin',
    });
    // A request without an Origin (not a browser's) gets no CORS header.
    const plain = denied(await make().authorize(post({}, call('add_todo'))));
    expect(Object.keys(plain.headers)).toEqual([
      'WWW-Authenticate',
      'Content-Type',
      'Cache-Control',
    ]);
    expect(result.body).toEqual({
      error: 'missing_credentials',
      error_description: 'Authorization required',
    });
  });

  it('no token and nothing the operation needs → no scope parameter', async () => {
    const result = denied(await make().authorize({ method: 'GET', url: '/mcp', headers: {} }));
    expect(result.headers['WWW-Authenticate']).toBe(`Bearer resource_metadata="${PRM}"`);
  });

  it('baseline appears in every 401', async () => {
    const auth = make({ policy: { baseline: 'mcp', tools: { add_todo: 'todo:write' } } });
    const result = denied(await auth.authorize({ method: 'GET', url: '/mcp', headers: {} }));
    expect(result.headers['WWW-Authenticate']).toBe(
      `Bearer resource_metadata="${PRM}", scope="mcp"`,
    );
    const call401 = denied(await auth.authorize(post({}, call('add_todo'))));
    expect(call401.headers['WWW-Authenticate']).toBe(
      `Bearer resource_metadata="${PRM}", scope="mcp todo:write"`,
    );
  });

  it('a token only in the query string or form body is no credentials', async () => {
    const q = denied(
      await make().authorize(post({}, call('list_todos'), '/mcp?access_token=alice')),
    );
    expect(q.status).toBe(401);
    expect(parseChallenge(q.headers['WWW-Authenticate'] ?? '')?.params).not.toHaveProperty('error');
    const form = denied(await make({ policy: {} }).authorize(post({}, { access_token: 'alice' })));
    expect(form.status).toBe(401);
    expect(form.body).toMatchObject({ error: 'missing_credentials' });
  });

  it.each([
    [
      'two Authorization headers',
      { authorization: ['Bearer alice', 'Bearer bob'] },
      '/mcp',
      'Multiple Authorization headers',
    ],
    [
      'comma-joined',
      { authorization: 'Bearer alice, Bearer bob' },
      '/mcp',
      'Multiple Authorization credentials',
    ],
    ['empty Bearer', { authorization: 'Bearer ' }, '/mcp', 'Empty bearer token'],
    ['bad characters', { authorization: 'Bearer a"b' }, '/mcp', 'Malformed bearer token'],
    [
      'also in the query',
      { authorization: 'Bearer alice' },
      '/mcp?access_token=alice',
      'Bearer token sent more than one way',
    ],
  ])('%s → 400 invalid_request', async (_name, headers, url, description) => {
    const result = denied(await make().authorize(post(headers, call('list_todos'), url)));
    expect(result.status).toBe(400);
    expect(result.headers['WWW-Authenticate']).toBe(
      `Bearer error="invalid_request", error_description="${description}", resource_metadata="${PRM}"`,
    );
    expect(result.body).toEqual({ error: 'invalid_request', error_description: description });
  });

  it('oversized token → 400 (maxTokenLength)', async () => {
    const result = denied(
      await make({ maxTokenLength: 10 }).authorize(post(bearer('a'.repeat(11)))),
    );
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ error_description: 'Bearer token too long' });
  });

  it('rejected token → 401 invalid_token with the operation scope', async () => {
    const result = denied(await make().authorize(post(bearer('forged'), call('add_todo'))));
    expect(result.status).toBe(401);
    expect(result.headers['WWW-Authenticate']).toBe(
      `Bearer error="invalid_token", error_description="Invalid signature", resource_metadata="${PRM}", scope="todo:write"`,
    );
    expect(result.body).toEqual({ error: 'invalid_token', error_description: 'Invalid signature' });
  });

  it('an unknown verifier failure is a generic 401 that leaks nothing', async () => {
    for (const token of ['crash', 'garbage']) {
      const result = denied(await make().authorize(post(bearer(token))));
      expect(result.status).toBe(401);
      expect(JSON.stringify(result)).not.toContain('/srv');
      expect(result.body).toEqual({
        error: 'invalid_token',
        error_description: 'The access token is invalid',
      });
    }
  });

  it('an expiresAt in the past is refused even if the verifier accepted it', async () => {
    const result = denied(await make().authorize(post(bearer('stale'))));
    expect(result.status).toBe(401);
    expect(result.body).toEqual({
      error: 'invalid_token',
      error_description: 'The access token has expired',
    });
  });

  it('expired and underscoped → 401, not 403', async () => {
    const result = denied(await make().authorize(post(bearer('expired'), call('add_todo'))));
    expect(result.status).toBe(401);
  });

  it('key set unavailable → 503 with Retry-After, JSON body, no Bearer challenge', async () => {
    const result = denied(await make().authorize(post(bearer('down'))));
    expect(result.status).toBe(503);
    expect(result.headers['Retry-After']).toBe('13');
    expect(result.headers).not.toHaveProperty('WWW-Authenticate');
    expect(result.headers['Content-Type']).toBe('application/json');
    expect(result.body).toEqual({
      error: 'jwks_unavailable',
      error_description: 'Signing keys unavailable',
    });
  });

  it('allows a valid token with CORS headers and the verifier authInfo', async () => {
    expect((await make().authorize(post(bearer('alice')))).headers).toEqual({});
    const result = await make().authorize(post(bearer('alice', { origin: 'https://a.example' })));
    expect(result).toEqual({
      type: 'allow',
      authInfo: tokens.alice,
      headers: {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Expose-Headers': 'WWW-Authenticate, Mcp-Session-Id',
        Vary: 'Origin',
      },
      // Not an initialize: a session id in the response would still be bound to alice.
      session: {
        action: 'open',
        reservation: undefined,
        settled: false,
      },
    });
  });
});

describe('authorize: scopes (403 and step-up)', () => {
  describe('policy.initialScopes (least privilege at first login)', () => {
    const initial = { ...policy, initialScopes: ['todo:read'] };
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} };
    const scopeOf = (result: AuthorizeResult) =>
      parseChallenge(denied(result).headers['WWW-Authenticate'] ?? '')?.params.scope;

    it('names them in the 401 of a request that needs no scope (initialize, GET)', async () => {
      const auth = make({ policy: initial });
      expect(scopeOf(await auth.authorize(post({}, init)))).toBe('todo:read');
      expect(scopeOf(await auth.authorize({ method: 'GET', url: '/mcp', headers: {} }))).toBe(
        'todo:read',
      );
      // Without the option the same 401 carries no scope (clients then ask for everything).
      expect(scopeOf(await make().authorize(post({}, init)))).toBeUndefined();
    });

    it("names the operation's scopes, not the initial ones, when it needs some", async () => {
      const auth = make({ policy: initial });
      expect(scopeOf(await auth.authorize(post({}, call('add_todo'))))).toBe('todo:write');
    });

    it('names them in the 401 for an invalid or expired token too', async () => {
      const auth = make({ policy: initial });
      expect(scopeOf(await auth.authorize(post(bearer('forged'), init)))).toBe('todo:read');
      expect(scopeOf(await auth.authorize(post(bearer('stale'), init)))).toBe('todo:read');
    });

    it('are advertised in scopes_supported and checked as scope tokens', () => {
      const auth = make({ policy: { initialScopes: ['todo:read'] } });
      expect(auth.metadata.document.scopes_supported).toEqual(['todo:read']);
      expect(() => make({ policy: { initialScopes: ['bad"scope'] } })).toThrow(
        'policy.initialScopes[0]',
      );
      expect(() => make({ policy: { initialScopes: 'todo:read' as never } })).toThrow(
        'policy.initialScopes',
      );
      expect(() => make({ policy: { initialScopes: ['offline_access'] } })).toThrow(
        'option "policy.initialScopes" must not contain offline_access',
      );
      expect(() =>
        make({ policy: { initialScopes: ['todo:read'] }, scopesSupported: ['todo:write'] }),
      ).toThrow(
        'option "policy.initialScopes" names "todo:read", which scopesSupported does not list',
      );
    });
  });

  it('names the operation scopes plus granted ones in scopes_supported', async () => {
    const result = denied(await make().authorize(post(bearer('alice'), call('add_todo'))));
    expect(result.status).toBe(403);
    expect(result.headers['WWW-Authenticate']).toBe(
      `Bearer error="insufficient_scope", error_description="Missing required scope: todo:write", resource_metadata="${PRM}", scope="todo:write todo:read"`,
    );
    expect(result.body).toEqual({
      error: 'insufficient_scope',
      error_description: 'Missing required scope: todo:write',
    });
  });

  it('never offers offline_access or openid, even when granted', async () => {
    const auth = make({
      policy: { tools: { admin: 'todo:admin' } },
      scopesSupported: ['todo:admin', 'todo:write', 'openid'],
    });
    const result = denied(await auth.authorize(post(bearer('writer'), call('admin'))));
    expect(parseChallenge(result.headers['WWW-Authenticate'] ?? '')?.params.scope).toBe(
      'todo:admin todo:write',
    );
  });

  it("challengeScopes: 'required' names only the operation's scopes", async () => {
    const result = denied(
      await make({ challengeScopes: 'required' }).authorize(
        post(bearer('alice'), call('add_todo')),
      ),
    );
    expect(parseChallenge(result.headers['WWW-Authenticate'] ?? '')?.params.scope).toBe(
      'todo:write',
    );
  });

  it('implication: todo:write satisfies todo:read', async () => {
    const result = await make().authorize(post(bearer('writer'), call('list_todos')));
    expect(result.type).toBe('allow');
  });

  it('a batch needs the union', async () => {
    const batch = [call('list_todos', 1), call('add_todo', 2)];
    const result = denied(await make().authorize(post(bearer('alice'), batch)));
    expect(result.status).toBe(403);
    expect((await make().authorize(post(bearer('bob'), batch))).type).toBe('allow');
  });

  it('denyUnnamedTools refuses tools the policy does not name', async () => {
    const auth = make({ policy: { ...policy, denyUnnamedTools: true } });
    const result = denied(await auth.authorize(post(bearer('bob'), call('rm_rf'))));
    expect(result.status).toBe(403);
    expect(result.body).toEqual({
      error: 'insufficient_scope',
      error_description: 'Tool rm_rf is not available',
    });
    expect((await make().authorize(post(bearer('bob'), call('rm_rf')))).type).toBe('allow');
    const long = denied(await auth.authorize(post(bearer('bob'), call('x'.repeat(500)))));
    expect(long.body).toEqual({
      error: 'insufficient_scope',
      error_description: `Tool ${'x'.repeat(64)} is not available`,
    });
  });

  it('GET and DELETE need the baseline only', async () => {
    const auth = make({ policy: { baseline: 'todo:read', tools: { add_todo: 'todo:write' } } });
    expect(
      (await auth.authorize({ method: 'GET', url: '/mcp', headers: bearer('alice') })).type,
    ).toBe('allow');
    const machine = await auth.authorize({
      method: 'get',
      url: '/mcp',
      headers: bearer('writer'),
      body: 'ignored',
    });
    expect(machine.type).toBe('deny');
  });
});

describe('authorize: bodies and 2026-07-28 headers', () => {
  const rpcError = (code: number) => ({
    jsonrpc: '2.0',
    id: null,
    error: { code, message: expect.any(String) },
  });

  it('unparseable body the policy needs → 400 -32700', async () => {
    for (const body of ['{not json', undefined, new URLSearchParams('a=1'), 5]) {
      const result = denied(await make().authorize(post(bearer('alice'), body)));
      expect(result.status).toBe(400);
      expect(result.body).toEqual(rpcError(JSONRPC_PARSE_ERROR));
      expect(result.headers['Content-Type']).toBe('application/json');
      expect(result.headers).not.toHaveProperty('WWW-Authenticate');
    }
    expect(JSONRPC_PARSE_ERROR).toBe(-32700);
  });

  it('a target that is not a string → 400 -32602 (schema coercion could turn it into a name)', async () => {
    const rpc = (params: unknown, method = 'tools/call') => ({
      jsonrpc: '2.0',
      id: 1,
      method,
      params,
    });
    for (const body of [
      rpc({ name: ['add_todo'] }),
      rpc({ name: { toString: 'add_todo' } }),
      rpc({ name: null }),
      rpc({ name: 7 }, 'prompts/get'),
      rpc({ uri: ['todo://all'] }, 'resources/read'),
      rpc({ ref: { type: 'ref/prompt', name: ['p'] } }, 'completion/complete'),
      rpc({ ref: { type: 'ref/resource', uri: 1 } }, 'completion/complete'),
      [call('list_todos'), rpc({ name: ['add_todo'] })],
    ]) {
      const result = denied(await make().authorize(post(bearer('alice'), body)));
      expect(result.status).toBe(400);
      expect(result.body).toEqual(rpcError(JSONRPC_INVALID_PARAMS));
      expect(result.headers).not.toHaveProperty('WWW-Authenticate');
    }
    expect(JSONRPC_INVALID_PARAMS).toBe(-32602);
    // Credentials first: without a token the answer is still the 401 challenge.
    expect(denied(await make().authorize(post({}, rpc({ name: ['x'] })))).status).toBe(401);
    // A missing target is not malformed: the baseline applies, as before.
    expect((await make().authorize(post(bearer('alice'), rpc({})))).type).toBe('allow');
  });

  it('byte bodies are parsed once; a string body is never decoded as a message', async () => {
    const text = JSON.stringify(call('add_todo'));
    // A string is raw text or a JSON string value: neither is a JSON-RPC message.
    const asString = denied(await make().authorize(post(bearer('alice'), text)));
    expect(asString.status).toBe(400);
    expect(asString.body).toMatchObject({ error: { code: JSONRPC_PARSE_ERROR } });
    const bytes = new TextEncoder().encode(text);
    const twice = new TextEncoder().encode(JSON.stringify(text));
    expect(denied(await make().authorize(post(bearer('alice'), twice))).status).toBe(400);
    expect(denied(await make().authorize(post(bearer('alice'), bytes))).status).toBe(403);
    expect(denied(await make().authorize(post(bearer('alice'), bytes.buffer))).status).toBe(403);
  });

  it('a body neither the policy nor session binding needs is not parsed', async () => {
    const unbound = make({ policy: {}, sessionBinding: false });
    expect(unbound.needsBody).toBe(false);
    expect((await unbound.authorize(post(bearer('alice'), '<html>'))).type).toBe('allow');
    expect((await unbound.authorize(post(bearer('alice'), undefined))).type).toBe('allow');
  });

  it('with session binding the body is needed to tell an initialize apart', async () => {
    const bound = make({ policy: {} });
    expect(bound.needsBody).toBe(true);
    const unread = denied(await bound.authorize(post(bearer('alice'), undefined)));
    expect(unread.status).toBe(400);
    expect(unread.body).toMatchObject({ error: { code: JSONRPC_PARSE_ERROR } });
  });

  it('Mcp-Method / Mcp-Name that disagree with the body → 400 -32020', async () => {
    const cases: Array<[Record<string, string>, unknown]> = [
      [{ 'mcp-method': 'tools/list' }, call('add_todo')],
      [{ 'Mcp-Method': 'tools/call', 'Mcp-Name': 'list_todos' }, call('add_todo')],
      [{ 'mcp-method': 'tools/call' }, { jsonrpc: '2.0', id: 1, result: {} }],
    ];
    for (const [headers, body] of cases) {
      const result = denied(await make().authorize(post(bearer('bob', headers), body)));
      expect(result.status).toBe(400);
      expect(result.body).toEqual(rpcError(JSONRPC_HEADER_MISMATCH));
    }
    const policyFree = denied(
      await make({ policy: {} }).authorize(post(bearer('bob', { 'mcp-method': 'x' }), call('a'))),
    );
    expect(policyFree.body).toEqual(rpcError(-32020));
  });

  it('matching headers pass', async () => {
    const ok = await make().authorize(
      post(bearer('bob', { 'mcp-method': 'tools/call', 'mcp-name': 'add_todo' }), call('add_todo')),
    );
    expect(ok.type).toBe('allow');
  });

  it('headers alone never decide for a policy that needs the body (fail closed)', async () => {
    const headers = { 'mcp-method': 'tools/list', 'mcp-name': 'x' };
    const result = denied(await make().authorize(post(bearer('alice', headers), undefined)));
    expect(result.status).toBe(400);
    expect(result.body).toEqual(rpcError(JSONRPC_PARSE_ERROR));
  });

  it('without a body, headers still name the operation in the audit event', async () => {
    const events: DecisionEvent[] = [];
    const auth = make({ policy: {}, sessionBinding: false, onDecision: (e) => events.push(e) });
    const headers = { 'mcp-method': 'tools/call', 'mcp-name': 'add_todo' };
    expect((await auth.authorize(post(bearer('alice', headers), undefined))).type).toBe('allow');
    expect(
      (await auth.authorize(post(bearer('alice', { 'mcp-method': 'ping' }), undefined))).type,
    ).toBe('allow');
    expect(events.map((e) => [e.methods, e.tools])).toEqual([
      [['tools/call'], ['add_todo']],
      [['ping'], []],
    ]);
  });
});

describe('authorize: public methods', () => {
  const auth = make({ policy: { ...policy, publicMethods: ['ping'] } });
  const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };

  it('needs no token, and carries no authInfo (no placeholder)', async () => {
    const result = await auth.authorize(post({}, ping));
    expect(result.type).toBe('allow');
    expect(result).not.toHaveProperty('authInfo');
    expect(result).not.toHaveProperty('anonymous');
  });

  it('still verifies a token that is sent', async () => {
    expect(denied(await auth.authorize(post(bearer('forged'), ping))).status).toBe(401);
    expect((await auth.authorize(post(bearer('alice'), ping))).type).toBe('allow');
  });

  it('a batch mixing public and protected methods needs a token', async () => {
    expect(denied(await auth.authorize(post({}, [ping, call('list_todos', 2)]))).status).toBe(401);
    expect(denied(await make().authorize(post({}, ping))).status).toBe(401);
  });
});

describe('authorize: session binding (fails closed)', () => {
  const NOT_FOUND = {
    jsonrpc: '2.0',
    id: null,
    error: { code: -32001, message: 'Session not found' },
  };
  const initialize = { jsonrpc: '2.0', id: 0, method: 'initialize', params: {} };
  const withSession = (token: string, id = 's-1', method = 'POST') => ({
    method,
    url: '/mcp',
    headers: bearer(token, { 'mcp-session-id': id }),
    body: call('list_todos'),
  });
  /** An initialize by `token` whose response created session `id`. */
  async function open(auth: ReturnType<typeof make>, token: string, id: string) {
    const result = await auth.authorize(post(bearer(token), initialize));
    if (result.type !== 'allow') throw new Error(`initialize denied: ${result.status}`);
    auth.onResponse(result, { status: 200, sessionId: id });
    return result;
  }

  it('binds the session the response created; another subject gets the SDK 404', async () => {
    const auth = make();
    await open(auth, 'alice', 's-1');
    expect((await auth.authorize(withSession('alice'))).type).toBe('allow');
    const result = denied(await auth.authorize(withSession('bob')));
    expect(result.status).toBe(404);
    expect(result.body).toEqual(NOT_FOUND);
    expect(result.headers['WWW-Authenticate']).toBeUndefined();
    expect((await auth.authorize(withSession('alice'))).type).toBe('allow');
  });

  it('never adopts an unknown session id (same 404, nothing bound afterwards)', async () => {
    const auth = make();
    const unknown = denied(await auth.authorize(withSession('bob', 'never-bound')));
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(NOT_FOUND);
    // The owner of an existing session and a stranger are told the same thing.
    await open(auth, 'alice', 's-1');
    const foreign = denied(await auth.authorize(withSession('bob', 's-1')));
    expect(foreign).toEqual({ ...unknown, headers: foreign.headers });
    expect(denied(await auth.authorize(withSession('bob', 'never-bound'))).status).toBe(404);
  });

  it('a token refresh (same issuer, subject and client) keeps the session', async () => {
    const auth = make();
    await open(auth, 'alice', 's-1');
    expect((await auth.authorize(withSession('writer', 's-1'))).type).toBe('allow');
  });

  it('keys the binding on the issuer and the client, not only on sub', async () => {
    const local: Record<string, AuthInfo> = {
      a1: { token: 'a1', clientId: 'app', scopes: ['todo:read'], extra: { iss: AS, sub: 'u' } },
      a2: {
        token: 'a2',
        clientId: 'app',
        scopes: ['todo:read'],
        extra: { iss: 'https://other.example', sub: 'u' },
      },
      a3: { token: 'a3', clientId: 'other', scopes: ['todo:read'], extra: { iss: AS, sub: 'u' } },
    };
    const auth = make({
      verifier: { verifyAccessToken: async (t) => local[t] as AuthInfo },
    });
    await open(auth, 'a1', 's-1');
    expect((await auth.authorize(withSession('a1'))).type).toBe('allow');
    expect(denied(await auth.authorize(withSession('a2'))).status).toBe(404);
    expect(denied(await auth.authorize(withSession('a3'))).status).toBe(404);
  });

  it('binds by client id without sub; a token with neither cannot open or use a session', async () => {
    const auth = make();
    await open(auth, 'machine', 'm-1');
    expect((await auth.authorize(withSession('machine', 'm-1'))).type).toBe('allow');
    expect(denied(await auth.authorize(withSession('alice', 'm-1'))).status).toBe(404);
    const nobody: AuthInfo = { token: 'n', clientId: '', scopes: ['todo:read'] };
    const anon = make({ verifier: { verifyAccessToken: async () => ({ ...nobody }) } });
    const refused = denied(await anon.authorize(post(bearer('n'), initialize)));
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'session_forbidden' });
    expect(denied(await anon.authorize(withSession('n', 'x'))).status).toBe(404);
  });

  it('ends a binding only after the application answered the DELETE with a 2xx', async () => {
    const auth = make();
    await open(auth, 'alice', 's-1');
    expect(denied(await auth.authorize(withSession('bob', 's-1', 'DELETE'))).status).toBe(404);
    const refusedDelete = await auth.authorize(withSession('alice', 's-1', 'DELETE'));
    expect(refusedDelete.type).toBe('allow');
    auth.onResponse(refusedDelete as never, { status: 400 });
    // Still bound: the stranger is refused, the owner goes on.
    expect(denied(await auth.authorize(withSession('bob', 's-1'))).status).toBe(404);
    expect((await auth.authorize(withSession('alice', 's-1'))).type).toBe('allow');
    const accepted = await auth.authorize(withSession('alice', 's-1', 'DELETE'));
    auth.onResponse(accepted as never, { status: 200 });
    expect(denied(await auth.authorize(withSession('alice', 's-1'))).status).toBe(404);
    expect(denied(await auth.authorize(withSession('bob', 's-1'))).status).toBe(404);
  });

  it('refuses a new session at capacity (503) instead of evicting a live one', async () => {
    const auth = make({ sessionBinding: { maxSessions: 2 } });
    await open(auth, 'alice', 's-1');
    await open(auth, 'machine', 's-2');
    const full = denied(await auth.authorize(post(bearer('bob'), initialize)));
    expect(full.status).toBe(503);
    expect(full.headers['Retry-After']).toBe('30');
    expect(full.body).toMatchObject({ error: 'session_limit' });
    expect((await auth.authorize(withSession('alice', 's-1'))).type).toBe('allow');
    expect((await auth.authorize(withSession('machine', 's-2'))).type).toBe('allow');
    const bye = await auth.authorize(withSession('alice', 's-1', 'DELETE'));
    auth.onResponse(bye as never, { status: 200 });
    await open(auth, 'bob', 's-3');
    expect((await auth.authorize(withSession('bob', 's-3'))).type).toBe('allow');
  });

  it('a subject at its share is refused a new session by default (503)', async () => {
    const auth = make({ sessionBinding: { maxSessionsPerSubject: 2 } });
    await open(auth, 'alice', 'a-1');
    await open(auth, 'writer', 'a-2'); // alice again (same issuer and sub), another token
    const third = denied(await auth.authorize(post(bearer('alice'), initialize)));
    expect(third.status).toBe(503);
    expect(third.body).toMatchObject({ error: 'session_limit' });
    expect((await auth.authorize(post(bearer('bob'), initialize))).type).toBe('allow');
    const bye = await auth.authorize(withSession('alice', 'a-1', 'DELETE'));
    auth.onResponse(bye as never, { status: 200 });
    await open(auth, 'alice', 'a-3');
  });

  it("with 'replace-oldest' a subject beyond its share replaces its own oldest session, never someone else's", async () => {
    const ended: string[] = [];
    const auth = make({
      sessionBinding: {
        maxSessionsPerSubject: 2,
        onSubjectLimit: 'replace-oldest',
        onSessionEnd: (id) => ended.push(id),
      },
    });
    await open(auth, 'alice', 'a-1');
    await open(auth, 'bob', 'b-1');
    await open(auth, 'alice', 'a-2');
    expect((await auth.authorize(withSession('alice', 'a-1'))).type).toBe('allow');
    await open(auth, 'writer', 'a-3'); // alice again (same issuer and sub), another token
    expect(denied(await auth.authorize(withSession('alice', 'a-2'))).status).toBe(404);
    expect((await auth.authorize(withSession('alice', 'a-1'))).type).toBe('allow');
    expect((await auth.authorize(withSession('writer', 'a-3'))).type).toBe('allow');
    expect((await auth.authorize(withSession('bob', 'b-1'))).type).toBe('allow');
    expect(ended).toEqual(['a-2']); // the application is told, to close that transport
  });

  it("'replace-oldest' requires onSessionEnd", () => {
    expect(() => make({ sessionBinding: { onSubjectLimit: 'replace-oldest' } })).toThrow(
      /sessionBinding\.onSessionEnd.*required/,
    );
  });

  it('caps the initializes one subject has in flight, and gives a slot back once', async () => {
    const auth = make({ sessionBinding: { maxSessionsPerSubject: 2 } });
    const first = await auth.authorize(post(bearer('alice'), initialize));
    const second = await auth.authorize(post(bearer('writer'), initialize));
    expect([first.type, second.type]).toEqual(['allow', 'allow']);
    const third = denied(await auth.authorize(post(bearer('alice'), initialize)));
    expect(third.status).toBe(503);
    expect(third.body).toMatchObject({ error: 'session_limit' });
    expect((await auth.authorize(post(bearer('bob'), initialize))).type).toBe('allow');
    // The first initialize ends without a session (its connection dropped): its slot is back.
    auth.onResponse(first as never, { status: 0 });
    auth.onResponse(first as never, { status: 0 });
    expect((await auth.authorize(post(bearer('alice'), initialize))).type).toBe('allow');
    expect(denied(await auth.authorize(post(bearer('alice'), initialize))).status).toBe(503);
  });

  it('another token probing a session id does not keep it alive', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const auth = make({ sessionBinding: { ttlMs: 1000 } });
      await open(auth, 'alice', 's-1');
      for (let i = 0; i < 4; i++) {
        vi.advanceTimersByTime(300);
        expect(denied(await auth.authorize(withSession('bob', 's-1'))).status).toBe(404);
      }
      expect(denied(await auth.authorize(withSession('alice', 's-1'))).status).toBe(404);
    } finally {
      vi.useRealTimers();
    }
  });

  it('an expired binding is gone for good: 404, never rebound by the next caller', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const auth = make({ sessionBinding: { ttlMs: 1000 } });
      await open(auth, 'alice', 's-1');
      vi.advanceTimersByTime(1001);
      expect(denied(await auth.authorize(withSession('alice', 's-1'))).status).toBe(404);
      const stranger = await auth.authorize(withSession('bob', 's-1'));
      expect(denied(stranger).status).toBe(404);
    } finally {
      vi.useRealTimers();
    }
  });

  it('is off with sessionBinding: false', async () => {
    const off = make({ sessionBinding: false });
    expect(off.sessionBinding).toBe(false);
    expect((await off.authorize(withSession('bob'))).type).toBe('allow');
  });

  it('refuses publicMethods with initialize while binding is on', () => {
    expect(() => make({ policy: { publicMethods: ['initialize'] } })).toThrow(
      /policy\.publicMethods.*initialize/,
    );
    expect(() =>
      make({ policy: { publicMethods: ['initialize'] }, sessionBinding: false }),
    ).not.toThrow();
  });

  it('no request without a token is allowed on a session id, public or not', async () => {
    const auth = make({ policy: { ...policy, publicMethods: ['ping'] } });
    const ping = { jsonrpc: '2.0', id: 9, method: 'ping' };
    expect((await auth.authorize(post({}, ping))).type).toBe('allow');
    const onSession = denied(await auth.authorize(post({ 'mcp-session-id': 's-1' }, ping)));
    expect(onSession.status).toBe(401);
    expect(onSession.headers['WWW-Authenticate']).toBe(`Bearer resource_metadata="${PRM}"`);
  });

  it('a JSON-RPC response from the client is never public', async () => {
    const auth = make({ policy: { ...policy, publicMethods: ['ping'] } });
    const batch = [
      { jsonrpc: '2.0', id: 9, method: 'ping' },
      { jsonrpc: '2.0', id: 0, result: { action: 'accept' } },
    ];
    expect(denied(await auth.authorize(post({}, batch))).status).toBe(401);
    expect(
      denied(await auth.authorize(post({}, [{ jsonrpc: '2.0', id: 0, result: {} }]))).status,
    ).toBe(401);
  });
});

describe('authorize: credentials before the body', () => {
  it('a request without credentials gets the 401 challenge even when its body is not JSON-RPC', async () => {
    const auth = make();
    for (const body of ['access_token=abc', '{', undefined]) {
      const result = denied(
        await auth.authorize({ method: 'POST', url: '/mcp', headers: {}, body }),
      );
      expect(result.status).toBe(401);
      expect(result.headers['WWW-Authenticate']).toBe(`Bearer resource_metadata="${PRM}"`);
      expect(result.body).toMatchObject({ error: 'missing_credentials' });
    }
  });

  it('a mismatching Mcp-Method header is no way around the public check', async () => {
    const auth = make({ policy: { ...policy, publicMethods: ['ping'] } });
    const result = denied(
      await auth.authorize(
        post({ 'mcp-method': 'tools/call' }, { jsonrpc: '2.0', id: 1, method: 'ping' }),
      ),
    );
    expect(result.status).toBe(401);
  });
});

describe('authorize: audit names', () => {
  it('cuts client-chosen names to 128 characters and replaces controls', async () => {
    const events: DecisionEvent[] = [];
    const auth = make({ onDecision: (e) => events.push(e) });
    const forged = `list_todos\r\n2026-01-01 INFO admin logged in\u2028${'x'.repeat(100_000)}`;
    await auth.authorize(post(bearer('alice'), call(forged)));
    const tool = events[0]?.tool ?? '';
    expect(tool).toHaveLength(128);
    expect(tool).not.toMatch(/[\r\n\u2028]/);
    expect(tool.startsWith('list_todos\ufffd\ufffd2026-01-01 INFO admin logged in\ufffd')).toBe(
      true,
    );
    expect(events[0]?.tools).toEqual([tool]);
  });

  it('an unnamed tool in a denial description is cleaned the same way', async () => {
    const events: DecisionEvent[] = [];
    const auth = make({ onDecision: (e) => events.push(e), policy: { denyUnnamedTools: true } });
    const forged = 'x\n{"outcome":"allow","sub":"admin"}\u2028';
    const result = denied(await auth.authorize(post(bearer('alice'), call(forged))));
    expect(result.status).toBe(403);
    expect(events[0]?.description).toBe(
      'Tool x\ufffd{"outcome":"allow","sub":"admin"}\ufffd is not available',
    );
    expect(JSON.stringify(result.body)).not.toMatch(/\\n|\\u2028/);
  });
});

describe('authorize: CORS and audit', () => {
  it('refuses an origin outside the list (403) and echoes an allowed one', async () => {
    const auth = make({ cors: { allowedOrigins: ['https://app.example'] } });
    const bad = denied(
      await auth.authorize(post(bearer('alice', { origin: 'https://evil.example' }))),
    );
    expect(bad.status).toBe(403);
    expect(bad.body).toMatchObject({ error: 'invalid_origin' });
    const good = await auth.authorize(post(bearer('alice', { origin: 'https://app.example' })));
    expect(good.headers).toEqual({
      'Access-Control-Allow-Origin': 'https://app.example',
      'Access-Control-Expose-Headers': 'WWW-Authenticate, Mcp-Session-Id',
      Vary: 'Origin',
    });
  });

  it('emits one event per decision, never with the token', async () => {
    const events: DecisionEvent[] = [];
    const auth = make({ onDecision: (e) => events.push(e) });
    await auth.authorize(post(bearer('alice'), [call('list_todos', 1), call('add_todo', 2)]));
    await auth.authorize(post(bearer('alice'), call('list_todos')));
    await auth.authorize(post({}));
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({
      outcome: 'deny',
      reason: 'insufficient_scope',
      status: 403,
      sub: 'alice',
      clientId: 'app',
      methods: ['tools/call', 'tools/call'],
      tool: 'list_todos',
      tools: ['list_todos', 'add_todo'],
      requiredScopes: ['todo:read', 'todo:write'],
      missingScopes: ['todo:write'],
      resource: RESOURCE,
      httpMethod: 'POST',
    });
    expect(events[1]).toMatchObject({ outcome: 'allow', reason: 'authorized', status: 200 });
    expect(events[2]).toMatchObject({
      outcome: 'deny',
      reason: 'missing_credentials',
      status: 401,
    });
    for (const e of events) {
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('the token never appears in an event', async () => {
    const secret = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2VjcmV0LXNpZw';
    const events: DecisionEvent[] = [];
    const auth = make({ onDecision: (e) => events.push(e) });
    await auth.authorize(post(bearer(secret)));
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events[0])).not.toContain(secret);
  });

  it('a throwing listener does not break the request', async () => {
    const onDecision = vi.fn(() => {
      throw new Error('audit down');
    });
    const result = await make({ onDecision }).authorize(post(bearer('alice')));
    expect(result.type).toBe('allow');
    expect(onDecision).toHaveBeenCalledOnce();
  });

  it('authorize never throws, even on hostile input', async () => {
    const auth = make();
    const hostile = {
      method: 'POST',
      url: '/mcp',
      headers: bearer('alice'),
      get body(): unknown {
        throw new Error('x');
      },
    };
    const result = denied(await auth.authorize(hostile));
    expect(result.status).toBe(401);
  });
});

describe('metadata routes and preflight', () => {
  const auth = make({
    resourceName: 'Todos',
    metadata: { rootResource: 'https://mcp.example.com' },
  });
  const route = (method: string, url: string | URL) =>
    auth.handleMetadataRequest({ method, url, headers: {} });

  it('exposes documents, paths and headers', () => {
    expect(auth.resource).toBe(RESOURCE);
    expect(auth.needsBody).toBe(true);
    expect(make({ policy: {}, sessionBinding: false }).needsBody).toBe(false);
    expect(auth.sessionBinding).toBe(true);
    expect(make({ sessionBinding: false }).sessionBinding).toBe(false);
    expect(make({ sessionBinding: { maxSessions: 5 } }).sessionBinding).toBe(true);
    expect(auth.metadata).toMatchObject({
      path: '/.well-known/oauth-protected-resource/mcp',
      rootPath: '/.well-known/oauth-protected-resource',
      url: PRM,
    });
    expect(auth.metadata.document).toEqual({
      resource: RESOURCE,
      authorization_servers: [AS],
      bearer_methods_supported: ['header'],
      scopes_supported: ['todo:read', 'todo:write'],
      resource_name: 'Todos',
    });
    expect(auth.metadata.rootDocument.resource).toBe('https://mcp.example.com');
    expect(Object.isFrozen(auth.metadata.document)).toBe(true);
    expect(() => auth.metadata.document.authorization_servers.push('https://evil.example')).toThrow(
      TypeError,
    );
  });

  it('GET serves the path-inserted and root documents as JSON with open CORS', () => {
    const doc = route('GET', '/.well-known/oauth-protected-resource/mcp?x=1');
    expect(doc).toEqual({
      status: 200,
      headers: auth.metadata.headers,
      body: auth.metadata.document,
    });
    expect(doc?.headers['Access-Control-Allow-Origin']).toBe('*');
    expect(doc?.headers['Content-Type']).toBe('application/json');
    expect(route('get', 'https://mcp.example.com/.well-known/oauth-protected-resource')?.body).toBe(
      auth.metadata.rootDocument,
    );
    expect(
      route('GET', new URL('https://mcp.example.com/.well-known/oauth-protected-resource/mcp'))
        ?.status,
    ).toBe(200);
  });

  it('HEAD, OPTIONS, other methods, unknown PRM paths and other paths', () => {
    expect(route('HEAD', auth.metadata.path)).toEqual({
      status: 200,
      headers: auth.metadata.headers,
    });
    const pre = route('OPTIONS', auth.metadata.path);
    expect(pre?.status).toBe(204);
    expect(pre?.headers['Access-Control-Allow-Methods']).toBe('GET, HEAD, OPTIONS');
    expect(pre?.headers['Access-Control-Allow-Headers']).toContain('MCP-Protocol-Version');
    expect(route('POST', auth.metadata.path)).toMatchObject({
      status: 405,
      headers: { Allow: 'GET, HEAD, OPTIONS' },
    });
    expect(route('GET', '/.well-known/oauth-protected-resource/other')?.status).toBe(404);
    expect(route('GET', '/.well-known/oauth-protected-resource/other')?.body).toMatchObject({
      error: 'not_found',
    });
    expect(route('GET', '/mcp')).toBeUndefined();
    expect(route('GET', '/.well-known/oauth-protected-resourcex')).toBeUndefined();
    expect(route('GET', 'not a url')).toBeUndefined();
  });

  it('the MCP endpoint preflight needs no auth', () => {
    const result = auth.preflight({
      method: 'OPTIONS',
      url: '/mcp',
      headers: { origin: 'https://x.example' },
    });
    expect(result.status).toBe(204);
    expect(result.headers['Access-Control-Allow-Headers']).toContain('Mcp-Session-Id');
  });
});
