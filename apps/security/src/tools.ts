import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AuthInfo, ScopePolicy } from '@org/mcp-auth-core';
import { z } from 'zod';

/** The scopes the servers advertise (`scopes_supported`), as in the samples. */
export const SCOPES = ['todo:read', 'todo:write', 'calendar:read', 'calendar:write'];

/**
 * The samples' scope policy: one scope per tool, `whoami` unnamed (any valid token).
 *
 * @example
 * ```ts
 * startSecurityServer('express', { issuer, policy: { ...SCOPE_POLICY, denyUnnamedTools: true } });
 * ```
 */
export const SCOPE_POLICY: ScopePolicy = {
  tools: {
    list_todos: 'todo:read',
    add_todo: 'todo:write',
    list_events: 'calendar:read',
    create_event: 'calendar:write',
  },
};

/** The tools every server registers. */
export const TOOL_NAMES = ['list_todos', 'add_todo', 'list_events', 'create_event', 'whoami'];

/** One run of a tool handler: which tool, for whom, with which scopes. */
export interface ToolCall {
  tool: string;
  sub: unknown;
  scopes: string[];
}

function ran(calls: ToolCall[], tool: string, authInfo: AuthInfo | undefined): CallToolResult {
  const entry: ToolCall = { tool, sub: authInfo?.extra?.sub, scopes: authInfo?.scopes ?? [] };
  calls.push(entry);
  // Never the token: the leak tests look for it in every response.
  return {
    content: [{ type: 'text', text: JSON.stringify(entry) }],
    structuredContent: { ...entry },
  };
}

/**
 * An McpServer with the samples' five tools; every handler run is appended to `calls` so a test
 * can tell that a refused request never reached a tool.
 *
 * @example
 * ```ts
 * const calls: ToolCall[] = [];
 * await createToolServer(calls).connect(transport);
 * ```
 */
export function createToolServer(calls: ToolCall[]): McpServer {
  const server = new McpServer({ name: 'security-harness', version: '0.0.0' });
  const text = z.string().min(1).max(200);
  server.registerTool('list_todos', { description: 'Needs todo:read' }, ({ authInfo }) =>
    ran(calls, 'list_todos', authInfo),
  );
  server.registerTool(
    'add_todo',
    { description: 'Needs todo:write', inputSchema: { title: text } },
    (_args, { authInfo }) => ran(calls, 'add_todo', authInfo),
  );
  server.registerTool('list_events', { description: 'Needs calendar:read' }, ({ authInfo }) =>
    ran(calls, 'list_events', authInfo),
  );
  server.registerTool(
    'create_event',
    { description: 'Needs calendar:write', inputSchema: { title: text, start: text } },
    (_args, { authInfo }) => ran(calls, 'create_event', authInfo),
  );
  server.registerTool('whoami', { description: 'Any valid token' }, ({ authInfo }) =>
    ran(calls, 'whoami', authInfo),
  );
  return server;
}
