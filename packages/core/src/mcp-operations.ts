/** The MCP operations a JSON-RPC message asks for: what the scope policy is evaluated on. */

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
  /**
   * The target parameter (`name`, `uri`, or a completion `ref`'s) is present but not a string:
   * the policy cannot judge what it names, and a server's schema validation might coerce it
   * into one (`["delete_all"]` → `"delete_all"`), so the decision refuses the request.
   */
  malformed?: true;
}

export const NAME_PARAM: Readonly<Record<string, 'name' | 'uri'>> = {
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
  if (type === 'ref/prompt') {
    if (typeof name === 'string') return { method, name, ref: 'prompt' };
    if (name !== undefined) return { method, malformed: true };
  }
  if (type === 'ref/resource') {
    if (typeof uri === 'string') return { method, name: resourceKey(uri), ref: 'resource' };
    if (uri !== undefined) return { method, malformed: true };
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
      if (typeof name === 'string')
        out.push({ method, name: param === 'uri' ? resourceKey(name) : name });
      else out.push(name === undefined ? { method } : { method, malformed: true });
    } else if (method === 'completion/complete') {
      out.push(completionOf(method, (params as { ref?: unknown }).ref));
    } else {
      out.push({ method });
    }
  }
  return out;
}
