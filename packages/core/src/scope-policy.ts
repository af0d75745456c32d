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
}

/**
 * One MCP operation read from a JSON-RPC message or the `Mcp-Method`/`Mcp-Name` headers.
 * @example
 * ```ts
 * const op: McpOperation = { method: 'tools/call', name: 'add_todo' };
 * ```
 */
export interface McpOperation {
  method: string;
  /** Tool or prompt name, or resource URI (as URL parsing writes it). */
  name?: string;
  /** For `completion/complete`: whether `name` is a prompt's or a resource's. */
  ref?: 'prompt' | 'resource';
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

interface CompiledPolicy {
  baseline: ScopeSet;
  methods: Map<string, ScopeSet>;
  tools: Map<string, ScopeSet>;
  prompts: Map<string, ScopeSet>;
  resources: Map<string, ScopeSet>;
  implies: Map<string, readonly string[]>;
  publicMethods: Set<string>;
  denyUnnamedTools: boolean;
  needsBody: boolean;
}

const cache = new WeakMap<ScopePolicy, CompiledPolicy>();

/**
 * Normalises a {@link ScopeRequirement}.
 * @example
 * ```ts
 * normalizeRequirement('a b');           // { allOf: ['a', 'b'], anyOf: [] }
 * normalizeRequirement({ anyOf: ['a', 'b'] }); // { allOf: [], anyOf: [['a', 'b']] }
 * ```
 */
export function normalizeRequirement(requirement: ScopeRequirement | undefined): ScopeSet {
  if (requirement === undefined) return { allOf: [], anyOf: [] };
  if (typeof requirement === 'string') return { allOf: splitScopes(requirement), anyOf: [] };
  if (Array.isArray(requirement)) return { allOf: [...new Set(requirement)], anyOf: [] };
  const r = requirement as { allOf?: readonly string[]; anyOf?: readonly string[] };
  const anyOf = r.anyOf !== undefined && r.anyOf.length > 0 ? [[...new Set(r.anyOf)]] : [];
  return { allOf: [...new Set(r.allOf ?? [])], anyOf };
}

function splitScopes(value: string): string[] {
  return [...new Set(value.split(' ').filter((s) => s !== ''))];
}

function compileMap(
  record: Readonly<Record<string, ScopeRequirement>> | undefined,
  keyOf: (key: string) => string = (key) => key,
): Map<string, ScopeSet> {
  const map = new Map<string, ScopeSet>();
  for (const [key, value] of Object.entries(record ?? {})) {
    const set = normalizeRequirement(value);
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

function compile(policy: ScopePolicy): CompiledPolicy {
  let compiled = cache.get(policy);
  if (compiled !== undefined) return compiled;
  const methods = compileMap(policy.methods);
  const tools = compileMap(policy.tools);
  const prompts = compileMap(policy.prompts);
  const resources = compileMap(policy.resources, resourceKey);
  const publicMethods = new Set(policy.publicMethods ?? []);
  const denyUnnamedTools = policy.denyUnnamedTools === true;
  compiled = {
    baseline: normalizeRequirement(policy.baseline),
    methods,
    tools,
    prompts,
    resources,
    implies: new Map(Object.entries(policy.implies ?? {})),
    publicMethods,
    denyUnnamedTools,
    needsBody:
      methods.size + tools.size + prompts.size + resources.size + publicMethods.size > 0 ||
      denyUnnamedTools,
  };
  cache.set(policy, compiled);
  return compiled;
}

/**
 * True when the policy needs the JSON-RPC body to decide (anything beyond a baseline).
 *
 * @example
 * ```ts
 * policyNeedsBody({ baseline: 'mcp' });               // false
 * policyNeedsBody({ tools: { add_todo: 'todo:write' } }); // true
 * ```
 */
export function policyNeedsBody(policy: ScopePolicy): boolean {
  return compile(policy).needsBody;
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
  const c = compile(policy);
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
  return [...out];
}

const NAME_PARAM: Readonly<Record<string, 'name' | 'uri'>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'resources/subscribe': 'uri',
  'resources/unsubscribe': 'uri',
};

/**
 * A resource URI as the MCP SDK looks resources up (`new URL(uri).href`), so that spellings
 * URL parsing repairs — scheme case, dot segments, surrounding spaces, tabs — name the same
 * resource for the policy as for the server. A URI that does not parse is kept as sent (no
 * resource matches it).
 *
 * @example
 * ```ts
 * resourceKey('CONFIG://app/x/../secrets'); // 'config://app/secrets'
 * ```
 */
export function resourceKey(uri: string): string {
  return URL.canParse(uri) ? new URL(uri).href : uri;
}

/** A `completion/complete` needs what the prompt or resource it completes for needs. */
function completionOf(method: string, ref: unknown): McpOperation {
  if (typeof ref !== 'object' || ref === null) return { method };
  const { type, name, uri } = ref as { type?: unknown; name?: unknown; uri?: unknown };
  if (type === 'ref/prompt' && typeof name === 'string') return { method, name, ref: 'prompt' };
  if (type === 'ref/resource' && typeof uri === 'string') {
    return { method, name: resourceKey(uri), ref: 'resource' };
  }
  return { method };
}

/**
 * The MCP operations in a parsed JSON-RPC message or batch. Responses and anything without
 * a string `method` contribute no operation (they need the baseline only).
 *
 * @example
 * ```ts
 * operationsOf({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add_todo' } });
 * // [{ method: 'tools/call', name: 'add_todo' }]
 * ```
 */
export function operationsOf(message: unknown): McpOperation[] {
  const out: McpOperation[] = [];
  const list = Array.isArray(message) ? message : [message];
  for (const item of list) {
    if (typeof item !== 'object' || item === null) continue;
    const method = (item as { method?: unknown }).method;
    if (typeof method !== 'string') continue;
    const param = NAME_PARAM[method];
    const params = (item as { params?: unknown }).params;
    if (typeof params !== 'object' || params === null) {
      out.push({ method });
    } else if (param !== undefined) {
      const name = (params as Record<string, unknown>)[param];
      if (typeof name !== 'string') out.push({ method });
      else out.push({ method, name: param === 'uri' ? resourceKey(name) : name });
    } else if (method === 'completion/complete') {
      out.push(completionOf(method, (params as { ref?: unknown }).ref));
    } else {
      out.push({ method });
    }
  }
  return out;
}

/**
 * Expands granted scopes through the policy's implication map (transitively).
 *
 * @example
 * ```ts
 * expandScopes({ implies: { 'todo:write': ['todo:read'] } }, ['todo:write']); // Set { 'todo:write', 'todo:read' }
 * ```
 */
export function expandScopes(policy: ScopePolicy, granted: readonly string[]): Set<string> {
  const { implies } = compile(policy);
  const out = new Set(granted);
  if (implies.size === 0) return out;
  const queue = [...granted];
  for (let s = queue.pop(); s !== undefined; s = queue.pop()) {
    for (const implied of implies.get(s) ?? []) {
      if (!out.has(implied)) {
        out.add(implied);
        queue.push(implied);
      }
    }
  }
  return out;
}

/**
 * True when the operations are non-empty and all in `publicMethods`.
 * @example
 * ```ts
 * isPublicRequest({ publicMethods: ['ping'] }, [{ method: 'ping' }]); // true
 * ```
 */
export function isPublicRequest(policy: ScopePolicy, operations: readonly McpOperation[]): boolean {
  const { publicMethods } = compile(policy);
  if (publicMethods.size === 0 || operations.length === 0) return false;
  return operations.every((op) => publicMethods.has(op.method));
}

function requirementFor(c: CompiledPolicy, op: McpOperation): ScopeSet[] {
  const sets: ScopeSet[] = [];
  const m = c.methods.get(op.method);
  if (m !== undefined) sets.push(m);
  if (op.name !== undefined) {
    const map =
      op.method === 'tools/call'
        ? c.tools
        : op.method === 'prompts/get' || op.ref === 'prompt'
          ? c.prompts
          : NAME_PARAM[op.method] === 'uri' || op.ref === 'resource'
            ? c.resources
            : undefined;
    const s = map?.get(op.name);
    if (s !== undefined) sets.push(s);
  }
  return sets;
}

/**
 * Everything the operations need: the baseline plus each operation's requirement (a batch
 * needs the union).
 *
 * @example
 * ```ts
 * requiredScopes({ baseline: 'mcp', tools: { add_todo: 'todo:write' } },
 *   { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add_todo' } });
 * // { allOf: ['mcp', 'todo:write'], anyOf: [] }
 * ```
 */
export function requiredScopes(policy: ScopePolicy, message: unknown): ScopeSet {
  return requiredFor(compile(policy), operationsOf(message));
}

function requiredFor(c: CompiledPolicy, operations: readonly McpOperation[]): ScopeSet {
  if (operations.length === 0) return c.baseline;
  const allOf = new Set(c.baseline.allOf);
  const anyOf: string[][] = [...c.baseline.anyOf];
  for (const op of operations) {
    for (const s of requirementFor(c, op)) {
      for (const x of s.allOf) allOf.add(x);
      for (const g of s.anyOf) anyOf.push(g);
    }
  }
  return { allOf: [...allOf], anyOf };
}

/**
 * Evaluates operations against granted scopes: what to ask for, what is missing, and an
 * unnamed tool refused by `denyUnnamedTools`. Pure.
 *
 * @example
 * ```ts
 * evaluateScopes(policy, [{ method: 'tools/call', name: 'add_todo' }], ['todo:read']);
 * // { required: ['todo:write'], missing: ['todo:write'] }
 * ```
 */
export function evaluateScopes(
  policy: ScopePolicy,
  operations: readonly McpOperation[],
  granted: readonly string[] | undefined,
): ScopeEvaluation {
  const c = compile(policy);
  const set = requiredFor(c, operations);
  const required = [...set.allOf];
  for (const g of set.anyOf)
    if (g[0] !== undefined && !required.includes(g[0])) required.push(g[0]);
  const result: ScopeEvaluation = { required, missing: [] };
  if (c.denyUnnamedTools) {
    const unnamed = operations.find(
      (op) => op.method === 'tools/call' && (op.name === undefined || !c.tools.has(op.name)),
    );
    if (unnamed !== undefined) result.unnamedTool = unnamed.name ?? '';
  }
  if (granted === undefined) {
    result.missing = required;
    return result;
  }
  const have = expandScopes(policy, granted);
  const missing = set.allOf.filter((s) => !have.has(s));
  for (const g of set.anyOf) {
    if (!g.some((s) => have.has(s)) && g[0] !== undefined && !missing.includes(g[0])) {
      missing.push(g[0]);
    }
  }
  result.missing = missing;
  return result;
}

/**
 * The required scopes the granted ones do not cover (after implication). Pure:
 * `(policy, message, granted) → missing`. An unsatisfied `anyOf` group reports its first
 * scope.
 *
 * @example
 * ```ts
 * missingScopes({ tools: { add_todo: 'todo:write' }, implies: { 'todo:admin': ['todo:write'] } },
 *   { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add_todo' } }, ['todo:admin']);
 * // []
 * ```
 */
export function missingScopes(
  policy: ScopePolicy,
  message: unknown,
  granted: readonly string[],
): string[] {
  return evaluateScopes(policy, operationsOf(message), granted).missing;
}
