import { describe, expect, it } from 'vitest';
import { evaluateScopes, isPublicRequest, missingScopes } from '../src/evaluate-scopes.js';
import { operationsOf, resourceKey } from '../src/mcp-operations.js';
import { compilePolicy, policyScopes, type ScopePolicy } from '../src/scope-policy.js';

/** What a message needs, as the challenge names it (allOf plus the first of each anyOf). */
const required = (p: ScopePolicy, message: unknown) =>
  evaluateScopes(p, operationsOf(message), undefined).required;
const normalize = (requirement: unknown) =>
  compilePolicy({ baseline: requirement } as ScopePolicy).baseline;

const call = (name: string, id: number | string = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: {} },
});

const policy: ScopePolicy = {
  baseline: 'mcp',
  methods: { 'tools/list': 'tools:list' },
  tools: {
    list_todos: 'todo:read',
    add_todo: ['todo:write'],
    search: { anyOf: ['todo:read', 'calendar:read'] },
    sync: { allOf: ['todo:write', 'calendar:write'] },
  },
  prompts: { summary: 'todo:read' },
  resources: { 'todo://all': 'todo:read' },
  implies: { 'todo:admin': ['todo:write'], 'todo:write': ['todo:read'] },
  publicMethods: ['ping'],
};

describe('operationsOf', () => {
  it('reads tools, prompts and resources from single and batch messages', () => {
    expect(operationsOf(call('add_todo'))).toEqual([{ method: 'tools/call', name: 'add_todo' }]);
    expect(
      operationsOf([
        { jsonrpc: '2.0', id: 1, method: 'prompts/get', params: { name: 'summary' } },
        { jsonrpc: '2.0', id: 2, method: 'resources/read', params: { uri: 'todo://all' } },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 3, result: {} },
        'junk',
        null,
      ]),
    ).toEqual([
      { method: 'prompts/get', name: 'summary' },
      { method: 'resources/read', name: 'todo://all' },
      { method: 'notifications/initialized' },
    ]);
  });

  it('leaves the name out when params are missing, and marks a target that is not a string', () => {
    expect(operationsOf({ method: 'tools/call' })).toEqual([{ method: 'tools/call' }]);
    expect(operationsOf({ method: 'tools/call', params: {} })).toEqual([{ method: 'tools/call' }]);
    expect(operationsOf({ method: 'tools/call', params: { name: 5 } })).toEqual([
      { method: 'tools/call', malformed: true },
    ]);
    expect(operationsOf(42)).toEqual([]);
  });
});

describe('evaluateScopes / missingScopes (pure)', () => {
  it('a tool the policy names needs the baseline plus its scopes', () => {
    expect(required(policy, call('add_todo'))).toEqual(['mcp', 'todo:write']);
    expect(missingScopes(policy, call('add_todo'), ['mcp', 'todo:read'])).toEqual(['todo:write']);
    expect(missingScopes(policy, call('add_todo'), ['mcp', 'todo:write'])).toEqual([]);
  });

  it('an unnamed tool needs the baseline only', () => {
    expect(required(policy, call('other'))).toEqual(['mcp']);
    expect(missingScopes(policy, call('other'), ['mcp'])).toEqual([]);
    expect(missingScopes(policy, call('other'), [])).toEqual(['mcp']);
  });

  it('per-method requirements apply', () => {
    const list = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
    expect(missingScopes(policy, list, ['mcp'])).toEqual(['tools:list']);
  });

  it('a batch needs the union', () => {
    const batch = [call('list_todos', 1), call('sync', 2)];
    expect(required(policy, batch)).toEqual(['mcp', 'todo:read', 'todo:write', 'calendar:write']);
    expect(missingScopes(policy, batch, ['mcp', 'todo:read', 'calendar:write'])).toEqual([
      'todo:write',
    ]);
  });

  it('anyOf is satisfied by any one scope; unsatisfied it reports the first', () => {
    expect(missingScopes(policy, call('search'), ['mcp', 'calendar:read'])).toEqual([]);
    expect(missingScopes(policy, call('search'), ['mcp', 'todo:read'])).toEqual([]);
    expect(missingScopes(policy, call('search'), ['mcp'])).toEqual(['todo:read']);
  });

  it('implication is transitive', () => {
    expect(missingScopes(policy, call('list_todos'), ['mcp', 'todo:admin'])).toEqual([]);
    expect(missingScopes(policy, call('list_todos'), ['mcp', 'todo:write'])).toEqual([]);
    expect(missingScopes(policy, call('sync'), ['mcp', 'todo:admin', 'calendar:write'])).toEqual(
      [],
    );
    expect(missingScopes({ tools: { a: 'b' } }, call('a'), ['a'])).toEqual(['b']);
  });

  it('prompts and resources have their own maps', () => {
    const prompt = { jsonrpc: '2.0', id: 1, method: 'prompts/get', params: { name: 'summary' } };
    const res = { jsonrpc: '2.0', id: 1, method: 'resources/read', params: { uri: 'todo://all' } };
    expect(missingScopes(policy, prompt, ['mcp'])).toEqual(['todo:read']);
    expect(missingScopes(policy, res, ['mcp'])).toEqual(['todo:read']);
    expect(missingScopes(policy, { ...res, params: { uri: 'other://x' } }, ['mcp'])).toEqual([]);
  });
});

describe('evaluateScopes', () => {
  it('lists required scopes (allOf plus first anyOf) and missing ones', () => {
    expect(evaluateScopes(policy, [{ method: 'tools/call', name: 'search' }], ['mcp'])).toEqual({
      required: ['mcp', 'todo:read'],
      missing: ['todo:read'],
    });
    expect(evaluateScopes(policy, [], undefined)).toEqual({ required: ['mcp'], missing: ['mcp'] });
  });

  it('flags unnamed tools when denyUnnamedTools is on', () => {
    const strict: ScopePolicy = { tools: { a: 'x' }, denyUnnamedTools: true };
    expect(evaluateScopes(strict, [{ method: 'tools/call', name: 'b' }], ['x']).unnamedTool).toBe(
      'b',
    );
    expect(evaluateScopes(strict, [{ method: 'tools/call' }], ['x']).unnamedTool).toBe('');
    expect(evaluateScopes(strict, [{ method: 'tools/call', name: 'a' }], ['x'])).toEqual({
      required: ['x'],
      missing: [],
    });
  });
});

describe('policy helpers', () => {
  it('public methods: only a request made entirely of them', () => {
    const c = compilePolicy(policy);
    expect(isPublicRequest(c, [{ method: 'ping' }])).toBe(true);
    expect(isPublicRequest(c, [{ method: 'ping' }, { method: 'tools/list' }])).toBe(false);
    expect(isPublicRequest(c, [])).toBe(false);
    expect(isPublicRequest(compilePolicy({}), [{ method: 'ping' }])).toBe(false);
  });

  it('needsBody only when something beyond the baseline matters', () => {
    const needsBody = (p: ScopePolicy) => compilePolicy(p).needsBody;
    expect(needsBody({})).toBe(false);
    expect(needsBody({ baseline: 'mcp' })).toBe(false);
    expect(needsBody({ tools: { a: 'x' } })).toBe(true);
    expect(needsBody({ publicMethods: ['ping'] })).toBe(true);
    expect(needsBody({ denyUnnamedTools: true })).toBe(true);
  });

  it('policyScopes lists every scope once in first-seen order', () => {
    expect(policyScopes(policy)).toEqual([
      'mcp',
      'tools:list',
      'todo:read',
      'todo:write',
      'calendar:read',
      'calendar:write',
      'todo:admin',
    ]);
  });

  it('a requirement may take every form', () => {
    expect(normalize(undefined)).toEqual({ allOf: [], anyOf: [] });
    expect(normalize('a  b a')).toEqual({ allOf: ['a', 'b'], anyOf: [] });
    expect(normalize(['a', 'a'])).toEqual({ allOf: ['a'], anyOf: [] });
    expect(normalize({ allOf: ['a'], anyOf: ['b', 'c'] })).toEqual({
      allOf: ['a'],
      anyOf: [['b', 'c']],
    });
    expect(normalize({ anyOf: [] })).toEqual({ allOf: [], anyOf: [] });
  });

  it.each<[string, unknown, string]>([
    ['a scope with a tab', { tools: { a: 'x\ty' } }, 'policy.tools.a[0]'],
    ['a list element with a space', { tools: { a: ['x y'] } }, 'policy.tools.a[0]'],
    ['a number', { baseline: 7 }, 'policy.baseline'],
    ['an unknown requirement key', { tools: { a: { oneOf: ['x'] } } }, 'policy.tools.a.oneOf'],
    ['a bad anyOf element', { tools: { a: { anyOf: ['ok', '"'] } } }, 'policy.tools.a.anyOf[1]'],
    ['implies with a bad key', { implies: { 'a b': ['c'] } }, 'policy.implies.a b'],
    ['implies not a list', { implies: { a: 'b' } }, 'policy.implies.a'],
    ['an empty public method', { publicMethods: [''] }, 'policy.publicMethods[0]'],
    ['denyUnnamedTools not a boolean', { denyUnnamedTools: 'yes' }, 'policy.denyUnnamedTools'],
    ['tools not an object', { tools: ['a'] }, 'policy.tools'],
  ])('compilePolicy refuses %s, naming the entry', (_name, bad, option) => {
    expect(() => compilePolicy(bad as ScopePolicy)).toThrow(
      expect.objectContaining({ name: 'McpAuthConfigError', option }),
    );
  });
});

describe('resources and completions are judged as the SDK resolves them', () => {
  const policy: ScopePolicy = {
    resources: { 'config://app/secrets': 'admin' },
    prompts: { summary: 'todo:read' },
  };
  const read = (uri: unknown) => ({
    jsonrpc: '2.0',
    id: 1,
    method: 'resources/read',
    params: { uri },
  });

  it.each([
    'config://app/secrets',
    'CONFIG://app/secrets',
    'config://app/x/../secrets',
    ' config://app/secrets',
    'config://app/sec\trets',
    'config://app/./secrets',
  ])('resources/read of %j needs admin', (uri) => {
    expect(missingScopes(policy, read(uri), ['todo:read'])).toEqual(['admin']);
  });

  it('a policy key in another spelling names the same resource', () => {
    const loose: ScopePolicy = { resources: { 'CONFIG://app/./secrets': 'admin' } };
    expect(missingScopes(loose, read('config://app/secrets'), [])).toEqual(['admin']);
    expect(resourceKey('CONFIG://app/x/../secrets')).toBe('config://app/secrets');
    expect(resourceKey('not a uri')).toBe('not a uri');
  });

  it('two spellings of one URI in the policy: both requirements hold', () => {
    const both: ScopePolicy = { resources: { 'config://a': 'admin', 'CONFIG://a': 'read' } };
    expect(missingScopes(both, read('config://a'), ['read'])).toEqual(['admin']);
  });

  it('completion/complete needs what its prompt or resource needs', () => {
    const complete = (ref: unknown) => ({
      jsonrpc: '2.0',
      id: 1,
      method: 'completion/complete',
      params: { ref, argument: { name: 'a', value: '' } },
    });
    expect(missingScopes(policy, complete({ type: 'ref/prompt', name: 'summary' }), [])).toEqual([
      'todo:read',
    ]);
    expect(
      missingScopes(policy, complete({ type: 'ref/resource', uri: 'CONFIG://app/secrets' }), []),
    ).toEqual(['admin']);
    expect(missingScopes(policy, complete({ type: 'ref/prompt', name: 'other' }), [])).toEqual([]);
    expect(missingScopes(policy, complete('nonsense'), [])).toEqual([]);
  });
});
