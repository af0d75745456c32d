/**
 * Ways around the scope policy (MCP authorization, "scope challenge handling"; MCP security best
 * practices): the policy must judge the operation the MCP SDK will actually run. A `todo:read`
 * token tries to reach `add_todo` (`todo:write`) through duplicate JSON members, batches, name
 * and method variants, prototype keys, header/body disagreement, content types and path
 * variants, on a session it opened itself — over HTTP on every adapter.
 */
import { gzipSync } from 'node:zlib';
import { createMcpAuth, type ScopePolicy } from '@org/mcp-auth-core';
import { describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  type AdapterName,
  expectDenial,
  expectInsufficientScope,
  mcpHeaders,
  openSession,
  postMcp,
  rawPathRequest,
  rpc,
  rpcResult,
  SCOPE_POLICY,
  type SecurityServer,
  toolCall,
  toolRunsDuring,
  useSecurityEnvironment,
  VALID_ARGS,
  sessionPerServer,
} from '../src/index.js';

const env = useSecurityEnvironment();

/** A session per server, opened by a `todo:read` token (which may not add to-dos). */
const readerSession = sessionPerServer(env, 'todo:read');

const ADD = JSON.stringify(VALID_ARGS.add_todo);
/** `add_todo` needs todo:write; the reader's challenge names it and the granted todo:read. */
const expectWriteRefused = (res: Awaited<ReturnType<typeof postMcp>>, server: SecurityServer) =>
  expectInsufficientScope(res, server, 'todo:write', 'todo:write todo:read');

/** A 400 with a JSON-RPC error and no challenge: the request cannot be judged as sent. */
const expectRpcRefusal = (
  res: Awaited<ReturnType<typeof postMcp>>,
  code: number,
  message: string,
) =>
  expectDenial(res, {
    status: 400,
    challenge: null,
    body: { jsonrpc: '2.0', id: null, error: { code, message } },
  });

/** Bodies written by hand, so JSON can say what `JSON.stringify` never would. */
const RAW_BODIES: Array<{ name: string; body: string; refused: boolean; ran?: string }> = [
  {
    name: 'duplicate "name": whoami then add_todo (JSON.parse keeps the last: add_todo)',
    body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","name":"add_todo","arguments":${ADD}}}`,
    refused: true,
  },
  {
    name: 'duplicate "name": add_todo then whoami (the SDK runs whoami, which is allowed)',
    body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add_todo","name":"whoami","arguments":${ADD}}}`,
    refused: false,
    ran: 'whoami',
  },
  {
    name: 'duplicate "params": whoami then add_todo',
    body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"},"params":{"name":"add_todo","arguments":${ADD}}}`,
    refused: true,
  },
  {
    name: 'duplicate "method": tools/list then tools/call',
    body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"add_todo","arguments":${ADD}}}`,
    refused: true,
  },
  {
    name: 'escaped member name ("n\\u0061me")',
    body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"n\\u0061me":"add_todo","arguments":${ADD}}}`,
    refused: true,
  },
  {
    name: 'escaped tool name ("add\\u005ftodo")',
    body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add\\u005ftodo","arguments":${ADD}}}`,
    refused: true,
  },
  {
    name: 'escaped method ("tools\\/call")',
    body: `{"jsonrpc":"2.0","id":1,"method":"tools\\/call","params":{"name":"add_todo","arguments":${ADD}}}`,
    refused: true,
  },
  {
    name: 'a byte order mark before the JSON',
    body: `\ufeff${JSON.stringify(toolCall('add_todo', VALID_ARGS.add_todo))}`,
    refused: true,
  },
];

/** Batches (JSON-RPC 2.0 §6) and the challenge scope each must produce when refused. */
const BATCHES: Array<{ name: string; body: unknown[]; scope?: string; runs?: number }> = [
  {
    name: 'allowed call then forbidden call',
    body: [toolCall('list_todos', {}, 1), toolCall('add_todo', VALID_ARGS.add_todo, 2)],
    scope: 'todo:read todo:write',
  },
  {
    name: 'forbidden call then allowed call',
    body: [toolCall('add_todo', VALID_ARGS.add_todo, 1), toolCall('list_todos', {}, 2)],
    scope: 'todo:write todo:read',
  },
  {
    name: 'forty-nine allowed calls hiding one forbidden call at the end',
    body: [
      ...Array.from({ length: 49 }, (_, i) => toolCall('whoami', {}, i + 1)),
      toolCall('add_todo', VALID_ARGS.add_todo, 50),
    ],
    scope: 'todo:write todo:read',
  },
  {
    name: 'a notification, then the forbidden call',
    body: [
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } },
      toolCall('add_todo', VALID_ARGS.add_todo, 2),
    ],
    scope: 'todo:write todo:read',
  },
  {
    name: 'a response object, then the forbidden call',
    body: [{ jsonrpc: '2.0', id: 9, result: {} }, toolCall('add_todo', VALID_ARGS.add_todo, 2)],
    scope: 'todo:write todo:read',
  },
  {
    name: 'two allowed calls (the control: both run)',
    body: [toolCall('list_todos', {}, 1), toolCall('whoami', {}, 2)],
    runs: 2,
  },
];

/** Names the policy does not know; the SDK must not map any of them to a guarded tool. */
const NAME_VARIANTS = [
  'ADD_TODO',
  'Add_Todo',
  'add_todo ',
  ' add_todo',
  'add_todo\n',
  'add_todo\u0000',
  'add_todo\u200b',
  '\ufeffadd_todo',
  'add-todo',
  'ａｄｄ_ｔｏｄｏ', // fullwidth
  '\u0430dd_todo', // Cyrillic a
  'add_tod\u043e', // Cyrillic o
  'add_todo\u0301', // combining acute accent
  'tools/add_todo',
];

const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'prototype',
];

/** Per adapter: which path variants reach the protected route (and get the policy's 403). */
const ROUTED: Record<AdapterName, readonly string[]> = {
  express: ['/MCP', '/mcp/', '/Mcp/', '/mcp?x=1'], // Express routing: case-insensitive, non-strict
  fastify: ['/%6Dcp', '/%6dcp', '/mcp?x=1'], // find-my-way decodes the path
  hono: ['/%6Dcp', '/%6dcp', '/./mcp', '/x/../mcp', '/mcp?x=1'], // WHATWG URL normalisation
};
const PATH_VARIANTS = [
  '/MCP',
  '/mcp/',
  '/Mcp/',
  '/%6Dcp',
  '/%6dcp',
  '//mcp',
  '/mcp;x',
  '/./mcp',
  '/x/../mcp',
  '/mcp%2F',
  '/mcp%00',
  '/mcp?x=1',
];

/** Content types a body parser might read differently from the policy: the expected status. */
const CONTENT_TYPES: Array<{
  name: string;
  type: string | null;
  status: Record<AdapterName, number>;
}> = [
  { name: 'text/plain', type: 'text/plain', status: { express: 400, fastify: 400, hono: 400 } },
  {
    name: 'a JSON type hidden in a parameter',
    type: 'text/plain; x=application/json',
    status: { express: 400, fastify: 400, hono: 400 },
  },
  { name: 'no Content-Type', type: null, status: { express: 400, fastify: 400, hono: 400 } },
  {
    name: 'application/vnd.api+json',
    type: 'application/vnd.api+json',
    status: { express: 403, fastify: 400, hono: 403 },
  },
  {
    name: 'APPLICATION/JSON',
    type: 'APPLICATION/JSON',
    status: { express: 403, fastify: 403, hono: 403 },
  },
  {
    name: 'JSON declared as UTF-16',
    type: 'application/json; charset=utf-16le',
    status: { express: 400, fastify: 403, hono: 403 },
  },
];

describe.each(ADAPTERS)('scope policy bypass attempts over HTTP (%s)', (adapter) => {
  it('refuses add_todo to a todo:read token (the control)', async () => {
    const server = env.server(adapter);
    const { sessionId, token } = await readerSession(server);
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, toolCall('add_todo', VALID_ARGS.add_todo), { token, sessionId }),
    );
    expectWriteRefused(result, server);
    expect(runs).toBe(0);
  });

  it.each(RAW_BODIES)('$name', async ({ body, refused, ran }) => {
    const server = env.server(adapter);
    const { sessionId, token } = await readerSession(server);
    const before = server.toolCalls.length;
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, body, { token, sessionId }),
    );
    if (refused) {
      expectWriteRefused(result, server);
      expect(runs).toBe(0);
    } else {
      expect(result.status).toBe(200);
      expect(server.toolCalls.slice(before).map((c) => c.tool)).toEqual([ran]);
    }
  });

  it.each(BATCHES)('batch: $name', async ({ body, scope, runs: expectedRuns }) => {
    const server = env.server(adapter);
    const { sessionId, token } = await readerSession(server);
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, body, { token, sessionId }),
    );
    if (scope === undefined) {
      expect(result.status).toBe(200);
      expect(runs).toBe(expectedRuns);
    } else {
      expectInsufficientScope(result, server, 'todo:write', scope);
      expect(runs).toBe(0);
    }
  });

  it.each(NAME_VARIANTS.map((name) => [JSON.stringify(name), name]))(
    'tool name variant %s reaches no tool',
    async (_label, name) => {
      const server = env.server(adapter);
      const { sessionId, token } = await readerSession(server);
      const { runs, result } = await toolRunsDuring(server, () =>
        postMcp(server, toolCall(name, VALID_ARGS.add_todo), { token, sessionId }),
      );
      // Unnamed tools need only the baseline: the SDK answers "not found" as a tool error.
      expect(result.status).toBe(200);
      expect(rpcResult(result).result?.isError).toBe(true);
      expect(runs).toBe(0);
    },
  );

  it.each(PROTOTYPE_KEYS)('prototype key %s as a tool name reaches no tool', async (name) => {
    const server = env.server(adapter);
    const { sessionId, token } = await readerSession(server);
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, toolCall(name, VALID_ARGS.add_todo), { token, sessionId }),
    );
    expect(result.status).toBe(200);
    expect(rpcResult(result).result?.isError).toBe(true);
    expect(runs).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    'Tools/Call',
    'TOOLS/CALL',
    'tools/call ',
    'tools//call',
    'tools/call\u0000',
    'constructor',
  ])('method variant %j reaches no tool', async (method) => {
    const server = env.server(adapter);
    const { sessionId, token } = await readerSession(server);
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, rpc(method, { name: 'add_todo', arguments: VALID_ARGS.add_todo }), {
        token,
        sessionId,
      }),
    );
    expect(result.status).toBe(200);
    expect(rpcResult(result).error?.code).toBe(-32601); // Method not found
    expect(runs).toBe(0);
  });

  it.each([
    ['an array', ['add_todo']],
    ['an object', { toString: 'add_todo' }],
    ['a number', 1],
    ['null', null],
  ])('tool name given as %s → 400 -32602, reaching no tool', async (_label, name) => {
    // The policy cannot judge such a name, and a schema validator could coerce it into one
    // (Ajv's coerceTypes turns ["add_todo"] into "add_todo") after the policy let it through.
    const server = env.server(adapter);
    const { sessionId, token } = await readerSession(server);
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, toolCall(name, VALID_ARGS.add_todo), { token, sessionId }),
    );
    expectRpcRefusal(
      result,
      -32602,
      'Invalid params: a tool or prompt name or a resource URI must be a string',
    );
    expect(runs).toBe(0);
  });

  it('params carrying "__proto__" pollute nothing and reach no tool', async () => {
    const server = env.server(adapter);
    const { sessionId, token } = await readerSession(server);
    const body = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"__proto__":{"name":"add_todo","polluted":true},"arguments":${ADD}}}`;
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, body, { token, sessionId }),
    );
    if (adapter === 'fastify') {
      // Fastify's JSON parser refuses prototype keys: the core answers -32700.
      expectDenial(result, {
        status: 400,
        challenge: null,
        body: {
          jsonrpc: '2.0',
          id: null,
          error: { code: -32700, message: 'Parse error: Request body is not valid JSON' },
        },
      });
    } else {
      expect(result.status).toBe(200);
      expect(rpcResult(result).error).toBeDefined();
    }
    expect(runs).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).name).toBeUndefined();
  });

  it('Mcp-Name naming an allowed tool over a forbidden body → 400 -32020', async () => {
    const server = env.server(adapter);
    const { sessionId, token } = await readerSession(server);
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, toolCall('add_todo', VALID_ARGS.add_todo), {
        token,
        sessionId,
        headers: [
          ['Mcp-Method', 'tools/call'],
          ['Mcp-Name', 'whoami'],
        ],
      }),
    );
    expectRpcRefusal(
      result,
      -32020,
      'Header mismatch: Mcp-Method/Mcp-Name do not match the request body',
    );
    expect(runs).toBe(0);
  });

  it('Mcp-Method naming another method over a forbidden body → 400 -32020', async () => {
    const server = env.server(adapter);
    const { sessionId, token } = await readerSession(server);
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, toolCall('add_todo', VALID_ARGS.add_todo), {
        token,
        sessionId,
        headers: [['Mcp-Method', 'tools/list']],
      }),
    );
    expect(result.status).toBe(400);
    expect(JSON.parse(result.text).error.code).toBe(-32020);
    expect(runs).toBe(0);
  });

  it('matching Mcp-Method/Mcp-Name headers do not replace the body: still 403', async () => {
    const server = env.server(adapter);
    const { sessionId, token } = await readerSession(server);
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, toolCall('add_todo', VALID_ARGS.add_todo), {
        token,
        sessionId,
        headers: [
          ['Mcp-Method', 'tools/call'],
          ['Mcp-Name', 'add_todo'],
        ],
      }),
    );
    expectWriteRefused(result, server);
    expect(runs).toBe(0);
  });

  it.each(CONTENT_TYPES)('body sent as $name is refused', async ({ type, status }) => {
    const server = env.server(adapter);
    const { sessionId, token } = await readerSession(server);
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, toolCall('add_todo', VALID_ARGS.add_todo), {
        token,
        sessionId,
        contentType: type,
      }),
    );
    expect(result.status).toBe(status[adapter]);
    if (result.status === 403) expectWriteRefused(result, server);
    expect(runs).toBe(0);
  });

  it('a gzip-encoded body is judged on what it decodes to, or refused', async () => {
    const server = env.server(adapter);
    const { sessionId, token } = await readerSession(server);
    const { runs, result } = await toolRunsDuring(server, () =>
      server.send({
        method: 'POST',
        headers: [...mcpHeaders({ token, sessionId }), ['Content-Encoding', 'gzip']],
        body: gzipSync(JSON.stringify(toolCall('add_todo', VALID_ARGS.add_todo))),
      }),
    );
    // Express inflates it before the policy reads it; Fastify and Hono do not inflate.
    if (adapter === 'express') expectWriteRefused(result, server);
    else expect(result.status).toBe(400);
    expect(runs).toBe(0);
  });

  it.each(PATH_VARIANTS)(
    'path variant %s: the policy applies or nothing is there',
    async (path) => {
      const server = env.server(adapter);
      const { sessionId, token } = await readerSession(server);
      const { runs, result } = await toolRunsDuring(server, () =>
        rawPathRequest(server, path, {
          body: toolCall('add_todo', VALID_ARGS.add_todo),
          token,
          sessionId,
        }),
      );
      if (ROUTED[adapter].includes(path)) expectWriteRefused(result, server);
      else expect(result.status).toBe(404);
      expect(runs).toBe(0);
    },
  );
});

describe('prototype keys named in the policy itself', () => {
  const GUARDED = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
  /** A policy naming prototype keys as own properties, as JSON configuration would. */
  const policy: ScopePolicy = {
    tools: {
      ...SCOPE_POLICY.tools,
      ...(JSON.parse(
        '{"__proto__":"admin:all","constructor":"admin:all","toString":"admin:all","hasOwnProperty":"admin:all"}',
      ) as Record<string, string>),
    },
  };

  it('the core enforces them and nothing else changes (no prototype confusion)', async () => {
    const auth = createMcpAuth({
      resource: 'https://mcp.example/mcp',
      verifier: {
        async verifyAccessToken(token) {
          const scopes = { reader: ['todo:read'], writer: ['todo:write'], admin: ['admin:all'] };
          return { token, clientId: 'c', scopes: scopes[token as keyof typeof scopes] ?? [] };
        },
      },
      authorizationServers: ['https://issuer.example'],
      policy,
      sessionBinding: false,
    });
    const decide = (name: string, who: 'reader' | 'writer' | 'admin') =>
      auth.authorize({
        method: 'POST',
        url: '/mcp',
        headers: { authorization: `Bearer ${who}`, 'content-type': 'application/json' },
        body: toolCall(name),
      });
    for (const name of GUARDED) {
      const denied = await decide(name, 'reader');
      expect(denied.type, name).toBe('deny');
      expect(denied.type === 'deny' && denied.status).toBe(403);
      expect((await decide(name, 'admin')).type, name).toBe('allow');
    }
    // Other prototype names stay unnamed (baseline only), guarded tools keep their scopes.
    expect((await decide('valueOf', 'reader')).type).toBe('allow');
    expect((await decide('add_todo', 'admin')).type).toBe('deny');
    expect((await decide('add_todo', 'writer')).type).toBe('allow');
    expect(({} as Record<string, unknown>)['admin:all']).toBeUndefined();
  });

  describe('over HTTP', () => {
    const guarded = useSecurityEnvironment({ policy });

    it.each(ADAPTERS.flatMap((adapter) => GUARDED.map((name) => [adapter, name] as const)))(
      '%s refuses the policy-named prototype key %s without admin:all',
      async (adapter, name) => {
        const server = guarded.server(adapter);
        const token = await guarded.mint(server, { scope: 'todo:read' });
        const { sessionId } = await openSession(server, token);
        const { runs, result } = await toolRunsDuring(server, () =>
          postMcp(server, toolCall(name), { token, sessionId }),
        );
        expectInsufficientScope(result, server, 'admin:all', 'admin:all todo:read');
        expect(runs).toBe(0);
      },
    );
  });
});
