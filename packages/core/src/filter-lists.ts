import { evaluateCompiled } from './evaluate-scopes.js';
import { type McpOperation, resourceKey } from './mcp-operations.js';
import { compilePolicy, type ScopePolicy } from './scope-policy.js';

/**
 * The parts of a connected MCP server transport that {@link filterListsByScope} wraps: the
 * `onmessage` the server installed (called with the request and, as the SDK's HTTP transports
 * do, `extra.authInfo`) and `send`. Every transport of the MCP TypeScript SDK, v1 and v2, has
 * this shape.
 */
export interface ListFilterTransport {
  // biome-ignore lint/suspicious/noExplicitAny: the SDKs' message and extra types differ
  onmessage?: ((message: any, extra?: any) => void) | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: the SDKs' message and option types differ
  send(message: any, options?: any): Promise<void>;
}

/** Each list method, the result member it answers with, and the call an item stands for. */
const LISTS: Readonly<Record<string, { member: string; op: (item: Item) => McpOperation }>> = {
  'tools/list': { member: 'tools', op: (item) => ({ method: 'tools/call', name: item.name }) },
  'prompts/list': {
    member: 'prompts',
    op: (item) => ({ method: 'prompts/get', name: item.name }),
  },
  'resources/list': {
    member: 'resources',
    op: (item) => ({ method: 'resources/read', name: resourceKeyOf(item.uri) }),
  },
};

interface Item {
  name?: string;
  uri?: string;
}

function resourceKeyOf(uri: unknown): string | undefined {
  if (typeof uri !== 'string') return undefined;
  try {
    return resourceKey(uri);
  } catch {
    return uri;
  }
}

type RequestId = string | number;

/** List requests awaiting their answer, per transport; the oldest is dropped past this. */
const MAX_PENDING = 1_000;

/** A JSON-RPC response: an id, a result or an error, and no method. */
function isAnswer(message: unknown): message is Record<string, unknown> & { id: RequestId } {
  return (
    isObject(message) &&
    (typeof message.id === 'string' || typeof message.id === 'number') &&
    message.method === undefined &&
    ('result' in message || 'error' in message)
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Hides what the caller's token cannot use: the answers to `tools/list`, `prompts/list` and
 * `resources/list` keep only the tools, prompts and resources whose `policy` requirement the
 * caller's granted scopes (`extra.authInfo.scopes`, set by the adapters) satisfy — the same
 * declarative policy that answers 403 to a call. Items the policy does not name stay listed
 * (unnamed tools are hidden with `denyUnnamedTools`). Opt-in; call it once, after
 * `server.connect(transport)`, on the same transport. Works with the MCP TypeScript SDK's v1
 * and v2 transports; a request without `authInfo` is treated as having no scope.
 *
 * The trade-off: a client sees a tool only once its token may call it, so it cannot discover
 * the tools a step-up would unlock; they appear after the client re-authorizes. Leave lists
 * unfiltered when clients should find every tool and step up on the 403.
 *
 * @returns the transport, for chaining.
 * @example
 * ```ts
 * const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: randomUUID });
 * await server.connect(transport);
 * filterListsByScope(transport, SCOPE_POLICY);
 * ```
 */
export function filterListsByScope<T extends ListFilterTransport>(
  transport: T,
  policy: ScopePolicy,
): T {
  const compiled = compilePolicy(policy);
  const received = transport.onmessage;
  if (typeof received !== 'function') {
    throw new TypeError(
      'mcp-auth: filterListsByScope(transport, policy) needs a connected transport: call it after server.connect(transport)',
    );
  }
  const send = transport.send.bind(transport);
  /** The granted scopes of each list request in flight, by JSON-RPC id. */
  const pending = new Map<RequestId, { list: string; granted: readonly string[] }>();

  transport.onmessage = (message: unknown, extra?: unknown) => {
    for (const m of Array.isArray(message) ? message : [message]) {
      if (!isObject(m) || typeof m.method !== 'string') continue;
      // A cancelled request gets no answer: forget it, so nothing piles up.
      if (m.method === 'notifications/cancelled' && isObject(m.params)) {
        pending.delete(m.params.requestId as RequestId);
        continue;
      }
      if (!(m.method in LISTS)) continue;
      const id = m.id;
      if (typeof id !== 'string' && typeof id !== 'number') continue;
      if (pending.size >= MAX_PENDING) pending.delete(pending.keys().next().value as RequestId);
      const scopes = isObject(extra) && isObject(extra.authInfo) ? extra.authInfo.scopes : [];
      pending.set(id, {
        list: m.method,
        granted: Array.isArray(scopes) ? scopes.filter((s) => typeof s === 'string') : [],
      });
    }
    received.call(transport, message, extra);
  };

  transport.send = (message: unknown, options?: unknown) => {
    // Only an answer (a result or an error, no method) can be the answer to a list: a request
    // the server sends the client (sampling, elicitation) may carry the same id.
    if (isAnswer(message)) {
      const request = pending.get(message.id);
      if (request !== undefined) {
        pending.delete(message.id);
        const filtered = filterResult(message, request.list, request.granted);
        return send(filtered, options);
      }
    }
    return send(message, options);
  };

  function visible(list: string, item: unknown, granted: readonly string[]): boolean {
    if (!isObject(item)) return true;
    const op = LISTS[list]?.op(item as Item);
    if (op === undefined) return true;
    const evaluation = evaluateCompiled(compiled, [op], granted);
    return evaluation.missing.length === 0 && evaluation.unnamedTool === undefined;
  }

  function filterResult(
    message: Record<string, unknown>,
    list: string,
    granted: readonly string[],
  ) {
    const { result } = message;
    const member = LISTS[list]?.member;
    if (member === undefined || !isObject(result) || !Array.isArray(result[member])) {
      return message;
    }
    const items = result[member] as unknown[];
    const kept = items.filter((item) => visible(list, item, granted));
    return kept.length === items.length
      ? message
      : { ...message, result: { ...result, [member]: kept } };
  }

  return transport;
}
