import { type McpAuthEnv, mcpAuth } from '@org/mcp-auth-hono';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';

/** What the app needs from its environment (process env, or a Worker's bindings). */
export interface RuntimeAppConfig {
  /** `MCP_AUTH_ISSUER`: the authorization server; its JWKS is discovered from its metadata. */
  issuer: string;
  /** `MCP_RESOURCE_URL`: the canonical resource URI tokens must carry in `aud`. */
  resource: string;
  /** `MCP_AUTH_JWKS_COOLDOWN_MS`: least time between key-set fetches (the core's default when unset). */
  jwksCooldownMs?: number | undefined;
}

/** The two tools and the scope each needs. */
const TOOLS = {
  list_todos: { scope: 'todo:read', description: 'Lists your to-dos' },
  add_todo: { scope: 'todo:write', description: 'Adds a to-do' },
} as const;

type ToolName = keyof typeof TOOLS;

/**
 * Reads the configuration by name, from `process.env`, `Deno.env` or a Worker's `env`. Throws
 * naming the variable when a required one is missing or a number is not one.
 */
export function readConfig(read: (name: string) => unknown): RuntimeAppConfig {
  const text = (name: string, required: boolean): string | undefined => {
    const value = read(name);
    if (typeof value === 'string' && value !== '') return value;
    if (required) throw new TypeError(`${name} must be set`);
    return undefined;
  };
  const cooldown = text('MCP_AUTH_JWKS_COOLDOWN_MS', false);
  if (cooldown !== undefined && !/^\d+$/.test(cooldown)) {
    throw new TypeError('MCP_AUTH_JWKS_COOLDOWN_MS must be a whole number of milliseconds');
  }
  return {
    issuer: text('MCP_AUTH_ISSUER', true) as string,
    resource: text('MCP_RESOURCE_URL', true) as string,
    jwksCooldownMs: cooldown === undefined ? undefined : Number(cooldown),
  };
}

type JsonRpcId = string | number | null;

function rpcResult(id: JsonRpcId, result: unknown) {
  return { jsonrpc: '2.0', id, result };
}

function rpcError(id: JsonRpcId, code: number, message: string) {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/** Answers one JSON-RPC request; `undefined` for a notification. */
function answer(message: unknown, subject: string): unknown {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return rpcError(null, -32600, 'Invalid Request');
  }
  const { id, method, params } = message as { id?: JsonRpcId; method?: unknown; params?: unknown };
  if (id === undefined) return undefined;
  if (method === 'initialize') {
    return rpcResult(id, {
      protocolVersion: '2025-06-18',
      capabilities: { tools: {} },
      serverInfo: { name: 'mcp-auth-runtimes', version: '0.0.0' },
    });
  }
  if (method === 'tools/list') {
    const tools = Object.entries(TOOLS).map(([name, { description }]) => ({
      name,
      description,
      inputSchema: { type: 'object' },
    }));
    return rpcResult(id, { tools });
  }
  if (method === 'tools/call') {
    const name = (params as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string' || !Object.hasOwn(TOOLS, name)) {
      return rpcError(id, -32602, 'Unknown tool');
    }
    const text = `${name as ToolName} for ${subject}`;
    return rpcResult(id, { content: [{ type: 'text', text }] });
  }
  return rpcError(id, -32601, 'Method not found');
}

/**
 * The app every runtime serves: the Protected Resource Metadata, and `/mcp` protected by
 * `@org/mcp-auth-hono`, answering JSON-RPC `tools/call` for `list_todos` (`todo:read`) and
 * `add_todo` (`todo:write`). Refusals pass through `onError` with their exact response.
 */
export function createApp(config: RuntimeAppConfig): Hono<McpAuthEnv> {
  const auth = mcpAuth({
    resource: config.resource,
    issuer: config.issuer,
    policy: { tools: { list_todos: TOOLS.list_todos.scope, add_todo: TOOLS.add_todo.scope } },
    scopesSupported: [TOOLS.list_todos.scope, TOOLS.add_todo.scope],
    sessionBinding: false,
    ...(config.jwksCooldownMs === undefined
      ? {}
      : { jwt: { jwksCooldownMs: config.jwksCooldownMs } }),
  });
  const app = new Hono<McpAuthEnv>();
  app.use(auth.metadata);
  app.onError((err, c) =>
    err instanceof HTTPException ? err.getResponse() : c.json({ error: 'internal_error' }, 500),
  );
  app.all('/mcp', auth.protect, async (c) => {
    if (c.req.method !== 'POST') return c.json(rpcError(null, -32000, 'Method not allowed'), 405);
    const body = c.var.parsedBody ?? (await c.req.json().catch(() => undefined));
    if (body === undefined) return c.json(rpcError(null, -32700, 'Parse error'), 400);
    const subject = String(c.var.auth?.extra?.sub ?? 'anonymous');
    if (Array.isArray(body)) {
      const answers = body.map((m) => answer(m, subject)).filter((a) => a !== undefined);
      return answers.length === 0 ? c.body(null, 202) : c.json(answers);
    }
    const one = answer(body, subject);
    return one === undefined ? c.body(null, 202) : c.json(one);
  });
  app.notFound((c) => c.json({ error: 'not_found' }, 404));
  return app;
}
