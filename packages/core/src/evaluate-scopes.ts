import { type McpOperation, NAME_PARAM, operationsOf } from './mcp-operations.js';
import {
  type CompiledPolicy,
  compilePolicy,
  type ScopeEvaluation,
  type ScopePolicy,
  type ScopeSet,
} from './scope-policy.js';

/** The granted scopes and everything they imply, transitively. */
function expandScopes(implies: CompiledPolicy['implies'], granted: readonly string[]): Set<string> {
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
 * isPublicRequest(compilePolicy({ publicMethods: ['ping'] }), [{ method: 'ping' }]); // true
 * ```
 */
export function isPublicRequest(
  { publicMethods }: CompiledPolicy,
  operations: readonly McpOperation[],
): boolean {
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

/** The baseline plus each operation's requirement (a batch needs the union). */
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
  return evaluateCompiled(compilePolicy(policy), operations, granted);
}

/** {@link evaluateScopes} on a compiled policy: what the decision calls per request. */
export function evaluateCompiled(
  c: CompiledPolicy,
  operations: readonly McpOperation[],
  granted: readonly string[] | undefined,
): ScopeEvaluation {
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
  const have = expandScopes(c.implies, granted);
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
