import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AuthInfo, ScopePolicy } from '@org/mcp-auth-hono';
import { z } from 'zod';

/**
 * The scopes this server understands, advertised as `scopes_supported` in its Protected
 * Resource Metadata.
 *
 * @example
 * ```ts
 * mcpAuth({ resource, issuer, policy: SCOPE_POLICY, scopesSupported: SCOPES });
 * ```
 */
export const SCOPES = ['todo:read', 'todo:write', 'calendar:read', 'calendar:write'];

/**
 * Which scope each tool needs, as data: the auth middleware reads the JSON-RPC body and answers
 * 403 `insufficient_scope` before a tool runs without it. `whoami` is not named, so any valid
 * token may call it. `initialScopes` is what the 401 asks for first (least privilege): the first
 * consent grants `todo:read` alone, and `add_todo` or `create_event` step up with a 403.
 *
 * @example
 * ```ts
 * mcpAuth({ resource, issuer, policy: SCOPE_POLICY });
 * ```
 */
export const SCOPE_POLICY: ScopePolicy = {
  initialScopes: ['todo:read'],
  tools: {
    list_todos: 'todo:read',
    add_todo: 'todo:write',
    list_events: 'calendar:read',
    create_event: 'calendar:write',
  },
};

/** A to-do item. */
export interface Todo {
  id: string;
  title: string;
  done: boolean;
  createdAt: string;
}

/** A calendar event. */
export interface CalendarEvent {
  id: string;
  title: string;
  start: string;
}

/** One user's data. */
export interface UserData {
  todos: Todo[];
  events: CalendarEvent[];
}

/**
 * Per-user data, keyed by the access token's subject (`sub`). Kept in memory: swap it for a
 * database in a real server.
 *
 * @example
 * ```ts
 * const store = createUserStore();
 * store.of('alice').todos.push(todo);
 * ```
 */
export interface UserStore {
  /** The data of `subject`, created empty on first use. */
  of(subject: string): UserData;
}

/**
 * Creates an empty in-memory {@link UserStore}.
 *
 * @example
 * ```ts
 * const store = createUserStore();
 * ```
 */
export function createUserStore(): UserStore {
  const users = new Map<string, UserData>();
  return {
    of(subject) {
      let data = users.get(subject);
      if (data === undefined) {
        data = { todos: [], events: [] };
        users.set(subject, data);
      }
      return data;
    },
  };
}

/** The token's subject, as verified by the auth middleware (`extra.authInfo`). */
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
 * Builds the MCP server (one per session) with the five tools. Scopes are enforced by the
 * auth middleware's {@link SCOPE_POLICY}; the tools only read the caller's subject.
 *
 * @example
 * ```ts
 * await createMcpServer(store).connect(transport);
 * ```
 */
export function createMcpServer(store: UserStore): McpServer {
  const server = new McpServer({ name: 'sample-hono', version: '0.0.0' });

  server.registerTool(
    'list_todos',
    {
      title: 'List to-dos',
      description: "Lists the caller's to-do items. Needs the todo:read scope.",
      annotations: { readOnlyHint: true },
    },
    ({ authInfo }) => result({ todos: store.of(subjectOf(authInfo)).todos }),
  );

  server.registerTool(
    'add_todo',
    {
      title: 'Add a to-do',
      description: 'Adds a to-do item for the caller. Needs the todo:write scope.',
      inputSchema: { title: z.string().min(1).max(200).describe('What to do') },
    },
    ({ title }, { authInfo }) => {
      const todo: Todo = {
        id: randomUUID(),
        title,
        done: false,
        createdAt: new Date().toISOString(),
      };
      store.of(subjectOf(authInfo)).todos.push(todo);
      return result({ todo });
    },
  );

  server.registerTool(
    'list_events',
    {
      title: 'List events',
      description: "Lists the caller's calendar events. Needs the calendar:read scope.",
      annotations: { readOnlyHint: true },
    },
    ({ authInfo }) => result({ events: store.of(subjectOf(authInfo)).events }),
  );

  server.registerTool(
    'create_event',
    {
      title: 'Create an event',
      description: 'Creates a calendar event for the caller. Needs the calendar:write scope.',
      inputSchema: {
        title: z.string().min(1).max(200).describe('Event title'),
        start: z.string().min(1).max(100).describe('Start time, ISO 8601 (2026-12-01T09:00:00Z)'),
      },
    },
    ({ title, start }, { authInfo }) => {
      const event: CalendarEvent = { id: randomUUID(), title, start };
      store.of(subjectOf(authInfo)).events.push(event);
      return result({ event });
    },
  );

  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description: 'Returns the subject and the scopes of the access token. Any valid token.',
      annotations: { readOnlyHint: true },
    },
    ({ authInfo }) =>
      result({
        subject: subjectOf(authInfo),
        scopes: authInfo?.scopes ?? [],
        clientId: authInfo?.clientId ?? '',
      }),
  );

  return server;
}
