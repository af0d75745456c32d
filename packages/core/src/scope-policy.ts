import { McpAuthConfigError } from './errors.js';
import { assertKnownOptions } from './known-options.js';
import { resourceKey } from './mcp-operations.js';
import { isScopeToken } from './scope-token.js';

/**
 * Scopes an operation needs: a scope string, a list (all of them), or an explicit
 * `{ allOf, anyOf }` (every `allOf` scope, and at least one `anyOf` scope).
 * @example
 * ```ts
 * const a: ScopeRequirement = 'todo:read';
 * const b: ScopeRequirement = ['todo:read', 'todo:write'];
 * const c: ScopeRequirement = { anyOf: ['todo:read', 'todo:admin'] };
 * ```
 */
export type ScopeRequirement =
  | string
  | readonly string[]
  | { readonly allOf?: readonly string[]; readonly anyOf?: readonly string[] };

/**
 * Declarative map from MCP operation to required scopes. Every request needs `baseline`;
 * a JSON-RPC request also needs `methods[method]`, and a `tools/call` `tools[name]`
 * (`prompts/get` → `prompts[name]`, `resources/read` → `resources[uri]`).
 *
 * @example
 * ```ts
 * const policy: ScopePolicy = {
 *   baseline: [],
 *   tools: { list_todos: 'todo:read', add_todo: 'todo:write', search: { anyOf: ['todo:read', 'calendar:read'] } },
 *   implies: { 'todo:write': ['todo:read'] },
 *   publicMethods: ['ping'],
 * };
 * ```
 */
export interface ScopePolicy {
  /** Needed by every request (GET and DELETE included). Default none. */
  readonly baseline?: ScopeRequirement;
  /** Per JSON-RPC method (`tools/list`, `resources/read`, …). */
  readonly methods?: Readonly<Record<string, ScopeRequirement>>;
  /** Per tool name, for `tools/call`. */
  readonly tools?: Readonly<Record<string, ScopeRequirement>>;
  /** Per prompt name, for `prompts/get` and the prompt's argument completions. */
  readonly prompts?: Readonly<Record<string, ScopeRequirement>>;
  /**
   * Per resource URI, for `resources/read`, `resources/subscribe`, `resources/unsubscribe` and
   * the completions of that resource. URIs are compared as the MCP SDK finds resources: after
   * URL parsing (`CONFIG://app/x/../secrets` is `config://app/secrets`).
   */
  readonly resources?: Readonly<Record<string, ScopeRequirement>>;
  /** Scope implication: a granted key also grants its values (transitively). */
  readonly implies?: Readonly<Record<string, readonly string[]>>;
  /** JSON-RPC methods that need no token at all (a request made only of them). Default none. */
  readonly publicMethods?: readonly string[];
  /** Refuse `tools/call` for tools not named in `tools`. Default false (baseline only). */
  readonly denyUnnamedTools?: boolean;
  /**
   * The scopes a client should ask for first: named in a 401's `scope` when the request
   * itself needs none (`initialize`, `tools/list`, a GET), so the first consent asks for
   * these alone and every other scope is added by a step-up (least privilege). Default none:
   * a 401 for such a request carries no `scope`, and clients then ask for every scope in
   * `scopes_supported`.
   */
  readonly initialScopes?: readonly string[];
}

/**
 * A normalised requirement: every `allOf` scope, and one of each `anyOf` group.
 * @example
 * ```ts
 * requiredScopes(policy, message); // { allOf: ['todo:write'], anyOf: [] }
 * ```
 */
export interface ScopeSet {
  allOf: string[];
  anyOf: string[][];
}

/**
 * Result of {@link evaluateScopes}.
 * @example
 * ```ts
 * const { required, missing } = evaluateScopes(policy, operationsOf(body), authInfo.scopes);
 * ```
 */
export interface ScopeEvaluation {
  /** Scopes to ask for: every `allOf` scope plus the first scope of each `anyOf` group. */
  required: string[];
  /** Required scopes the token lacks (after implication); `[]` when satisfied. */
  missing: string[];
  /** A called tool the policy does not name while `denyUnnamedTools` is on. */
  unnamedTool?: string;
}

/** A policy validated and turned into lookup tables, once per policy object. */
export interface CompiledPolicy {
  baseline: ScopeSet;
  methods: Map<string, ScopeSet>;
  tools: Map<string, ScopeSet>;
  prompts: Map<string, ScopeSet>;
  resources: Map<string, ScopeSet>;
  implies: Map<string, readonly string[]>;
  publicMethods: Set<string>;
  denyUnnamedTools: boolean;
  /** `initialScopes`, checked: the 401's `scope` when the request needs none. */
  initial: readonly string[];
  needsBody: boolean;
}

const POLICY_KEYS: ReadonlySet<string> = new Set<keyof ScopePolicy>([
  'baseline',
  'methods',
  'tools',
  'prompts',
  'resources',
  'implies',
  'publicMethods',
  'denyUnnamedTools',
  'initialScopes',
]);
const REQUIREMENT_KEYS: ReadonlySet<string> = new Set(['allOf', 'anyOf']);
const compiled = new WeakMap<ScopePolicy, CompiledPolicy>();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The unique scope-tokens of a list, or a configuration error naming the bad element. */
function scopeList(option: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw new McpAuthConfigError(option, 'must be a list of scopes');
  value.forEach((scope, i) => {
    if (!isScopeToken(scope)) {
      throw new McpAuthConfigError(`${option}[${i}]`, 'must contain valid scope tokens');
    }
  });
  return [...new Set(value as string[])];
}

/** A {@link ScopeRequirement} checked and normalised; `option` names it in errors. */
function toScopeSet(option: string, requirement: unknown): ScopeSet {
  if (requirement === undefined) return { allOf: [], anyOf: [] };
  if (typeof requirement === 'string') {
    return {
      allOf: scopeList(
        option,
        requirement.split(' ').filter((s) => s !== ''),
      ),
      anyOf: [],
    };
  }
  if (Array.isArray(requirement)) return { allOf: scopeList(option, requirement), anyOf: [] };
  if (!isRecord(requirement)) {
    throw new McpAuthConfigError(option, 'must be a scope string, a list, or { allOf, anyOf }');
  }
  assertKnownOptions(requirement, REQUIREMENT_KEYS, `${option}.`);
  const { allOf, anyOf } = requirement;
  const any = anyOf === undefined ? [] : scopeList(`${option}.anyOf`, anyOf);
  return {
    allOf: allOf === undefined ? [] : scopeList(`${option}.allOf`, allOf),
    anyOf: any.length > 0 ? [any] : [],
  };
}

function compileMap(
  option: string,
  record: unknown,
  keyOf: (key: string) => string = (key) => key,
): Map<string, ScopeSet> {
  const map = new Map<string, ScopeSet>();
  if (record === undefined) return map;
  if (!isRecord(record)) throw new McpAuthConfigError(option, 'must be an object');
  for (const [key, value] of Object.entries(record)) {
    const set = toScopeSet(`${option}.${key}`, value);
    const same = map.get(keyOf(key)); // two spellings of one URI: both requirements hold
    map.set(
      keyOf(key),
      same === undefined
        ? set
        : {
            allOf: [...new Set([...same.allOf, ...set.allOf])],
            anyOf: [...same.anyOf, ...set.anyOf],
          },
    );
  }
  return map;
}

function compileImplies(option: string, record: unknown): Map<string, readonly string[]> {
  const map = new Map<string, readonly string[]>();
  if (record === undefined) return map;
  if (!isRecord(record)) throw new McpAuthConfigError(option, 'must be an object');
  for (const [key, value] of Object.entries(record)) {
    if (!isScopeToken(key))
      throw new McpAuthConfigError(`${option}.${key}`, 'must be a scope token');
    map.set(key, scopeList(`${option}.${key}`, value));
  }
  return map;
}

function compilePublicMethods(option: string, value: unknown): Set<string> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value)) throw new McpAuthConfigError(option, 'must be a list of method names');
  value.forEach((method, i) => {
    if (typeof method !== 'string' || method === '') {
      throw new McpAuthConfigError(`${option}[${i}]`, 'must be a JSON-RPC method name');
    }
  });
  return new Set(value as string[]);
}

/**
 * Validates a {@link ScopePolicy} (every scope an RFC 6749 scope-token, no unknown key) and
 * compiles it into lookup tables, once per policy object. The type above is the only
 * statement of its shape. Throws `McpAuthConfigError` naming the first bad entry, with
 * `option` (default `policy`) as its prefix.
 *
 * @example
 * ```ts
 * compilePolicy({ tools: { add_todo: 'todo:write' } }).tools.get('add_todo'); // { allOf: ['todo:write'], anyOf: [] }
 * ```
 */
export function compilePolicy(policy: ScopePolicy, option = 'policy'): CompiledPolicy {
  let c = compiled.get(policy);
  if (c !== undefined) return c;
  if (!isRecord(policy)) throw new McpAuthConfigError(option, 'must be an object');
  assertKnownOptions(policy, POLICY_KEYS, `${option}.`);
  const denyUnnamedTools = policy.denyUnnamedTools ?? false;
  if (typeof denyUnnamedTools !== 'boolean') {
    throw new McpAuthConfigError(`${option}.denyUnnamedTools`, 'must be a boolean');
  }
  const methods = compileMap(`${option}.methods`, policy.methods);
  const tools = compileMap(`${option}.tools`, policy.tools);
  const prompts = compileMap(`${option}.prompts`, policy.prompts);
  const resources = compileMap(`${option}.resources`, policy.resources, resourceKey);
  const publicMethods = compilePublicMethods(`${option}.publicMethods`, policy.publicMethods);
  c = {
    baseline: toScopeSet(`${option}.baseline`, policy.baseline),
    methods,
    tools,
    prompts,
    resources,
    implies: compileImplies(`${option}.implies`, policy.implies),
    publicMethods,
    denyUnnamedTools,
    initial:
      policy.initialScopes === undefined
        ? []
        : scopeList(`${option}.initialScopes`, policy.initialScopes),
    needsBody:
      methods.size + tools.size + prompts.size + resources.size + publicMethods.size > 0 ||
      denyUnnamedTools,
  };
  compiled.set(policy, c);
  return c;
}

/**
 * Every scope the policy mentions, in first-seen order — the default `scopes_supported`.
 *
 * @example
 * ```ts
 * policyScopes({ tools: { a: 'x:read', b: ['x:write'] } }); // ['x:read', 'x:write']
 * ```
 */
export function policyScopes(policy: ScopePolicy): string[] {
  const c = compilePolicy(policy);
  const out = new Set<string>();
  const addSet = (s: ScopeSet) => {
    for (const x of s.allOf) out.add(x);
    for (const g of s.anyOf) for (const x of g) out.add(x);
  };
  addSet(c.baseline);
  for (const map of [c.methods, c.tools, c.prompts, c.resources])
    for (const s of map.values()) addSet(s);
  for (const [k, v] of c.implies) {
    out.add(k);
    for (const x of v) out.add(x);
  }
  for (const x of c.initial) out.add(x);
  return [...out];
}
