/**
 * Property-based fuzzing of the decision where it reads untrusted JSON-RPC (JSON-RPC 2.0 §4–6,
 * MCP authorization, scope policy): on random bodies — single messages, batches, arbitrary JSON,
 * text — with random granted scopes and random `Mcp-Method`/`Mcp-Name` headers, `authorize`
 * never throws, never allows a request containing an operation the token's scopes do not cover
 * (judged by an oracle written from the policy, not from the core), allows every well-formed
 * request they do cover, and always answers with a well-formed response. Fixed seed and budget.
 */
import {
  type AuthInfo,
  type AuthorizeResult,
  createMcpAuth,
  type McpAuth,
  parseChallenge,
  type ScopePolicy,
  type ScopeRequirement,
} from '@org/mcp-auth-core';
import { decide } from '@org/mcp-auth-core/adapter';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParameters } from '../src/fuzz.js';
import { SCOPE_POLICY, SCOPES } from '../src/tools.js';

const RESOURCE = 'https://mcp.example/mcp';
const ISSUER = 'https://issuer.example';

/** Policies to fuzz: the samples', and one using every feature but public methods. */
const POLICIES: Array<[string, ScopePolicy]> = [
  ['the samples’ policy', SCOPE_POLICY],
  [
    'a policy with baseline, methods, anyOf, prompts, resources, implication and denyUnnamedTools',
    {
      baseline: 'mcp:use',
      methods: { 'tools/list': 'tools:list', 'resources/list': ['res:list', 'mcp:use'] },
      tools: {
        list_todos: 'todo:read',
        add_todo: { allOf: ['todo:write'], anyOf: ['todo:owner', 'todo:admin'] },
        whoami: [],
        ...(JSON.parse('{"__proto__":"admin:all","constructor":"admin:all"}') as Record<
          string,
          string
        >),
      },
      prompts: { summarize: 'prompt:use' },
      resources: { 'file:///secret': 'files:read' },
      implies: { 'todo:admin': ['todo:write', 'todo:read'], 'todo:write': ['todo:read'] },
      denyUnnamedTools: true,
    },
  ],
];

const ALL_SCOPES = [
  ...SCOPES,
  'mcp:use',
  'tools:list',
  'res:list',
  'todo:owner',
  'todo:admin',
  'prompt:use',
  'files:read',
  'admin:all',
  'offline_access',
];

// --- the oracle: what the policy says, written independently of the core ------------------

function normalize(requirement: ScopeRequirement | undefined): {
  allOf: string[];
  anyOf: string[];
} {
  if (requirement === undefined) return { allOf: [], anyOf: [] };
  if (typeof requirement === 'string') {
    return { allOf: requirement.split(' ').filter((s) => s !== ''), anyOf: [] };
  }
  if (Array.isArray(requirement)) return { allOf: [...requirement], anyOf: [] };
  const r = requirement as { allOf?: readonly string[]; anyOf?: readonly string[] };
  return { allOf: [...(r.allOf ?? [])], anyOf: [...(r.anyOf ?? [])] };
}

function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

function expand(policy: ScopePolicy, granted: readonly string[]): Set<string> {
  const out = new Set(granted);
  const queue = [...granted];
  while (queue.length > 0) {
    for (const implied of own(policy.implies, queue.pop()!) ?? []) {
      if (!out.has(implied)) {
        out.add(implied);
        queue.push(implied);
      }
    }
  }
  return out;
}

function satisfied(requirement: ScopeRequirement | undefined, have: Set<string>): boolean {
  const { allOf, anyOf } = normalize(requirement);
  return allOf.every((s) => have.has(s)) && (anyOf.length === 0 || anyOf.some((s) => have.has(s)));
}

/** The messages a body holds, read the way the MCP SDK reads them (JSON.parse for text). */
function messagesOf(body: unknown): unknown[] {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return [];
    }
  }
  return Array.isArray(value) ? value : [value];
}

/** True when every operation in `body` is covered by `granted` under `policy`. */
function covered(policy: ScopePolicy, body: unknown, granted: readonly string[]): boolean {
  const have = expand(policy, granted);
  if (!satisfied(policy.baseline, have)) return false;
  for (const message of messagesOf(body)) {
    if (typeof message !== 'object' || message === null) continue;
    const { method, params } = message as { method?: unknown; params?: unknown };
    if (typeof method !== 'string') continue;
    if (!satisfied(own(policy.methods, method), have)) return false;
    const p =
      typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {};
    if (method === 'tools/call') {
      const name = p.name;
      const named = typeof name === 'string' && own(policy.tools, name) !== undefined;
      if (policy.denyUnnamedTools && !named) return false;
      if (named && !satisfied(own(policy.tools, name as string), have)) return false;
    } else if (method === 'prompts/get' && typeof p.name === 'string') {
      if (!satisfied(own(policy.prompts, p.name), have)) return false;
    } else if (
      /^resources\/(read|subscribe|unsubscribe)$/.test(method) &&
      typeof p.uri === 'string'
    ) {
      if (!satisfied(own(policy.resources, p.uri), have)) return false;
    }
  }
  return true;
}

/**
 * True when a message names its target with something other than a string — `name` of
 * `tools/call`/`prompts/get`, `uri` of `resources/read|subscribe|unsubscribe`, or a completion
 * `ref`'s — which the policy cannot judge: such a request is refused (400 -32602), never judged.
 */
function malformedTarget(message: unknown): boolean {
  if (typeof message !== 'object' || message === null) return false;
  const { method, params } = message as { method?: unknown; params?: unknown };
  if (typeof params !== 'object' || params === null) return false;
  const p = params as Record<string, unknown>;
  const bad = (value: unknown) => value !== undefined && typeof value !== 'string';
  if (method === 'tools/call' || method === 'prompts/get') return bad(p.name);
  if (typeof method === 'string' && /^resources\/(read|subscribe|unsubscribe)$/.test(method)) {
    return bad(p.uri);
  }
  if (method === 'completion/complete' && typeof p.ref === 'object' && p.ref !== null) {
    const ref = p.ref as Record<string, unknown>;
    return (
      (ref.type === 'ref/prompt' && bad(ref.name)) || (ref.type === 'ref/resource' && bad(ref.uri))
    );
  }
  return false;
}

// --- generators ---------------------------------------------------------------------------

const toolName = fc.oneof(
  fc.constantFrom(
    'list_todos',
    'add_todo',
    'list_events',
    'create_event',
    'whoami',
    'ADD_TODO',
    'add_todo ',
    '\u0430dd_todo',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
  ),
  fc.string({ maxLength: 12 }),
);
const methodName = fc.oneof(
  { weight: 6, arbitrary: fc.constant('tools/call') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'tools/list',
      'prompts/get',
      'resources/read',
      'resources/subscribe',
      'resources/list',
      'initialize',
      'ping',
      'notifications/initialized',
      'Tools/Call',
      '__proto__',
      'constructor',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const params = fc.oneof(
  fc.record({ name: toolName, arguments: fc.constant({}) }),
  fc.record({ name: fc.constantFrom('summarize', 'other') }),
  fc.record({ uri: fc.constantFrom('file:///secret', 'file:///public', '__proto__') }),
  fc.record({ name: fc.oneof(fc.jsonValue(), fc.constant(['add_todo'])) }),
  fc.constant(undefined),
  fc.jsonValue(),
);
const message = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        jsonrpc: fc.constantFrom('2.0', '1.0'),
        id: fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.constant(null)),
        method: methodName,
        params,
      },
      { requiredKeys: ['method'] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({ jsonrpc: fc.constant('2.0'), id: fc.integer(), result: fc.jsonValue() }),
  },
  { weight: 1, arbitrary: fc.jsonValue() },
);
const body = fc.oneof(
  { weight: 5, arbitrary: message },
  { weight: 4, arbitrary: fc.array(message, { maxLength: 12 }) },
  { weight: 1, arbitrary: fc.array(fc.array(message, { maxLength: 3 }), { maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc.oneof(message, fc.array(message, { maxLength: 6 })).map((v) => JSON.stringify(v)),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
const mcpHeaders = fc.record(
  { 'mcp-method': methodName, 'mcp-name': toolName },
  { requiredKeys: [] },
);
/** Header values the HTTP layer would let through (no CR, LF or NUL). */
const printable = (value: string) => !['\r', '\n', '\u0000'].some((c) => value.includes(c));

interface Case {
  granted: string[] | 'none' | 'bad';
  body: unknown;
  headers: { 'mcp-method'?: string; 'mcp-name'?: string };
  httpMethod: string;
}
const caseArb: fc.Arbitrary<Case> = fc.record({
  granted: fc.oneof(
    { weight: 8, arbitrary: fc.subarray(ALL_SCOPES) },
    { weight: 1, arbitrary: fc.constant<'none'>('none') },
    { weight: 1, arbitrary: fc.constant<'bad'>('bad') },
  ),
  body,
  headers: mcpHeaders.filter((h) => Object.values(h).every(printable)),
  httpMethod: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'DELETE', 'post'),
});

// --- the system under test ------------------------------------------------------------------

/** Tokens `t<n>` grant the scopes registered for them; anything else is an invalid token. */
function fuzzAuth(policy: ScopePolicy): { auth: McpAuth; tokenFor(scopes: string[]): string } {
  const grants = new Map<string, string[]>();
  const auth = createMcpAuth({
    resource: RESOURCE,
    authorizationServers: [ISSUER],
    policy,
    scopesSupported: ALL_SCOPES.filter((s) => s !== 'offline_access'),
    sessionBinding: false,
    verifier: {
      async verifyAccessToken(token): Promise<AuthInfo> {
        const scopes = grants.get(token);
        if (scopes === undefined) throw new Error('unknown token');
        return { token, clientId: 'fuzz', scopes, extra: { sub: 'alice', iss: ISSUER } };
      },
    },
  });
  return {
    auth,
    tokenFor(scopes) {
      const token = `t${grants.size}`;
      grants.set(token, scopes);
      return token;
    },
  };
}

function expectWellFormed(result: AuthorizeResult, presented: string | undefined) {
  if (result.type === 'allow') {
    // A public method let through without a token carries no authInfo at all.
    expect(result.authInfo?.token).toBe(presented);
    for (const value of Object.values(result.headers)) expect(typeof value).toBe('string');
    return;
  }
  expect(result.type).toBe('deny');
  expect([400, 401, 403, 413, 503]).toContain(result.status);
  for (const value of Object.values(result.headers)) {
    expect(typeof value).toBe('string');
    expect(value).toMatch(/^[\x20-\x7e]*$/);
  }
  expect(result.headers['Content-Type']).toBe('application/json');
  const body = result.body as Record<string, unknown>;
  if ('jsonrpc' in body) {
    expect(body).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: expect.any(Number), message: expect.any(String) },
    });
  } else {
    expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
    expect(typeof body.error).toBe('string');
    expect(typeof body.error_description).toBe('string');
  }
  const challenge = result.headers['WWW-Authenticate'];
  if (result.status === 401 || result.status === 403) {
    expect(challenge).toBeDefined();
    const parsed = parseChallenge(challenge!);
    expect(parsed?.scheme).toBe('Bearer');
    expect(parsed?.params.resource_metadata).toBe(
      'https://mcp.example/.well-known/oauth-protected-resource/mcp',
    );
    if (presented === undefined && result.status === 401)
      expect(parsed?.params.error).toBeUndefined();
    if (result.status === 403 && 'error' in body && body.error === 'insufficient_scope') {
      expect(parsed?.params.error).toBe('insufficient_scope');
      expect(parsed?.params.scope ?? '').not.toMatch(/\boffline_access\b/);
    }
  }
}

describe.each(POLICIES)('fuzz: the decision on random JSON-RPC under %s', (_name, policy) => {
  const { auth, tokenFor } = fuzzAuth(policy);

  it('never throws, never allows an uncovered operation, always answers well-formed', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ granted, body: payload, headers, httpMethod }) => {
        const token =
          granted === 'none' ? undefined : granted === 'bad' ? 'forged' : tokenFor(granted);
        const request = {
          method: httpMethod,
          url: '/mcp',
          headers: {
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
            'content-type': 'application/json',
            ...headers,
          },
          ...(payload === undefined ? {} : { body: payload }),
        };
        // decide() answers synchronously or with a promise; neither may throw or reject.
        const decided = decide(auth, request);
        const result = decided instanceof Promise ? await decided : decided;
        expectWellFormed(result, token);
        if (result.type === 'allow') {
          expect(Array.isArray(granted)).toBe(true);
          // A GET or DELETE carries no operation: only the baseline applies.
          const judged = String(httpMethod).toUpperCase() === 'POST' ? payload : undefined;
          expect(covered(policy, judged, granted as string[])).toBe(true);
          // A target the policy cannot judge is never let through on a token.
          expect(messagesOf(judged).some(malformedTarget)).toBe(false);
        }
        // authorize() is the same decision.
        expect((await auth.authorize(request)).type).toBe(result.type);
      }),
      fuzzParameters(1_500),
    );
  });

  it('allows every well-formed request whose operations the scopes cover (no false denials)', async () => {
    const wellFormed = fc
      .oneof(message, fc.array(message, { minLength: 1, maxLength: 8 }))
      .filter((m) =>
        (Array.isArray(m) ? m : [m]).every(
          (item) =>
            typeof item === 'object' &&
            item !== null &&
            !Array.isArray(item) &&
            typeof (item as { method?: unknown }).method === 'string' &&
            !malformedTarget(item),
        ),
      );
    await fc.assert(
      fc.asyncProperty(wellFormed, fc.subarray(ALL_SCOPES), async (payload, granted) => {
        fc.pre(covered(policy, payload, granted));
        const result = await auth.authorize({
          method: 'POST',
          url: '/mcp',
          headers: {
            authorization: `Bearer ${tokenFor(granted)}`,
            'content-type': 'application/json',
          },
          body: payload,
        });
        expect(result.type === 'deny' ? [result.status, result.body] : 'allow').toBe('allow');
      }),
      { ...fuzzParameters(600), maxSkipsPerRun: 1_000 },
    );
  });
});
