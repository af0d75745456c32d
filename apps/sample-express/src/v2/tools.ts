import { randomUUID } from 'node:crypto';
import { type CallToolResult, McpServer, type RegisteredTool } from '@modelcontextprotocol/server';
import { type AuthInfo, missingScopes } from '@org/mcp-auth-express';
import { z } from 'zod';
import { type CalendarEvent, SCOPE_POLICY, type Todo, type UserStore } from '../tools.js';

// The scopes, the policy and the store are the v1 entry's (src/tools.ts): only the MCP server
// differs. MCP SDK v2 hands the verified token to tools as ctx.http.authInfo.
export { createUserStore, SCOPE_POLICY, SCOPES, type UserStore } from '../tools.js';

/** The token's subject, as verified by the auth middleware (`ctx.http.authInfo`). */
function subjectOf(authInfo: AuthInfo | undefined): string {
  const sub = authInfo?.extra?.sub;
  if (typeof sub !== 'string' || sub === '') throw new Error('The access token has no subject');
  return sub;
}

function result(data: Record<string, unknown>): CallToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(data, null, 2) }],
    structuredContent: data,
  };
}

/**
 * Options of {@link createMcpServer}.
 *
 * @example
 * ```ts
 * const options: McpServerOptions = { grantedScopes: ['todo:read'] };
 * ```
 */
export interface McpServerOptions {
  /**
   * The caller's scopes: tools that `SCOPE_POLICY` refuses them are disabled (absent from
   * `tools/list`). For a server built per request; a session's token can change, so a session
   * filters its lists with `filterListsByScope` instead. Default: every tool.
   */
  grantedScopes?: readonly string[];
}

/**
 * Builds the MCP SDK v2 server with the five tools: one per request (2026-07-28, and 2025-era
 * clients when stateless) or per session (2025-era clients when stateful). Scopes are enforced
 * by the auth middleware's `SCOPE_POLICY`; the tools only read the caller's subject.
 *
 * @example
 * ```ts
 * const handler = createMcpHandler(() => createMcpServer(store));
 * ```
 */
export function createMcpServer(store: UserStore, options: McpServerOptions = {}): McpServer {
  const tools: Record<string, RegisteredTool> = {};
  const server = new McpServer({ name: 'sample-express', version: '0.0.0' });

  tools.list_todos = server.registerTool(
    'list_todos',
    {
      title: 'List to-dos',
      description: "Lists the caller's to-do items. Needs the todo:read scope.",
      annotations: { readOnlyHint: true },
    },
    (ctx) => result({ todos: store.of(subjectOf(ctx.http?.authInfo)).todos }),
  );

  tools.add_todo = server.registerTool(
    'add_todo',
    {
      title: 'Add a to-do',
      description: 'Adds a to-do item for the caller. Needs the todo:write scope.',
      inputSchema: z.object({ title: z.string().min(1).max(200).describe('What to do') }),
    },
    ({ title }, ctx) => {
      const todo: Todo = {
        id: randomUUID(),
        title,
        done: false,
        createdAt: new Date().toISOString(),
      };
      store.of(subjectOf(ctx.http?.authInfo)).todos.push(todo);
      return result({ todo });
    },
  );

  tools.list_events = server.registerTool(
    'list_events',
    {
      title: 'List events',
      description: "Lists the caller's calendar events. Needs the calendar:read scope.",
      annotations: { readOnlyHint: true },
    },
    (ctx) => result({ events: store.of(subjectOf(ctx.http?.authInfo)).events }),
  );

  tools.create_event = server.registerTool(
    'create_event',
    {
      title: 'Create an event',
      description: 'Creates a calendar event for the caller. Needs the calendar:write scope.',
      inputSchema: z.object({
        title: z.string().min(1).max(200).describe('Event title'),
        start: z.string().min(1).max(100).describe('Start time, ISO 8601 (2026-12-01T09:00:00Z)'),
      }),
    },
    ({ title, start }, ctx) => {
      const event: CalendarEvent = { id: randomUUID(), title, start };
      store.of(subjectOf(ctx.http?.authInfo)).events.push(event);
      return result({ event });
    },
  );

  tools.whoami = server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description: 'Returns the subject and the scopes of the access token. Any valid token.',
      annotations: { readOnlyHint: true },
    },
    (ctx) => {
      const authInfo = ctx.http?.authInfo;
      return result({
        subject: subjectOf(authInfo),
        scopes: authInfo?.scopes ?? [],
        clientId: authInfo?.clientId ?? '',
      });
    },
  );

  const granted = options.grantedScopes;
  if (granted !== undefined) {
    for (const [name, tool] of Object.entries(tools)) {
      const call = { jsonrpc: '2.0', id: 0, method: 'tools/call', params: { name } };
      if (missingScopes(SCOPE_POLICY, call, granted).length > 0) tool.disable();
    }
  }
  return server;
}
